// Conversions of the data-model value types: u128 text, routing hash, shard
// ids and the enum names used on the wire.
#include "tidelog/types.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace tidelog {

namespace {

constexpr uint64_t kTen19 = 10000000000000000000ULL;

// Exactly 19 digits, zero-padded.
char* WriteDigits19(uint64_t v, char* out) {
  char digits[20];
  const size_t n =
      static_cast<size_t>(std::to_chars(digits, digits + sizeof(digits), v).ptr - digits);
  std::memset(out, '0', 19 - n);
  std::memcpy(out + 19 - n, digits, n);
  return out + 19;
}

char* WriteU64(uint64_t v, char* out) { return std::to_chars(out, out + 20, v).ptr; }

}  // namespace

char* WriteU128Decimal(u128 v, char* out) {
  if ((v >> 64) == 0) return WriteU64(static_cast<uint64_t>(v), out);
  const u128 high = v / kTen19;
  const uint64_t low = static_cast<uint64_t>(v % kTen19);
  if ((high >> 64) == 0) {
    out = WriteU64(static_cast<uint64_t>(high), out);
  } else {
    // high < 2^128 / 10^19 < 10^20: top is at most 3.4e1 -> one or two digits.
    const uint64_t top = static_cast<uint64_t>(high / kTen19);
    const uint64_t mid = static_cast<uint64_t>(high % kTen19);
    out = WriteU64(top, out);
    out = WriteDigits19(mid, out);
  }
  return WriteDigits19(low, out);
}

std::string U128ToDecimal(u128 v) {
  char buf[kMaxU128DecimalChars];
  return std::string(buf, WriteU128Decimal(v, buf));
}

bool ParseU128Decimal(std::string_view s, u128* out) {
  if (s.empty() || s.size() > 39) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  u128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    u128 digit = static_cast<u128>(c - '0');
    if (v > (kMaxHashKey - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
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

}  // namespace tidelog
