// The data plane's response bodies, written straight into one presized string
// in either wire format (never through a tree or a transcoder): PutRecord,
// PutRecords and GetRecords. JSON ones are defined in record_operations.cc,
// CBOR ones in cbor_records.cc; both give the same members in the same order.
#pragma once

#include <string>
#include <vector>

#include "server/http/http_message.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/wire_format.h"
#include "tidelog/engine.h"

namespace tidelog::server::kinesis {

std::string PutRecordJsonBody(const PutRecordResult& r);
std::string PutRecordsJsonBody(const std::vector<PutRecordResult>& results);
std::string GetRecordsJsonBody(const GetRecordsResult& result);

std::string PutRecordCborBody(const PutRecordResult& r);
std::string PutRecordsCborBody(const std::vector<PutRecordResult>& results);
std::string GetRecordsCborBody(const GetRecordsResult& result);

// 200 with the body in `format`.
HttpResponse PutRecordResponse(const PutRecordResult& r, WireFormat format);
HttpResponse PutRecordsResponse(const std::vector<PutRecordResult>& results, WireFormat format);

// GetRecords answered in `format` (GetRecords itself is GetRecordsIn kJson).
// Errors are JSON either way (InWireFormat transcodes them).
HttpResponse GetRecordsIn(WireFormat format, Engine& e, const JsonValue& body);

}  // namespace tidelog::server::kinesis
