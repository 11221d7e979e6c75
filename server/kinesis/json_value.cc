// Builds a JsonValue tree from simdjson's DOM.
#include "server/kinesis/json_value.h"

#include <simdjson.h>

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
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return false;
  *out = JsonValue();
  return Convert(root, out);
}

}  // namespace tidelog::server::kinesis
