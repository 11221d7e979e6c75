// Fuzz target: client-supplied shard iterator tokens (engine/src/iterator_token.cc).
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/src/iterator_token.h"
#include "tests/fuzz/fuzz_util.h"
#include "tidelog/base64.h"

namespace {

using tidelog::IteratorCodec;
using tidelog::IteratorPosition;

const std::string& Key() {
  static const std::string key(32, '\x5a');
  return key;
}

bool Same(const IteratorPosition& a, const IteratorPosition& b) {
  return a.stream_uid == b.stream_uid && a.shard_uid == b.shard_uid && a.after_seq == b.after_seq &&
         a.created_ms == b.created_ms;
}

// A token around arbitrary FlatBuffers bytes, signed with the codec's key the
// way Encode signs (base64(bytes || HMAC-SHA256(key, bytes)[0..16))), so that
// fuzzed bytes get past the MAC to the verifier.
std::string Signed(std::string_view flatbuffer) {
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), Key().data(), static_cast<int>(Key().size()),
       reinterpret_cast<const unsigned char*>(flatbuffer.data()), flatbuffer.size(), mac, &length);
  std::string raw(flatbuffer);
  raw.append(reinterpret_cast<const char*>(mac), 16);
  return tidelog::Base64Encode(raw);
}

}  // namespace

// Shard iterator tokens (engine/src/iterator_token.cc): base64, MAC and FlatBuffers verification of
// client-supplied ShardIterators.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const IteratorCodec codec(Key());
  const std::string_view rest = tidelog::fuzz::AsView(data + 1, size - 1);
  // Mode 0: the bytes are a token as a client sends it; 1: they are the
  // FlatBuffers payload of a correctly signed token.
  const std::string token = data[0] & 1 ? Signed(rest) : std::string(rest);

  IteratorPosition pos;
  if (codec.Decode(token, &pos)) {
    FUZZ_CHECK(pos.created_ms >= 0, token);
    IteratorPosition again;
    FUZZ_CHECK(codec.Decode(codec.Encode(pos), &again) && Same(pos, again), token);
    // The MAC covers every byte: another key refuses the token.
    static const IteratorCodec other(std::string(32, '\x5b'));
    IteratorPosition ignored;
    FUZZ_CHECK(!other.Decode(token, &ignored), token);
  }

  // Every position Encode signs decodes back (negative creation times are refused).
  FuzzedDataProvider in(data, size);
  IteratorPosition made;
  made.stream_uid = in.ConsumeIntegral<uint64_t>();
  made.shard_uid = in.ConsumeIntegral<uint64_t>();
  made.after_seq = in.ConsumeIntegral<uint64_t>();
  made.created_ms = in.ConsumeIntegral<int64_t>();
  IteratorPosition decoded;
  const bool ok = codec.Decode(codec.Encode(made), &decoded);
  FUZZ_CHECK(ok == (made.created_ms >= 0));
  FUZZ_CHECK(!ok || Same(made, decoded));
  return 0;
}
