// tidelog_client without a network: endpoint URLs, AWS error bodies, the
// AWS environment variables, and a connection failure reported, not thrown.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "tools/client/aws_environment.h"
#include "tools/client/kinesis_client.h"

namespace tidelog::client {
namespace {

TEST(EndpointTest, ParsesUrls) {
  Endpoint e;
  ASSERT_FALSE(ParseEndpointUrl("https://kinesis.us-east-1.amazonaws.com", &e));
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.host, "kinesis.us-east-1.amazonaws.com");
  EXPECT_EQ(e.port, 443);
  ASSERT_FALSE(ParseEndpointUrl("http://127.0.0.1:4567/", &e));
  EXPECT_FALSE(e.tls);
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 4567);
  ASSERT_FALSE(ParseEndpointUrl("http://[::1]:99", &e));
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 99);
  ASSERT_FALSE(ParseEndpointUrl("http://localhost", &e));
  EXPECT_EQ(e.port, 80);
  for (const char* bad :
       {"ftp://x", "127.0.0.1:4567", "http://", "http://h:0", "http://h:65536", "http://h:x",
        "http://h/path", "http://[::1", "http://h:", "http://u@h"}) {
    EXPECT_TRUE(ParseEndpointUrl(bad, &e).has_value()) << bad;
  }
}

TEST(AwsErrorTest, TypeAndMessage) {
  CallResult r;
  r.status = 400;
  r.body =
      R"({"__type":"com.amazonaws#ResourceNotFoundException","message":"Stream x not found."})";
  AwsError e = DescribeFailure(r);
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Stream x not found.");
  r.body = R"({"__type":"InvalidSignatureException","Message":"bad"})";
  EXPECT_EQ(DescribeFailure(r).message, "bad");
  r.status = 502;
  r.body = "<html>";
  EXPECT_EQ(DescribeFailure(r).type, "HTTP 502");
  r = CallResult{};
  r.error = "connect: refused";
  EXPECT_EQ(DescribeFailure(r).type, "ConnectionError");
}

TEST(AwsEnvironmentTest, CredentialsAndRegion) {
  setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
  auto c = CredentialFromEnvironment();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->session_token, "TOKEN");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_FALSE(CredentialFromEnvironment().has_value());
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SESSION_TOKEN");

  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  EXPECT_FALSE(ResolveRegion("").has_value());
  setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
  EXPECT_EQ(ResolveRegion(""), "eu-west-1");
  setenv("AWS_REGION", "us-west-2", 1);
  EXPECT_EQ(ResolveRegion(""), "us-west-2");
  EXPECT_EQ(ResolveRegion("ap-south-1"), "ap-south-1");
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  EXPECT_EQ(DefaultKinesisEndpoint("us-east-1"), "https://kinesis.us-east-1.amazonaws.com");
  EXPECT_EQ(DefaultKinesisEndpoint("cn-north-1"), "https://kinesis.cn-north-1.amazonaws.com.cn");
}

TEST(KinesisClientTest, RefusedConnectionIsAnError) {
  // Port 1 on loopback: nothing listens there in the test environment.
  KinesisClient client(Endpoint{true, "127.0.0.1", 1}, server::Credential{"a", "b", ""},
                       "us-east-1", TlsOptions{});
  CallResult r = client.Call("ListStreams", "{}");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace tidelog::client
