// The AWS JSON 1.1 error and success response shapes, and their CBOR
// (application/x-amz-cbor-1.1) form.
#pragma once

#include <string>
#include <string_view>

#include "server/http/http_message.h"
#include "server/kinesis/wire_format.h"
#include "tidelog/status.h"

namespace tidelog::server::kinesis {

inline constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";

// 200 with a JSON body ("" for operations without output).
HttpResponse JsonResponse(std::string body);

// `status` (400 unless given) with {"__type":type,"message":message} and the
// x-amzn-ErrorType header.
HttpResponse ErrorResponse(std::string_view type, std::string_view message, int status = 400);

// A SerializationException: AWS spells its member `Message`.
HttpResponse SerializationErrorResponse(std::string_view message);

// A failed engine Status: 400 with its AWS name and message (503 for a full
// data disk, ServiceUnavailable), or, for
// InternalFailure and storage errors, 500 InternalFailure with a generic
// message naming the request id; the engine's own text goes only to the
// broker's log (HttpResponse::internal_detail).
HttpResponse StatusResponse(const Status& status);

// 200 with a body already in CBOR.
HttpResponse CborResponse(std::string body);

// `r` as a response to a request in `format`: for kCbor, a response whose
// Content-Type is JSON gets its body transcoded (JsonToCbor; errors keep
// their status, x-amzn-ErrorType, `__type` and message key) and the CBOR
// Content-Type. Anything else (event streams, CBOR bodies, the XML and
// bodyless protocol errors) is left as it is.
HttpResponse InWireFormat(HttpResponse r, WireFormat format);

// The JSON error body alone; an empty message is left out, as AWS does for
// protocol errors such as UnknownOperationException.
std::string ErrorBody(std::string_view type, std::string_view message_key,
                      std::string_view message);

}  // namespace tidelog::server::kinesis
