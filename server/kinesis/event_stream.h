// The application/vnd.amazon.eventstream message codec: the binary framing of
// SubscribeToShard's response body (Smithy's "Amazon Event Stream
// Specification"; botocore/eventstream.py and aws-c-event-stream parse it).
//
// A message is
//   prelude:  total_length u32 BE | headers_length u32 BE | prelude_crc u32 BE
//   headers:  headers_length bytes, each header
//               name_length u8 | name | type u8 | value (see EventHeaderType)
//   payload:  total_length - headers_length - 16 bytes
//   trailer:  message_crc u32 BE
// where prelude_crc is the CRC-32 (zlib / IEEE) of the first 8 bytes and
// message_crc that of every byte before it.
//
// Invariants shared by encoder and decoder (the strictest client's limits,
// aws-c-event-stream, used by the AWS SDK for C++ and the CRT clients):
//   16 <= total_length <= kEventStreamMaxMessageLength (16 MiB)
//   headers_length <= kEventStreamMaxHeadersLength (128 KiB)
//   header names: 1..127 bytes of UTF-8, distinct within a message
//   string / byte-array values: at most 32767 bytes; strings UTF-8
// With its default limits the decoder accepts exactly what the encoder can
// produce: re-encoding whatever it decodes gives back the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tidelog::server::kinesis {

inline constexpr uint32_t kEventStreamPreludeLength = 12;
inline constexpr uint32_t kEventStreamMinMessageLength = 16;  // prelude + message CRC
inline constexpr uint32_t kEventStreamMaxMessageLength = 16 * 1024 * 1024;
inline constexpr uint32_t kEventStreamMaxHeadersLength = 128 * 1024;
inline constexpr size_t kEventStreamMaxHeaderNameLength = 127;
inline constexpr size_t kEventStreamMaxHeaderValueLength = 32767;

// :content-type of event payloads: the JSON 1.1 protocol's, and CBOR's (the
// AWS SDK for Java v2 talks CBOR to Kinesis by default).
inline constexpr std::string_view kEventStreamJsonContentType = "application/json";
inline constexpr std::string_view kEventStreamCborContentType = "application/x-amz-cbor-1.1";

// The wire value of a header's type byte.
enum class EventHeaderType : uint8_t {
  kBoolTrue = 0,   // no value bytes
  kBoolFalse = 1,  // no value bytes
  kByte = 2,       // int8
  kInt16 = 3,      // int16 BE
  kInt32 = 4,      // int32 BE
  kInt64 = 5,      // int64 BE
  kByteArray = 6,  // u16 BE length, bytes
  kString = 7,     // u16 BE length, UTF-8 bytes
  kTimestamp = 8,  // int64 BE milliseconds since the Unix epoch
  kUuid = 9,       // 16 bytes
};

// One header. Views only: the encoder reads them, the decoder points them into
// the decoded buffer. int_value holds kByte..kInt64 and kTimestamp values;
// bytes_value holds kByteArray, kString and kUuid values.
struct EventHeader {
  std::string_view name;
  EventHeaderType type = EventHeaderType::kBoolFalse;
  int64_t int_value = 0;
  std::string_view bytes_value;

  bool bool_value() const { return type == EventHeaderType::kBoolTrue; }

  static EventHeader Bool(std::string_view name, bool value) {
    return {name, value ? EventHeaderType::kBoolTrue : EventHeaderType::kBoolFalse, 0, {}};
  }
  static EventHeader Byte(std::string_view name, int8_t value) {
    return {name, EventHeaderType::kByte, value, {}};
  }
  static EventHeader Int16(std::string_view name, int16_t value) {
    return {name, EventHeaderType::kInt16, value, {}};
  }
  static EventHeader Int32(std::string_view name, int32_t value) {
    return {name, EventHeaderType::kInt32, value, {}};
  }
  static EventHeader Int64(std::string_view name, int64_t value) {
    return {name, EventHeaderType::kInt64, value, {}};
  }
  static EventHeader Timestamp(std::string_view name, int64_t millis) {
    return {name, EventHeaderType::kTimestamp, millis, {}};
  }
  static EventHeader ByteArray(std::string_view name, std::string_view value) {
    return {name, EventHeaderType::kByteArray, 0, value};
  }
  static EventHeader String(std::string_view name, std::string_view value) {
    return {name, EventHeaderType::kString, 0, value};
  }
  static EventHeader Uuid(std::string_view name, std::string_view sixteen_bytes) {
    return {name, EventHeaderType::kUuid, 0, sixteen_bytes};
  }
};

// The CRC-32 both checksums use (zlib's), continuing from `crc`.
uint32_t EventStreamCrc32(std::string_view data, uint32_t crc = 0);

// Appends one message (headers in the given order, then payload) to *out,
// allocating nothing but out's growth. Returns false, with *out unchanged, if
// the message would break an invariant above: a name empty, too long, not
// UTF-8 or repeated (checked pairwise: meant for a handful of headers), a
// value too long, not UTF-8 (strings), not 16 bytes (uuid) or out of its
// type's range (int_value), or the headers or message over their limit.
[[nodiscard]] bool AppendEventStreamMessage(std::string* out, std::span<const EventHeader> headers,
                                            std::string_view payload);

// A SubscribeToShard event (event_type "initial-response" or
// "SubscribeToShardEvent"): headers :message-type "event", :event-type,
// :content-type, in that order (Smithy's specification and botocore's own
// test vectors list them so). False as AppendEventStreamMessage.
[[nodiscard]] bool AppendEventMessage(std::string* out, std::string_view event_type,
                                      std::string_view content_type, std::string_view payload);

// A modeled error in the stream (e.g. "ResourceNotFoundException"): headers
// :message-type "exception", :exception-type, :content-type. botocore raises
// it as an EventStreamError with the payload's message.
[[nodiscard]] bool AppendExceptionMessage(std::string* out, std::string_view exception_type,
                                          std::string_view content_type, std::string_view payload);

// Why a buffer did not decode.
enum class EventStreamError {
  kOk = 0,
  kTruncated,             // fewer bytes than the prelude or total_length says
  kPreludeCrcMismatch,    // checked first: lengths are not trusted before it
  kMessageTooShort,       // total_length < 16
  kMessageTooLong,        // total_length over the limit
  kHeadersTooLong,        // headers_length over the limit
  kHeadersBeyondMessage,  // headers_length > total_length - 16
  kMessageCrcMismatch,
  kHeaderTruncated,  // a header runs past headers_length
  kHeaderNameEmpty,
  kHeaderNameTooLong,   // over 127 bytes
  kHeaderValueTooLong,  // a string or byte array over 32767 bytes
  kUnknownHeaderType,   // type byte over 9
  kInvalidUtf8,         // a header name or string value
  kDuplicateHeader,
};

// A short English description ("prelude CRC mismatch"), for logs and tests.
std::string_view EventStreamErrorText(EventStreamError error);

// Limits the decoder enforces; the defaults are the invariants above. A client
// may raise them towards botocore's (24 MiB payloads) to read other servers.
struct EventStreamLimits {
  uint32_t max_message_length = kEventStreamMaxMessageLength;
  uint32_t max_headers_length = kEventStreamMaxHeadersLength;
};

// A decoded message: views into the buffer given to DecodeEventStreamMessage,
// valid as long as it is.
struct DecodedEventMessage {
  uint32_t total_length = 0;         // bytes of the buffer the message takes
  std::vector<EventHeader> headers;  // in wire order
  std::string_view payload;

  // The header named `name`, or nullptr.
  const EventHeader* Find(std::string_view name) const;
};

// Decodes the message at the start of `buffer` (bytes after it are left for
// the next call), verifying both CRCs, every length and every header; reads no
// byte outside `buffer`. On kTruncated, message->total_length is the length the
// whole message needs when the prelude was complete and valid, else 0. On any
// other error *message is unspecified.
EventStreamError DecodeEventStreamMessage(std::string_view buffer, DecodedEventMessage* message,
                                          const EventStreamLimits& limits = {});

}  // namespace tidelog::server::kinesis
