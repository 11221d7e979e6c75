// Helpers of the JSON and CBOR fuzz targets: operation names, tree equality and writers.
#pragma once

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/shape.h"
#include "server/kinesis/validation.h"

namespace tidelog::fuzz {

// The model's operation names, and JsonValue trees compared and written back out with the
// production writers.

using server::kinesis::JsonValue;

// Every operation of the model (server/kinesis/operation_shapes.cc).
inline constexpr std::string_view kOperations[] = {
    "AddTagsToStream",
    "CreateStream",
    "DecreaseStreamRetentionPeriod",
    "DeleteResourcePolicy",
    "DeleteStream",
    "DeregisterStreamConsumer",
    "DescribeAccountSettings",
    "DescribeLimits",
    "DescribeStream",
    "DescribeStreamConsumer",
    "DescribeStreamSummary",
    "DisableEnhancedMonitoring",
    "EnableEnhancedMonitoring",
    "GetRecords",
    "GetResourcePolicy",
    "GetShardIterator",
    "IncreaseStreamRetentionPeriod",
    "ListShards",
    "ListStreamConsumers",
    "ListStreams",
    "ListTagsForResource",
    "ListTagsForStream",
    "MergeShards",
    "PutRecord",
    "PutRecords",
    "PutResourcePolicy",
    "RegisterStreamConsumer",
    "RemoveTagsFromStream",
    "SplitShard",
    "StartStreamEncryption",
    "StopStreamEncryption",
    "SubscribeToShard",
    "TagResource",
    "UntagResource",
    "UpdateAccountSettings",
    "UpdateMaxRecordSize",
    "UpdateShardCount",
    "UpdateStreamMode",
    "UpdateStreamWarmThroughput",
};

inline bool SameNumber(double a, double b) { return a == b && std::signbit(a) == std::signbit(b); }

// Structural equality of two trees, every flag included.
inline bool Equal(const JsonValue& a, const JsonValue& b) {
  if (a.type != b.type || a.bytes != b.bytes || a.exact_millis != b.exact_millis) return false;
  switch (a.type) {
    case JsonValue::Type::kNull:
      return true;
    case JsonValue::Type::kBool:
      return a.boolean == b.boolean;
    case JsonValue::Type::kNumber:
      return SameNumber(a.number, b.number) && a.integral == b.integral &&
             (!a.integral || a.integer == b.integer) && (!a.exact_millis || a.millis == b.millis);
    case JsonValue::Type::kString:
      return a.string == b.string;
    case JsonValue::Type::kArray:
      if (a.array.size() != b.array.size()) return false;
      for (size_t i = 0; i < a.array.size(); ++i)
        if (!Equal(a.array[i], b.array[i])) return false;
      return true;
    case JsonValue::Type::kObject:
      if (a.object.size() != b.object.size()) return false;
      for (size_t i = 0; i < a.object.size(); ++i)
        if (a.object[i].key != b.object[i].key || !Equal(a.object[i].value, b.object[i].value))
          return false;
      return true;
  }
  return false;
}

// JSON text of a tree parsed from JSON: strings through the response
// writer's AppendJsonString, non-integral numbers in exponent form so they
// read back as doubles.
inline void AppendJson(const JsonValue& v, std::string* out) {
  switch (v.type) {
    case JsonValue::Type::kNull:
      out->append("null");
      return;
    case JsonValue::Type::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case JsonValue::Type::kNumber: {
      char buf[64];
      const auto r = v.integral ? std::to_chars(buf, buf + sizeof(buf), v.integer)
                                : std::to_chars(buf, buf + sizeof(buf), v.number,
                                                std::chars_format::scientific);
      out->append(buf, r.ptr);
      return;
    }
    case JsonValue::Type::kString:
      server::kinesis::AppendJsonString(v.string, out);
      return;
    case JsonValue::Type::kArray:
      out->push_back('[');
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJson(v.array[i], out);
      }
      out->push_back(']');
      return;
    case JsonValue::Type::kObject:
      out->push_back('{');
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i > 0) out->push_back(',');
        server::kinesis::AppendJsonString(v.object[i].key, out);
        out->push_back(':');
        AppendJson(v.object[i].value, out);
      }
      out->push_back('}');
      return;
  }
}

// CBOR of a tree parsed from CBOR, with the production appenders (shortest
// heads, definite lengths, tag 1 for exact milliseconds).
inline void AppendCbor(const JsonValue& v, std::string* out) {
  namespace k = server::kinesis;
  switch (v.type) {
    case JsonValue::Type::kNull:
      k::AppendCborNull(out);
      return;
    case JsonValue::Type::kBool:
      k::AppendCborBool(v.boolean, out);
      return;
    case JsonValue::Type::kNumber:
      if (v.exact_millis) {
        k::AppendCborTimestamp(v.millis, out);
      } else if (v.integral) {
        k::AppendCborInt(v.integer, out);
      } else if (v.number >= 9223372036854775808.0 && v.number < 18446744073709551616.0 &&
                 v.number == std::floor(v.number)) {
        // A uint64 past int64 reads back as this double, as JSON's parser keeps it.
        k::AppendCborHead(0, static_cast<uint64_t>(v.number), out);
      } else {
        k::AppendCborDouble(v.number, out);
      }
      return;
    case JsonValue::Type::kString:
      if (v.bytes) {
        k::AppendCborBytes(v.string, out);
      } else {
        k::AppendCborText(v.string, out);
      }
      return;
    case JsonValue::Type::kArray:
      k::AppendCborHead(4, v.array.size(), out);
      for (const JsonValue& e : v.array) AppendCbor(e, out);
      return;
    case JsonValue::Type::kObject:
      k::AppendCborHead(5, v.object.size(), out);
      for (const auto& m : v.object) {
        k::AppendCborText(m.key, out);
        AppendCbor(m.value, out);
      }
      return;
  }
}

// Runs the model's type and constraint checks of every operation on `body`,
// as KinesisService does once it parsed (each on its own copy). A body that
// passes CheckTypes is typed: CheckConstraints must then be able to read it.
inline void CheckAgainstEveryShape(const JsonValue& body) {
  if (!body.is_object()) return;
  for (std::string_view op : kOperations) {
    const server::kinesis::Shape* shape = server::kinesis::InputShape(op);
    if (shape == nullptr) std::abort();  // the list above is out of date
    JsonValue copy = body;
    if (server::kinesis::CheckTypes(*shape, &copy)) continue;
    (void)server::kinesis::CheckConstraints(*shape, copy);
  }
}

}  // namespace tidelog::fuzz
