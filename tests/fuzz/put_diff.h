// The differential check of the put fast path targets: fast path against the general path.
#pragma once

#include <string>
#include <string_view>

#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/put_fast_path.h"
#include "server/kinesis/request_fields.h"
#include "server/kinesis/shape.h"
#include "server/kinesis/validation.h"
#include "tests/fuzz/fuzz_util.h"

namespace tidelog::fuzz {

// Whatever a fast path (put_fast_path.cc, cbor_put_fast_path.cc) accepts, the general path (parse +
// CheckTypes + CheckConstraints + the record members) accepts too, with the same stream and
// entries.

namespace k = server::kinesis;

// The views of a fast put must lie inside the buffers it owns.
inline bool Inside(std::string_view view, const std::string& buffer) {
  return view.empty() || (view.data() >= buffer.data() &&
                          view.data() + view.size() <= buffer.data() + buffer.size());
}

// The engine entry the general path builds from one record member
// (record_operations.cc's MakeEntry reads the same three members).
inline void CheckEntry(const k::JsonValue& record, const PutRecordEntry& fast,
                       std::string_view body) {
  FUZZ_CHECK(k::StringField(record, "PartitionKey") == fast.partition_key, body);
  FUZZ_CHECK(k::StringField(record, "Data") == fast.data, body);
  const k::JsonValue* key = record.Find("ExplicitHashKey");
  FUZZ_CHECK((key != nullptr) == fast.explicit_hash_key.has_value(), body);
  if (key != nullptr) {
    u128 general = 0;
    FUZZ_CHECK(ParseU128Decimal(key->string, &general), body);
    FUZZ_CHECK(general == *fast.explicit_hash_key, body);
  }
}

inline void CheckPutAgreement(bool batch, std::string_view body, k::WireFormat format) {
  std::string fast_body(body);
  k::FastPut fast;
  const bool cbor = format == k::WireFormat::kCbor;
  const bool accepted = cbor ? k::ParsePutFastCbor(batch, &fast_body, &fast)
                             : k::ParsePutFast(batch, &fast_body, &fast);
  if (!accepted) {
    // Declined: the body is handed, unchanged, to the general path.
    FUZZ_CHECK(fast_body == body, body);
    return;
  }
  FUZZ_CHECK(fast.body == body, body);
  FUZZ_CHECK(fast.format == format, body);
  FUZZ_CHECK(Inside(fast.stream, fast.body), body);
  FUZZ_CHECK(!fast.entries.empty(), body);
  for (const PutRecordEntry& e : fast.entries) {
    FUZZ_CHECK(Inside(e.partition_key, fast.body), body);
    FUZZ_CHECK(Inside(e.data, cbor ? fast.body : fast.data), body);
  }

  k::JsonValue tree;
  FUZZ_CHECK(cbor ? k::ParseCbor(body, &tree) : k::ParseJson(body, &tree), body);
  FUZZ_CHECK(tree.is_object(), body);
  const k::Shape* shape = k::InputShape(batch ? "PutRecords" : "PutRecord");
  const auto type_error = k::CheckTypes(*shape, &tree);
  FUZZ_CHECK(!type_error, *type_error);
  const auto constraint_error = k::CheckConstraints(*shape, tree);
  FUZZ_CHECK(!constraint_error, *constraint_error);

  // The fast path names the stream by StreamName only.
  FUZZ_CHECK(!k::HasField(tree, "StreamARN") && !k::HasField(tree, "StreamId"), body);
  FUZZ_CHECK(!k::HasField(tree, "SequenceNumberForOrdering"), body);
  FUZZ_CHECK(k::StringField(tree, "StreamName") == fast.stream, body);
  if (batch) {
    const k::JsonValue* records = tree.Find("Records");
    FUZZ_CHECK(records != nullptr && records->array.size() == fast.entries.size(), body);
    for (size_t i = 0; i < fast.entries.size(); ++i) {
      CheckEntry(records->array[i], fast.entries[i], body);
    }
  } else {
    FUZZ_CHECK(fast.entries.size() == 1, body);
    CheckEntry(tree, fast.entries[0], body);
  }
}

}  // namespace tidelog::fuzz
