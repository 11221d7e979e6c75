// Error and success responses of the AWS JSON 1.1 protocol.
#include "server/kinesis/errors.h"

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
  bool internal =
      status.code() == ErrorCode::kInternalFailure || status.code() == ErrorCode::kIoError;
  return ErrorResponse(status.aws_name(), status.message(), internal ? 500 : 400);
}

}  // namespace tidelog::server::kinesis
