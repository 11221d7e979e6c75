// Units for server/cloudwatch: the per-minute history, the three wire
// protocols and the operations' results and AWS errors.
#include <gtest/gtest.h>

#include <string>

#include "server/cloudwatch/cloudwatch_input.h"
#include "server/cloudwatch/cloudwatch_operations.h"
#include "server/cloudwatch/cloudwatch_wire.h"
#include "server/cloudwatch/metric_catalog.h"
#include "server/cloudwatch/metric_history.h"
#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/json_value.h"

namespace tidelog::server::cloudwatch {
namespace {

constexpr int64_t kT0 = 1'764'000'000'000;  // a minute boundary (ms)

StreamMetrics Stream(const std::string& name, uint64_t bytes, uint64_t records, uint64_t puts) {
  StreamMetrics s;
  s.stream_name = name;
  s.traffic.incoming_bytes = bytes;
  s.traffic.incoming_records = records;
  s.put_records_success = puts;
  s.put_records_successful_records = records;
  ShardMetrics& shard = s.shards.emplace_back();
  shard.shard_id = "shardId-000000000000";
  shard.traffic.incoming_bytes = bytes;
  shard.traffic.incoming_records = records;
  return s;
}

EngineMetrics Snapshot(int64_t at, std::vector<StreamMetrics> streams) {
  EngineMetrics m;
  m.collected_millis = at;
  m.streams = std::move(streams);
  return m;
}

JsonValue Json(const std::string& text) {
  JsonValue v;
  EXPECT_TRUE(kinesis::ParseJson(text, &v)) << text;
  return v;
}

class HistoryTest : public ::testing::Test {
 protected:
  HistoryTest() : history_(nullptr, MetricHistoryOptions()) {}
  // Three seconds in minute 0 (from zeros), one in minute 2.
  void Fill() {
    history_.Record(Snapshot(kT0 + 1000, {Stream("s", 0, 0, 0)}));
    history_.Record(Snapshot(kT0 + 2000, {Stream("s", 1000, 10, 2)}));
    history_.Record(Snapshot(kT0 + 3000, {Stream("s", 4000, 40, 3)}));
    history_.Record(Snapshot(kT0 + 125'000, {Stream("s", 4500, 45, 4)}));
  }
  bool Run(std::string_view op, const std::string& input, JsonValue* out, CloudWatchError* e) {
    return RunOperation(history_, op, Json(input), kT0 + 130'000, out, e);
  }
  MetricHistory history_;
};

TEST_F(HistoryTest, SecondsBecomeMinuteStatistics) {
  Fill();
  const auto points = history_.Query({"IncomingBytes", "s", ""}, kT0, kT0 + 180'000, 60'000);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].start_ms, kT0);
  EXPECT_DOUBLE_EQ(points[0].value.sum, 4000);
  EXPECT_DOUBLE_EQ(points[0].value.samples, 3);  // 2 + 1 PutRecords calls
  EXPECT_DOUBLE_EQ(points[0].value.min, 500);    // 1000 bytes over 2 calls
  EXPECT_DOUBLE_EQ(points[0].value.max, 3000);   // 3000 bytes in 1 call
  EXPECT_EQ(points[1].start_ms, kT0 + 120'000);
  EXPECT_DOUBLE_EQ(points[1].value.sum, 500);
  // A 5-minute period merges both minutes.
  const auto five = history_.Query({"IncomingBytes", "s", ""}, kT0, kT0 + 300'000, 300'000);
  ASSERT_EQ(five.size(), 1u);
  EXPECT_DOUBLE_EQ(five[0].value.sum, 4500);
  EXPECT_DOUBLE_EQ(five[0].value.samples, 4);
}

TEST_F(HistoryTest, ShardSeriesOnlyForEnhancedMetrics) {
  Fill();
  EXPECT_TRUE(
      history_.Query({"IncomingBytes", "s", "shardId-000000000000"}, kT0, kT0 + 600'000, 60'000)
          .empty());
  StreamMetrics a = Stream("s", 5000, 50, 5);
  StreamMetrics b = Stream("s", 5600, 56, 6);
  a.shard_level_metrics = b.shard_level_metrics = {"IncomingRecords"};
  history_.Record(Snapshot(kT0 + 200'000, {a}));
  history_.Record(Snapshot(kT0 + 201'000, {b}));
  const auto records =
      history_.Query({"IncomingRecords", "s", "shardId-000000000000"}, kT0, kT0 + 600'000, 60'000);
  ASSERT_EQ(records.size(), 1u);
  // 5 records since the previous snapshot (when the metric became enabled), then 6.
  EXPECT_DOUBLE_EQ(records[0].value.sum, 11);
  EXPECT_TRUE(
      history_.Query({"IncomingBytes", "s", "shardId-000000000000"}, kT0, kT0 + 600'000, 60'000)
          .empty());
}

TEST(MetricHistoryTest, NewStreamsCountFromZero) {
  MetricHistory history(nullptr, MetricHistoryOptions());
  history.Record(Snapshot(kT0, {Stream("new", 70, 7, 1)}));  // made and written within a second
  const auto points = history.Query({"IncomingRecords", "new", ""}, kT0, kT0 + 60'000, 60'000);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_DOUBLE_EQ(points[0].value.sum, 7);
}

TEST(MetricHistoryTest, WindowAndSeriesAreBounded) {
  MetricHistoryOptions options;
  options.history_minutes = 2;
  options.max_series = 1;
  MetricHistory history(nullptr, options);
  history.Record(Snapshot(kT0, {Stream("s", 0, 0, 0)}));
  history.Record(Snapshot(kT0 + 1000, {Stream("s", 10, 1, 1)}));
  EXPECT_EQ(history.List().size(), 1u);  // IncomingBytes only; the rest dropped
  EXPECT_GT(history.dropped_series(), 0u);
  history.Record(Snapshot(kT0 + 180'000, {Stream("s", 20, 2, 2)}));
  const auto points = history.Query({"IncomingBytes", "s", ""}, kT0, kT0 + 600'000, 60'000);
  ASSERT_EQ(points.size(), 1u);  // minute 0 left the 2-minute window
  EXPECT_EQ(points[0].start_ms, kT0 + 180'000);
}

TEST_F(HistoryTest, GetMetricStatisticsAnswersAndRefusesAsAws) {
  Fill();
  const std::string metric = R"("Namespace":"AWS/Kinesis","MetricName":"IncomingBytes",)"
                             R"("Dimensions":[{"Name":"StreamName","Value":"s"}],)";
  JsonValue out;
  CloudWatchError e;
  ASSERT_TRUE(Run("GetMetricStatistics",
                  "{" + metric +
                      R"("StartTime":1764000000,"EndTime":1764000600,"Period":60,)"
                      R"("Statistics":["Sum","SampleCount","Maximum"]})",
                  &out, &e));
  const JsonValue* points = out.Find("Datapoints");
  ASSERT_TRUE(points != nullptr && points->array.size() == 2);
  EXPECT_DOUBLE_EQ(points->array[0].Find("Sum")->number, 4000);
  EXPECT_DOUBLE_EQ(points->array[0].Find("Maximum")->number, 3000);
  EXPECT_EQ(points->array[0].Find("Unit")->string, "Bytes");
  EXPECT_EQ(points->array[0].Find("Timestamp")->millis, kT0);
  EXPECT_EQ(points->array[0].Find("Average"), nullptr);

  struct Case {
    std::string body;
    std::string code;
    std::string message_start;
  };
  const Case cases[] = {
      {"{" + metric +
           R"("StartTime":1764000600,"EndTime":1764000000,"Period":60,"Statistics":["Sum"]})",
       "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime."},
      {"{" + metric +
           R"("StartTime":1764000000,"EndTime":1764000600,"Period":61,"Statistics":["Sum"]})",
       "InvalidParameterValue", "The parameter Period must be 1, 5, 10, 30, or a multiple of 60."},
      {"{" + metric + R"("StartTime":0,"EndTime":86460,"Period":60,"Statistics":["Sum"]})",
       "InvalidParameterCombination", "You have requested up to 1441 datapoints"},
      {"{" + metric + R"("StartTime":0,"EndTime":60,"Period":60})", "InvalidParameterCombination",
       "Must specify either Statistics or ExtendedStatistics"},
      {"{" + metric + R"("StartTime":0,"EndTime":60,"Period":60,"Statistics":["Median"]})",
       "InvalidParameterValue", "The parameter Statistics.member.1 must be a value in the set"},
      {R"({"MetricName":"IncomingBytes","StartTime":0,"EndTime":60,"Period":60,"Statistics":["Sum"]})",
       "MissingParameter", "The parameter Namespace is required."},
      {"{" + metric + R"("StartTime":1e300,"EndTime":60,"Period":60,"Statistics":["Sum"]})",
       "InvalidParameterValue", "The parameter StartTime must be a timestamp"},
  };
  for (const Case& c : cases) {
    CloudWatchError error;
    EXPECT_FALSE(Run("GetMetricStatistics", c.body, &out, &error)) << c.body;
    EXPECT_EQ(error.code, c.code) << c.body;
    EXPECT_EQ(error.message.substr(0, c.message_start.size()), c.message_start) << error.message;
  }
  // Another namespace, dimension set or unit: no datapoints, no error.
  ASSERT_TRUE(Run("GetMetricStatistics",
                  "{" + metric +
                      R"("StartTime":1764000000,"EndTime":1764000600,"Period":60,)"
                      R"("Statistics":["Sum"],"Unit":"Count"})",
                  &out, &e));
  EXPECT_TRUE(out.Find("Datapoints")->array.empty());
}

TEST_F(HistoryTest, GetMetricDataPagesNewestFirst) {
  Fill();
  const std::string query =
      R"({"MetricDataQueries":[{"Id":"bytes","MetricStat":{"Metric":{"Namespace":"AWS/Kinesis",)"
      R"("MetricName":"IncomingRecords","Dimensions":[{"Name":"StreamName","Value":"s"}]},)"
      R"("Period":60,"Stat":"Sum"}}],"StartTime":1764000000,"EndTime":1764000600,)"
      R"("MaxDatapoints":1)";
  JsonValue out;
  CloudWatchError e;
  ASSERT_TRUE(Run("GetMetricData", query + "}", &out, &e)) << e.message;
  const JsonValue& r = out.Find("MetricDataResults")->array.at(0);
  EXPECT_EQ(r.Find("Label")->string, "IncomingRecords");
  ASSERT_EQ(r.Find("Values")->array.size(), 1u);
  EXPECT_DOUBLE_EQ(r.Find("Values")->array[0].number, 5);  // the newest minute first
  EXPECT_EQ(r.Find("StatusCode")->string, "PartialData");
  const JsonValue* token = out.Find("NextToken");
  ASSERT_NE(token, nullptr);
  ASSERT_TRUE(Run("GetMetricData", query + R"(,"NextToken":")" + token->string + "\"}", &out, &e));
  const JsonValue& r2 = out.Find("MetricDataResults")->array.at(0);
  EXPECT_DOUBLE_EQ(r2.Find("Values")->array.at(0).number, 40);
  EXPECT_EQ(r2.Find("StatusCode")->string, "Complete");
  EXPECT_EQ(out.Find("NextToken"), nullptr);

  CloudWatchError error;
  EXPECT_FALSE(Run("GetMetricData", query + R"(,"NextToken":"bogus"})", &out, &error));
  EXPECT_EQ(error.code, "InvalidNextToken");
  const std::string math =
      R"js({"MetricDataQueries":[{"Id":"m","Expression":"SUM(m)"}],"StartTime":0,"EndTime":60})js";
  EXPECT_FALSE(Run("GetMetricData", math, &out, &error));
  EXPECT_EQ(error.code, "InvalidParameterValue");
}

TEST_F(HistoryTest, ListMetricsFiltersAndPages) {
  Fill();
  JsonValue out;
  CloudWatchError e;
  ASSERT_TRUE(
      Run("ListMetrics", R"({"Namespace":"AWS/Kinesis","MetricName":"IncomingBytes"})", &out, &e));
  ASSERT_EQ(out.Find("Metrics")->array.size(), 1u);
  const JsonValue& m = out.Find("Metrics")->array[0];
  EXPECT_EQ(m.Find("Dimensions")->array.at(0).Find("Value")->string, "s");
  ASSERT_TRUE(Run("ListMetrics", R"({"Dimensions":[{"Name":"ShardId"}]})", &out, &e));
  EXPECT_TRUE(out.Find("Metrics")->array.empty());
  ASSERT_TRUE(Run("ListMetrics", R"({"Namespace":"AWS/EC2"})", &out, &e));
  EXPECT_TRUE(out.Find("Metrics")->array.empty());
  ASSERT_TRUE(Run("ListMetrics", R"({"RecentlyActive":"PT3H"})", &out, &e));
  EXPECT_GE(out.Find("Metrics")->array.size(), 4u);
  CloudWatchError error;
  EXPECT_FALSE(Run("ListMetrics", R"({"RecentlyActive":"PT1H"})", &out, &error));
  EXPECT_EQ(error.code, "InvalidParameterValue");
  EXPECT_FALSE(Run("PutMetricData", "{}", &out, &error));
  EXPECT_EQ(error.code, "InvalidAction");
}

HttpRequest Head(std::string target, std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest r;
  r.method = "POST";
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}

TEST(CloudWatchWireTest, RoutesTheThreeProtocols) {
  auto cbor = RouteOf(Head("/service/GraniteServiceVersion20100801/operation/ListMetrics", {}));
  ASSERT_TRUE(cbor && cbor->protocol == Protocol::kCbor);
  EXPECT_EQ(cbor->operation, "ListMetrics");
  auto json = RouteOf(Head("/", {{"x-amz-target", "GraniteServiceVersion20100801.GetMetricData"}}));
  ASSERT_TRUE(json && json->protocol == Protocol::kJson);
  EXPECT_EQ(json->operation, "GetMetricData");
  auto query =
      RouteOf(Head("/", {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}}));
  ASSERT_TRUE(query && query->protocol == Protocol::kQuery);
  EXPECT_FALSE(RouteOf(Head("/", {{"x-amz-target", "Kinesis_20131202.ListStreams"}})));
  EXPECT_FALSE(RouteOf(Head("/", {{"content-type", "application/x-amz-json-1.1"}})));
}

TEST(CloudWatchWireTest, QueryParametersBecomeTheJsonShape) {
  Route route{Protocol::kQuery, ""};
  JsonValue in;
  CloudWatchError e;
  ASSERT_TRUE(DecodeInput(
      "Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FKinesis"
      "&Dimensions.member.1.Name=StreamName&Dimensions.member.1.Value=my+stream"
      "&Statistics.member.2=Sum&Statistics.member.1=Average&StartTime=2026-12-03T18%3A00%3A00Z",
      &route, &in, &e));
  EXPECT_EQ(route.operation, "GetMetricStatistics");
  EXPECT_EQ(in.Find("Namespace")->string, "AWS/Kinesis");
  EXPECT_EQ(in.Find("Dimensions")->array.at(0).Find("Value")->string, "my stream");
  EXPECT_EQ(in.Find("Statistics")->array.at(1).string, "Sum");
  std::optional<int64_t> start;
  ASSERT_TRUE(ReadTimestamp(in, "StartTime", "StartTime", &start, &e));
  EXPECT_EQ(*start, 1'796'320'800'000);
  EXPECT_EQ(in.Find("Version"), nullptr);
  for (const char* bad : {"Namespace=%zz", "Namespace=%4", "A.member.0=x", "A.member.1001=x",
                          "Namespace=a&Namespace=b", "A.member.1=x&A=y"}) {
    Route r{Protocol::kQuery, ""};
    EXPECT_FALSE(DecodeInput(bad, &r, &in, &e)) << bad;
    EXPECT_EQ(e.code, "MalformedQueryString");
  }
}

TEST(CloudWatchWireTest, CborTimestampsAreEpochSeconds) {
  // {"StartTime": 1(1764000000.5)}
  const std::string body =
      std::string("\xa1\x69StartTime\xc1\xfb\x41\xda\x49\x20\x40\x20\x00\x00", 21);
  Route route{Protocol::kCbor, "GetMetricData"};
  JsonValue in;
  CloudWatchError e;
  ASSERT_TRUE(DecodeInput(body, &route, &in, &e));
  std::optional<int64_t> start;
  ASSERT_TRUE(ReadTimestamp(in, "StartTime", "StartTime", &start, &e));
  EXPECT_EQ(*start, 1'764'000'000'500);
  // And the response's timestamps go back as tag 1 seconds.
  JsonValue out = Object();
  Member(&out, "T", Timestamp(1'764'000'000'000));
  const HttpResponse r = EncodeOutput(route, out, "id");
  EXPECT_EQ(r.body, std::string("\xa1\x61T\xc1\x1a\x69\x24\x81\x00", 9));
}

TEST(CloudWatchWireTest, ResponsesAndErrorsPerProtocol) {
  JsonValue out = Object();
  Member(&out, "Label", Text("a<b"));
  JsonValue& list = Member(&out, "Datapoints", Array());
  JsonValue& p = Push(&list, Object());
  Member(&p, "Timestamp", Timestamp(kT0));
  Member(&p, "Sum", Number(2.5));
  const HttpResponse xml = EncodeOutput({Protocol::kQuery, "GetMetricStatistics"}, out, "rid");
  EXPECT_NE(xml.body.find("<GetMetricStatisticsResponse xmlns=\"http://monitoring.amazonaws.com/"
                          "doc/2010-08-01/\">"),
            std::string::npos);
  EXPECT_NE(xml.body.find("<GetMetricStatisticsResult><Label>a&lt;b</Label><Datapoints><member>"
                          "<Timestamp>2025-11-24T16:00:00.000Z</Timestamp><Sum>2.5</Sum>"),
            std::string::npos);
  EXPECT_NE(xml.body.find("<RequestId>rid</RequestId>"), std::string::npos);
  const HttpResponse json = EncodeOutput({Protocol::kJson, "GetMetricStatistics"}, out, "rid");
  EXPECT_EQ(json.body, R"({"Label":"a<b","Datapoints":[{"Timestamp":1764000000,"Sum":2.5}]})");

  const CloudWatchError error = InvalidValue("bad");
  const HttpResponse qe = EncodeError(Protocol::kQuery, error, "rid");
  EXPECT_EQ(qe.status, 400);
  EXPECT_NE(qe.body.find("<Code>InvalidParameterValue</Code>"), std::string::npos);
  const HttpResponse je = EncodeError(Protocol::kJson, error, "rid");
  EXPECT_EQ(
      je.body,
      R"({"__type":"com.amazonaws.cloudwatch#InvalidParameterValueException","message":"bad"})");
  bool query_error = false;
  for (const auto& [k, v] : je.headers)
    query_error |= k == "x-amzn-query-error" && v == "InvalidParameterValue;Sender";
  EXPECT_TRUE(query_error);
}

TEST(CloudWatchWireTest, Iso8601) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseIso8601("2026-12-03T18:00:00.123456Z", &ms));
  EXPECT_EQ(ms, 1'796'320'800'123);
  ASSERT_TRUE(ParseIso8601("2026-12-03T19:00:00+01:00", &ms));
  EXPECT_EQ(ms, 1'796'320'800'000);
  EXPECT_EQ(FormatIso8601(1'796'320'800'123), "2026-12-03T18:00:00.123Z");
  for (const char* bad :
       {"2026-02-30T00:00:00Z", "2026-12-03 18:00:00Z", "2026-12-03T24:00:00Z",
        "2026-12-03T18:00:00.Z", "0000-01-01T00:00:00Z", "2026-12-03T18:00:00+1"}) {
    EXPECT_FALSE(ParseIso8601(bad, &ms)) << bad;
  }
}

}  // namespace
}  // namespace tidelog::server::cloudwatch
