// Conversions of the data-model value types: u128 text, routing hash, shard
// ids and the enum names used on the wire.
#include "tidelog/types.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace tidelog {

std::string U128ToDecimal(u128 v) {
  char buf[40];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  std::reverse(buf, buf + n);
  return std::string(buf, n);
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
