// Fuzz target: HTTP/1.1 request framing as HttpConnection reads it, over a real HttpServer.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "tests/fuzz/http_harness.h"

namespace {

namespace http = boost::beast::http;

// Parses what the server wrote: one response per request head the handler
// saw (HEAD ones without a body), interim 100s anywhere, and at most one more,
// the connection's own error answer, last.
void CheckResponses(const std::string& received, const tidelog::fuzz::Observed& seen,
                    std::string_view input) {
  std::string_view rest = received;
  size_t finals = 0;
  std::optional<uint64_t> last_seq;
  bool closed = false;
  while (!rest.empty()) {
    FUZZ_CHECK(!closed, received);  // nothing after a response that closes
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(1 << 20);
    const bool head_request =
        finals < seen.head_methods.size() && seen.head_methods[finals] == "HEAD";
    parser.skip(head_request);
    boost::system::error_code ec;
    size_t used = 0;
    while (!parser.is_done()) {
      const size_t n = parser.put(boost::asio::buffer(rest.data() + used, rest.size() - used), ec);
      used += n;
      if (ec == http::error::need_more) {
        FUZZ_CHECK(used < rest.size() || parser.is_header_done(), received);
        break;
      }
      FUZZ_CHECK(!ec, ec.message() + " in:\n" + std::string(received));
      if (n == 0) break;
    }
    if (!parser.is_done()) {
      // A body delimited by the close (no length) is not something this server writes.
      parser.put_eof(ec);
      FUZZ_CHECK(!ec && parser.is_done(), "truncated response in:\n" + received);
    }
    rest.remove_prefix(used);
    const auto& response = parser.get();
    const unsigned status = response.result_int();
    FUZZ_CHECK(status >= 100 && status <= 599, received);
    if (status == 100) continue;
    // A final response: to a request the handler saw, or the connection's own error.
    if (finals >= seen.head_methods.size()) {
      FUZZ_CHECK(status == 400 || status == 413 || status == 431, received);
      closed = true;
    } else if (response.body().rfind("seq=", 0) == 0) {
      const uint64_t seq = std::stoull(response.body().substr(4));
      FUZZ_CHECK(seq == finals, received);  // in request order
      FUZZ_CHECK(!last_seq || seq > *last_seq, received);
      last_seq = seq;
    }
    if (!response.keep_alive()) closed = true;
    ++finals;
  }
  FUZZ_CHECK(finals <= seen.head_methods.size() + 1, received);
  (void)input;
}

}  // namespace

// HTTP/1.1 request framing as HttpConnection reads it (server/http/http_connection.cc: Beast's
// parser with the server's limits, Content-Length, chunked bodies, pipelining, 100-continue, early
// answers): bytes sent to a real HttpServer on loopback; whatever they are, the server answers with
// a well-formed, in-order sequence of responses and closes.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = tidelog::fuzz::AsView(data, size);
  const std::string received = tidelog::fuzz::Exchange("", input);
  // A connection that starts with "PRI" is HTTP/2 (ProtocolSelector): the
  // http2 target checks those answers.
  if (input.rfind("PRI", 0) == 0) return 0;
  CheckResponses(received, tidelog::fuzz::GetHarness().handler.observed(), input);
  return 0;
}
