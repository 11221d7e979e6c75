// AWS error message texts.
#include "engine/src/messages.h"

namespace tidelog::msg {

std::string Constraint(std::string_view value, std::string_view path, std::string_view rule) {
  std::string s = "Value '";
  s.append(value).append("' at '").append(path).append(
      "' failed to satisfy constraint: Member must ");
  s.append(rule);
  return s;
}

std::string NotNull(std::string_view path) {
  std::string s = "Value null at '";
  s.append(path).append("' failed to satisfy constraint: Member must not be null");
  return s;
}

Status Validation(const std::vector<std::string>& errors) {
  std::string s = std::to_string(errors.size());
  s += errors.size() == 1 ? " validation error detected: " : " validation errors detected: ";
  for (size_t i = 0; i < errors.size() && i < 10; ++i) {
    if (i) s += "; ";
    s += errors[i];
  }
  return Status::Validation(std::move(s));
}

std::string Blob(size_t size) {
  std::string n = std::to_string(size);
  return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
}

Status StreamNotFound(std::string_view stream, std::string_view account) {
  std::string s = "Stream ";
  s.append(stream).append(" under account ").append(account).append(" not found.");
  return Status::NotFound(std::move(s));
}

Status StreamExists(std::string_view stream, std::string_view account) {
  std::string s = "Stream ";
  s.append(stream).append(" under account ").append(account).append(" already exists.");
  return Status::InUse(std::move(s));
}

Status ShardNotFound(std::string_view shard_id, std::string_view stream, std::string_view account) {
  std::string s = "Shard ";
  s.append(shard_id).append(" in stream ").append(stream).append(" under account ");
  s.append(account).append(" does not exist");
  return Status::NotFound(std::move(s));
}

Status CouldNotFindShard(std::string_view shard_id, std::string_view stream,
                         std::string_view account) {
  std::string s = "Could not find shard ";
  s.append(shard_id).append(" in stream ").append(stream).append(" under account ");
  s.append(account).append(".");
  return Status::NotFound(std::move(s));
}

Status ShardThrottled(std::string_view shard_id, std::string_view stream,
                      std::string_view account) {
  std::string s = "Rate exceeded for shard ";
  s.append(shard_id).append(" in stream ").append(stream).append(" under account ");
  s.append(account).append(".");
  return Status::Throttled(std::move(s));
}

Status CheckShardLimit(std::string_view account, std::string_view region, int64_t current,
                       int64_t limit, int64_t additional) {
  if (additional <= limit - current) return Status::OK();
  std::string s = "This request would exceed the shard limit for the account ";
  s.append(account).append(" in ").append(region);
  s.append(". Current shard count for the account: ").append(std::to_string(current));
  s.append(". Limit: ").append(std::to_string(limit));
  s.append(". Number of additional shards that would have resulted from this request: ");
  s.append(std::to_string(additional));
  s.append(
      ". Refer to the AWS Service Limits page "
      "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
      "limits and how to request higher limits.");
  return Status::LimitExceeded(std::move(s));
}

// ---- AWS-fidelity additions (UpdateShardCount, shard ids) ----------------

namespace {
std::string ShardCounts(int64_t open, int64_t target) {
  return "Current open shard count: " + std::to_string(open) +
         ", Target shard count: " + std::to_string(target);
}
}  // namespace

Status ScaleUpOverDouble(int64_t open, int64_t target) {
  return Status::LimitExceeded(
      "UpdateShardCount cannot scale up over double your current open shard count. " +
      ShardCounts(open, target));
}

Status ScaleDownBelowHalf(int64_t open, int64_t target) {
  return Status::LimitExceeded(
      "UpdateShardCount cannot scale down below half your current open shard count. " +
      ShardCounts(open, target));
}

}  // namespace tidelog::msg
