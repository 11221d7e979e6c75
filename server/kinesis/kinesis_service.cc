// Request pipeline, in AWS's order. Before the body is read (CheckHead): CORS
// preflight -> method -> target -> content type -> auth without the body hash
// (deferred to Handle for small bodies). With the body (Handle): the same head
// checks -> full auth (a small unparseable body is reported first) -> JSON or
// CBOR -> types -> constraints -> operation (on the pool unless it is a put).
//
// The wire format is the request's content type. A CBOR request is decoded
// into the same JsonValue tree (cbor_reader.h), so the checks and operations
// are the format's; their JSON responses, errors included, are transcoded on
// the way out (InWireFormat), except on the hot paths, which write CBOR
// directly: the put fast path and GetRecords (record_bodies.h).
#include "server/kinesis/kinesis_service.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "server/auth/sigv4.h"
#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/cors.h"
#include "server/kinesis/errors.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/put_fast_path.h"
#include "server/kinesis/record_bodies.h"
#include "server/kinesis/shape.h"
#include "server/kinesis/validation.h"

namespace tidelog::server {
namespace {

using kinesis::ErrorResponse;
using kinesis::WireFormat;

constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";

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

// The format of a request's body, from its content type; JSON for any other
// (which RejectHead refuses, with a protocol error that has no body).
WireFormat FormatOf(const HttpRequest& request) {
  const std::string* header = request.Header("content-type");
  if (header == nullptr) return WireFormat::kJson;
  return Trim(std::string_view(*header).substr(0, header->find(';'))) == kinesis::kCborContentType
             ? WireFormat::kCbor
             : WireFormat::kJson;
}

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
  if (content_type != kinesis::kJsonContentType && content_type != kinesis::kCborContentType) {
    HttpResponse r;
    r.status = 404;
    r.headers.emplace_back("x-amzn-ErrorType", "UnknownOperationException");
    r.body = "<UnknownOperationException/>\n";
    return r;
  }
  return std::nullopt;
}

}  // namespace

namespace {

// Bodies up to this size are read before an authentication error is given, so
// an unparseable one is reported first, as AWS does; a larger one is refused
// from its head (never buffered unauthenticated).
constexpr uint64_t kParseBeforeAuthBytes = 64 << 10;

bool SmallBody(const HttpRequest& head) {
  const std::string* length = head.Header("content-length");
  if (length == nullptr || length->empty() || length->size() > 19) return false;
  uint64_t n = 0;
  for (char c : *length) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n <= kParseBeforeAuthBytes;
}

}  // namespace

// AWS's order: the method, the target (an unknown operation) and the content
// type come before authentication; so does an unparseable body when it is
// small (Handle).
std::optional<HttpResponse> KinesisService::CheckHead(const HttpRequest& head) {
  if (auto preflight = kinesis::CorsPreflight(head)) return preflight;
  const WireFormat format = FormatOf(head);
  const bool cors = kinesis::HasOrigin(head);
  auto answer = [&](HttpResponse r) {
    r = kinesis::InWireFormat(std::move(r), format);
    if (cors) kinesis::AddCorsHeaders(&r);
    return std::optional<HttpResponse>(std::move(r));
  };
  std::string_view op;
  const kinesis::Shape* shape = nullptr;
  if (std::optional<HttpResponse> rejected = RejectHead(head, &op, &shape))
    return answer(std::move(*rejected));
  if (options_.verifier != nullptr && !SmallBody(head)) {
    if (auto err = options_.verifier->VerifyHead(head))
      return answer(ErrorResponse(err->type, err->message));
  }
  return std::nullopt;
}

void KinesisService::Handle(HttpRequest request, Responder respond) {
  if (auto preflight = kinesis::CorsPreflight(request)) return respond(std::move(*preflight));
  const WireFormat format = FormatOf(request);
  // Every response below is in the request's format; those already in it
  // (CBOR bodies, event streams) pass through unchanged. A page's requests
  // also get the CORS headers.
  if (kinesis::HasOrigin(request)) {
    respond = [respond = std::move(respond)](HttpResponse r) {
      kinesis::AddCorsHeaders(&r);
      respond(std::move(r));
    };
  }
  Responder done = format == WireFormat::kJson
                       ? std::move(respond)
                       : Responder([respond = std::move(respond)](HttpResponse r) {
                           respond(kinesis::InWireFormat(std::move(r), WireFormat::kCbor));
                         });
  std::string_view op;
  const kinesis::Shape* shape = nullptr;
  if (auto rejected = RejectHead(request, &op, &shape)) return done(std::move(*rejected));
  if (options_.verifier != nullptr) {
    if (auto err = options_.verifier->Verify(request)) {
      // A small body that does not parse is reported before authentication.
      kinesis::JsonValue ignored;
      const bool parses =
          !request.body.empty() &&
          (format == WireFormat::kCbor ? kinesis::ParseCbor(request.body, &ignored)
                                       : kinesis::ParseJson(request.body, &ignored));
      if (request.body.size() <= kParseBeforeAuthBytes && !parses)
        return done(kinesis::SerializationErrorResponse(""));
      return done(ErrorResponse(err->type, err->message));
    }
  }

  // The common put shapes skip the JsonValue tree (see put_fast_path.h).
  if (op == "PutRecords" || op == "PutRecord") {
    auto call = std::make_shared<kinesis::FastPut>();
    const bool batch = op.size() == std::string_view("PutRecords").size();
    const bool fast = format == WireFormat::kCbor
                          ? kinesis::ParsePutFastCbor(batch, &request.body, call.get())
                          : kinesis::ParsePutFast(batch, &request.body, call.get());
    if (fast) return kinesis::PutFast(*engine_, std::move(call), batch, std::move(done));
  }

  kinesis::JsonValue body;
  const bool parsed = format == WireFormat::kCbor ? kinesis::ParseCbor(request.body, &body)
                                                  : kinesis::ParseJson(request.body, &body);
  if (request.body.empty() || !parsed || !body.is_object())
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
    return entry.streaming(*engine_, std::move(body), format, std::move(done), post);
  }
  if (op == "GetRecords") {  // written in its format directly: no transcoding
    boost::asio::post(*pool_,
                      [engine = engine_, format, body = std::move(body), done = std::move(done)] {
                        done(kinesis::GetRecordsIn(format, *engine, body));
                      });
    return;
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
