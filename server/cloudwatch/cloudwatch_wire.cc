// CloudWatch's wire protocols: routing, request decoding, response and error
// encoding (cloudwatch_wire.h).
#include "server/cloudwatch/cloudwatch_wire.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/json_writer.h"

namespace tidelog::server::cloudwatch {
namespace {

using kinesis::JsonMember;

constexpr std::string_view kCborPathPrefix = "/service/GraniteServiceVersion20100801/operation/";
constexpr std::string_view kXmlNamespace = "http://monitoring.amazonaws.com/doc/2010-08-01/";
// Query lists are 1-based "member.N"; no CloudWatch list is longer than 500.
constexpr int64_t kMaxQueryIndex = 1000;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view MediaType(const HttpRequest& head) {
  const std::string* type = head.Header("content-type");
  if (type == nullptr) return {};
  std::string_view t = *type;
  return t.substr(0, t.find(';'));
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool FormDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out->push_back(' ');
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = Hex(in[i + 1]);
      const int lo = Hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

JsonValue* ObjectMember(JsonValue* object, std::string_view key) {
  if (JsonValue* found = object->FindMutable(key)) return found;
  object->object.push_back({std::string(key), JsonValue()});
  return &object->object.back().value;
}

// Places `value` at the dotted query `path` ("A.member.2.B") in `root`.
bool PlaceQueryValue(std::string_view path, std::string value, JsonValue* root) {
  JsonValue* node = root;
  while (true) {
    const size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    if (part.empty()) return false;
    if (node->type == JsonValue::Type::kNull) node->type = JsonValue::Type::kObject;
    if (!node->is_object()) return false;
    node = ObjectMember(node, part);
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
    // "member.N" (or "entry.N" of maps, unused here) indexes a list.
    if (StartsWith(path, "member.")) {
      path.remove_prefix(7);
      const size_t end = path.find('.');
      const std::string_view digits = path.substr(0, end);
      int64_t index = 0;
      const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (ec != std::errc() || p != digits.data() + digits.size() || index < 1 ||
          index > kMaxQueryIndex) {
        return false;
      }
      if (node->type == JsonValue::Type::kNull) node->type = JsonValue::Type::kArray;
      if (!node->is_array()) return false;
      if (node->array.size() < static_cast<size_t>(index)) node->array.resize(index);
      node = &node->array[index - 1];
      if (end == std::string_view::npos) break;
      path.remove_prefix(end + 1);
    }
  }
  if (node->type != JsonValue::Type::kNull) return false;  // a parameter given twice
  node->type = JsonValue::Type::kString;
  node->string = std::move(value);
  return true;
}

bool DecodeQuery(std::string_view body, Route* route, JsonValue* input) {
  *input = Object();
  std::string key;
  std::string value;
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (!FormDecode(pair.substr(0, eq), &key)) return false;
    if (!FormDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                    &value)) {
      return false;
    }
    if (key == "Action") {
      route->operation = value;
    } else if (key == "Version") {
      continue;
    } else if (!PlaceQueryValue(key, value, input)) {
      return false;
    }
  }
  return true;
}

void AppendNumberText(double d, std::string* out) {
  if (!std::isfinite(d)) d = 0;
  char buf[64];
  // Plain digits below 1e16 (epoch seconds, counts), else the shortest form.
  const auto [p, ec] = std::fabs(d) < 1e16
                           ? std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed)
                           : std::to_chars(buf, buf + sizeof(buf), d);
  out->append(buf, ec == std::errc() ? p : buf);
}

void WriteJson(const JsonValue& v, std::string* out) {
  switch (v.type) {
    case JsonValue::Type::kNull:
      out->append("null");
      return;
    case JsonValue::Type::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case JsonValue::Type::kNumber:
      AppendNumberText(v.exact_millis ? static_cast<double>(v.millis) / 1000.0 : v.number, out);
      return;
    case JsonValue::Type::kString:
      kinesis::AppendJsonString(v.string, out);
      return;
    case JsonValue::Type::kArray:
      out->push_back('[');
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i > 0) out->push_back(',');
        WriteJson(v.array[i], out);
      }
      out->push_back(']');
      return;
    case JsonValue::Type::kObject:
      out->push_back('{');
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i > 0) out->push_back(',');
        kinesis::AppendJsonString(v.object[i].key, out);
        out->push_back(':');
        WriteJson(v.object[i].value, out);
      }
      out->push_back('}');
      return;
  }
}

void WriteCbor(const JsonValue& v, std::string* out) {
  switch (v.type) {
    case JsonValue::Type::kNull:
      kinesis::AppendCborNull(out);
      return;
    case JsonValue::Type::kBool:
      kinesis::AppendCborBool(v.boolean, out);
      return;
    case JsonValue::Type::kNumber:
      if (v.exact_millis) {
        kinesis::AppendCborHead(6, 1, out);  // tag 1: epoch seconds in rpc-v2-cbor
        if (v.millis % 1000 == 0) {
          kinesis::AppendCborInt(v.millis / 1000, out);
        } else {
          kinesis::AppendCborDouble(static_cast<double>(v.millis) / 1000.0, out);
        }
      } else if (v.integral) {
        kinesis::AppendCborInt(v.integer, out);
      } else {
        kinesis::AppendCborDouble(std::isfinite(v.number) ? v.number : 0, out);
      }
      return;
    case JsonValue::Type::kString:
      kinesis::AppendCborText(v.string, out);
      return;
    case JsonValue::Type::kArray:
      kinesis::AppendCborHead(4, v.array.size(), out);
      for (const JsonValue& e : v.array) WriteCbor(e, out);
      return;
    case JsonValue::Type::kObject:
      kinesis::AppendCborHead(5, v.object.size(), out);
      for (const JsonMember& m : v.object) {
        kinesis::AppendCborText(m.key, out);
        WriteCbor(m.value, out);
      }
      return;
  }
}

void AppendXmlEscaped(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\r':
        out->append("&#xD;");
        break;
      default:
        out->push_back(c);
    }
  }
}

void WriteXmlValue(const JsonValue& v, std::string* out);

void WriteXmlElement(std::string_view name, const JsonValue& v, std::string* out) {
  out->push_back('<');
  out->append(name);
  out->push_back('>');
  WriteXmlValue(v, out);
  out->append("</");
  out->append(name);
  out->push_back('>');
}

void WriteXmlValue(const JsonValue& v, std::string* out) {
  switch (v.type) {
    case JsonValue::Type::kNull:
      return;
    case JsonValue::Type::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case JsonValue::Type::kNumber:
      if (v.exact_millis) {
        out->append(FormatIso8601(v.millis));
      } else if (v.integral) {
        out->append(std::to_string(v.integer));
      } else {
        AppendNumberText(v.number, out);
      }
      return;
    case JsonValue::Type::kString:
      AppendXmlEscaped(v.string, out);
      return;
    case JsonValue::Type::kArray:
      for (const JsonValue& e : v.array) WriteXmlElement("member", e, out);
      return;
    case JsonValue::Type::kObject:
      for (const JsonMember& m : v.object) WriteXmlElement(m.key, m.value, out);
      return;
  }
}

std::string TwoDigits(unsigned v) {
  char buf[4];
  std::snprintf(buf, sizeof(buf), "%02u", v % 100);
  return buf;
}

bool ParseFixed(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<Route> RouteOf(const HttpRequest& head) {
  std::string_view path = head.target;
  path = path.substr(0, path.find('?'));
  if (StartsWith(path, kCborPathPrefix)) {
    return Route{Protocol::kCbor, std::string(path.substr(kCborPathPrefix.size()))};
  }
  if (const std::string* target = head.Header("x-amz-target")) {
    std::string_view t = *target;
    if (StartsWith(t, kTargetPrefix) && t.size() > kTargetPrefix.size() &&
        t[kTargetPrefix.size()] == '.') {
      return Route{Protocol::kJson, std::string(t.substr(kTargetPrefix.size() + 1))};
    }
    return std::nullopt;
  }
  if (path == "/" && MediaType(head) == "application/x-www-form-urlencoded") {
    return Route{Protocol::kQuery, ""};
  }
  return std::nullopt;
}

bool DecodeInput(std::string_view body, Route* route, JsonValue* input, CloudWatchError* error) {
  bool ok = false;
  switch (route->protocol) {
    case Protocol::kCbor:
      ok = body.empty() ? (*input = Object(), true)
                        : kinesis::ParseCbor(body, input, kinesis::CborTimestamps::kEpochSeconds);
      break;
    case Protocol::kJson:
      ok = body.empty() ? (*input = Object(), true) : kinesis::ParseJson(body, input);
      break;
    case Protocol::kQuery:
      ok = DecodeQuery(body, route, input);
      break;
  }
  if (ok && !input->is_object()) ok = false;
  if (!ok) {
    *error = {"SerializationException", "", "The request body could not be parsed.", 400, true};
    if (route->protocol == Protocol::kQuery) {
      error->code = "MalformedQueryString";
      error->message = "The query string could not be parsed.";
    }
  }
  return ok;
}

HttpResponse EncodeOutput(const Route& route, const JsonValue& output,
                          const std::string& request_id) {
  HttpResponse r;
  r.headers.emplace_back("x-amzn-RequestId", request_id);
  switch (route.protocol) {
    case Protocol::kCbor:
      r.headers.emplace_back("Content-Type", "application/cbor");
      r.headers.emplace_back("smithy-protocol", "rpc-v2-cbor");
      WriteCbor(output, &r.body);
      break;
    case Protocol::kJson:
      r.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
      WriteJson(output, &r.body);
      break;
    case Protocol::kQuery: {
      r.headers.emplace_back("Content-Type", "text/xml");
      std::string& b = r.body;
      b.append("<").append(route.operation).append("Response xmlns=\"");
      b.append(kXmlNamespace).append("\">\n  <").append(route.operation).append("Result>");
      WriteXmlValue(output, &b);
      b.append("</").append(route.operation).append("Result>\n  <ResponseMetadata><RequestId>");
      b.append(request_id).append("</RequestId></ResponseMetadata>\n</");
      b.append(route.operation).append("Response>\n");
      break;
    }
  }
  return r;
}

HttpResponse EncodeError(Protocol protocol, const CloudWatchError& error,
                         const std::string& request_id) {
  HttpResponse r;
  r.status = error.status;
  r.headers.emplace_back("x-amzn-RequestId", request_id);
  const std::string type = error.sender ? "Sender" : "Receiver";
  if (protocol == Protocol::kQuery) {
    r.headers.emplace_back("Content-Type", "text/xml");
    std::string& b = r.body;
    b.append("<ErrorResponse xmlns=\"").append(kXmlNamespace).append("\">\n  <Error>\n    <Type>");
    b.append(type).append("</Type>\n    <Code>");
    AppendXmlEscaped(error.code, &b);
    b.append("</Code>\n    <Message>");
    AppendXmlEscaped(error.message, &b);
    b.append("</Message>\n  </Error>\n  <RequestId>").append(request_id);
    b.append("</RequestId>\n</ErrorResponse>\n");
    return r;
  }
  JsonValue body = Object();
  Member(&body, "__type",
         Text(error.shape.empty() ? error.code : "com.amazonaws.cloudwatch#" + error.shape));
  Member(&body, "message", Text(error.message));
  r.headers.emplace_back("x-amzn-query-error", error.code + ";" + type);
  if (protocol == Protocol::kCbor) {
    r.headers.emplace_back("Content-Type", "application/cbor");
    r.headers.emplace_back("smithy-protocol", "rpc-v2-cbor");
    WriteCbor(body, &r.body);
  } else {
    r.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
    WriteJson(body, &r.body);
  }
  return r;
}

JsonValue Object() {
  JsonValue v;
  v.type = JsonValue::Type::kObject;
  return v;
}

JsonValue Array() {
  JsonValue v;
  v.type = JsonValue::Type::kArray;
  return v;
}

JsonValue Text(std::string_view s) {
  JsonValue v;
  v.type = JsonValue::Type::kString;
  v.string = std::string(s);
  return v;
}

JsonValue Number(double d) {
  JsonValue v;
  v.type = JsonValue::Type::kNumber;
  v.number = d;
  return v;
}

JsonValue Timestamp(int64_t millis) {
  JsonValue v;
  v.type = JsonValue::Type::kNumber;
  v.exact_millis = true;
  v.millis = millis;
  v.number = static_cast<double>(millis) / 1000.0;
  return v;
}

JsonValue& Member(JsonValue* object, std::string_view key, JsonValue value) {
  object->object.push_back({std::string(key), std::move(value)});
  return object->object.back().value;
}

JsonValue& Push(JsonValue* array, JsonValue value) {
  array->array.push_back(std::move(value));
  return array->array.back();
}

std::string FormatIso8601(int64_t millis) {
  using namespace std::chrono;
  const int64_t secs = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  const int64_t ms = millis - secs * 1000;
  const sys_seconds tp{seconds{secs}};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%s-%sT%s:%s:%s.%03dZ", static_cast<int>(ymd.year()),
                TwoDigits(static_cast<unsigned>(ymd.month())).c_str(),
                TwoDigits(static_cast<unsigned>(ymd.day())).c_str(),
                TwoDigits(static_cast<unsigned>(hms.hours().count())).c_str(),
                TwoDigits(static_cast<unsigned>(hms.minutes().count())).c_str(),
                TwoDigits(static_cast<unsigned>(hms.seconds().count())).c_str(),
                static_cast<int>(ms));
  return buf;
}

bool ParseIso8601(std::string_view s, int64_t* millis) {
  using namespace std::chrono;
  int y, mo, d, h, mi, se;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':' || !ParseFixed(s, 0, 4, &y) || !ParseFixed(s, 5, 2, &mo) ||
      !ParseFixed(s, 8, 2, &d) || !ParseFixed(s, 11, 2, &h) || !ParseFixed(s, 14, 2, &mi) ||
      !ParseFixed(s, 17, 2, &se)) {
    return false;
  }
  if (y < 1 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59) return false;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return false;
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100;
    const size_t digits_start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == digits_start || pos - digits_start > 9) return false;
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (pos + 6 != s.size() || s[pos + 3] != ':' || !ParseFixed(s, pos + 1, 2, &oh) ||
        !ParseFixed(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return false;
    }
    offset_min = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  }
  if (pos != s.size()) return false;
  const int64_t day_count = sys_days(ymd).time_since_epoch().count();
  *millis = (((day_count * 24 + h) * 60 + mi - offset_min) * 60 + se) * 1000 + frac_ms;
  return true;
}

}  // namespace tidelog::server::cloudwatch
