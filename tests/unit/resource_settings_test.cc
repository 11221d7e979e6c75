// Resource policies (per stream ARN and consumer ARN) and account settings
// (the minimum throughput billing commitment): their rules, and that both
// survive a reopen.
#include <gtest/gtest.h>

#include <string>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr char kPolicy[] = R"({"Version":"2012-10-17","Statement":[]})";

class ResourceSettingsTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }
  std::string Policy(const std::string& arn) {
    std::string p;
    Status s = engine_->GetResourcePolicy(arn, &p);
    return s.ok() ? p : "error: " + s.ToString();
  }
};

TEST_F(ResourceSettingsTest, StreamPolicyPutGetDeleteAndReopen) {
  CreateStream("s", 1);
  const std::string arn = engine_->StreamArn("s");
  EXPECT_EQ(Policy(arn), "{}");
  ASSERT_OK(engine_->PutResourcePolicy(arn, kPolicy));
  EXPECT_EQ(Policy(arn), kPolicy);
  Reopen();
  EXPECT_EQ(Policy(arn), kPolicy);
  ASSERT_OK(engine_->DeleteResourcePolicy(arn));
  EXPECT_EQ(Policy(arn), "{}");
  ASSERT_OK(engine_->DeleteResourcePolicy(arn));  // none left: still OK
  Reopen();
  EXPECT_EQ(Policy(arn), "{}");
}

TEST_F(ResourceSettingsTest, ConsumerPolicyIsSeparateFromTheStreams) {
  CreateStream("s", 1);
  const std::string arn = engine_->StreamArn("s");
  ConsumerInfo c;
  ASSERT_OK(engine_->RegisterStreamConsumer("s", "c", &c));
  ASSERT_OK(engine_->PutResourcePolicy(c.consumer_arn, kPolicy));
  EXPECT_EQ(Policy(c.consumer_arn), kPolicy);
  EXPECT_EQ(Policy(arn), "{}");
  Reopen();
  EXPECT_EQ(Policy(c.consumer_arn), kPolicy);
  // Deregistering drops it; a consumer registered again under the name has none.
  ASSERT_OK(engine_->DeregisterStreamConsumer("s", "c", ""));
  std::string p;
  EXPECT_EQ(engine_->GetResourcePolicy(c.consumer_arn, &p).code(), ErrorCode::kResourceNotFound);
  clock_->AdvanceMillis(2000);
  ConsumerInfo again;
  ASSERT_OK(engine_->RegisterStreamConsumer("s", "c", &again));
  EXPECT_EQ(Policy(again.consumer_arn), "{}");
}

TEST_F(ResourceSettingsTest, UnknownResourcesAreNotFound) {
  const std::string arn = engine_->StreamArn("missing");
  Status s = engine_->PutResourcePolicy(arn, kPolicy);
  EXPECT_EQ(s.code(), ErrorCode::kResourceNotFound);
  EXPECT_EQ(s.message(), "Stream missing under account 000000000000 not found.");
  EXPECT_EQ(engine_->DeleteResourcePolicy(arn).code(), ErrorCode::kResourceNotFound);
  CreateStream("s", 1);
  s = engine_->PutResourcePolicy(engine_->StreamArn("s") + "/consumer/nope:1", kPolicy);
  EXPECT_EQ(s.code(), ErrorCode::kResourceNotFound);
}

TEST_F(ResourceSettingsTest, DeletingTheStreamDropsItsPolicy) {
  CreateStream("s", 1);
  const std::string arn = engine_->StreamArn("s");
  ASSERT_OK(engine_->PutResourcePolicy(arn, kPolicy));
  ASSERT_OK(engine_->DeleteStream("s", false));
  CreateStream("s", 1);
  EXPECT_EQ(Policy(arn), "{}");
}

TEST_F(ResourceSettingsTest, CommitmentLifecycle) {
  AccountSettings a;
  ASSERT_OK(engine_->DescribeAccountSettings(&a));
  EXPECT_EQ(a.commitment, CommitmentStatus::kDisabled);
  EXPECT_FALSE(a.started_millis);

  const int64_t start = kStartMicros / 1000;
  ASSERT_OK(engine_->UpdateAccountSettings(true, &a));
  EXPECT_EQ(a.commitment, CommitmentStatus::kEnabled);
  EXPECT_EQ(a.started_millis, start);
  EXPECT_EQ(a.earliest_allowed_end_millis, start + 24 * kHourMs);
  EXPECT_FALSE(a.ended_millis);

  // Disabling inside the 24 hours schedules the end; enabling cancels it.
  clock_->AdvanceMillis(kHourMs);
  ASSERT_OK(engine_->UpdateAccountSettings(false, &a));
  EXPECT_EQ(a.commitment, CommitmentStatus::kEnabledUntilEarliestAllowedEnd);
  ASSERT_OK(engine_->UpdateAccountSettings(true, &a));
  EXPECT_EQ(a.commitment, CommitmentStatus::kEnabled);
  EXPECT_EQ(a.started_millis, start);  // the same commitment
  ASSERT_OK(engine_->UpdateAccountSettings(false, &a));

  Reopen();
  ASSERT_OK(engine_->DescribeAccountSettings(&a));
  EXPECT_EQ(a.commitment, CommitmentStatus::kEnabledUntilEarliestAllowedEnd);
  EXPECT_EQ(a.started_millis, start);

  // Past the earliest end it has ended then.
  clock_->AdvanceMillis(24 * kHourMs);
  ASSERT_OK(engine_->DescribeAccountSettings(&a));
  EXPECT_EQ(a.commitment, CommitmentStatus::kDisabled);
  EXPECT_EQ(a.ended_millis, start + 24 * kHourMs);

  // A new commitment starts afresh; disabling after 24 hours ends it at once.
  ASSERT_OK(engine_->UpdateAccountSettings(true, &a));
  const int64_t second = start + 25 * kHourMs;
  EXPECT_EQ(a.started_millis, second);
  EXPECT_FALSE(a.ended_millis);
  clock_->AdvanceMillis(30 * kHourMs);
  ASSERT_OK(engine_->UpdateAccountSettings(false, &a));
  EXPECT_EQ(a.commitment, CommitmentStatus::kDisabled);
  EXPECT_EQ(a.ended_millis, second + 30 * kHourMs);
  Reopen();
  ASSERT_OK(engine_->DescribeAccountSettings(&a));
  EXPECT_EQ(a.commitment, CommitmentStatus::kDisabled);
  EXPECT_EQ(a.ended_millis, second + 30 * kHourMs);
}

}  // namespace
}  // namespace tidelog::testing
