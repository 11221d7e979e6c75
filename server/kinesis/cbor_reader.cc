// The strict CBOR decoder (see cbor_reader.h): recursive descent over a
// bounded cursor; every length is checked against the bytes left before use.
#include "server/kinesis/cbor_reader.h"

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace tidelog::server::kinesis {
namespace {

constexpr uint8_t kIndefinite = 31;

// Half precision (IEEE 754 binary16) to double, as RFC 8949 appendix D.
double HalfToDouble(uint16_t half) {
  const int exp = (half >> 10) & 0x1f;
  const int mant = half & 0x3ff;
  double val;
  if (exp == 0)
    val = std::ldexp(mant, -24);
  else if (exp != 31)
    val = std::ldexp(mant + 1024, exp - 25);
  else
    val = mant == 0 ? std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::quiet_NaN();
  return (half & 0x8000) ? -val : val;
}

// Saturating double -> int64 for a finite or infinite, non-NaN value.
int64_t SaturatingRound(double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (d >= kTwo63) return std::numeric_limits<int64_t>::max();
  if (d <= -kTwo63) return std::numeric_limits<int64_t>::min();
  return std::llround(d);
}

class Reader {
 public:
  Reader(std::string_view data, CborTimestamps timestamps)
      : p_(reinterpret_cast<const uint8_t*>(data.data())),
        end_(p_ + data.size()),
        timestamps_(timestamps) {}

  bool Document(JsonValue* out) { return Item(out, 0) && p_ == end_; }

 private:
  size_t Left() const { return static_cast<size_t>(end_ - p_); }

  // Reads the initial byte's argument: *value for additional info 0..27.
  // `ai` 31 (indefinite) is left to the caller; 28..30 fail.
  bool Argument(uint8_t ai, uint64_t* value) {
    if (ai < 24) {
      *value = ai;
      return true;
    }
    size_t n;
    switch (ai) {
      case 24:
        n = 1;
        break;
      case 25:
        n = 2;
        break;
      case 26:
        n = 4;
        break;
      case 27:
        n = 8;
        break;
      default:
        return false;
    }
    if (Left() < n) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p_[i];
    p_ += n;
    *value = v;
    return true;
  }

  // Appends one definite string chunk of `length` bytes.
  bool Chunk(uint64_t length, bool text, std::string* out) {
    if (length > Left()) return false;
    const auto* start = reinterpret_cast<const char*>(p_);
    const size_t n = static_cast<size_t>(length);
    if (text && !simdjson::validate_utf8(start, n)) return false;
    out->append(start, n);
    p_ += n;
    return true;
  }

  // A byte (major 2) or text (major 3) string whose initial byte is read.
  bool String(uint8_t major, uint8_t ai, std::string* out) {
    const bool text = major == 3;
    if (ai != kIndefinite) {
      uint64_t length = 0;
      return Argument(ai, &length) && Chunk(length, text, out);
    }
    while (true) {
      if (Left() == 0) return false;
      const uint8_t ib = *p_++;
      if (ib == 0xff) return true;
      if ((ib >> 5) != major || (ib & 0x1f) == kIndefinite) return false;
      uint64_t length = 0;
      if (!Argument(ib & 0x1f, &length) || !Chunk(length, text, out)) return false;
    }
  }

  // A map key: a text string, definite or indefinite.
  bool Key(std::string* out) {
    if (Left() == 0 || ++items_ > kMaxCborItems) return false;
    const uint8_t ib = *p_++;
    if ((ib >> 5) != 3) return false;
    return String(3, ib & 0x1f, out);
  }

  // Whether the next byte is the break that ends an indefinite container
  // (consumed if so).
  bool Break() {
    if (Left() > 0 && *p_ == 0xff) {
      ++p_;
      return true;
    }
    return false;
  }

  bool Array(uint8_t ai, size_t depth, JsonValue* out) {
    out->type = JsonValue::Type::kArray;
    if (ai == kIndefinite) {
      while (!Break()) {
        if (Left() == 0) return false;
        if (!Item(&out->array.emplace_back(), depth)) return false;
      }
      return true;
    }
    uint64_t count = 0;
    // >= 1 byte per item, and within the item budget: checked before resize.
    if (!Argument(ai, &count) || count > Left() || count > kMaxCborItems - items_) return false;
    out->array.resize(static_cast<size_t>(count));
    for (JsonValue& v : out->array)
      if (!Item(&v, depth)) return false;
    return true;
  }

  bool Map(uint8_t ai, size_t depth, JsonValue* out) {
    out->type = JsonValue::Type::kObject;
    auto member = [&] {
      JsonMember& m = out->object.emplace_back();
      return Key(&m.key) && Item(&m.value, depth);
    };
    if (ai == kIndefinite) {
      while (!Break()) {
        if (Left() == 0 || !member()) return false;
      }
      return true;
    }
    uint64_t count = 0;
    // >= 2 bytes and 2 items per member: checked before reserve.
    if (!Argument(ai, &count) || count > Left() / 2 || count > (kMaxCborItems - items_) / 2)
      return false;
    out->object.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i)
      if (!member()) return false;
    return true;
  }

  static void SetInteger(uint8_t major, uint64_t n, JsonValue* out) {
    out->type = JsonValue::Type::kNumber;
    constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (n <= kMax) {
      out->integer = major == 0 ? static_cast<int64_t>(n) : -1 - static_cast<int64_t>(n);
      out->number = static_cast<double>(out->integer);
      out->integral = true;
    } else {  // past int64, as JSON's parser keeps such numbers: a double only
      out->number = major == 0 ? static_cast<double>(n) : -1.0 - static_cast<double>(n);
    }
  }

  // Tag 1 (epoch-based date/time): epoch milliseconds or seconds (CborTimestamps).
  bool Timestamp(size_t depth, JsonValue* out) {
    if (!Item(out, depth) || out->type != JsonValue::Type::kNumber) return false;
    if (timestamps_ == CborTimestamps::kEpochSeconds) {
      // Seconds to milliseconds in double arithmetic, which saturates below.
      out->integral = false;
      out->number *= 1000.0;
    }
    // A uint64 past int64 (kept as a double) saturates like a float.
    out->millis = out->integral ? out->integer : SaturatingRound(out->number);
    out->exact_millis = true;
    out->integral = false;
    out->integer = 0;
    out->number = static_cast<double>(out->millis) / 1000.0;
    return true;
  }

  bool Simple(uint8_t ai, JsonValue* out) {
    switch (ai) {
      case 20:
      case 21:
        out->type = JsonValue::Type::kBool;
        out->boolean = ai == 21;
        return true;
      case 22:
      case 23:  // undefined: as null
        out->type = JsonValue::Type::kNull;
        return true;
      case 25:
      case 26:
      case 27:
        break;
      default:
        return false;
    }
    uint64_t bits = 0;
    if (!Argument(ai, &bits)) return false;
    double d;
    if (ai == 25) {
      d = HalfToDouble(static_cast<uint16_t>(bits));
    } else if (ai == 26) {
      float f;
      const auto b32 = static_cast<uint32_t>(bits);
      std::memcpy(&f, &b32, sizeof(f));
      d = f;
    } else {
      std::memcpy(&d, &bits, sizeof(d));
    }
    if (std::isnan(d)) return false;  // JSON cannot spell it either
    // Infinities as JSON's parser reads a literal past the double range.
    if (std::isinf(d))
      d = d > 0 ? std::numeric_limits<double>::max() : -std::numeric_limits<double>::max();
    out->type = JsonValue::Type::kNumber;
    out->number = d;
    return true;
  }

  bool Item(JsonValue* out, size_t depth) {
    if (Left() == 0 || ++items_ > kMaxCborItems) return false;
    const uint8_t ib = *p_++;
    const uint8_t major = ib >> 5;
    const uint8_t ai = ib & 0x1f;
    switch (major) {
      case 0:
      case 1: {
        uint64_t n = 0;
        if (!Argument(ai, &n)) return false;
        SetInteger(major, n, out);
        return true;
      }
      case 2:
      case 3:
        out->type = JsonValue::Type::kString;
        out->bytes = major == 2;
        return String(major, ai, &out->string);
      case 4:
        return depth < kMaxCborDepth && Array(ai, depth + 1, out);
      case 5:
        return depth < kMaxCborDepth && Map(ai, depth + 1, out);
      case 6: {
        uint64_t tag = 0;
        if (!Argument(ai, &tag) || depth >= kMaxCborDepth) return false;
        if (tag == 1) return Timestamp(depth + 1, out);
        return Item(out, depth + 1);  // other tags: the value they wrap
      }
      default:
        return Simple(ai, out);
    }
  }

  const uint8_t* p_;
  const uint8_t* end_;
  CborTimestamps timestamps_ = CborTimestamps::kEpochMillis;
  size_t items_ = 0;  // data items begun, tags included
};

}  // namespace

bool ParseCbor(std::string_view data, JsonValue* out, CborTimestamps timestamps) {
  *out = JsonValue();
  Reader reader(data, timestamps);
  return reader.Document(out);
}

}  // namespace tidelog::server::kinesis
