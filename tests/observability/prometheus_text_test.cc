// PrometheusText and RenderPrometheusMetrics: escaping, cumulative histogram
// buckets in base units, shard-level series only for enabled metrics and
// bounded per scrape.
#include "server/observability/prometheus_text.h"

#include <gtest/gtest.h>

#include <string>

#include "server/observability/metrics_exporter.h"

namespace tidelog::server {
namespace {

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(PrometheusTextTest, EscapesHelpAndLabelValues) {
  PrometheusText p;
  p.Family("x_total", PrometheusText::Type::kCounter, "a \\ b\nc \"q\"");
  p.Sample("x_total", {{"l", "v\"1\\\n"}}, uint64_t{7});
  EXPECT_EQ(p.text(),
            "# HELP x_total a \\\\ b\\nc \"q\"\n"
            "# TYPE x_total counter\n"
            "x_total{l=\"v\\\"1\\\\\\n\"} 7\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeAndScaled) {
  PrometheusText p;
  p.Family("d_seconds", PrometheusText::Type::kHistogram, "h");
  p.Histogram("d_seconds", {{"op", "Put"}}, {500, 1000}, {2, 3, 1}, 6, 4000, 1e-6);
  EXPECT_EQ(p.text(),
            "# HELP d_seconds h\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{op=\"Put\",le=\"0.0005\"} 2\n"
            "d_seconds_bucket{op=\"Put\",le=\"0.001\"} 5\n"
            "d_seconds_bucket{op=\"Put\",le=\"+Inf\"} 6\n"
            "d_seconds_sum{op=\"Put\"} 0.004\n"
            "d_seconds_count{op=\"Put\"} 6\n");
}

TEST(PrometheusTextTest, ValuesRoundTrip) {
  EXPECT_EQ(FormatPrometheusValue(0.1), "0.1");
  EXPECT_EQ(FormatPrometheusValue(1e21), "1e+21");
  EXPECT_EQ(FormatPrometheusValue(1.0 / 0.0), "+Inf");
}

EngineMetrics TwoStreams(size_t shards_each) {
  EngineMetrics m;
  for (const char* name : {"plain", "watched"}) {
    StreamMetrics& s = m.streams.emplace_back();
    s.stream_name = name;
    s.traffic.incoming_records = 42;
    for (size_t i = 0; i < shards_each; ++i) {
      ShardMetrics& sh = s.shards.emplace_back();
      sh.shard_id = "shardId-" + std::to_string(i);
      sh.traffic.incoming_records = i;
      sh.iterator_age_ms = 1500;
    }
  }
  m.streams[1].shard_level_metrics = {"IncomingRecords", "IteratorAgeMilliseconds"};
  return m;
}

TEST(MetricsExporterTest, ShardSeriesOnlyForEnabledMetrics) {
  const std::string text = RenderPrometheusMetrics(TwoStreams(2), ServerFigures{3, "1.2.3"});
  EXPECT_NE(text.find("tidelog_stream_incoming_records_total{stream=\"plain\"} 42\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("tidelog_shard_incoming_records_total{stream=\"watched\",shard=\"shardId-1\"} "
                "1\n"),
      std::string::npos);
  EXPECT_NE(text.find("tidelog_shard_iterator_age_seconds{stream=\"watched\",shard=\"shardId-0\"} "
                      "1.5\n"),
            std::string::npos);
  EXPECT_EQ(text.find("stream=\"plain\",shard="), std::string::npos);
  EXPECT_EQ(text.find("tidelog_shard_incoming_bytes_total"), std::string::npos);
  EXPECT_NE(text.find("tidelog_build_info{version=\"1.2.3\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tidelog_http_open_connections 3\n"), std::string::npos);
  EXPECT_NE(text.find("tidelog_metrics_shard_series_dropped 0\n"), std::string::npos);
  // Every family is announced once.
  EXPECT_EQ(Occurrences(text, "# TYPE tidelog_shard_incoming_records_total counter\n"), 1u);
}

TEST(MetricsExporterTest, ShardSeriesAreBoundedPerScrape) {
  const std::string text = RenderPrometheusMetrics(TwoStreams(kMaxShardSeries + 5), {});
  EXPECT_EQ(Occurrences(text, "tidelog_shard_incoming_records_total{"), kMaxShardSeries);
  EXPECT_NE(text.find("tidelog_metrics_shard_series_dropped 10\n"), std::string::npos);
}

}  // namespace
}  // namespace tidelog::server
