// ParseCbor: a strict decoder of one CBOR (RFC 8949) data item into the
// JsonValue tree the JSON path uses, in AWS's flavour (application/x-amz-cbor-
// 1.1, as the Java SDK v2 writes it): byte strings become strings flagged
// `bytes`, tag 1 holds epoch milliseconds (flagged `exact_millis`).
//
// Accepts definite and indefinite lengths. Rejects (returns false, never
// throws or aborts): truncated input, trailing bytes, reserved additional
// info, a break outside an indefinite container, indefinite strings whose
// chunks are not definite strings of the same type, map keys that are not
// text, text that is not UTF-8, NaN, simple values other than false, true,
// null and undefined, nesting deeper than kMaxCborDepth, more than
// kMaxCborItems data items (the tree costs ~130 bytes per item, so a body of
// 1-byte items must not become a tree 130 times its size; the largest valid
// Kinesis request has a few thousand), and any declared length larger than
// the input left (checked before anything is allocated).
#pragma once

#include <cstddef>
#include <string_view>

#include "server/kinesis/json_value.h"

namespace tidelog::server::kinesis {

// Containers and tags count as one level each.
inline constexpr size_t kMaxCborDepth = 64;
inline constexpr size_t kMaxCborItems = size_t{1} << 18;

// What tag 1 (epoch-based date/time) holds: epoch milliseconds in AWS's
// application/x-amz-cbor-1.1 (Kinesis), epoch seconds, integer or float, in
// smithy-rpc-v2-cbor (CloudWatch). Either way the value comes out flagged
// `exact_millis` with `millis` set (rounded, saturating) and `number` in seconds.
enum class CborTimestamps { kEpochMillis, kEpochSeconds };

// Decodes `data`, exactly one data item, into *out. False on anything above.
bool ParseCbor(std::string_view data, JsonValue* out,
               CborTimestamps timestamps = CborTimestamps::kEpochMillis);

}  // namespace tidelog::server::kinesis
