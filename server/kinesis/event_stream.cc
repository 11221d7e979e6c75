// The application/vnd.amazon.eventstream encoder and strict decoder (see
// event_stream.h for the format and the invariants both sides keep).
#include "server/kinesis/event_stream.h"

#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <limits>

namespace tidelog::server::kinesis {
namespace {

void PutBigEndian(char* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t GetBigEndian(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Bytes of the value after the type byte, for fixed-size types; -1 for the
// length-prefixed ones, -2 for an unknown type.
int FixedValueSize(EventHeaderType type) {
  switch (type) {
    case EventHeaderType::kBoolTrue:
    case EventHeaderType::kBoolFalse:
      return 0;
    case EventHeaderType::kByte:
      return 1;
    case EventHeaderType::kInt16:
      return 2;
    case EventHeaderType::kInt32:
      return 4;
    case EventHeaderType::kInt64:
    case EventHeaderType::kTimestamp:
      return 8;
    case EventHeaderType::kUuid:
      return 16;
    case EventHeaderType::kByteArray:
    case EventHeaderType::kString:
      return -1;
  }
  return -2;
}

// UTF-8 check with an ASCII fast path: header names and the :event-type
// style values are short ASCII, for which simdjson's dispatch costs more.
bool ValidUtf8(std::string_view s) {
  if (s.size() <= 64) {
    unsigned char any = 0;
    for (char c : s) any |= static_cast<unsigned char>(c);
    if (any < 0x80) return true;
  }
  return simdjson::validate_utf8(s.data(), s.size());
}

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= kEventStreamMaxHeaderNameLength && ValidUtf8(name);
}

// The encoded size of `h`, or 0 if it breaks an invariant.
size_t EncodedHeaderSize(const EventHeader& h) {
  if (!ValidName(h.name)) return 0;
  const size_t prefix = 1 + h.name.size() + 1;
  const int fixed = FixedValueSize(h.type);
  if (fixed == -2) return 0;
  if (fixed == -1) {
    if (h.bytes_value.size() > kEventStreamMaxHeaderValueLength) return 0;
    if (h.type == EventHeaderType::kString && !ValidUtf8(h.bytes_value)) return 0;
    return prefix + 2 + h.bytes_value.size();
  }
  if (h.type == EventHeaderType::kUuid && h.bytes_value.size() != 16) return 0;
  if (fixed == 1 || fixed == 2 || fixed == 4) {
    const int64_t bound = int64_t{1} << (fixed * 8 - 1);
    if (h.int_value < -bound || h.int_value >= bound) return 0;
  }
  return prefix + static_cast<size_t>(fixed);
}

// Writes `h` (already checked by EncodedHeaderSize) at p; returns the end.
char* WriteHeader(char* p, const EventHeader& h) {
  *p++ = static_cast<char>(h.name.size());
  p = std::copy(h.name.begin(), h.name.end(), p);
  *p++ = static_cast<char>(h.type);
  const int fixed = FixedValueSize(h.type);
  if (fixed == -1) {
    PutBigEndian(p, h.bytes_value.size(), 2);
    p = std::copy(h.bytes_value.begin(), h.bytes_value.end(), p + 2);
  } else if (h.type == EventHeaderType::kUuid) {
    p = std::copy(h.bytes_value.begin(), h.bytes_value.end(), p);
  } else if (fixed > 0) {
    PutBigEndian(p, static_cast<uint64_t>(h.int_value), fixed);
    p += fixed;
  }
  return p;
}

// True if two headers have the same name. Pairwise for few, a sorted copy for
// many, so a fuzzed 40000-header message stays O(n log n).
bool HasDuplicate(std::span<const EventHeader> headers) {
  const size_t n = headers.size();
  if (n <= 16) {
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j)
        if (headers[i].name == headers[j].name) return true;
    return false;
  }
  std::vector<std::string_view> sorted;
  sorted.reserve(n);
  for (const EventHeader& h : headers) sorted.push_back(h.name);
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

}  // namespace

uint32_t EventStreamCrc32(std::string_view data, uint32_t crc) {
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

bool AppendEventStreamMessage(std::string* out, std::span<const EventHeader> headers,
                              std::string_view payload) {
  size_t headers_length = 0;
  for (const EventHeader& h : headers) {
    const size_t size = EncodedHeaderSize(h);
    if (size == 0) return false;
    headers_length += size;
    if (headers_length > kEventStreamMaxHeadersLength) return false;
  }
  // Pairwise here (the sorted path would allocate); callers pass a handful.
  for (size_t i = 0; i < headers.size(); ++i)
    for (size_t j = i + 1; j < headers.size(); ++j)
      if (headers[i].name == headers[j].name) return false;
  if (payload.size() > kEventStreamMaxMessageLength) return false;
  const size_t total = kEventStreamMinMessageLength + headers_length + payload.size();
  if (total > kEventStreamMaxMessageLength) return false;

  const size_t start = out->size();
  out->resize(start + total);
  char* const begin = out->data() + start;
  PutBigEndian(begin, total, 4);
  PutBigEndian(begin + 4, headers_length, 4);
  const uint32_t prelude_crc = EventStreamCrc32({begin, 8});
  PutBigEndian(begin + 8, prelude_crc, 4);
  char* p = begin + kEventStreamPreludeLength;
  for (const EventHeader& h : headers) p = WriteHeader(p, h);
  p = std::copy(payload.begin(), payload.end(), p);
  // CRC-32 of bytes [0, total - 4): continue the prelude's over bytes 8 on.
  const auto tail = static_cast<size_t>(p - (begin + 8));
  PutBigEndian(p, EventStreamCrc32({begin + 8, tail}, prelude_crc), 4);
  return true;
}

bool AppendEventMessage(std::string* out, std::string_view event_type,
                        std::string_view content_type, std::string_view payload) {
  const EventHeader headers[] = {
      EventHeader::String(":message-type", "event"),
      EventHeader::String(":event-type", event_type),
      EventHeader::String(":content-type", content_type),
  };
  return AppendEventStreamMessage(out, headers, payload);
}

bool AppendExceptionMessage(std::string* out, std::string_view exception_type,
                            std::string_view content_type, std::string_view payload) {
  const EventHeader headers[] = {
      EventHeader::String(":message-type", "exception"),
      EventHeader::String(":exception-type", exception_type),
      EventHeader::String(":content-type", content_type),
  };
  return AppendEventStreamMessage(out, headers, payload);
}

std::string_view EventStreamErrorText(EventStreamError error) {
  switch (error) {
    case EventStreamError::kOk:
      return "ok";
    case EventStreamError::kTruncated:
      return "truncated message";
    case EventStreamError::kPreludeCrcMismatch:
      return "prelude CRC mismatch";
    case EventStreamError::kMessageTooShort:
      return "total length under 16";
    case EventStreamError::kMessageTooLong:
      return "total length over the limit";
    case EventStreamError::kHeadersTooLong:
      return "headers length over the limit";
    case EventStreamError::kHeadersBeyondMessage:
      return "headers length beyond the message";
    case EventStreamError::kMessageCrcMismatch:
      return "message CRC mismatch";
    case EventStreamError::kHeaderTruncated:
      return "header runs past the headers";
    case EventStreamError::kHeaderNameEmpty:
      return "empty header name";
    case EventStreamError::kHeaderNameTooLong:
      return "header name over 127 bytes";
    case EventStreamError::kHeaderValueTooLong:
      return "header value over 32767 bytes";
    case EventStreamError::kUnknownHeaderType:
      return "unknown header type";
    case EventStreamError::kInvalidUtf8:
      return "header name or string not UTF-8";
    case EventStreamError::kDuplicateHeader:
      return "duplicate header";
  }
  return "unknown error";
}

const EventHeader* DecodedEventMessage::Find(std::string_view name) const {
  for (const EventHeader& h : headers)
    if (h.name == name) return &h;
  return nullptr;
}

EventStreamError DecodeEventStreamMessage(std::string_view buffer, DecodedEventMessage* message,
                                          const EventStreamLimits& limits) {
  message->total_length = 0;
  message->headers.clear();
  message->payload = {};
  if (buffer.size() < kEventStreamPreludeLength) return EventStreamError::kTruncated;
  const char* const data = buffer.data();
  const auto total = static_cast<uint32_t>(GetBigEndian(data, 4));
  const auto headers_length = static_cast<uint32_t>(GetBigEndian(data + 4, 4));
  const auto prelude_crc = static_cast<uint32_t>(GetBigEndian(data + 8, 4));
  if (EventStreamCrc32({data, 8}) != prelude_crc) return EventStreamError::kPreludeCrcMismatch;
  if (total < kEventStreamMinMessageLength) return EventStreamError::kMessageTooShort;
  if (total > limits.max_message_length) return EventStreamError::kMessageTooLong;
  if (headers_length > limits.max_headers_length) return EventStreamError::kHeadersTooLong;
  // total >= 16 here, so the subtraction cannot wrap.
  if (headers_length > total - kEventStreamMinMessageLength)
    return EventStreamError::kHeadersBeyondMessage;
  if (buffer.size() < total) {
    message->total_length = total;
    return EventStreamError::kTruncated;
  }
  const auto message_crc = static_cast<uint32_t>(GetBigEndian(data + total - 4, 4));
  if (EventStreamCrc32({data + 8, total - 12}, prelude_crc) != message_crc)
    return EventStreamError::kMessageCrcMismatch;

  // Headers: every read below is bounds-checked against `end`.
  const char* p = data + kEventStreamPreludeLength;
  const char* const end = p + headers_length;
  while (p < end) {
    EventHeader h;
    const size_t name_length = static_cast<uint8_t>(*p++);
    if (name_length == 0) return EventStreamError::kHeaderNameEmpty;
    if (name_length > kEventStreamMaxHeaderNameLength) return EventStreamError::kHeaderNameTooLong;
    // Name and type byte.
    if (static_cast<size_t>(end - p) < name_length + 1) return EventStreamError::kHeaderTruncated;
    h.name = {p, name_length};
    if (!ValidUtf8(h.name)) return EventStreamError::kInvalidUtf8;
    p += name_length;
    const auto type_byte = static_cast<uint8_t>(*p++);
    if (type_byte > static_cast<uint8_t>(EventHeaderType::kUuid))
      return EventStreamError::kUnknownHeaderType;
    h.type = static_cast<EventHeaderType>(type_byte);
    const int fixed = FixedValueSize(h.type);
    if (fixed == -1) {
      if (end - p < 2) return EventStreamError::kHeaderTruncated;
      const size_t length = GetBigEndian(p, 2);
      p += 2;
      if (length > kEventStreamMaxHeaderValueLength) return EventStreamError::kHeaderValueTooLong;
      if (static_cast<size_t>(end - p) < length) return EventStreamError::kHeaderTruncated;
      h.bytes_value = {p, length};
      if (h.type == EventHeaderType::kString && !ValidUtf8(h.bytes_value))
        return EventStreamError::kInvalidUtf8;
      p += length;
    } else {
      if (end - p < fixed) return EventStreamError::kHeaderTruncated;
      if (h.type == EventHeaderType::kUuid) {
        h.bytes_value = {p, 16};
      } else if (fixed > 0) {
        // Sign-extend the big-endian two's complement value.
        const uint64_t raw = GetBigEndian(p, fixed);
        const int shift = 64 - fixed * 8;
        h.int_value = static_cast<int64_t>(raw << shift) >> shift;
      }
      p += fixed;
    }
    message->headers.push_back(h);
  }
  if (HasDuplicate(message->headers)) return EventStreamError::kDuplicateHeader;
  message->total_length = total;
  message->payload = {end, total - kEventStreamMinMessageLength - headers_length};
  return EventStreamError::kOk;
}

}  // namespace tidelog::server::kinesis
