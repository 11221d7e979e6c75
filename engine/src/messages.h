// AWS error message texts, in one place so every path words them alike.
// Source: the AWS texts kinesalite (mhart/kinesalite, actions/ and test/) records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tidelog/status.h"

namespace tidelog::msg {

// "Value '<value>' at '<path>' failed to satisfy constraint: Member must <rule>"
std::string Constraint(std::string_view value, std::string_view path, std::string_view rule);
// "Value null at '<path>' failed to satisfy constraint: Member must not be null"
std::string NotNull(std::string_view path);
// "N validation error(s) detected: e1; e2" (at most 10 listed).
Status Validation(const std::vector<std::string>& errors);
// "java.nio.HeapByteBuffer[pos=0 lim=N cap=N]": how AWS prints a blob.
std::string Blob(size_t size);

Status StreamNotFound(std::string_view stream, std::string_view account);
Status StreamExists(std::string_view stream, std::string_view account);
Status ShardNotFound(std::string_view shard_id, std::string_view stream, std::string_view account);
Status CouldNotFindShard(std::string_view shard_id, std::string_view stream,
                         std::string_view account);
Status ShardThrottled(std::string_view shard_id, std::string_view stream, std::string_view account);

// OK when an account holding `current` shards may gain `additional` more
// without passing `limit`; otherwise AWS's LimitExceededException naming all
// three. The sum is taken in 64 bits, so no int32 count from a request can
// overflow it.
Status CheckShardLimit(std::string_view account, std::string_view region, int64_t current,
                       int64_t limit, int64_t additional);

// ---- AWS-fidelity additions (UpdateShardCount, shard ids) ----------------
// UpdateShardCount past double / below half the open shards: AWS's
// LimitExceededException, as kinesalite's test/updateShardCount.js records it:
// "UpdateShardCount cannot scale up over double your current open shard
// count. Current open shard count: N, Target shard count: T".
Status ScaleUpOverDouble(int64_t open, int64_t target);
Status ScaleDownBelowHalf(int64_t open, int64_t target);

}  // namespace tidelog::msg
