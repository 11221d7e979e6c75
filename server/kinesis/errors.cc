// Error and success responses of the AWS JSON 1.1 protocol, and their CBOR
// form.
#include "server/kinesis/errors.h"

#include <algorithm>

#include "server/http/request_id.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/json_writer.h"

namespace tidelog::server::kinesis {

std::string ErrorBody(std::string_view type, std::string_view message_key,
                      std::string_view message) {
  JsonWriter w;
  w.StartObject();
  w.Field("__type", type);
  if (!message.empty()) w.Field(message_key, message);
  w.EndObject();
  return w.Release();
}

HttpResponse JsonResponse(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", std::string(kJsonContentType));
  r.body = std::move(body);
  return r;
}

HttpResponse CborResponse(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", std::string(kCborContentType));
  r.body = std::move(body);
  return r;
}

HttpResponse InWireFormat(HttpResponse r, WireFormat format) {
  if (format != WireFormat::kCbor || r.stream != nullptr) return r;
  for (auto& [name, value] : r.headers) {
    if (name.size() != 12 || !std::equal(name.begin(), name.end(), "content-type",
                                         [](char a, char b) { return (a | 0x20) == b; }))
      continue;
    if (value != kJsonContentType) return r;
    value = std::string(kCborContentType);
    r.body = JsonToCbor(r.body);
    return r;
  }
  return r;
}

namespace {

HttpResponse Error(std::string_view type, std::string body, int status) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(kJsonContentType));
  r.headers.emplace_back("x-amzn-ErrorType", std::string(type));
  r.body = std::move(body);
  return r;
}

}  // namespace

HttpResponse ErrorResponse(std::string_view type, std::string_view message, int status) {
  return Error(type, ErrorBody(type, "message", message), status);
}

HttpResponse SerializationErrorResponse(std::string_view message) {
  constexpr std::string_view kType = "SerializationException";
  return Error(kType, ErrorBody(kType, "Message", message), 400);
}

HttpResponse StatusResponse(const Status& status) {
  if (status.code() == ErrorCode::kInternalFailure || status.code() == ErrorCode::kIoError) {
    // The engine's text may name files or internals: it goes to the log under
    // the request id, and the client gets that id to quote.
    std::string request_id = NewRequestId();
    HttpResponse r = ErrorResponse(
        AwsErrorName(ErrorCode::kInternalFailure),
        "Internal service failure; the broker's log has the details under request id " +
            request_id + ".",
        500);
    r.headers.emplace_back("x-amzn-RequestId", std::move(request_id));
    r.internal_detail = status.ToString();
    return r;
  }
  // A full data disk is temporary and every AWS SDK retries a 503.
  const int http_status = status.code() == ErrorCode::kDiskFull ? 503 : 400;
  return ErrorResponse(status.aws_name(), status.message(), http_status);
}

}  // namespace tidelog::server::kinesis
