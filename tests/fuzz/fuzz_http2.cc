// Fuzz target: HTTP/2 frames into the server's nghttp2 session, over a real HttpServer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/http_harness.h"

namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

uint32_t Be(std::string_view s, size_t at, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

// The server's output is a sequence of frames (the last one possibly cut
// short by the close), led by a SETTINGS frame on stream 0.
void CheckFrames(const std::string& out) {
  size_t at = 0;
  bool first = true;
  while (out.size() - at >= 9) {
    const uint32_t length = Be(out, at, 3);
    const uint8_t type = static_cast<uint8_t>(out[at + 3]);
    const uint8_t flags = static_cast<uint8_t>(out[at + 4]);
    const uint32_t stream = Be(out, at + 5, 4) & 0x7fffffff;
    FUZZ_CHECK(type <= 0x9, out);  // the standard frame types only
    if (first) {
      FUZZ_CHECK(type == 0x4 && stream == 0 && (flags & 1) == 0 && length % 6 == 0, out);
      first = false;
    }
    switch (type) {
      case 0x0:                                           // DATA
      case 0x1:                                           // HEADERS
      case 0x3:                                           // RST_STREAM
        FUZZ_CHECK(stream != 0 && stream % 2 == 1, out);  // client-initiated streams
        break;
      case 0x4:  // SETTINGS
      case 0x6:  // PING
      case 0x7:  // GOAWAY
        FUZZ_CHECK(stream == 0, out);
        break;
      default:
        break;
    }
    at += 9 + length;
    if (at > out.size()) break;
  }
}

}  // namespace

// HTTP/2 input to the server's nghttp2 session as Http2Connection sets it up
// (server/http/http2_connection.cc, http2_session.cc): the client preface, then the input as
// frames, to a real HttpServer on loopback. The server must write a well-framed answer (its
// SETTINGS first) and close.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string received = tidelog::fuzz::Exchange(kPreface, tidelog::fuzz::AsView(data, size));
  CheckFrames(received);
  return 0;
}
