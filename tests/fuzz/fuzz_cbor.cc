// Fuzz target: the strict CBOR request decoder (server/kinesis/cbor_reader.cc).
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/kinesis/cbor_reader.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/json_tree.h"

// The strict CBOR request decoder (server/kinesis/cbor_reader.cc): what it accepts re-encodes
// (cbor_writer.cc's appenders) to the same tree, and the model checks run on its trees.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tidelog::server::kinesis::JsonValue;
  const std::string_view bytes = tidelog::fuzz::AsView(data, size);
  JsonValue tree;
  if (!tidelog::server::kinesis::ParseCbor(bytes, &tree)) return 0;

  std::string encoded;
  tidelog::fuzz::AppendCbor(tree, &encoded);
  JsonValue again;
  FUZZ_CHECK(tidelog::server::kinesis::ParseCbor(encoded, &again), encoded);
  FUZZ_CHECK(tidelog::fuzz::Equal(tree, again), encoded);

  tidelog::fuzz::CheckAgainstEveryShape(tree);
  return 0;
}
