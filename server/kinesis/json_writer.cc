// JSON output for Kinesis responses.
#include "server/kinesis/json_writer.h"

#include <charconv>
#include <cstring>

#include "tidelog/base64.h"

namespace tidelog::server::kinesis {

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes needing no escape
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendU128Decimal(u128 v, std::string* out) {
  char buf[kMaxU128DecimalChars + 1];
  out->append(buf, WriteU128Decimal(v, buf));
}

void AppendSequenceNumber(const SequenceNumber& v, std::string* out) {
  char buf[kMaxSequenceNumberDecimalChars + 1];
  out->append(buf, WriteSequenceNumberDecimal(v, buf));
}

void AppendShardId(uint32_t index, std::string* out) {
  // "%012u": at least 12 digits.
  char buf[8 + 20] = {'s', 'h', 'a', 'r', 'd', 'I', 'd', '-'};
  char digits[12];
  char* end = std::to_chars(digits, digits + sizeof(digits), index).ptr;
  const size_t n = static_cast<size_t>(end - digits);
  size_t at = 8;
  for (size_t i = n; i < 12; ++i) buf[at++] = '0';
  for (size_t i = 0; i < n; ++i) buf[at++] = digits[i];
  out->append(buf, at);
}

void AppendJsonBlob(std::string_view bytes, std::string* out) {
  const size_t at = out->size();
  const size_t n = Base64EncodedLength(bytes.size());
  out->resize(at + n + 2);
  char* p = out->data() + at;
  p[0] = '"';
  Base64EncodeTo(bytes, p + 1);
  p[n + 1] = '"';
}

void AppendEpochSeconds(int64_t millis, std::string* out) {
  int64_t secs = millis / 1000;
  int64_t frac = millis % 1000;
  if (frac < 0) {  // floor division, so the fraction is never negative
    frac += 1000;
    secs -= 1;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), secs);
  out->append(buf, r.ptr);
  if (frac == 0) return;
  char digits[4] = {'.', static_cast<char>('0' + frac / 100),
                    static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
  size_t n = 4;
  while (digits[n - 1] == '0') --n;
  out->append(digits, n);
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!non_empty_.empty()) {
    if (non_empty_.back()) out_.push_back(',');
    non_empty_.back() = true;
  }
}

void JsonWriter::Open(char c) {
  BeforeValue();
  out_.push_back(c);
  non_empty_.push_back(false);
}

void JsonWriter::Close(char c) {
  out_.push_back(c);
  non_empty_.pop_back();
}

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(key, &out_);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendJsonString(s, &out_);
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_.append(buf, r.ptr);
}

void JsonWriter::Bool(bool b) {
  BeforeValue();
  out_.append(b ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
}

void JsonWriter::Timestamp(int64_t millis) {
  BeforeValue();
  AppendEpochSeconds(millis, &out_);
}

void JsonWriter::Blob(std::string_view bytes) {
  BeforeValue();
  AppendJsonBlob(bytes, &out_);
}

void JsonWriter::Decimal(u128 v) {
  BeforeValue();
  out_.push_back('"');
  AppendU128Decimal(v, &out_);
  out_.push_back('"');
}

void JsonWriter::Decimal(const SequenceNumber& v) {
  BeforeValue();
  out_.push_back('"');
  AppendSequenceNumber(v, &out_);
  out_.push_back('"');
}

}  // namespace tidelog::server::kinesis
