// Fuzz target: the strict base64 codec (engine/src/base64.cc), decode/encode round trips.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_util.h"
#include "tidelog/base64.h"

// The strict base64 codec (engine/src/base64.cc): decode/encode round trips.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = tidelog::fuzz::AsView(data, size);

  // Decoding appends; on failure the output is left as it was.
  std::string decoded = "prefix";
  if (tidelog::Base64Decode(in, &decoded)) {
    FUZZ_CHECK(decoded.compare(0, 6, "prefix") == 0, in);
    // The decoder is strict (padding, zero pad bits), so its input is the
    // one canonical encoding of what it decoded.
    FUZZ_CHECK(tidelog::Base64Encode(std::string_view(decoded).substr(6)) == in, in);
  } else {
    FUZZ_CHECK(decoded == "prefix", in);
  }

  // Any bytes encode to the documented length and decode back.
  const std::string encoded = tidelog::Base64Encode(in);
  FUZZ_CHECK(encoded.size() == tidelog::Base64EncodedLength(size));
  std::string back;
  FUZZ_CHECK(tidelog::Base64Decode(encoded, &back) && back == in, encoded);
  return 0;
}
