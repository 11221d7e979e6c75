// Fuzz target: the event-stream message decoder (server/kinesis/event_stream.cc).
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/kinesis/event_stream.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tidelog::server::kinesis::DecodedEventMessage;
using tidelog::server::kinesis::DecodeEventStreamMessage;
using tidelog::server::kinesis::EventStreamError;
using tidelog::server::kinesis::EventStreamLimits;

}  // namespace

// The event-stream message decoder (server/kinesis/event_stream.cc): every message it accepts
// re-encodes to the same bytes.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buffer = tidelog::fuzz::AsView(data, size);
  // A body is a sequence of messages, read as a client reads them.
  DecodedEventMessage message;
  while (!buffer.empty()) {
    const EventStreamError error = DecodeEventStreamMessage(buffer, &message);
    // Tighter limits never accept what the defaults refuse.
    DecodedEventMessage small;
    const EventStreamError small_error =
        DecodeEventStreamMessage(buffer, &small, EventStreamLimits{64, 32});
    FUZZ_CHECK(small_error != EventStreamError::kOk || error == EventStreamError::kOk);

    if (error == EventStreamError::kTruncated) {
      FUZZ_CHECK(message.total_length == 0 || message.total_length > buffer.size());
      break;
    }
    if (error != EventStreamError::kOk) {
      FUZZ_CHECK(!tidelog::server::kinesis::EventStreamErrorText(error).empty());
      break;
    }
    FUZZ_CHECK(message.total_length >= tidelog::server::kinesis::kEventStreamMinMessageLength &&
               message.total_length <= buffer.size());
    const std::string_view bytes = buffer.substr(0, message.total_length);
    // The payload is a view inside the message.
    FUZZ_CHECK(message.payload.data() >= bytes.data() &&
               message.payload.data() + message.payload.size() <= bytes.data() + bytes.size());
    for (const auto& header : message.headers) {
      FUZZ_CHECK(message.Find(header.name) == &header);  // names are distinct
    }
    // What the decoder accepts, the encoder writes back identically.
    std::string encoded;
    FUZZ_CHECK(tidelog::server::kinesis::AppendEventStreamMessage(&encoded, message.headers,
                                                                  message.payload),
               bytes);
    FUZZ_CHECK(encoded == bytes, bytes);
    buffer.remove_prefix(message.total_length);
  }
  return 0;
}
