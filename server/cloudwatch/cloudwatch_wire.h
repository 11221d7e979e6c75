// The three wire protocols of the CloudWatch API (service `monitoring`,
// 2010-08-01), as botocore and the AWS SDKs speak them:
//   smithy-rpc-v2-cbor  POST /service/GraniteServiceVersion20100801/operation/<Op>,
//                       `smithy-protocol: rpc-v2-cbor`, CBOR bodies, tag 1 =
//                       epoch seconds (botocore 1.35+ default)
//   AWS JSON 1.0        POST /, X-Amz-Target GraniteServiceVersion20100801.<Op>,
//                       application/x-amz-json-1.0, epoch-second numbers
//   AWS query           POST / form-encoded Action=<Op>&Version=2010-08-01&...,
//                       XML responses (botocore before 1.35, the AWS CLI v1)
// Requests decode into the JsonValue tree the Kinesis codecs use (query
// parameters become the same shape: "Dimensions.member.1.Name" ->
// Dimensions[0].Name); responses are built as such a tree (timestamps are
// numbers flagged `exact_millis`) and encoded for the request's protocol.
// CloudWatch is "awsQueryCompatible": JSON and CBOR errors carry the query
// error code in `x-amzn-query-error`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/http/http_message.h"
#include "server/kinesis/json_value.h"

namespace tidelog::server::cloudwatch {

using kinesis::JsonValue;

enum class Protocol { kCbor, kJson, kQuery };

inline constexpr std::string_view kTargetPrefix = "GraniteServiceVersion20100801";
inline constexpr std::string_view kApiVersion = "2010-08-01";

// A CloudWatch request recognised from its head: the protocol, and the
// operation when the head names it (always but for the query protocol, whose
// Action is in the body). nullopt: not a CloudWatch request.
struct Route {
  Protocol protocol;
  std::string operation;
};
std::optional<Route> RouteOf(const HttpRequest& head);

// A client-visible failure: the query error code ("InvalidParameterValue"),
// the model's error shape for JSON/CBOR `__type` (empty: the code), the
// message and the HTTP status.
struct CloudWatchError {
  std::string code;
  std::string shape;
  std::string message;
  int status = 400;
  bool sender = true;  // query <Type>: Sender or Receiver
};

// Decodes the body. The query protocol's Action goes to route->operation
// (and Action and Version are not members of *input). False: the body is not
// of the protocol's form (the caller answers SerializationException-like).
bool DecodeInput(std::string_view body, Route* route, JsonValue* input, CloudWatchError* error);

HttpResponse EncodeOutput(const Route& route, const JsonValue& output,
                          const std::string& request_id);
HttpResponse EncodeError(Protocol protocol, const CloudWatchError& error,
                         const std::string& request_id);

// Tree builders for responses.
JsonValue Object();
JsonValue Array();
JsonValue Text(std::string_view s);
JsonValue Number(double d);
JsonValue Timestamp(int64_t millis);
// Appends member `key` to an object; returns it.
JsonValue& Member(JsonValue* object, std::string_view key, JsonValue value);
JsonValue& Push(JsonValue* array, JsonValue value);

// ISO 8601 UTC with milliseconds ("2026-12-03T18:00:00.000Z").
std::string FormatIso8601(int64_t millis);
// ISO 8601 date-times as botocore and the CLI send them (fraction and zone
// optional: "2026-12-03T18:00:00Z", "...T18:00:00.123456+00:00"); false when
// not one, or outside years 0001..9999.
bool ParseIso8601(std::string_view s, int64_t* millis);

}  // namespace tidelog::server::cloudwatch
