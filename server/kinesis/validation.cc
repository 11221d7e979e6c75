// Type and constraint checks against the model; message texts follow AWS as
// recorded by kinesalite (validations/index.js).
#include "server/kinesis/validation.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "tidelog/base64.h"

namespace tidelog::server::kinesis {
namespace {

constexpr size_t kMaxValidationErrors = 10;

std::string_view ScalarJavaClass(const JsonValue& v) {
  if (v.bytes) return "class java.nio.HeapByteBuffer";  // a CBOR byte string
  return v.type == JsonValue::Type::kBool ? "class java.lang.Boolean"
         : v.type == JsonValue::Type::kString
             ? "class java.lang.String"
             : "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
}

std::string_view ContainerError(const JsonValue& v) {
  return v.is_array() ? "Start of list found where not expected"
                      : "Start of structure or map found where not expected.";
}

std::optional<std::string> CheckValue(const Shape& shape, JsonValue* v);

// The character that starts at s[i], as AWS's (Java) message names it: a
// whole UTF-8 sequence, never a lone byte of one (that would make the error
// response invalid UTF-8); bytes that are not UTF-8 (the JSON parser lets
// none through) become U+FFFD.
std::string CharacterAt(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return std::string(1, static_cast<char>(c));
  const size_t len = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
  bool valid = len != 0 && len <= s.size() - i;
  for (size_t k = 1; valid && k < len; ++k) {
    valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  }
  return valid ? s.substr(i, len) : std::string("\xEF\xBF\xBD");
}

std::optional<std::string> CheckBlob(JsonValue* v) {
  if (v->bytes) return std::nullopt;  // a CBOR byte string holds the bytes themselves
  const std::string& s = v->string;
  auto fail = [&](std::string_view why) {
    return "'" + s + "' can not be converted to a Blob: " + std::string(why);
  };
  if (s.size() % 4 != 0)
    return fail("Base64 encoded length is expected a multiple of 4 bytes but found: " +
                std::to_string(s.size()));
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool alphabet = std::isalnum(c) || c == '+' || c == '/';
    // An '=' followed by anything but '=' is reported as the invalid character.
    if ((!alphabet && c != '=') || (c == '=' && i + 1 < s.size() && s[i + 1] != '='))
      return fail("Invalid Base64 character: '" + CharacterAt(s, i) + "'");
  }
  std::string decoded;
  decoded.reserve(s.size() / 4 * 3);
  if (!Base64Decode(s, &decoded)) return fail("Invalid last non-pad Base64 character dectected");
  v->string = std::move(decoded);
  return std::nullopt;
}

std::optional<std::string> CheckNumber(const Shape& shape, std::string_view name, JsonValue* v) {
  switch (v->type) {
    case JsonValue::Type::kNumber:
      break;
    case JsonValue::Type::kBool:
    case JsonValue::Type::kString:
      return std::string(ScalarJavaClass(*v)) + " can not be converted to an " + std::string(name);
    default:
      return std::string(ContainerError(*v));
  }
  double d = std::floor(v->number);
  if (shape.type == ShapeType::kInteger) {
    d = std::min(std::max(d, -2147483648.0), 2147483647.0);
  } else {
    d = std::min(std::max(d, -9223372036854775808.0), 9223372036854774784.0);
  }
  if (!(v->integral && shape.type == ShapeType::kLong)) v->integer = static_cast<int64_t>(d);
  v->number = static_cast<double>(v->integer);
  v->integral = true;
  return std::nullopt;
}

std::optional<std::string> CheckStructure(const Shape& shape, JsonValue* v) {
  // Unknown and null members are dropped, as AWS ignores them.
  std::vector<JsonMember> kept;
  kept.reserve(v->object.size());
  for (auto& [key, value] : v->object) {
    if (value.is_null()) continue;
    for (const Member& m : shape.members) {
      if (m.name != key) continue;
      if (auto err = CheckValue(*m.shape, &value)) return err;
      kept.push_back(JsonMember{std::move(key), std::move(value)});
      break;
    }
  }
  v->object = std::move(kept);
  return std::nullopt;
}

std::optional<std::string> CheckValue(const Shape& shape, JsonValue* v) {
  using T = JsonValue::Type;
  if (v->is_null()) return std::nullopt;
  switch (shape.type) {
    case ShapeType::kString:
      if (v->type == T::kBool || v->type == T::kNumber || v->bytes)
        return std::string(ScalarJavaClass(*v)) + " can not be converted to an String";
      if (v->type != T::kString) return std::string(ContainerError(*v));
      return std::nullopt;
    case ShapeType::kInteger:
      return CheckNumber(shape, "Integer", v);
    case ShapeType::kLong:
      return CheckNumber(shape, "Long", v);
    case ShapeType::kBoolean:
      if (v->type == T::kBool) return std::nullopt;
      if (v->type == T::kNumber || v->bytes)
        return std::string(ScalarJavaClass(*v)) + " can not be converted to an Boolean";
      if (v->type == T::kString) {
        std::string upper = v->string;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return "'" + upper + "' can not be converted to an Boolean";
      }
      return std::string(ContainerError(*v));
    case ShapeType::kBlob:
      if (v->type == T::kBool || v->type == T::kNumber)
        return std::string(ScalarJavaClass(*v)) + " can not be converted to a Blob";
      if (v->type != T::kString) return std::string(ContainerError(*v));
      return CheckBlob(v);
    case ShapeType::kTimestamp:
      if (v->type == T::kBool || v->type == T::kString)
        return std::string(ScalarJavaClass(*v)) +
               " can not be converted to milliseconds since epoch";
      if (v->type != T::kNumber) return std::string(ContainerError(*v));
      return std::nullopt;
    case ShapeType::kList:
      if (v->type == T::kObject) return std::string(ContainerError(*v));
      if (v->type != T::kArray) return std::string("Expected list or null");
      for (JsonValue& e : v->array)
        if (auto err = CheckValue(*shape.element, &e)) return err;
      return std::nullopt;
    case ShapeType::kMap:
      if (v->type == T::kArray) return std::string(ContainerError(*v));
      if (v->type != T::kObject) return std::string("Expected map or null");
      for (auto& [key, value] : v->object)
        if (auto err = CheckValue(*shape.element, &value)) return err;
      return std::nullopt;
    case ShapeType::kStructure:
      if (v->type == T::kArray) return std::string(ContainerError(*v));
      if (v->type != T::kObject) return std::string("Expected null");
      return CheckStructure(shape, v);
  }
  return std::nullopt;
}

// ---- Constraints -----------------------------------------------------------

std::string LowerFirst(std::string_view s) {
  std::string r(s);
  if (!r.empty()) r[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(r[0])));
  return r;
}

std::string ValueText(const Shape& shape, const JsonValue& v);

std::string ScalarText(const JsonValue& v) {
  switch (v.type) {
    case JsonValue::Type::kString:
      return v.string;
    case JsonValue::Type::kBool:
      return v.boolean ? "true" : "false";
    case JsonValue::Type::kNumber:
      if (v.integral) return std::to_string(v.integer);
      {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof(buf), v.number);
        return std::string(buf, r.ptr);
      }
    default:
      return "";
  }
}

std::string ValueText(const Shape& shape, const JsonValue& v) {
  switch (shape.type) {
    case ShapeType::kBlob: {
      std::string n = std::to_string(v.string.size());
      return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
    }
    case ShapeType::kList: {
      std::string r = "[";
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i) r += ", ";
        r += shape.element_str.empty() ? ValueText(*shape.element, v.array[i])
                                       : std::string(shape.element_str);
      }
      return r + "]";
    }
    case ShapeType::kMap: {
      std::string r = "{";
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i) r += ", ";
        r += v.object[i].key + "=" + ValueText(*shape.element, v.object[i].value);
      }
      return r + "}";
    }
    case ShapeType::kStructure: {
      std::string r = "{";
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i) r += ", ";
        r += v.object[i].key + "=";
        for (const Member& m : shape.members)
          if (m.name == v.object[i].key) r += ValueText(*m.shape, v.object[i].value);
      }
      return r + "}";
    }
    default:
      return ScalarText(v);
  }
}

class ConstraintChecker {
 public:
  void CheckMembers(const Shape& shape, const JsonValue* obj, const std::string& parent) {
    for (const Member& m : shape.members) {
      const JsonValue* v = obj ? obj->Find(m.name) : nullptr;
      CheckMember(*m.shape, m.required, v, Join(parent, LowerFirst(m.name)));
    }
  }

  std::optional<std::string> Result() const {
    if (errors_.empty()) return std::nullopt;
    std::string r = std::to_string(errors_.size()) + " validation error" +
                    (errors_.size() > 1 ? "s" : "") + " detected: ";
    for (size_t i = 0; i < errors_.size(); ++i) {
      if (i) r += "; ";
      r += errors_[i];
    }
    return r;
  }

 private:
  static std::string Join(const std::string& parent, std::string_view name) {
    return parent.empty() ? std::string(name) : parent + "." + std::string(name);
  }

  void Fail(const Shape& shape, const JsonValue* v, const std::string& path,
            std::string_view constraint) {
    if (errors_.size() >= kMaxValidationErrors) return;
    std::string value = v ? "'" + ValueText(shape, *v) + "'" : "null";
    errors_.push_back("Value " + value + " at '" + path +
                      "' failed to satisfy constraint: " + std::string(constraint));
  }

  static int64_t Length(const Shape& shape, const JsonValue& v) {
    switch (shape.type) {
      case ShapeType::kString:
        return static_cast<int64_t>(Utf16Length(v.string));
      case ShapeType::kBlob:
        return static_cast<int64_t>(v.string.size());
      case ShapeType::kList:
        return static_cast<int64_t>(v.array.size());
      default:
        return static_cast<int64_t>(v.object.size());
    }
  }

  // Whether every key (or value) of a map has a length within [min, max].
  static bool MapLengthsOk(const Shape& s, const JsonValue& v, bool keys) {
    for (const auto& [k, val] : v.object) {
      int64_t n = static_cast<int64_t>(Utf16Length(keys ? k : val.string));
      if ((s.min_length && n < *s.min_length) || (s.max_length && n > *s.max_length)) return false;
    }
    return true;
  }

  static std::string BoundsText(const Shape& s) {
    return "[Member must have length less than or equal to " + std::to_string(*s.max_length) +
           ", Member must have length greater than or equal to " + std::to_string(*s.min_length) +
           "]";
  }

  void CheckMember(const Shape& shape, bool required, const JsonValue* v, const std::string& path) {
    if (errors_.size() >= kMaxValidationErrors) return;
    if (v == nullptr) {
      if (required) Fail(shape, nullptr, path, "Member must not be null");
      return;
    }
    if (shape.pattern != Pattern::kNone && !MatchesPattern(shape.pattern, v->string))
      Fail(shape, v, path,
           "Member must satisfy regular expression pattern: " +
               std::string(PatternText(shape.pattern)));
    if (shape.min_length || shape.max_length) {
      int64_t n = Length(shape, *v);
      if (shape.min_length && n < *shape.min_length)
        Fail(shape, v, path,
             "Member must have length greater than or equal to " +
                 std::to_string(*shape.min_length));
      if (shape.max_length && n > *shape.max_length)
        Fail(shape, v, path,
             "Member must have length less than or equal to " + std::to_string(*shape.max_length));
    }
    if (shape.min_value && v->integer < *shape.min_value)
      Fail(shape, v, path,
           "Member must have value greater than or equal to " + std::to_string(*shape.min_value));
    if (shape.max_value && v->integer > *shape.max_value)
      Fail(shape, v, path,
           "Member must have value less than or equal to " + std::to_string(*shape.max_value));
    if (!shape.enum_values.empty()) {
      bool found = false;
      for (std::string_view e : shape.enum_values) found = found || e == v->string;
      if (!found) {
        std::string set;
        for (size_t i = 0; i < shape.enum_values.size(); ++i) {
          if (i) set += ", ";
          set += shape.enum_values[i];
        }
        Fail(shape, v, path, "Member must satisfy enum value set: [" + set + "]");
      }
    }
    switch (shape.type) {
      case ShapeType::kList:
        for (size_t i = 0; i < v->array.size(); ++i)
          CheckMember(*shape.element, false, &v->array[i],
                      path + "." + std::to_string(i + 1) + ".member");
        break;
      case ShapeType::kMap:
        if (shape.key && !MapLengthsOk(*shape.key, *v, true))
          Fail(shape, v, path, "Map keys must satisfy constraint: " + BoundsText(*shape.key));
        if (shape.element && shape.element->max_length && !MapLengthsOk(*shape.element, *v, false))
          Fail(shape, v, path, "Map value must satisfy constraint: " + BoundsText(*shape.element));
        break;
      case ShapeType::kStructure:
        CheckMembers(shape, v, path);
        break;
      default:
        break;
    }
  }

  std::vector<std::string> errors_;
};

}  // namespace

size_t Utf16Length(std::string_view utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    n += (c >= 0xF0) ? 2 : 1;          // 4-byte sequences are surrogate pairs
  }
  return n;
}

std::optional<std::string> CheckTypes(const Shape& shape, JsonValue* body) {
  return CheckValue(shape, body);
}

std::optional<std::string> CheckConstraints(const Shape& shape, const JsonValue& body) {
  ConstraintChecker checker;
  checker.CheckMembers(shape, &body, "");
  return checker.Result();
}

}  // namespace tidelog::server::kinesis
