// `tidelog keys [STRATEGY]` and `tidelog keys compare STRATEGY...`: how
// partition keys spread over a shard map (uniform or a live stream's).
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tools/cli/cli_context.h"
#include "tools/cli/key_distribution.h"
#include "tools/cli/kinesis_session.h"
#include "tools/cli/output.h"
#include "tools/cli/svg_chart.h"

namespace tidelog::cli {
namespace {

constexpr int kBarWidth = 40;

struct KeysFlags {
  std::string strategy = "random";
  std::vector<std::string> compare_strategies;
  int64_t count = 100000;
  uint64_t seed = 1;
  int shards = 4;
  std::string stream;
  double hot_threshold = 1.5;
  std::string plot;
  std::string date;
};

std::string TodayUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[16];
  std::strftime(text, sizeof(text), "%Y-%m-%d", &tm);
  return text;
}

std::string Percent(double fraction) { return FormatFixed(fraction * 100, 2) + "%"; }

void WriteDistributionJson(const ShardMap& map, const Distribution& d, JsonBuilder* j) {
  j->BeginObject();
  j->Key("strategy").Str(d.strategy);
  j->Key("total_keys").Int(d.total_keys);
  j->Key("distinct_keys").Int(d.distinct_keys);
  j->Key("max_over_mean").Num(d.max_over_mean);
  j->Key("min_over_mean").Num(d.min_over_mean);
  j->Key("coefficient_of_variation").Num(d.coefficient_of_variation);
  j->Key("hot_shards").Int(d.hot_shards);
  j->Key("hottest_shard").Str(d.shards[d.hottest].shard_id);
  j->Key("shards").BeginArray();
  for (size_t i = 0; i < d.shards.size(); ++i) {
    const ShardShare& s = d.shards[i];
    j->BeginObject();
    j->Key("shard_id").Str(s.shard_id);
    j->Key("starting_hash_key").Str(U128ToDecimal(map.slots()[i].range.starting_hash_key));
    j->Key("ending_hash_key").Str(U128ToDecimal(map.slots()[i].range.ending_hash_key));
    j->Key("keys").Int(s.keys);
    j->Key("share").Num(s.share);
    j->Key("expected_share").Num(s.expected_share);
    j->Key("load_ratio").Num(s.load_ratio);
    j->Key("hot").Bool(s.hot);
    j->EndObject();
  }
  j->EndArray();
  j->EndObject();
}

std::string ReportJson(const ShardMap& map, const std::string& source, const KeysFlags& flags,
                       const std::vector<Distribution>& results) {
  JsonBuilder j;
  j.BeginObject();
  j.Key("shard_map").BeginObject().Key("source").Str(source);
  j.Key("shards").Int(static_cast<int64_t>(map.slots().size())).EndObject();
  j.Key("hot_threshold").Num(flags.hot_threshold);
  j.Key("seed").Int(static_cast<int64_t>(flags.seed));
  j.Key("distributions").BeginArray();
  for (const auto& d : results) WriteDistributionJson(map, d, &j);
  j.EndArray();
  j.EndObject();
  return j.str() + "\n";
}

std::string HotWarnings(const Distribution& d, double threshold) {
  std::string out;
  for (const auto& s : d.shards) {
    if (!s.hot) continue;
    out += "warning: hot shard " + s.shard_id + " (" + d.strategy + ") gets " +
           FormatFixed(s.load_ratio, 2) + "x its share of keys (threshold " +
           FormatFixed(threshold, 2) + "x)\n";
  }
  return out;
}

std::string SingleText(const std::string& source, const KeysFlags& flags, const Distribution& d) {
  std::string out = "strategy " + d.strategy + ": " + FormatCount(d.total_keys) + " keys (" +
                    FormatCount(d.distinct_keys) + " distinct) over " +
                    std::to_string(d.shards.size()) + " shards (" + source + ")\n\n";
  TextTable table(
      {{"shard"}, {"keys", true}, {"share", true}, {"fair", true}, {"load", true}, {""}});
  int64_t max_keys = 0;
  for (const auto& s : d.shards) max_keys = std::max(max_keys, s.keys);
  for (const auto& s : d.shards) {
    table.AddRow({s.shard_id, FormatCount(s.keys), Percent(s.share), Percent(s.expected_share),
                  FormatFixed(s.load_ratio, 2) + "x",
                  Bar(static_cast<double>(s.keys), static_cast<double>(max_keys), kBarWidth) +
                      (s.hot ? " HOT" : "")});
  }
  out += table.Render();
  out += "\nmax/mean " + FormatFixed(d.max_over_mean, 3) + "  min/mean " +
         FormatFixed(d.min_over_mean, 3) + "  cv " + FormatFixed(d.coefficient_of_variation, 4) +
         "\n";
  out += HotWarnings(d, flags.hot_threshold);
  return out;
}

std::string CompareText(const std::string& source, const KeysFlags& flags,
                        const std::vector<Distribution>& results) {
  std::string out = FormatCount(results.front().total_keys) + " keys per strategy over " +
                    std::to_string(results.front().shards.size()) + " shards (" + source +
                    "), hot above " + FormatFixed(flags.hot_threshold, 2) + "x fair share\n\n";
  TextTable table({{"strategy"},
                   {"distinct", true},
                   {"max/mean", true},
                   {"min/mean", true},
                   {"cv", true},
                   {"hot", true},
                   {"hottest shard"},
                   {"hottest share", true}});
  for (const auto& d : results) {
    const ShardShare& hottest = d.shards[d.hottest];
    table.AddRow({d.strategy, FormatCount(d.distinct_keys), FormatFixed(d.max_over_mean, 3),
                  FormatFixed(d.min_over_mean, 3), FormatFixed(d.coefficient_of_variation, 4),
                  std::to_string(d.hot_shards), hottest.shard_id, Percent(hottest.share)});
  }
  out += table.Render();
  return out;
}

bool WritePlot(const std::string& path, const ShardMap& map,
               const std::vector<Distribution>& results) {
  BarChart chart;
  chart.title = results.size() == 1 ? "Partition keys per shard: " + results.front().strategy
                                    : "Partition keys per shard by strategy";
  chart.y_label = "share of keys (%)";
  for (const auto& slot : map.slots()) chart.categories.push_back(slot.shard_id);
  for (const auto& d : results) {
    BarSeries series{d.strategy, {}};
    for (const auto& s : d.shards) series.values.push_back(s.share * 100);
    chart.series.push_back(std::move(series));
  }
  // The fair share line is exact only for equal ranges; otherwise the mean.
  chart.reference_line = 100.0 / static_cast<double>(map.slots().size());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << RenderSvgBarChart(chart);
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

int RunKeys(const CliContext& context, const KeysFlags& flags, bool count_given,
            const std::vector<std::string>& strategies) {
  ShardMap map;
  std::string source = "uniform";
  if (!flags.stream.empty()) {
    std::unique_ptr<KinesisSession> session = KinesisSession::Open(context);
    if (session == nullptr) return kExitFailure;
    std::vector<ShardSlot> slots;
    if (!session->ListOpenShards(flags.stream, &slots)) return CallFailed();
    if (auto error = ShardMap::Build(std::move(slots), &map)) {
      std::fprintf(stderr, "stream %s: %s\n", flags.stream.c_str(), error->c_str());
      return kExitFailure;
    }
    source = "stream " + flags.stream;
  } else {
    map = ShardMap::Uniform(flags.shards);
  }
  const std::string date = flags.date.empty() ? TodayUtc() : flags.date;
  std::vector<Distribution> results;
  for (const auto& spec : strategies) {
    std::unique_ptr<KeyStrategy> strategy;
    if (auto error = MakeKeyStrategy(spec, flags.seed, date, &strategy)) {
      std::fprintf(stderr, "tidelog keys: %s\n", error->c_str());
      return kExitUsage;
    }
    const int64_t count =
        !count_given && strategy->NaturalCount() ? *strategy->NaturalCount() : flags.count;
    results.push_back(MeasureDistribution(map, *strategy, count, flags.hot_threshold));
  }
  if (!flags.plot.empty() && !WritePlot(flags.plot, map, results)) return kExitFailure;
  std::string text;
  if (context.json) {
    text = ReportJson(map, source, flags, results);
  } else if (results.size() == 1) {
    text = SingleText(source, flags, results.front());
  } else {
    text = CompareText(source, flags, results);
  }
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

void AddMapAndSampleOptions(CLI::App* app, KeysFlags* flags) {
  app->add_option("--count", flags->count,
                  "keys to generate (default 100000; file: its number of lines)")
      ->check(CLI::Range(int64_t{1}, kMaxKeyCount));
  app->add_option("--seed", flags->seed, "random seed: same seed, same keys")
      ->check(CLI::Validator(
          [](std::string& text) {
            uint64_t value = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            return ec == std::errc() && end == text.data() + text.size()
                       ? std::string()
                       : std::string("the seed is an integer in 0..2^64-1");
          },
          "UINT64"))
      ->capture_default_str();
  app->add_option("--shards", flags->shards, "uniform shard map of N shards, as CreateStream")
      ->check(CLI::Range(1, kMaxUniformShards))
      ->capture_default_str();
  app->add_option("--stream", flags->stream,
                  "use the open shards of this stream (ListShards on --endpoint-url)")
      ->excludes("--shards");
  app->add_option("--hot-threshold", flags->hot_threshold,
                  "a shard is hot above this multiple of its fair share")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();
  app->add_option("--plot", flags->plot, "write an SVG bar chart to FILE.svg");
  app->add_option("--date", flags->date, "date-prefix's date (default: today, UTC)");
}

}  // namespace

void AddKeysCommand(CLI::App& app, CliContext& context) {
  auto flags = std::make_shared<KeysFlags>();
  CLI::App* keys = app.add_subcommand(
      "keys", "partition-key distribution over shards (MD5 routing, as Kinesis)");
  keys->add_option("strategy", flags->strategy,
                   "random | user-mod:N | date-prefix | hash-suffix:K | file:PATH | constant")
      ->capture_default_str();
  AddMapAndSampleOptions(keys, flags.get());
  CLI::App* compare =
      keys->add_subcommand("compare", "run several strategies, one comparison table");
  compare->add_option("strategies", flags->compare_strategies, "strategies to compare")->required();
  compare->fallthrough();
  compare->callback([flags, &context, keys] {
    const bool count_given = keys->count("--count") > 0;
    context.exit_code = RunKeys(context, *flags, count_given, flags->compare_strategies);
  });
  keys->callback([flags, &context, keys, compare] {
    if (compare->parsed()) return;
    const bool count_given = keys->count("--count") > 0;
    context.exit_code = RunKeys(context, *flags, count_given, {flags->strategy});
  });
}

}  // namespace tidelog::cli
