// Protocol-independent readers of CloudWatch request members (cloudwatch_input.h).
#include "server/cloudwatch/cloudwatch_input.h"

#include <charconv>
#include <cmath>

namespace tidelog::server::cloudwatch {
namespace {

const std::vector<JsonValue> kEmpty;

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

CloudWatchError WrongForm(std::string_view path, std::string_view what) {
  return InvalidValue("The parameter " + std::string(path) + " must be " + std::string(what) + ".");
}

}  // namespace

CloudWatchError InvalidValue(std::string message) {
  return {"InvalidParameterValue", "InvalidParameterValueException", std::move(message), 400, true};
}

CloudWatchError InvalidCombination(std::string message) {
  return {"InvalidParameterCombination", "InvalidParameterCombinationException", std::move(message),
          400, true};
}

CloudWatchError Missing(std::string_view member) {
  return {"MissingParameter", "MissingRequiredParameterException",
          "The parameter " + std::string(member) + " is required.", 400, true};
}

const JsonValue* Field(const JsonValue& object, std::string_view key) { return object.Find(key); }

bool ReadString(const JsonValue& object, std::string_view key, std::string_view path,
                std::optional<std::string>* out, CloudWatchError* error) {
  const JsonValue* v = Field(object, key);
  if (v == nullptr) return true;
  if (!v->is_string()) {
    *error = WrongForm(path, "a string");
    return false;
  }
  *out = v->string;
  return true;
}

bool ReadInt(const JsonValue& object, std::string_view key, std::string_view path,
             std::optional<int64_t>* out, CloudWatchError* error) {
  const JsonValue* v = Field(object, key);
  if (v == nullptr) return true;
  int64_t n = 0;
  if (v->type == JsonValue::Type::kNumber && v->integral && !v->exact_millis) {
    n = v->integer;
  } else if (!(v->is_string() && ParseInt64(v->string, &n))) {
    *error = WrongForm(path, "an integer");
    return false;
  }
  *out = n;
  return true;
}

bool ReadBool(const JsonValue& object, std::string_view key, std::string_view path,
              std::optional<bool>* out, CloudWatchError* error) {
  const JsonValue* v = Field(object, key);
  if (v == nullptr) return true;
  if (v->type == JsonValue::Type::kBool) {
    *out = v->boolean;
  } else if (v->is_string() && (v->string == "true" || v->string == "false")) {
    *out = v->string == "true";
  } else {
    *error = WrongForm(path, "a boolean");
    return false;
  }
  return true;
}

bool ReadTimestamp(const JsonValue& object, std::string_view key, std::string_view path,
                   std::optional<int64_t>* out_millis, CloudWatchError* error) {
  const JsonValue* v = Field(object, key);
  if (v == nullptr) return true;
  int64_t ms = 0;
  bool ok = false;
  if (v->type == JsonValue::Type::kNumber) {
    if (v->exact_millis) {
      ms = v->millis;
      ok = true;
    } else if (std::isfinite(v->number)) {
      // Epoch seconds; the range check below bounds the product.
      const double m = v->number * 1000.0;
      ok = m >= static_cast<double>(kMinTimestampMs) && m <= static_cast<double>(kMaxTimestampMs);
      if (ok) ms = static_cast<int64_t>(std::floor(m));
    }
  } else if (v->is_string()) {
    ok = ParseIso8601(v->string, &ms);
    if (!ok) {
      // The query protocol may spell epoch seconds too.
      int64_t secs = 0;
      ok = ParseInt64(v->string, &secs) && secs >= kMinTimestampMs / 1000 &&
           secs <= kMaxTimestampMs / 1000;
      if (ok) ms = secs * 1000;
    }
  }
  if (!ok || ms < kMinTimestampMs || ms > kMaxTimestampMs) {
    *error = WrongForm(path, "a timestamp between years 0001 and 9999");
    return false;
  }
  *out_millis = ms;
  return true;
}

bool ReadList(const JsonValue& object, std::string_view key, std::string_view path,
              const std::vector<JsonValue>** out, CloudWatchError* error) {
  *out = &kEmpty;
  const JsonValue* v = Field(object, key);
  if (v == nullptr) return true;
  if (!v->is_array()) {
    *error = WrongForm(path, "a list");
    return false;
  }
  for (const JsonValue& e : v->array) {
    if (e.is_null()) {  // a query list with a gap ("member.2" without "member.1")
      *error = WrongForm(path, "a list without gaps");
      return false;
    }
  }
  *out = &v->array;
  return true;
}

}  // namespace tidelog::server::cloudwatch
