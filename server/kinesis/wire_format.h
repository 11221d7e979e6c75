// WireFormat: the body encoding of a request and of its response. AWS's
// Kinesis endpoint speaks AWS JSON 1.1 (application/x-amz-json-1.1) and, for
// the Java SDK v2 and KCL by default, the same documents in CBOR
// (application/x-amz-cbor-1.1). A response (and every event of an event
// stream) is encoded as its request was.
#pragma once

namespace tidelog::server::kinesis {

enum class WireFormat { kJson, kCbor };

}  // namespace tidelog::server::kinesis
