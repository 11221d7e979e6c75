// Reading CloudWatch request members from the decoded tree, whichever
// protocol it came in: numbers and booleans may be JSON/CBOR values or query
// strings, timestamps epoch seconds, CBOR tag 1 or ISO 8601 text. Each reader
// names the member in its error the way the query protocol spells it
// ("Dimensions.member.1.Name").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/cloudwatch/cloudwatch_wire.h"

namespace tidelog::server::cloudwatch {

// Years 0001..9999, the range every timestamp form spells.
inline constexpr int64_t kMinTimestampMs = -62135596800000;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxTimestampMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

CloudWatchError InvalidValue(std::string message);
CloudWatchError InvalidCombination(std::string message);
CloudWatchError Missing(std::string_view member);

// A member of an object (nullptr when absent or null).
const JsonValue* Field(const JsonValue& object, std::string_view key);

// Each returns false with *error set when the member is present but of the
// wrong form; an absent member leaves *out unset (nullopt / empty).
bool ReadString(const JsonValue& object, std::string_view key, std::string_view path,
                std::optional<std::string>* out, CloudWatchError* error);
bool ReadInt(const JsonValue& object, std::string_view key, std::string_view path,
             std::optional<int64_t>* out, CloudWatchError* error);
bool ReadBool(const JsonValue& object, std::string_view key, std::string_view path,
              std::optional<bool>* out, CloudWatchError* error);
bool ReadTimestamp(const JsonValue& object, std::string_view key, std::string_view path,
                   std::optional<int64_t>* out_millis, CloudWatchError* error);
// A list member: *out points at its elements (empty when absent).
bool ReadList(const JsonValue& object, std::string_view key, std::string_view path,
              const std::vector<JsonValue>** out, CloudWatchError* error);

}  // namespace tidelog::server::cloudwatch
