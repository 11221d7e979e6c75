// Account settings: DescribeAccountSettings and UpdateAccountSettings (the
// minimum throughput billing commitment), stored under kAccountSettingsKey.
//
// AWS's rules (API reference, MinimumThroughputBillingCommitmentInput): a
// commitment lasts at least 24 hours; disabling it earlier schedules its end
// for the earliest allowed end (ENABLED_UNTIL_EARLIEST_ALLOWED_END), and
// enabling it again before then cancels the scheduled end.
#include <string>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"

namespace tidelog {
namespace {

// A scheduled end that has passed by `now` reads as DISABLED.
AccountSettings AsOf(AccountSettings a, int64_t now) {
  if (a.commitment == CommitmentStatus::kEnabledUntilEarliestAllowedEnd &&
      a.earliest_allowed_end_millis && now >= *a.earliest_allowed_end_millis) {
    a.commitment = CommitmentStatus::kDisabled;
    a.ended_millis = a.earliest_allowed_end_millis;
  }
  return a;
}

}  // namespace

Status EngineImpl::LoadAccountSettingsLocked() {
  if (account_loaded_) return Status::OK();
  std::string v;
  rocksdb::Status rs = store_->GetMeta(kAccountSettingsKey, &v);
  if (rs.IsNotFound()) {
    account_ = AccountSettings{};
  } else if (!rs.ok()) {
    return WriteError(rs);
  } else if (!DecodeAccountSettings(v, &account_)) {
    return Status::IoError("corrupt account settings");
  }
  account_loaded_ = true;
  return Status::OK();
}

Status EngineImpl::DescribeAccountSettings(AccountSettings* settings) {
  std::lock_guard<std::mutex> lock(account_mu_);
  Status s = LoadAccountSettingsLocked();
  if (s.ok()) *settings = AsOf(account_, NowMs());
  return s;
}

Status EngineImpl::UpdateAccountSettings(bool enable, AccountSettings* settings) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::lock_guard<std::mutex> lock(account_mu_);
    Status s = LoadAccountSettingsLocked();
    if (!s.ok()) return s;
    const int64_t now = NowMs();
    AccountSettings a = AsOf(account_, now);
    if (enable) {
      if (a.commitment == CommitmentStatus::kDisabled) {
        a.started_millis = now;
        a.earliest_allowed_end_millis = now + kMinCommitmentMs;
      }
      // Enabled already, or a scheduled end cancelled: the commitment goes on.
      a.commitment = CommitmentStatus::kEnabled;
      a.ended_millis.reset();
    } else if (a.commitment != CommitmentStatus::kDisabled) {
      if (a.earliest_allowed_end_millis && now < *a.earliest_allowed_end_millis) {
        a.commitment = CommitmentStatus::kEnabledUntilEarliestAllowedEnd;
      } else {
        a.commitment = CommitmentStatus::kDisabled;
        a.ended_millis = now;
      }
    }
    batch->PutMeta(kAccountSettingsKey, EncodeAccountSettings(a));
    account_ = a;
    *settings = a;
    return Status::OK();
  });
}

}  // namespace tidelog
