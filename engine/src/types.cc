// Conversions of the data-model value types: u128 and sequence-number text,
// routing hash, shard ids and the enum names used on the wire.
#include "tidelog/types.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace tidelog {

namespace {

constexpr uint64_t kTen19 = 10000000000000000000ULL;

// "00" "01" ... "99": two digits per table read.
constexpr std::array<char, 200> kDigitPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// Exactly 19 digits of v < 10^19, zero-padded, written right to left.
char* WriteDigits19(uint64_t v, char* out) {
  char* p = out + 19;
  for (int i = 0; i < 9; ++i) {
    const auto pair = static_cast<size_t>(v % 100) * 2;
    v /= 100;
    p -= 2;
    std::memcpy(p, &kDigitPairs[pair], 2);
  }
  out[0] = static_cast<char>('0' + v);
  return out + 19;
}

char* WriteU64(uint64_t v, char* out) { return std::to_chars(out, out + 20, v).ptr; }

// 192-bit arithmetic on little-endian 64-bit limbs, for decimal text.
using Limbs = std::array<uint64_t, 3>;

// <hi, lo> / 10^19 for hi < 10^19, by multiplication with the precomputed
// reciprocal (Moller and Granlund, "Improved division by invariant integers",
// IEEE Trans. Computers 2011, algorithm 4): no hardware or library division.
// 10^19 has its top bit set, so it is already normalised. Stores the
// remainder in *rem.
constexpr u128 kMaxU128 = ~static_cast<u128>(0);
constexpr uint64_t kTen19Reciprocal = static_cast<uint64_t>(kMaxU128 / kTen19);  // minus 2^64
static_assert(kTen19 >> 63 == 1);

uint64_t DivTen19(uint64_t hi, uint64_t lo, uint64_t* rem) {
  u128 q = static_cast<u128>(kTen19Reciprocal) * hi;
  q += (static_cast<u128>(hi) << 64) | lo;
  uint64_t q1 = static_cast<uint64_t>(q >> 64) + 1;
  const auto q0 = static_cast<uint64_t>(q);
  uint64_t r = lo - q1 * kTen19;
  if (r > q0) {
    --q1;
    r += kTen19;
  }
  if (r >= kTen19) {
    ++q1;
    r -= kTen19;
  }
  *rem = r;
  return q1;
}

// w /= 10^19; returns the remainder.
uint64_t DivideLimbsTen19(Limbs* w) {
  uint64_t rem = 0;
  for (int i = 2; i >= 0; --i) (*w)[i] = DivTen19(rem, (*w)[i], &rem);
  return rem;
}

// Decimal text of the 192-bit w: peels 19-digit chunks off the bottom until
// the rest fits 64 bits (2^192 < 10^58: at most three chunks).
char* WriteLimbsDecimal(Limbs w, char* out) {
  uint64_t chunks[3];
  int n = 0;
  while (w[1] != 0 || w[2] != 0) chunks[n++] = DivideLimbsTen19(&w);
  out = WriteU64(w[0], out);
  while (n > 0) out = WriteDigits19(chunks[--n], out);
  return out;
}

}  // namespace

char* WriteU128Decimal(u128 v, char* out) {
  return WriteLimbsDecimal({static_cast<uint64_t>(v), static_cast<uint64_t>(v >> 64), 0}, out);
}

std::string U128ToDecimal(u128 v) {
  char buf[kMaxU128DecimalChars];
  return std::string(buf, WriteU128Decimal(v, buf));
}

namespace {

Limbs ToLimbs(const SequenceNumber& v) {
  return {static_cast<uint64_t>(v.low), static_cast<uint64_t>(v.low >> 64), v.high};
}

// w = w * m + add; false on overflow past 2^192-1.
bool MultiplyAddLimbs(Limbs* w, uint64_t m, uint64_t add) {
  uint64_t carry = add;
  for (uint64_t& limb : *w) {
    const u128 p = static_cast<u128>(limb) * m + carry;
    limb = static_cast<uint64_t>(p);
    carry = static_cast<uint64_t>(p >> 64);
  }
  return carry == 0;
}

}  // namespace

char* WriteSequenceNumberDecimal(const SequenceNumber& v, char* out) {
  return WriteLimbsDecimal(ToLimbs(v), out);
}

std::string SequenceNumberToDecimal(const SequenceNumber& v) {
  char buf[kMaxSequenceNumberDecimalChars];
  return std::string(buf, WriteSequenceNumberDecimal(v, buf));
}

bool ParseSequenceNumber(std::string_view s, SequenceNumber* out) {
  if (s.empty() || s.size() > kMaxSequenceNumberDecimalChars) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  Limbs w{0, 0, 0};
  // Chunks of up to 19 digits: w = w * 10^len + chunk.
  size_t first = s.size() % 19 == 0 ? 19 : s.size() % 19;
  for (size_t pos = 0; pos < s.size();) {
    const size_t len = pos == 0 ? first : 19;
    uint64_t chunk = 0;
    uint64_t scale = 1;
    for (size_t i = pos; i < pos + len; ++i) {
      chunk = chunk * 10 + static_cast<uint64_t>(s[i] - '0');
      scale *= 10;
    }
    if (!MultiplyAddLimbs(&w, scale, chunk)) return false;
    pos += len;
  }
  out->high = w[2];
  out->low = (static_cast<u128>(w[1]) << 64) | w[0];
  return true;
}

bool ParseU128Decimal(std::string_view s, u128* out) {
  SequenceNumber v;
  if (s.size() > kMaxU128DecimalChars || !ParseSequenceNumber(s, &v) || v.high != 0) return false;
  *out = v.low;
  return true;
}

u128 PartitionKeyHash(std::string_view partition_key) {
  // OpenSSL 3 looks the algorithm up on every EVP_Digest call; fetch it once
  // and keep one context per thread (this is on every record's path).
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  struct Ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Ctx local;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex2(local.ctx, md5, nullptr);
  EVP_DigestUpdate(local.ctx, partition_key.data(), partition_key.size());
  EVP_DigestFinal_ex(local.ctx, md, &len);
  u128 v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | md[i];
  return v;
}

std::string FormatShardId(uint32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shardId-%012u", index);
  return buf;
}

bool ParseShardId(std::string_view id, uint32_t* index) {
  constexpr std::string_view kPrefix = "shardId-";
  if (id.starts_with(kPrefix)) id.remove_prefix(kPrefix.size());
  if (id.empty() || id.size() > 20) return false;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || ptr != id.data() + id.size() || v > UINT32_MAX) return false;
  *index = static_cast<uint32_t>(v);
  return true;
}

bool ResolveShardId(std::string_view id, uint32_t* index) {
  std::string_view digits = id;
  if (const size_t dash = id.find('-'); dash != std::string_view::npos) {
    std::string_view piece = id.substr(dash + 1);
    piece = piece.substr(0, piece.find('-'));
    if (!piece.empty()) digits = piece;
  }
  if (digits.empty()) return false;
  for (char c : digits)
    if (c < '0' || c > '9') return false;
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > 10) return false;
  uint64_t v = 0;
  for (char c : digits) v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v > static_cast<uint64_t>(INT32_MAX)) return false;
  *index = static_cast<uint32_t>(v);
  return true;
}

std::string_view ToString(StreamStatus s) {
  switch (s) {
    case StreamStatus::kCreating:
      return "CREATING";
    case StreamStatus::kDeleting:
      return "DELETING";
    case StreamStatus::kActive:
      return "ACTIVE";
    case StreamStatus::kUpdating:
      return "UPDATING";
  }
  return "ACTIVE";
}

std::string_view ToString(StreamMode m) {
  return m == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED";
}

std::string_view ToString(EncryptionType e) { return e == EncryptionType::kKms ? "KMS" : "NONE"; }

std::string_view ToString(ConsumerStatus s) {
  switch (s) {
    case ConsumerStatus::kCreating:
      return "CREATING";
    case ConsumerStatus::kDeleting:
      return "DELETING";
    case ConsumerStatus::kActive:
      return "ACTIVE";
  }
  return "ACTIVE";
}

std::string_view ToString(ShardIteratorType t) {
  switch (t) {
    case ShardIteratorType::kAtSequenceNumber:
      return "AT_SEQUENCE_NUMBER";
    case ShardIteratorType::kAfterSequenceNumber:
      return "AFTER_SEQUENCE_NUMBER";
    case ShardIteratorType::kTrimHorizon:
      return "TRIM_HORIZON";
    case ShardIteratorType::kLatest:
      return "LATEST";
    case ShardIteratorType::kAtTimestamp:
      return "AT_TIMESTAMP";
  }
  return "LATEST";
}

bool ParseStreamMode(std::string_view s, StreamMode* out) {
  if (s == "PROVISIONED")
    *out = StreamMode::kProvisioned;
  else if (s == "ON_DEMAND")
    *out = StreamMode::kOnDemand;
  else
    return false;
  return true;
}

bool ParseEncryptionType(std::string_view s, EncryptionType* out) {
  if (s == "NONE")
    *out = EncryptionType::kNone;
  else if (s == "KMS")
    *out = EncryptionType::kKms;
  else
    return false;
  return true;
}

bool ParseShardIteratorType(std::string_view s, ShardIteratorType* out) {
  for (auto t : {ShardIteratorType::kAtSequenceNumber, ShardIteratorType::kAfterSequenceNumber,
                 ShardIteratorType::kTrimHorizon, ShardIteratorType::kLatest,
                 ShardIteratorType::kAtTimestamp}) {
    if (s == ToString(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

bool ParseShardFilterType(std::string_view s, ShardFilterType* out) {
  static constexpr std::pair<std::string_view, ShardFilterType> kNames[] = {
      {"AFTER_SHARD_ID", ShardFilterType::kAfterShardId},
      {"AT_TRIM_HORIZON", ShardFilterType::kAtTrimHorizon},
      {"FROM_TRIM_HORIZON", ShardFilterType::kFromTrimHorizon},
      {"AT_LATEST", ShardFilterType::kAtLatest},
      {"AT_TIMESTAMP", ShardFilterType::kAtTimestamp},
      {"FROM_TIMESTAMP", ShardFilterType::kFromTimestamp},
  };
  for (const auto& [name, type] : kNames) {
    if (s == name) {
      *out = type;
      return true;
    }
  }
  return false;
}

std::vector<HashKeyRange> UniformHashKeyRanges(uint32_t n) {
  std::vector<HashKeyRange> ranges;
  if (n == 0) return ranges;
  const u128 count = n;
  // floor(2^128 / n) without 2^128: floor((2^128 - 1) / n), plus one when n
  // divides 2^128 exactly (a power of two).
  const u128 step = kMaxHashKey / count + (kMaxHashKey % count + 1 == count ? 1 : 0);
  ranges.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    const u128 start = step * static_cast<u128>(i);
    ranges.push_back({start, i + 1 == n ? kMaxHashKey : start + step - 1});
  }
  return ranges;
}

}  // namespace tidelog
