// The resource-policy and account-settings operations over the service:
// request checks, AWS's response shapes and errors.
#include <gtest/gtest.h>

#include <string>

#include "kinesis_service_fixture.h"

namespace tidelog::server::testing {
namespace {

class ResourceOperationsTest : public KinesisServiceFixture {
 protected:
  std::string Arn(const std::string& stream) { return engine_->StreamArn(stream); }
  std::string Body(const std::string& arn) { return R"({"ResourceARN":")" + arn + R"("})"; }
  std::string PutBody(const std::string& arn, const std::string& policy) {
    JsonQuote q;
    return R"({"ResourceARN":")" + arn + R"(","Policy":)" + q(policy) + "}";
  }
  struct JsonQuote {
    std::string operator()(const std::string& s) {
      std::string r = "\"";
      for (char c : s) {
        if (c == '"' || c == '\\') r += '\\';
        r += c;
      }
      return r + "\"";
    }
  };
};

constexpr char kPolicy[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},)"
    R"("Action":"kinesis:PutRecord","Resource":"*"}]})";

TEST_F(ResourceOperationsTest, StreamPolicyRoundTrip) {
  CreateStream("s", 1);
  Answer a = Call("GetResourcePolicy", Body(Arn("s")));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, R"({"Policy":"{}"})");

  a = Call("PutResourcePolicy", PutBody(Arn("s"), kPolicy));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "");
  a = Call("GetResourcePolicy", Body(Arn("s")));
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_NE(a.json.Find("Policy"), nullptr);
  EXPECT_EQ(a.json.Find("Policy")->string, kPolicy);

  a = Call("DeleteResourcePolicy", Body(Arn("s")));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(Call("GetResourcePolicy", Body(Arn("s"))).body, R"({"Policy":"{}"})");
}

TEST_F(ResourceOperationsTest, ConsumerPolicy) {
  CreateStream("s", 1);
  Answer reg =
      Call("RegisterStreamConsumer", R"({"StreamARN":")" + Arn("s") + R"(","ConsumerName":"c"})");
  ASSERT_EQ(reg.status, 200) << reg.body;
  const std::string consumer = reg.json.Find("Consumer")->Find("ConsumerARN")->string;
  ASSERT_EQ(Call("PutResourcePolicy", PutBody(consumer, kPolicy)).status, 200);
  EXPECT_EQ(Call("GetResourcePolicy", Body(consumer)).json.Find("Policy")->string, kPolicy);
  EXPECT_EQ(Call("GetResourcePolicy", Body(Arn("s"))).body, R"({"Policy":"{}"})");
}

TEST_F(ResourceOperationsTest, PolicyMustBeAJsonObject) {
  CreateStream("s", 1);
  for (const char* bad : {"", "not json", "{\"a\":", "[]", "\"x\""}) {
    SCOPED_TRACE(bad);
    Answer a = Call("PutResourcePolicy", PutBody(Arn("s"), bad));
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.type, "InvalidArgumentException");
    EXPECT_EQ(a.message, "Policy is not a valid JSON document.");
  }
  EXPECT_EQ(Call("GetResourcePolicy", Body(Arn("s"))).body, R"({"Policy":"{}"})");
}

TEST_F(ResourceOperationsTest, UnknownAndMalformedResources) {
  for (const char* op : {"GetResourcePolicy", "DeleteResourcePolicy"}) {
    SCOPED_TRACE(op);
    Answer a = Call(op, Body(Arn("missing")));
    EXPECT_EQ(a.type, "ResourceNotFoundException");
    EXPECT_EQ(a.message, "Stream missing under account 000000000000 not found.");
  }
  Answer a = Call("PutResourcePolicy", PutBody(Arn("missing"), kPolicy));
  EXPECT_EQ(a.type, "ResourceNotFoundException");
  // Not a Kinesis ARN: the model's pattern check.
  a = Call("GetResourcePolicy", Body("arn:aws:sqs:us-east-1:000000000000:q"));
  EXPECT_EQ(a.type, "ValidationException");
  a = Call("PutResourcePolicy", Body(Arn("missing")));
  EXPECT_EQ(a.type, "ValidationException");  // Policy is required
}

TEST_F(ResourceOperationsTest, AccountSettings) {
  Answer a = Call("DescribeAccountSettings", "{}");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, R"({"MinimumThroughputBillingCommitment":{"Status":"DISABLED"}})");

  a = Call("UpdateAccountSettings",
           R"({"MinimumThroughputBillingCommitment":{"Status":"ENABLED"}})");
  ASSERT_EQ(a.status, 200) << a.body;
  const kinesis::JsonValue* c = a.json.Find("MinimumThroughputBillingCommitment");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Find("Status")->string, "ENABLED");
  ASSERT_NE(c->Find("StartedAt"), nullptr);
  ASSERT_NE(c->Find("EarliestAllowedEndAt"), nullptr);
  EXPECT_NEAR(c->Find("EarliestAllowedEndAt")->number - c->Find("StartedAt")->number, 86400, 1e-6);
  EXPECT_EQ(c->Find("EndedAt"), nullptr);

  a = Call("UpdateAccountSettings",
           R"({"MinimumThroughputBillingCommitment":{"Status":"DISABLED"}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json.Find("MinimumThroughputBillingCommitment")->Find("Status")->string,
            "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
  a = Call("DescribeAccountSettings", "{}");
  EXPECT_EQ(a.json.Find("MinimumThroughputBillingCommitment")->Find("Status")->string,
            "ENABLED_UNTIL_EARLIEST_ALLOWED_END");

  EXPECT_EQ(Call("UpdateAccountSettings", "{}").type, "ValidationException");
  EXPECT_EQ(
      Call(
          "UpdateAccountSettings",
          R"({"MinimumThroughputBillingCommitment":{"Status":"ENABLED_UNTIL_EARLIEST_ALLOWED_END"}})")
          .type,
      "ValidationException");
  EXPECT_EQ(Call("UpdateAccountSettings", R"({"MinimumThroughputBillingCommitment":{}})").type,
            "ValidationException");
}

}  // namespace
}  // namespace tidelog::server::testing
