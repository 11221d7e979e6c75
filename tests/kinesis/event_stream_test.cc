// Unit tests of the application/vnd.amazon.eventstream codec
// (server/kinesis/event_stream.h): botocore's own test vectors byte for byte,
// round trips of every header type, the encoder's and decoder's limits, and
// every way a buffer can be malformed (CRCs, lengths, truncation, headers),
// plus a seeded mutation fuzz of the decoder. EventStreamExport writes the
// messages tests/e2e/check_event_stream.py parses with botocore.
#include "server/kinesis/event_stream.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace tidelog::server::kinesis {
namespace {

// Encoded messages copied byte for byte from botocore's test suite,
// boto/botocore tests/unit/test_eventstream.py: EMPTY_MESSAGE, INT8_HEADER,
// INT16_HEADER, INT32_HEADER, INT64_HEADER, PAYLOAD_NO_HEADERS,
// PAYLOAD_ONE_STR_HEADER, ALL_HEADERS_TYPES, ERROR_EVENT_MESSAGE (its
// POSITIVE_CASES); the two chunks of test_event_stream_initial_response
// joined (kInitialResponse); and its NEGATIVE_CASES CORRUPTED_HEADER_LENGTH,
// CORRUPTED_HEADERS, CORRUPTED_LENGTH, CORRUPTED_PAYLOAD, DUPLICATE_HEADER.
// 16 bytes
constexpr std::string_view kEmptyMessage{
    "\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2H\xeb}\x98\xc8\xff", 16};
// 23 bytes
constexpr std::string_view kInt8Header{
    "\x00\x00\x00\x17\x00\x00\x00\x07\x29\x86\x01X\x04"
    "byte\x02\xff\xc2\xf8i\xdc",
    23};
// 25 bytes
constexpr std::string_view kInt16Header{
    "\x00\x00\x00\x19\x00\x00\x00\x09q\x0e\x92\x3e\x05short\x03\xff\xff\xb2\x7c\xb6\xcc", 25};
// 29 bytes
constexpr std::string_view kInt32Header{
    "\x00\x00\x00\x1d\x00\x00\x00\x0d\x83\xe3\xf0\xe7\x07integer\x04\xff\xff\xff\xff\x8b\x8e\x12"
    "\xeb",
    29};
// 30 bytes
constexpr std::string_view kInt64Header{
    "\x00\x00\x00\x1e\x00\x00\x00\x0e\x5dJ\xdb\x8d\x04long\x05\xff\xff\xff\xff\xff\xff\xff\xffK\xc2"
    "2\xda",
    30};
// 29 bytes
constexpr std::string_view kPayloadNoHeaders{
    "\x00\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'}\xc3"
    "e96",
    29};
// 61 bytes
constexpr std::string_view kPayloadOneStrHeader{
    "\x00\x00\x00\x3d\x00\x00\x00 \x07\xfd\x83\x96\x0c"
    "content-type\x07\x00\x10"
    "application/json{'foo':'bar'}\x8d\x9c\x08\xb1",
    61};
// 98 bytes
constexpr std::string_view kAllHeaderTypes{
    "\x00\x00\x00"
    "b\x00\x00\x00R\x03\xb5\xcb\x9c\x01"
    "0\x00\x01"
    "1\x01\x01"
    "2\x02\x02\x01"
    "3\x03\x00\x03\x01"
    "4\x04\x00\x00\x00\x04\x01"
    "5\x05\x00\x00\x00\x00\x00\x00\x00\x05\x01"
    "6\x06\x00\x05"
    "bytes\x01"
    "7\x07\x00\x04utf8\x01"
    "8\x08\x00\x00\x00\x00\x00\x00\x00\x08\x01"
    "9\x09"
    "0123456789abcdefc56q",
    98};
// 82 bytes
constexpr std::string_view kErrorEventMessage{
    "\x00\x00\x00R\x00\x00\x00"
    "B\xbf\x23"
    "c\x7e\x0d:message-type\x07\x00\x05"
    "error\x0b:error-code\x07\x00\x04"
    "code\x0e:error-message\x07\x00\x07messagekl\xea\x3d",
    82};
// 126 bytes
constexpr std::string_view kInitialResponse{
    "\x00\x00\x00\x7e\x00\x00\x00O\xc5\xa3\xdd\xc6\x0d:message-type\x07\x00\x05"
    "event\x0b:event-type\x07\x00\x10initial-response\x0d:content-type\x07\x00\x09text/"
    "json{\"InitialResponse\": \"sometext\"}\xf6\x98\x24\x83",
    126};
// 61 bytes
constexpr std::string_view kCorruptedHeaderLength{
    "\x00\x00\x00\x3d\xff\x00\x01\x02\x07\xfd\x83\x96\x0c"
    "content-type\x07\x00\x10"
    "application/json{'foo':'bar'}\x8d\x9c\x08\xb1",
    61};
// 61 bytes
constexpr std::string_view kCorruptedHeaders{
    "\x00\x00\x00\x3d\x00\x00\x00 \x07\xfd\x83\x96\x0c"
    "content+type\x07\x00\x10"
    "application/json{'foo':'bar'}\x8d\x9c\x08\xb1",
    61};
// 29 bytes
constexpr std::string_view kCorruptedLength{
    "\x01\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'}\xc3"
    "e96",
    29};
// 29 bytes
constexpr std::string_view kCorruptedPayload{
    "\x00\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'\x8d\xc3"
    "e96",
    29};
// 36 bytes
constexpr std::string_view kDuplicateHeader{
    "\x00\x00\x00\x24\x00\x00\x00\x14K\xb9\x82\xd0\x04test\x04"
    "asdf\x04test\x04"
    "asdf\xf3\xf4uc",
    36};

constexpr const char* kExportEnv = "TIDELOG_EVENT_STREAM_EXPORT";

std::string_view ErrorText(EventStreamError e) { return EventStreamErrorText(e); }

DecodedEventMessage DecodeOk(std::string_view buffer) {
  DecodedEventMessage m;
  const EventStreamError e = DecodeEventStreamMessage(buffer, &m);
  EXPECT_EQ(e, EventStreamError::kOk) << ErrorText(e);
  return m;
}

EventStreamError DecodeError(std::string_view buffer, const EventStreamLimits& limits = {}) {
  DecodedEventMessage m;
  return DecodeEventStreamMessage(buffer, &m, limits);
}

std::string Encode(std::span<const EventHeader> headers, std::string_view payload) {
  std::string out;
  EXPECT_TRUE(AppendEventStreamMessage(&out, headers, payload));
  return out;
}

uint32_t GetU32(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = at; i < at + 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

// A message built by hand: the given prelude lengths (true or not), a valid
// prelude CRC, `body` after the prelude, then a valid message CRC over it all.
std::string Frame(uint32_t total, uint32_t headers_length, std::string_view body) {
  std::string out;
  PutU32(&out, total);
  PutU32(&out, headers_length);
  PutU32(&out, EventStreamCrc32(out));
  out.append(body);
  PutU32(&out, EventStreamCrc32(out));
  return out;
}

// A well-framed message whose headers section is `raw_headers`.
std::string WithRawHeaders(std::string_view raw_headers, std::string_view payload = "") {
  const auto h = static_cast<uint32_t>(raw_headers.size());
  return Frame(16 + h + static_cast<uint32_t>(payload.size()), h,
               std::string(raw_headers) + std::string(payload));
}

// Decoding `bytes` then encoding what came out gives `bytes` back.
void ExpectReencodes(std::string_view bytes) {
  const DecodedEventMessage m = DecodeOk(bytes);
  EXPECT_EQ(m.total_length, bytes.size());
  EXPECT_EQ(Encode(m.headers, m.payload), bytes);
}

TEST(EventStreamBotocoreTest, DecodesPositiveCases) {
  EXPECT_TRUE(DecodeOk(kEmptyMessage).headers.empty());
  EXPECT_EQ(DecodeOk(kEmptyMessage).payload, "");

  const auto one_int = [](std::string_view bytes, std::string_view name, EventHeaderType type) {
    const DecodedEventMessage m = DecodeOk(bytes);
    ASSERT_EQ(m.headers.size(), 1u);
    EXPECT_EQ(m.headers[0].name, name);
    EXPECT_EQ(m.headers[0].type, type);
    EXPECT_EQ(m.headers[0].int_value, -1);
    EXPECT_EQ(m.payload, "");
  };
  one_int(kInt8Header, "byte", EventHeaderType::kByte);
  one_int(kInt16Header, "short", EventHeaderType::kInt16);
  one_int(kInt32Header, "integer", EventHeaderType::kInt32);
  one_int(kInt64Header, "long", EventHeaderType::kInt64);

  DecodedEventMessage m = DecodeOk(kPayloadNoHeaders);
  EXPECT_TRUE(m.headers.empty());
  EXPECT_EQ(m.payload, "{'foo':'bar'}");

  m = DecodeOk(kPayloadOneStrHeader);
  ASSERT_EQ(m.headers.size(), 1u);
  EXPECT_EQ(m.headers[0].name, "content-type");
  EXPECT_EQ(m.headers[0].type, EventHeaderType::kString);
  EXPECT_EQ(m.headers[0].bytes_value, "application/json");
  EXPECT_EQ(m.payload, "{'foo':'bar'}");

  m = DecodeOk(kAllHeaderTypes);
  ASSERT_EQ(m.headers.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(m.headers[i].name, std::string(1, static_cast<char>('0' + i)));
    EXPECT_EQ(static_cast<int>(m.headers[i].type), i);
  }
  EXPECT_TRUE(m.Find("0")->bool_value());
  EXPECT_FALSE(m.Find("1")->bool_value());
  for (const char* name : {"2", "3", "4", "5", "8"})
    EXPECT_EQ(m.Find(name)->int_value, name[0] - '0') << name;
  EXPECT_EQ(m.Find("6")->bytes_value, "bytes");
  EXPECT_EQ(m.Find("7")->bytes_value, "utf8");
  EXPECT_EQ(m.Find("9")->bytes_value, "0123456789abcdef");
  EXPECT_EQ(m.Find("10"), nullptr);
  EXPECT_EQ(m.payload, "");

  m = DecodeOk(kErrorEventMessage);
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(m.Find(":message-type")->bytes_value, "error");
  EXPECT_EQ(m.Find(":error-code")->bytes_value, "code");
  EXPECT_EQ(m.Find(":error-message")->bytes_value, "message");

  m = DecodeOk(kInitialResponse);
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(m.headers[0].bytes_value, "event");
  EXPECT_EQ(m.headers[1].bytes_value, "initial-response");
  EXPECT_EQ(m.headers[2].bytes_value, "text/json");
  EXPECT_EQ(m.payload, R"({"InitialResponse": "sometext"})");
}

TEST(EventStreamBotocoreTest, EncoderReproducesEveryVectorExactly) {
  for (std::string_view v :
       {kEmptyMessage, kInt8Header, kInt16Header, kInt32Header, kInt64Header, kPayloadNoHeaders,
        kPayloadOneStrHeader, kAllHeaderTypes, kErrorEventMessage, kInitialResponse})
    ExpectReencodes(v);

  // The convenience encoder writes botocore's initial-response bytes exactly
  // (same header order; botocore's test uses text/json as content type).
  std::string out;
  ASSERT_TRUE(AppendEventMessage(&out, "initial-response", "text/json",
                                 R"({"InitialResponse": "sometext"})"));
  EXPECT_EQ(out, kInitialResponse);

  // Typed constructors give the same bytes as the vectors.
  const EventHeader byte_header[] = {EventHeader::Byte("byte", -1)};
  EXPECT_EQ(Encode(byte_header, ""), kInt8Header);
  const EventHeader all[] = {
      EventHeader::Bool("0", true),
      EventHeader::Bool("1", false),
      EventHeader::Byte("2", 2),
      EventHeader::Int16("3", 3),
      EventHeader::Int32("4", 4),
      EventHeader::Int64("5", 5),
      EventHeader::ByteArray("6", "bytes"),
      EventHeader::String("7", "utf8"),
      EventHeader::Timestamp("8", 8),
      EventHeader::Uuid("9", "0123456789abcdef"),
  };
  EXPECT_EQ(Encode(all, ""), kAllHeaderTypes);
}

TEST(EventStreamBotocoreTest, AllPositiveCasesInOneBuffer) {
  std::string buffer;
  const std::string_view cases[] = {kEmptyMessage,        kInt8Header,     kInt16Header,
                                    kInt32Header,         kInt64Header,    kPayloadNoHeaders,
                                    kPayloadOneStrHeader, kAllHeaderTypes, kErrorEventMessage};
  for (std::string_view c : cases) buffer.append(c);
  std::string_view rest = buffer;
  for (std::string_view c : cases) {
    const DecodedEventMessage m = DecodeOk(rest);
    EXPECT_EQ(rest.substr(0, m.total_length), c);
    rest.remove_prefix(m.total_length);
  }
  EXPECT_TRUE(rest.empty());
}

TEST(EventStreamBotocoreTest, NegativeCases) {
  // botocore raises ChecksumMismatch for the first three (its prelude CRC is
  // checked before the lengths, as here) and DuplicateHeader for the last.
  EXPECT_EQ(DecodeError(kCorruptedLength), EventStreamError::kPreludeCrcMismatch);
  EXPECT_EQ(DecodeError(kCorruptedHeaderLength), EventStreamError::kPreludeCrcMismatch);
  EXPECT_EQ(DecodeError(kCorruptedHeaders), EventStreamError::kMessageCrcMismatch);
  EXPECT_EQ(DecodeError(kCorruptedPayload), EventStreamError::kMessageCrcMismatch);
  EXPECT_EQ(DecodeError(kDuplicateHeader), EventStreamError::kDuplicateHeader);
}

TEST(EventStreamEncodeTest, RoundTripsEveryHeaderTypeAtItsExtremes) {
  const std::string long_name(kEventStreamMaxHeaderNameLength, 'n');
  const std::string long_value(kEventStreamMaxHeaderValueLength, '\xff');
  const std::string uuid("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
  const EventHeader headers[] = {
      EventHeader::Bool("t", true),
      EventHeader::Bool("f", false),
      EventHeader::Byte("b-min", std::numeric_limits<int8_t>::min()),
      EventHeader::Byte("b-max", std::numeric_limits<int8_t>::max()),
      EventHeader::Int16("s-min", std::numeric_limits<int16_t>::min()),
      EventHeader::Int16("s-max", std::numeric_limits<int16_t>::max()),
      EventHeader::Int32("i-min", std::numeric_limits<int32_t>::min()),
      EventHeader::Int32("i-max", std::numeric_limits<int32_t>::max()),
      EventHeader::Int64("l-min", std::numeric_limits<int64_t>::min()),
      EventHeader::Int64("l-max", std::numeric_limits<int64_t>::max()),
      EventHeader::Timestamp("ts", 1700000000123),
      EventHeader::Timestamp("ts-neg", -1),
      EventHeader::ByteArray("bytes", std::string_view("\x00\xff\x80", 3)),
      EventHeader::ByteArray("bytes-empty", ""),
      EventHeader::ByteArray("bytes-max", long_value),
      EventHeader::String("str", "h\xc3\xa9llo \xe2\x9c\x93"),
      EventHeader::String("str-empty", ""),
      EventHeader::String(long_name, "long name"),
      EventHeader::String("\xc3\xa9t\xc3\xa9", "utf-8 name"),
      EventHeader::Uuid("uuid", uuid),
  };
  const std::string payload("\x00\x01payload\xfe\xff", 11);
  const std::string bytes = Encode(headers, payload);
  const DecodedEventMessage m = DecodeOk(bytes);
  ASSERT_EQ(m.headers.size(), std::size(headers));
  for (size_t i = 0; i < std::size(headers); ++i) {
    SCOPED_TRACE(headers[i].name);
    EXPECT_EQ(m.headers[i].name, headers[i].name);
    EXPECT_EQ(m.headers[i].type, headers[i].type);
    EXPECT_EQ(m.headers[i].int_value, headers[i].int_value);
    EXPECT_EQ(m.headers[i].bytes_value, headers[i].bytes_value);
  }
  EXPECT_EQ(m.payload, payload);
  EXPECT_EQ(m.total_length, bytes.size());
  ExpectReencodes(bytes);
}

TEST(EventStreamEncodeTest, EventAndExceptionMessages) {
  std::string out = "prefix";
  ASSERT_TRUE(AppendEventMessage(&out, "SubscribeToShardEvent", kEventStreamJsonContentType,
                                 R"({"Records":[]})"));
  ASSERT_TRUE(AppendExceptionMessage(&out, "ResourceNotFoundException", kEventStreamCborContentType,
                                     "\xa0"));
  ASSERT_EQ(out.substr(0, 6), "prefix");  // appends, never overwrites
  std::string_view rest = std::string_view(out).substr(6);

  DecodedEventMessage m = DecodeOk(rest);
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(m.headers[0].name, ":message-type");
  EXPECT_EQ(m.headers[0].bytes_value, "event");
  EXPECT_EQ(m.headers[1].name, ":event-type");
  EXPECT_EQ(m.headers[1].bytes_value, "SubscribeToShardEvent");
  EXPECT_EQ(m.headers[2].name, ":content-type");
  EXPECT_EQ(m.headers[2].bytes_value, "application/json");
  for (const EventHeader& h : m.headers) EXPECT_EQ(h.type, EventHeaderType::kString);
  EXPECT_EQ(m.payload, R"({"Records":[]})");
  rest.remove_prefix(m.total_length);

  m = DecodeOk(rest);
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(m.headers[0].name, ":message-type");
  EXPECT_EQ(m.headers[0].bytes_value, "exception");
  EXPECT_EQ(m.headers[1].name, ":exception-type");
  EXPECT_EQ(m.headers[1].bytes_value, "ResourceNotFoundException");
  EXPECT_EQ(m.headers[2].name, ":content-type");
  EXPECT_EQ(m.headers[2].bytes_value, "application/x-amz-cbor-1.1");
  EXPECT_EQ(m.payload, "\xa0");
  EXPECT_EQ(m.total_length, rest.size());
}

TEST(EventStreamEncodeTest, RejectsInvalidHeadersLeavingOutputUnchanged) {
  const std::string name128(kEventStreamMaxHeaderNameLength + 1, 'n');
  const std::string value32768(kEventStreamMaxHeaderValueLength + 1, 'v');
  const EventHeader bad[] = {
      EventHeader::String("", "empty name"),
      EventHeader::String(name128, "name too long"),
      EventHeader::String("\xff", "name not UTF-8"),
      EventHeader::String("v", value32768),
      EventHeader::ByteArray("v", value32768),
      EventHeader::String("v", "\xc3"),          // truncated UTF-8 sequence
      EventHeader::String("v", "\xed\xa0\x80"),  // a UTF-16 surrogate
      EventHeader::Uuid("u", "fifteen bytes.."),
      {"byte", EventHeaderType::kByte, 128, {}},
      {"short", EventHeaderType::kInt16, -32769, {}},
      {"int", EventHeaderType::kInt32, int64_t{1} << 31, {}},
      {"type", static_cast<EventHeaderType>(10), 0, {}},
  };
  for (const EventHeader& h : bad) {
    SCOPED_TRACE(std::string(h.name.substr(0, 10)) + " " +
                 std::string(h.bytes_value.substr(0, 10)));
    std::string out = "keep";
    EXPECT_FALSE(AppendEventStreamMessage(&out, std::span(&h, 1), "payload"));
    EXPECT_EQ(out, "keep");
  }
  const EventHeader twice[] = {EventHeader::Bool("x", true), EventHeader::Int32("x", 1)};
  std::string out;
  EXPECT_FALSE(AppendEventStreamMessage(&out, twice, ""));
  EXPECT_TRUE(out.empty());
}

TEST(EventStreamEncodeTest, MessageAndHeaderSizeLimits) {
  // The largest message: total exactly 16 MiB.
  const EventHeader type[] = {EventHeader::String(":event-type", "SubscribeToShardEvent")};
  const size_t headers_length = 1 + 11 + 1 + 2 + 21;
  std::string payload(kEventStreamMaxMessageLength - 16 - headers_length, 'p');
  std::string out;
  ASSERT_TRUE(AppendEventStreamMessage(&out, type, payload));
  EXPECT_EQ(out.size(), kEventStreamMaxMessageLength);
  EXPECT_EQ(DecodeOk(out).payload.size(), payload.size());
  payload.push_back('p');
  out.clear();
  EXPECT_FALSE(AppendEventStreamMessage(&out, type, payload));
  EXPECT_TRUE(out.empty());

  // Headers: four 32767-byte values take 4 * (1+1+1+2+32767) = 131088 bytes,
  // over 131072; three and a 32751-byte one take exactly 131072.
  const std::string value(kEventStreamMaxHeaderValueLength, 'v');
  const EventHeader four[] = {
      EventHeader::ByteArray("a", value), EventHeader::ByteArray("b", value),
      EventHeader::ByteArray("c", value), EventHeader::ByteArray("d", value)};
  EXPECT_FALSE(AppendEventStreamMessage(&out, four, ""));
  const size_t left = kEventStreamMaxHeadersLength - 3 * (1 + 1 + 1 + 2 + value.size());
  const std::string last_value(left - (1 + 1 + 1 + 2), 'w');
  const EventHeader exactly[] = {
      EventHeader::ByteArray("a", value), EventHeader::ByteArray("b", value),
      EventHeader::ByteArray("c", value), EventHeader::ByteArray("d", last_value)};
  ASSERT_TRUE(AppendEventStreamMessage(&out, exactly, ""));
  EXPECT_EQ(out.size(), 16 + kEventStreamMaxHeadersLength);
  ExpectReencodes(out);
}

TEST(EventStreamDecodeTest, EveryTruncationIsReported) {
  std::string bytes;
  ASSERT_TRUE(AppendEventMessage(&bytes, "SubscribeToShardEvent", "application/json", "{}"));
  for (size_t n = 0; n < bytes.size(); ++n) {
    // An allocation of exactly n bytes, so ASan sees any read past them.
    const std::vector<char> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    DecodedEventMessage m;
    EXPECT_EQ(DecodeEventStreamMessage({prefix.data(), prefix.size()}, &m),
              EventStreamError::kTruncated)
        << n;
    // Once the prelude is in, the caller learns how much to wait for.
    EXPECT_EQ(m.total_length, n >= 12 ? bytes.size() : 0u) << n;
  }
  // Bytes after the message are the next message's, not this one's.
  EXPECT_EQ(DecodeOk(bytes + "garbage").total_length, bytes.size());
}

TEST(EventStreamDecodeTest, BadPreludeLengths) {
  EXPECT_EQ(DecodeError(Frame(12, 0, "")), EventStreamError::kMessageTooShort);
  EXPECT_EQ(DecodeError(Frame(15, 0, "")), EventStreamError::kMessageTooShort);
  EXPECT_EQ(DecodeError(Frame(0, 0, "")), EventStreamError::kMessageTooShort);
  // Oversize lengths fail on the prelude alone: no read past the 12 bytes.
  std::string prelude = Frame(kEventStreamMaxMessageLength + 1, 0, "").substr(0, 12);
  EXPECT_EQ(DecodeError(prelude), EventStreamError::kMessageTooLong);
  prelude = Frame(0xffffffff, 0xffffffff, "").substr(0, 12);
  EXPECT_EQ(DecodeError(prelude), EventStreamError::kMessageTooLong);
  prelude = Frame(1024, kEventStreamMaxHeadersLength + 1, "").substr(0, 12);
  EXPECT_EQ(DecodeError(prelude), EventStreamError::kHeadersTooLong);
  // Headers longer than the message leaves room for.
  EXPECT_EQ(DecodeError(Frame(16, 1, "")), EventStreamError::kHeadersBeyondMessage);
  EXPECT_EQ(DecodeError(Frame(20, 5, "abcd")), EventStreamError::kHeadersBeyondMessage);
  EXPECT_EQ(DecodeError(Frame(20, 0xffffffff, "abcd")), EventStreamError::kHeadersTooLong);
  // total_length shorter than the bytes: the message CRC is looked for where
  // total_length puts it.
  EXPECT_EQ(DecodeError(Frame(16, 0, "x")), EventStreamError::kMessageCrcMismatch);
}

TEST(EventStreamDecodeTest, LimitsCanBeRaised) {
  // A 17 MiB payload: over this codec's limit, within botocore's 24 MiB.
  const std::string payload(17 * 1024 * 1024, 'p');
  const std::string bytes = Frame(16 + static_cast<uint32_t>(payload.size()), 0, payload);
  EXPECT_EQ(DecodeError(bytes), EventStreamError::kMessageTooLong);
  EventStreamLimits botocore;
  botocore.max_message_length = 16 + (128 + 24 * 1024) * 1024;
  DecodedEventMessage m;
  ASSERT_EQ(DecodeEventStreamMessage(bytes, &m, botocore), EventStreamError::kOk);
  EXPECT_EQ(m.payload.size(), payload.size());
}

TEST(EventStreamDecodeTest, BadHeaders) {
  const auto error = [](std::string_view raw_headers) {
    return DecodeError(WithRawHeaders(raw_headers, "payload"));
  };
  using namespace std::string_literals;
  EXPECT_EQ(error("\x00\x00"s), EventStreamError::kHeaderNameEmpty);
  EXPECT_EQ(error(std::string(1, '\x80') + std::string(128, 'n') + "\x00"s),
            EventStreamError::kHeaderNameTooLong);
  EXPECT_EQ(error("\x01x\x0a"s), EventStreamError::kUnknownHeaderType);
  EXPECT_EQ(error("\x01x\xff"s), EventStreamError::kUnknownHeaderType);
  // Each part of a header running past the headers section.
  EXPECT_EQ(error("\x05xy"s), EventStreamError::kHeaderTruncated);                 // name
  EXPECT_EQ(error("\x01x"s), EventStreamError::kHeaderTruncated);                  // type byte
  EXPECT_EQ(error("\x01x\x04\x00\x00\x00"s), EventStreamError::kHeaderTruncated);  // int32
  EXPECT_EQ(error("\x01x\x09" + std::string(15, 'u')), EventStreamError::kHeaderTruncated);
  EXPECT_EQ(error("\x01x\x07\x00"s), EventStreamError::kHeaderTruncated);  // length prefix
  EXPECT_EQ(error("\x01x\x07\x00\x05"
                  "abcd"s),
            EventStreamError::kHeaderTruncated);  // value
  EXPECT_EQ(error("\x01x\x06\x80\x00"s + std::string(32768, 'v')),
            EventStreamError::kHeaderValueTooLong);
  EXPECT_EQ(error("\x01\xff\x00"s), EventStreamError::kInvalidUtf8);
  EXPECT_EQ(error("\x01x\x07\x00\x02\xc0\xaf"s), EventStreamError::kInvalidUtf8);  // overlong
  // A byte array need not be UTF-8.
  EXPECT_EQ(error("\x01x\x06\x00\x02\xc0\xaf"s), EventStreamError::kOk);
  // Duplicates, among few headers and among many (the sorted path).
  EXPECT_EQ(error("\x01x\x00\x01y\x00\x01x\x01"s), EventStreamError::kDuplicateHeader);
  std::string many;
  for (int i = 0; i < 40; ++i) many += "\x02h"s + static_cast<char>('A' + i) + "\x00"s;
  EXPECT_EQ(error(many), EventStreamError::kOk);
  EXPECT_EQ(error(many + "\x02hQ\x01"s), EventStreamError::kDuplicateHeader);
}

TEST(EventStreamDecodeTest, EverySingleBitFlipIsDetected) {
  std::string bytes(kAllHeaderTypes);
  for (size_t i = 0; i < bytes.size() * 8; ++i) {
    std::string flipped = bytes;
    flipped[i / 8] = static_cast<char>(flipped[i / 8] ^ (1 << (i % 8)));
    EXPECT_NE(DecodeError(flipped), EventStreamError::kOk) << "bit " << i;
  }
}

// Seeded mutations (byte changes, truncations, CRC repairs so the header
// parser is reached): the decoder never reads out of bounds (run it under
// ASan) and whatever it accepts re-encodes to the same bytes.
TEST(EventStreamDecodeTest, MutationFuzzRoundTrips) {
  const std::vector<std::string> seeds = {
      std::string(kAllHeaderTypes), std::string(kErrorEventMessage), std::string(kInitialResponse),
      std::string(kPayloadOneStrHeader), std::string(kEmptyMessage)};
  std::mt19937 rng(20240601);
  int accepted = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string bytes = seeds[rng() % seeds.size()];
    for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
          break;
        case 2:
          bytes.resize(at + 1);
          break;
        default:
          bytes.insert(at, 1, static_cast<char>(rng()));
          break;
      }
    }
    if (rng() % 2 && bytes.size() >= 16) {
      // Repair both CRCs (keeping the possibly mutated lengths) so the
      // headers and payload are what gets exercised.
      bytes = Frame(static_cast<uint32_t>(bytes.size()), GetU32(bytes, 4),
                    std::string_view(bytes).substr(12, bytes.size() - 16));
    }
    const std::vector<char> exact(bytes.begin(), bytes.end());  // ASan-visible end
    DecodedEventMessage m;
    if (DecodeEventStreamMessage({exact.data(), exact.size()}, &m) != EventStreamError::kOk)
      continue;
    ++accepted;
    ASSERT_LE(m.total_length, bytes.size());
    ASSERT_EQ(Encode(m.headers, m.payload), std::string_view(bytes).substr(0, m.total_length));
  }
  EXPECT_GT(accepted, 100);  // the repaired mutations do reach the success path
}

// Writes messages for tests/e2e/check_event_stream.py, which parses them with
// botocore (its raw EventStreamBuffer, and its Kinesis SubscribeToShard
// parser) and checks them against expectations of its own. Only when
// TIDELOG_EVENT_STREAM_EXPORT names the output file; keep the two in step.
TEST(EventStreamExport, WriteForBotocore) {
  std::string out;
  ASSERT_TRUE(AppendEventMessage(&out, "initial-response", kEventStreamJsonContentType, "{}"));
  ASSERT_TRUE(AppendEventMessage(
      &out, "SubscribeToShardEvent", kEventStreamJsonContentType,
      R"({"Records":[{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898",)"
      R"("ApproximateArrivalTimestamp":1700000000.123,"Data":"aGVsbG8=","PartitionKey":"pk-1"}],)"
      R"("ContinuationSequenceNumber":"49590338271490256608559692538361571095921575989136588898",)"
      R"("MillisBehindLatest":0,"ChildShards":[]})"));
  const std::string uuid("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
  const EventHeader all[] = {
      EventHeader::Bool("t", true),
      EventHeader::Bool("f", false),
      EventHeader::Byte("byte", -128),
      EventHeader::Int16("short", -32768),
      EventHeader::Int32("int", 2147483647),
      EventHeader::Int64("long", std::numeric_limits<int64_t>::min()),
      EventHeader::Timestamp("ts", 1700000000123),
      EventHeader::ByteArray("bytes", std::string_view("\x00\xff", 2)),
      EventHeader::String("str", "h\xc3\xa9llo \xe2\x9c\x93"),
      EventHeader::Uuid("uuid", uuid),
  };
  ASSERT_TRUE(AppendEventStreamMessage(&out, all, std::string_view("\x00\x01\xfe\xff", 4)));
  ASSERT_TRUE(
      AppendEventMessage(&out, "SubscribeToShardEvent", kEventStreamCborContentType, "\xa0"));
  ASSERT_TRUE(AppendExceptionMessage(&out, "ResourceNotFoundException", kEventStreamJsonContentType,
                                     R"({"message":"Shard shardId-000000000007 not found"})"));
  ASSERT_TRUE(AppendEventStreamMessage(&out, {}, ""));
  // Sanity: six messages that this decoder reads back.
  std::string_view rest = out;
  for (int i = 0; i < 6; ++i) rest.remove_prefix(DecodeOk(rest).total_length);
  EXPECT_TRUE(rest.empty());

  const char* path = std::getenv(kExportEnv);
  if (path == nullptr) return;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  ASSERT_TRUE(file.good()) << path;
}

}  // namespace
}  // namespace tidelog::server::kinesis
