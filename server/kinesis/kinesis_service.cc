// Request pipeline. Before the body is read (CheckHead): auth without the
// body hash -> method -> target -> content type. With the body (Handle): full
// auth -> the same head checks -> JSON -> types -> constraints -> operation
// (on the pool unless it is a put).
#include "server/kinesis/kinesis_service.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "server/auth/sigv4.h"
#include "server/kinesis/errors.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/put_fast_path.h"
#include "server/kinesis/shape.h"
#include "server/kinesis/validation.h"

namespace tidelog::server {
namespace {

using kinesis::ErrorResponse;

constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";
constexpr std::string_view kCborContentType = "application/x-amz-cbor-1.1";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// As kinesalite (and AWS) answer a method other than POST.
HttpResponse AccessDenied() {
  HttpResponse r;
  r.status = 403;
  r.headers.emplace_back("x-amzn-ErrorType", "AccessDeniedException");
  r.body =
      "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be "
      "authorized</Message>\n</AccessDeniedException>\n";
  return r;
}

}  // namespace

KinesisService::KinesisService(tidelog::Engine* engine, KinesisServiceOptions options)
    : engine_(engine),
      options_(options),
      pool_(std::make_unique<boost::asio::thread_pool>(
          options.worker_threads == 0 ? 1 : options.worker_threads)) {}

KinesisService::~KinesisService() { pool_->join(); }

namespace {

// The checks after authentication that need only the head: method, target,
// content type. On success *op and *shape name the operation.
std::optional<HttpResponse> RejectHead(const HttpRequest& request, std::string_view* op,
                                       const kinesis::Shape** shape) {
  if (request.method != "POST") return AccessDenied();

  const std::string* target = request.Header("x-amz-target");
  if (target != nullptr && target->starts_with(kTargetPrefix))
    *op = std::string_view(*target).substr(kTargetPrefix.size());
  *shape = op->empty() ? nullptr : kinesis::InputShape(*op);
  if (*shape == nullptr) return ErrorResponse("UnknownOperationException", "");

  const std::string* content_type_header = request.Header("content-type");
  std::string_view content_type =
      content_type_header
          ? Trim(std::string_view(*content_type_header).substr(0, content_type_header->find(';')))
          : std::string_view();
  if (content_type == kCborContentType) {
    HttpResponse r = ErrorResponse(
        "InvalidArgumentException",
        "CBOR (application/x-amz-cbor-1.1) is not supported by this broker yet: send JSON "
        "(Java SDK v1: AWS_CBOR_DISABLE=true; v2: AWS_CBOR_ENABLED=false or "
        "-Daws.cborEnabled=false).");
    r.headers.emplace_back("x-amzn-ErrorMessage", "CBOR is not supported; send JSON");
    return r;
  }
  if (content_type != kinesis::kJsonContentType) {
    HttpResponse r;
    r.status = 404;
    r.headers.emplace_back("x-amzn-ErrorType", "UnknownOperationException");
    r.body = "<UnknownOperationException/>\n";
    return r;
  }
  return std::nullopt;
}

}  // namespace

std::optional<HttpResponse> KinesisService::CheckHead(const HttpRequest& head) {
  if (options_.verifier != nullptr) {
    if (auto err = options_.verifier->VerifyHead(head)) {
      return ErrorResponse(err->type, err->message);
    }
  }
  std::string_view op;
  const kinesis::Shape* shape = nullptr;
  return RejectHead(head, &op, &shape);
}

void KinesisService::Handle(HttpRequest request, Responder done) {
  if (options_.verifier != nullptr) {
    if (auto err = options_.verifier->Verify(request)) {
      return done(ErrorResponse(err->type, err->message));
    }
  }
  std::string_view op;
  const kinesis::Shape* shape = nullptr;
  if (auto rejected = RejectHead(request, &op, &shape)) return done(std::move(*rejected));

  // The common put shapes skip the JsonValue tree (see put_fast_path.h).
  if (op == "PutRecords" || op == "PutRecord") {
    auto call = std::make_shared<kinesis::FastPut>();
    const bool batch = op.size() == std::string_view("PutRecords").size();
    if (kinesis::ParsePutFast(batch, &request.body, call.get()))
      return kinesis::PutFast(*engine_, std::move(call), batch, std::move(done));
  }

  kinesis::JsonValue body;
  if (request.body.empty() || !kinesis::ParseJson(request.body, &body) || !body.is_object())
    return done(kinesis::SerializationErrorResponse(""));
  if (auto err = kinesis::CheckTypes(*shape, &body))
    return done(kinesis::SerializationErrorResponse(*err));
  if (auto err = kinesis::CheckConstraints(*shape, body))
    return done(ErrorResponse("ValidationException", *err));

  kinesis::OperationEntry entry = kinesis::FindOperation(op);
  kinesis::Post post = [pool = pool_.get()](std::function<void()> work) {
    boost::asio::post(*pool, std::move(work));
  };
  if (entry.streaming != nullptr) {
    const kinesis::WireFormat format = kinesis::WireFormat::kJson;
    return entry.streaming(*engine_, std::move(body), format, std::move(done), post);
  }
  if (entry.async != nullptr) return entry.async(*engine_, std::move(body), std::move(done), post);
  if (entry.sync == nullptr) {
    const char* message = kinesis::UnsupportedOperationMessage(op);
    return done(ErrorResponse("InvalidArgumentException",
                              message ? message : "This operation is not supported."));
  }
  boost::asio::post(*pool_, [engine = engine_, sync = entry.sync, body = std::move(body),
                             done = std::move(done)] { done(sync(*engine, body)); });
}

}  // namespace tidelog::server
