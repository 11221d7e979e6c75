// Error response shape: __type / message (Message for SerializationException),
// the x-amzn-ErrorType header and HTTP status; pagination tokens.
#include "server/kinesis/errors.h"

#include <gtest/gtest.h>

#include "server/kinesis/json_value.h"
#include "server/kinesis/next_token.h"

namespace tidelog::server::kinesis {
namespace {

std::string HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<none>";
}

TEST(ErrorsTest, ErrorShape) {
  HttpResponse r = ErrorResponse("ResourceNotFoundException", "Stream \"x\" not found.");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"__type":"ResourceNotFoundException","message":"Stream \"x\" not found."})");
  EXPECT_EQ(HeaderOf(r, "x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-amz-json-1.1");
}

TEST(ErrorsTest, SerializationUsesCapitalMessage) {
  HttpResponse r = SerializationErrorResponse("Expected null");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"__type":"SerializationException","Message":"Expected null"})");
  EXPECT_EQ(SerializationErrorResponse("").body, R"({"__type":"SerializationException"})");
}

TEST(ErrorsTest, StatusMapping) {
  HttpResponse r = StatusResponse(Status::Internal("boom"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(HeaderOf(r, "x-amzn-ErrorType"), "InternalFailure");
  r = StatusResponse(Status::IoError("disk"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(HeaderOf(r, "x-amzn-ErrorType"), "InternalFailure");
  r = StatusResponse(Status::Throttled("Rate exceeded"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"})");
  r = StatusResponse(Status::DiskFull());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"__type":"ServiceUnavailable","message":"The broker's data disk is full; )"
                    R"(writes are refused until space is freed."})");
  r = StatusResponse(Status(ErrorCode::kExpiredNextToken, "old"));
  EXPECT_EQ(HeaderOf(r, "x-amzn-ErrorType"), "ExpiredNextTokenException");
}

TEST(ErrorsTest, InternalTextsGoToTheLogNeverToTheClient) {
  const std::string detail =
      "storage write failed: IO error: No space left on device: While appending to file: "
      "/srv/tidelog/data/000042.log";
  for (const Status& s : {Status::IoError(detail), Status::Internal(detail)}) {
    HttpResponse r = StatusResponse(s);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(HeaderOf(r, "x-amzn-ErrorType"), "InternalFailure");
    const std::string id = HeaderOf(r, "x-amzn-RequestId");
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(r.body, R"({"__type":"InternalFailure","message":"Internal service failure; the )"
                      R"(broker's log has the details under request id )" +
                          id + R"(."})");
    EXPECT_EQ(r.body.find("/srv"), std::string::npos);
    for (const auto& [name, value] : r.headers) EXPECT_EQ(value.find("/srv"), std::string::npos);
    EXPECT_NE(r.internal_detail.find(detail), std::string::npos);
  }
}

TEST(ErrorsTest, JsonResponse) {
  HttpResponse r = JsonResponse("");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-amz-json-1.1");
}

TEST(NextTokenTest, RoundTripsAndExpires) {
  NextToken t;
  t.kind = "ListShards";
  t.stream = "s";
  t.last = "shardId-000000000003";
  t.filter_type = "AT_TIMESTAMP";
  t.filter_timestamp_millis = 1700000000123;
  t.issued_millis = 1000;
  std::string text = EncodeNextToken(t);

  NextToken back;
  ASSERT_TRUE(DecodeNextToken(text, "ListShards", 1000 + kNextTokenTtlMillis, &back).ok());
  EXPECT_EQ(back.stream, "s");
  EXPECT_EQ(back.last, "shardId-000000000003");
  EXPECT_EQ(back.filter_type, "AT_TIMESTAMP");
  EXPECT_EQ(back.filter_timestamp_millis, 1700000000123);

  Status s = DecodeNextToken(text, "ListShards", 1001 + kNextTokenTtlMillis, &back);
  EXPECT_EQ(s.code(), ErrorCode::kExpiredNextToken);
  EXPECT_EQ(DecodeNextToken(text, "ListStreams", 1000, &back).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(DecodeNextToken("bm9wZQ==", "ListShards", 1000, &back).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(DecodeNextToken("!!", "ListShards", 1000, &back).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace tidelog::server::kinesis
