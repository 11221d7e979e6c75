// CBOR output in AWS's flavour (application/x-amz-cbor-1.1, what the Java SDK
// v2 reads): blobs as byte strings, timestamps as tag 1 with an integer epoch
// in milliseconds (the SDK parses the number with Long.parseLong, so never a
// float), everything else as its JSON counterpart. Appenders write shortest
// heads and definite lengths.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tidelog/types.h"

namespace tidelog::server::kinesis {

inline constexpr std::string_view kCborContentType = "application/x-amz-cbor-1.1";

// The initial byte(s) of a data item of `major` type (0..7) with argument `arg`.
void AppendCborHead(uint8_t major, uint64_t arg, std::string* out);
void AppendCborInt(int64_t v, std::string* out);
void AppendCborText(std::string_view s, std::string* out);  // `s` must be UTF-8
void AppendCborBytes(std::string_view bytes, std::string* out);
void AppendCborBool(bool b, std::string* out);
void AppendCborNull(std::string* out);
void AppendCborDouble(double d, std::string* out);
// Tag 1 + epoch milliseconds.
void AppendCborTimestamp(int64_t millis, std::string* out);
// U128ToDecimal(v) as a text string, without a temporary.
void AppendCborU128Decimal(u128 v, std::string* out);
// SequenceNumberToDecimal(v) as a text string, without a temporary.
void AppendCborSequenceNumber(const SequenceNumber& v, std::string* out);
// FormatShardId(index) as a text string, without a temporary.
void AppendCborShardId(uint32_t index, std::string* out);

// Whether a member of this name in a Kinesis output is a timestamp (they all
// are: the botocore model test checks the list) or the blob `Data`.
bool IsTimestampMember(std::string_view name);
bool IsBlobMember(std::string_view name);

// Transcodes one of our JSON documents (as JsonWriter writes them) to CBOR:
// numbers of timestamp members (epoch seconds) become tag 1 + milliseconds,
// strings of blob members (base64) become their bytes. "" (an operation
// without output) and anything that is not valid JSON give "".
std::string JsonToCbor(std::string_view json);

}  // namespace tidelog::server::kinesis
