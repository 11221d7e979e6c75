// The put fast path: reads a PutRecord or PutRecords body in one pass, in
// place, and decodes every record's base64 Data into one buffer, so the
// engine gets string_views and no per-record allocation happens.
//
// (Not simdjson On-Demand: with Debian's generic x86-64 build flags its
// header-only On-Demand compiles to the scalar "fallback" kernel, and a
// structural pass plus a decode pass costs more than this single pass.)
//
// It accepts only the common, clean shape of a request: known members once
// each, StreamName (no StreamARN / StreamId / SequenceNumberForOrdering),
// strings of printable ASCII without escapes, valid padded base64, every
// model constraint met.
// Anything else returns false and the request takes the general path
// (JsonValue + CheckTypes + CheckConstraints), which produces AWS's exact
// error texts. So for every body this path accepts, the general path would
// have accepted it too and built the same entries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/kinesis/wire_format.h"
#include "tidelog/types.h"

namespace tidelog::server::kinesis {

// The bounds both fast paths (JSON and CBOR) accept; a body past them takes
// the general path, whose checks and the engine's give AWS's errors (records
// up to a stream's MaxRecordSizeInKiB, requests up to 10 MiB).
inline constexpr size_t kFastPathMaxRecords = 500;
inline constexpr size_t kFastPathMaxDataBytes = 1048576;
inline constexpr size_t kFastPathMaxPartitionKeyChars = 256;
inline constexpr size_t kFastPathMaxStreamNameChars = 128;
inline constexpr size_t kFastPathMaxPutRecordsBytes = 5 << 20;

struct FastPut {
  std::string body;  // the request body; views point into it
  // JSON: the decoded Data of every record, back to back. CBOR: empty (Data
  // byte strings are views into `body`).
  std::string data;
  std::string_view stream;                // StreamName, in `body`
  std::vector<PutRecordEntry> entries;    // views into `body` and `data`
  WireFormat format = WireFormat::kJson;  // of the request, and so of the response
};

// `batch`: PutRecords (Records list) rather than PutRecord. On success the
// body has been moved into out->body. On failure *body is left as it was
// (its capacity may have grown by the simdjson padding).
bool ParsePutFast(bool batch, std::string* body, FastPut* out);

// The same for a CBOR body (cbor_put_fast_path.cc), with the same contract:
// it accepts only the clean shape the Java SDK sends (definite or indefinite
// maps and Records array; definite text keys and strings; Data a definite
// byte string; no tags, nulls or numbers; known members once each, every
// model constraint met), and the general path (ParseCbor + CheckTypes +
// CheckConstraints) would build the same entries from anything it accepts.
// Sets out->format to kCbor.
bool ParsePutFastCbor(bool batch, std::string* body, FastPut* out);

}  // namespace tidelog::server::kinesis
