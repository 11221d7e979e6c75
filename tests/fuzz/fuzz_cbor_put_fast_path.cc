// Fuzz target (differential): the CBOR put fast path against the general CBOR path.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/put_diff.h"

// The CBOR PutRecord(s) fast path (server/kinesis/cbor_put_fast_path.cc) against ParseCbor and the
// general path.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks PutRecords (odd) or PutRecord; the rest is the body.
  tidelog::fuzz::CheckPutAgreement((data[0] & 1) != 0, tidelog::fuzz::AsView(data + 1, size - 1),
                                   tidelog::server::kinesis::WireFormat::kCbor);
  return 0;
}
