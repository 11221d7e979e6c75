// Typed access to the members of a checked request body (see validation.h:
// after CheckTypes every member has its model type).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/kinesis/json_value.h"
#include "tidelog/types.h"

namespace tidelog::server::kinesis {

// "" when absent.
inline std::string_view StringField(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.Find(name);
  return v ? std::string_view(v->string) : std::string_view();
}

inline bool HasField(const JsonValue& obj, std::string_view name) {
  return obj.Find(name) != nullptr;
}

inline std::optional<int64_t> IntField(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.Find(name);
  if (!v) return std::nullopt;
  return v->integer;
}

// `v` clamped to the int32 range. The one narrowing of request numbers: an
// Integer member already holds an int32 after CheckTypes (which clamps as
// Coral does), and this keeps every other caller's narrowing defined too.
constexpr int32_t SaturateToInt32(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

inline std::optional<int32_t> Int32Field(const JsonValue& obj, std::string_view name) {
  std::optional<int64_t> v = IntField(obj, name);
  if (!v) return std::nullopt;
  return SaturateToInt32(*v);
}

// A page size: the member (default `absent` when missing) within [1, max], so
// sums and casts of it stay small whatever the body held.
inline int32_t LimitField(const JsonValue& obj, std::string_view name, int32_t absent,
                          int32_t max) {
  return std::clamp(Int32Field(obj, name).value_or(absent), 1, max);
}

// Epoch seconds (any finite or infinite double) as int64 milliseconds,
// saturating at the int64 range; NaN, which JSON cannot spell, maps to 0.
inline int64_t SecondsToMillis(double seconds) {
  // 2^63 as a double; every double below it rounds into int64.
  constexpr double kTwo63 = 9223372036854775808.0;
  const double ms = seconds * 1000.0;
  if (std::isnan(ms)) return 0;
  if (ms >= kTwo63) return std::numeric_limits<int64_t>::max();
  if (ms <= -kTwo63) return std::numeric_limits<int64_t>::min();
  return std::llround(ms);
}

inline bool BoolField(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.Find(name);
  return v && v->boolean;
}

// A Timestamp member in milliseconds: exact for a CBOR tag 1 timestamp
// (epoch milliseconds), else from epoch seconds, possibly fractional.
inline std::optional<int64_t> TimestampMillisField(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.Find(name);
  if (!v) return std::nullopt;
  if (v->exact_millis) return v->millis;
  return SecondsToMillis(v->number);
}

inline std::vector<std::string> StringListField(const JsonValue& obj, std::string_view name) {
  std::vector<std::string> r;
  if (const JsonValue* v = obj.Find(name))
    for (const JsonValue& e : v->array) r.push_back(e.string);
  return r;
}

inline std::vector<Tag> TagMapField(const JsonValue& obj, std::string_view name) {
  std::vector<Tag> r;
  if (const JsonValue* v = obj.Find(name))
    for (const auto& [k, val] : v->object) r.push_back(Tag{k, val.string});
  return r;
}

}  // namespace tidelog::server::kinesis
