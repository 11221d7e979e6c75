// IteratorCodec: FlatBuffers + truncated HMAC-SHA256 + base64.
#include "engine/src/iterator_token.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "engine/src/iterator_token_generated.h"
#include "tidelog/base64.h"

namespace tidelog {
namespace {

constexpr size_t kMacSize = 16;

void Mac(const std::string& key, const uint8_t* data, size_t n, unsigned char out[32]) {
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, n, out, &len);
}

}  // namespace

std::string IteratorCodec::Encode(const IteratorPosition& pos) const {
  flatbuffers::FlatBufferBuilder fbb(64);
  fbb.Finish(
      fb::CreateIteratorToken(fbb, pos.stream_uid, pos.shard_uid, pos.after_seq, pos.created_ms));
  std::string raw(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  unsigned char mac[32];
  Mac(key_, fbb.GetBufferPointer(), fbb.GetSize(), mac);
  raw.append(reinterpret_cast<const char*>(mac), kMacSize);
  return Base64Encode(raw);
}

bool IteratorCodec::Decode(std::string_view token, IteratorPosition* pos) const {
  if (token.empty() || token.size() > 512) return false;
  std::string raw;
  if (!Base64Decode(token, &raw) || raw.size() <= kMacSize) return false;
  const size_t n = raw.size() - kMacSize;
  const auto* data = reinterpret_cast<const uint8_t*>(raw.data());
  unsigned char mac[32];
  Mac(key_, data, n, mac);
  if (CRYPTO_memcmp(mac, raw.data() + n, kMacSize) != 0) return false;
  flatbuffers::Verifier verifier(data, n);
  if (!fb::VerifyIteratorTokenBuffer(verifier)) return false;
  const fb::IteratorToken* t = fb::GetIteratorToken(data);
  // Every token Encode made holds a clock reading; refusing anything else
  // keeps `now - created_ms` in the callers free of overflow.
  if (t->created_ms() < 0) return false;
  pos->stream_uid = t->stream_uid();
  pos->shard_uid = t->shard_uid();
  pos->after_seq = t->after_seq();
  pos->created_ms = t->created_ms();
  return true;
}

}  // namespace tidelog
