// HttpRequest / HttpResponse: the plain values the network layer hands to a
// RequestHandler and gets back. No I/O here; the protocol layer sees only these.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/response_stream.h"

namespace tidelog::server {

struct HttpRequest {
  std::string method;  // "POST"
  std::string target;  // request-target as sent, e.g. "/" or "/?a=b"
  // Header names lower-cased; values with surrounding whitespace trimmed; in
  // arrival order (repeats kept).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53122"
  // "HTTP/1.1" or "HTTP/2" (HTTP/1.0 requests are answered as HTTP/1.1).
  std::string_view protocol = "HTTP/1.1";

  // First header with this lower-case name, or nullptr.
  const std::string* Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return &v;
    return nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  // The network layer adds Content-Length, Date, Connection and
  // x-amzn-RequestId (unless present) itself.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set for a body written over time (then `body` must be empty): sent
  // without Content-Length, chunked on HTTP/1.1, as DATA frames on HTTP/2,
  // until the handler Finish()es it. The connection Cancel()s it when the
  // client goes away.
  std::shared_ptr<ResponseStream> stream;
  // Never sent: logged by the network layer with the response's request id
  // (what went wrong inside, for an error the client sees only generically).
  std::string internal_detail;
};

// Completes one request. May be called from any thread, exactly once.
using Responder = std::function<void(HttpResponse)>;

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Called on an event-loop thread once a request's line and headers have
  // arrived, before its body is read (`head.body` is empty); must not block.
  // A response answers the request there: the body is never handed to
  // Handle() and, unless it is small, never read (the connection then
  // closes). nullopt: read the body and call Handle().
  virtual std::optional<HttpResponse> CheckHead(const HttpRequest& head) {
    (void)head;
    return std::nullopt;
  }
  // Called on an event-loop thread; must not block. Blocking work goes to a
  // worker pool and calls `done` from there.
  virtual void Handle(HttpRequest request, Responder done) = 0;
};

}  // namespace tidelog::server
