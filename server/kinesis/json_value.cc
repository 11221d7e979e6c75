// Builds a JsonValue tree from simdjson's DOM.
#include "server/kinesis/json_value.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace tidelog::server::kinesis {
namespace {

bool Convert(simdjson::dom::element e, JsonValue* out) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE:
      out->type = JsonValue::Type::kNull;
      return true;
    case element_type::BOOL:
      out->type = JsonValue::Type::kBool;
      out->boolean = e.get_bool().value_unsafe();
      return true;
    case element_type::INT64:
      out->type = JsonValue::Type::kNumber;
      out->integer = e.get_int64().value_unsafe();
      out->number = static_cast<double>(out->integer);
      out->integral = true;
      return true;
    case element_type::UINT64:
      out->type = JsonValue::Type::kNumber;
      out->number = static_cast<double>(e.get_uint64().value_unsafe());
      return true;
    case element_type::DOUBLE:
      out->type = JsonValue::Type::kNumber;
      out->number = e.get_double().value_unsafe();
      return true;
    case element_type::STRING:
      out->type = JsonValue::Type::kString;
      out->string = std::string(e.get_string().value_unsafe());
      return true;
    case element_type::ARRAY: {
      out->type = JsonValue::Type::kArray;
      simdjson::dom::array a = e.get_array().value_unsafe();
      out->array.resize(a.size());
      size_t i = 0;
      for (simdjson::dom::element child : a) {
        if (!Convert(child, &out->array[i++])) return false;
      }
      return true;
    }
    case element_type::OBJECT: {
      out->type = JsonValue::Type::kObject;
      simdjson::dom::object o = e.get_object().value_unsafe();
      out->object.reserve(o.size());
      for (simdjson::dom::key_value_pair kv : o) {
        out->object.push_back(JsonMember{std::string(kv.key), JsonValue()});
        if (!Convert(kv.value, &out->object.back().value)) return false;
      }
      return true;
    }
  }
  return false;
}

// The decimal order of magnitude of a JSON number literal: positive when its
// absolute value is at least 1. Saturating, so an exponent of any length is
// safe.
int64_t DecimalOrder(std::string_view t) {
  constexpr int64_t kBig = int64_t{1} << 50;
  auto digit = [&](size_t i) { return i < t.size() && t[i] >= '0' && t[i] <= '9'; };
  size_t i = !t.empty() && t[0] == '-' ? 1 : 0;
  int64_t order = 0;
  bool nonzero = false;
  for (; digit(i); ++i) {
    nonzero = nonzero || t[i] != '0';
    if (nonzero) order = std::min(order + 1, kBig);
  }
  if (i < t.size() && t[i] == '.') {
    for (++i; digit(i); ++i) {
      if (nonzero) continue;
      if (t[i] == '0')
        order = std::max(order - 1, -kBig);
      else
        nonzero = true;
    }
  }
  if (!nonzero) return -kBig;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    const bool negative = i < t.size() && t[i] == '-';
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    int64_t e = 0;
    for (; digit(i); ++i) e = std::min(e * 10 + (t[i] - '0'), kBig);
    order += negative ? -e : e;
  }
  return order;
}

// Whether `t` is a number as JSON spells it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  const size_t first = i;
  const size_t n = digits();
  if (n == 0 || (n > 1 && t[first] == '0')) return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}

// Appends `t`, a number literal simdjson may refuse, in a form it takes with
// the value Coral reads: integers past the int64/uint64 range as their double
// (in exponent form), literals past the double range as +-DBL_MAX or 0.
// Returns whether it changed anything.
bool AppendInRange(std::string_view t, std::string* out) {
  if (!IsJsonNumber(t)) {
    out->append(t);  // left for simdjson to refuse
    return false;
  }
  const char* end = t.data() + t.size();
  const bool negative = !t.empty() && t[0] == '-';
  if (t.find_first_of(".eE") == std::string_view::npos) {
    int64_t i = 0;
    uint64_t u = 0;
    if (std::from_chars(t.data(), end, i).ec != std::errc::result_out_of_range ||
        (!negative && std::from_chars(t.data(), end, u).ec != std::errc::result_out_of_range)) {
      out->append(t);
      return false;
    }
  }
  double d = 0;
  const auto r = std::from_chars(t.data(), end, d);
  if (r.ec == std::errc::result_out_of_range) {
    d = DecimalOrder(t) > 0 ? std::numeric_limits<double>::max() : 0.0;
    if (negative) d = -d;
  } else if (r.ec != std::errc() || r.ptr != end) {
    out->append(t);
    return false;
  }
  char buf[32];
  out->append(buf, std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific).ptr);
  return true;
}

// `text` with every number literal outside what simdjson's DOM takes
// rewritten by AppendInRange; false when there was none.
bool RewriteOutOfRangeNumbers(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  bool changed = false;
  bool in_string = false;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (in_string) {
      const size_t n = c == '\\' ? 2 : 1;
      in_string = c != '"';
      out->append(text.substr(i, n));
      i += n;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i;
      while (j < text.size() &&
             std::string_view("0123456789+-.eE").find(text[j]) != std::string_view::npos)
        ++j;
      changed = AppendInRange(text.substr(i, j - i), out) || changed;
      i = j;
    } else {
      in_string = c == '"';
      out->push_back(c);
      ++i;
    }
  }
  return changed;
}

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (auto it = object.rbegin(); it != object.rend(); ++it) {
    if (it->key == key) return it->value.is_null() ? nullptr : &it->value;
  }
  return nullptr;
}

JsonValue* JsonValue::FindMutable(std::string_view key) {
  return const_cast<JsonValue*>(static_cast<const JsonValue*>(this)->Find(key));
}

bool ParseJson(std::string_view text, JsonValue* out) {
  // One parser per thread: it keeps its buffers between requests.
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  simdjson::error_code error = parser.parse(padded).get(root);
  if (error == simdjson::NUMBER_ERROR) {
    // Coral reads numbers of any size; only such bodies pay for a second pass.
    std::string rewritten;
    if (!RewriteOutOfRangeNumbers(text, &rewritten)) return false;
    padded = simdjson::padded_string(rewritten);
    error = parser.parse(padded).get(root);
  }
  if (error != simdjson::SUCCESS) return false;
  *out = JsonValue();
  return Convert(root, out);
}

}  // namespace tidelog::server::kinesis
