// GetMetricStatistics, GetMetricData and ListMetrics over MetricHistory
// (cloudwatch_operations.h).
#include "server/cloudwatch/cloudwatch_operations.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "server/cloudwatch/cloudwatch_input.h"
#include "server/cloudwatch/metric_catalog.h"

namespace tidelog::server::cloudwatch {
namespace {

constexpr int64_t kRecentlyActiveMs = 3 * 3600 * 1000;  // ListMetrics RecentlyActive=PT3H
constexpr std::array<std::string_view, 5> kStatistics = {"SampleCount", "Average", "Sum", "Minimum",
                                                         "Maximum"};
constexpr std::string_view kNextTokenPrefix = "tidelog-cw1:";

// A metric named by a request: namespace, name and dimensions.
struct MetricRef {
  std::string ns;
  std::string name;
  std::vector<std::pair<std::string, std::string>> dimensions;
};

bool ReadRequiredString(const JsonValue& o, std::string_view key, std::string_view path,
                        std::string* out, CloudWatchError* error) {
  std::optional<std::string> v;
  if (!ReadString(o, key, path, &v, error)) return false;
  if (!v || v->empty()) {
    *error = Missing(path);
    return false;
  }
  *out = std::move(*v);
  return true;
}

bool ReadDimensions(const JsonValue& o, std::string_view path, bool value_required, size_t max,
                    std::vector<std::pair<std::string, std::string>>* out, CloudWatchError* error) {
  const std::vector<JsonValue>* list = nullptr;
  if (!ReadList(o, "Dimensions", path, &list, error)) return false;
  if (list->size() > max) {
    *error = InvalidValue("The collection " + std::string(path) +
                          " must not have a size greater than " + std::to_string(max) + ".");
    return false;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string at = std::string(path) + ".member." + std::to_string(i + 1);
    const JsonValue& d = (*list)[i];
    if (!d.is_object()) {
      *error = InvalidValue("The parameter " + at + " must be a structure.");
      return false;
    }
    std::string name;
    if (!ReadRequiredString(d, "Name", at + ".Name", &name, error)) return false;
    std::optional<std::string> value;
    if (!ReadString(d, "Value", at + ".Value", &value, error)) return false;
    if (value_required && (!value || value->empty())) {
      *error = Missing(at + ".Value");
      return false;
    }
    out->emplace_back(std::move(name), value.value_or(""));
  }
  return true;
}

bool ReadMetric(const JsonValue& o, std::string_view prefix, MetricRef* out,
                CloudWatchError* error) {
  const std::string p = prefix.empty() ? "" : std::string(prefix) + ".";
  return ReadRequiredString(o, "Namespace", p + "Namespace", &out->ns, error) &&
         ReadRequiredString(o, "MetricName", p + "MetricName", &out->name, error) &&
         ReadDimensions(o, p + "Dimensions", true, 30, &out->dimensions, error);
}

// The series a metric reference names, or nullopt when it names none that
// Tidelog keeps (another namespace, another dimension set, a name Kinesis
// does not publish): then the answer is no data, as CloudWatch's.
std::optional<SeriesKey> SeriesOf(const MetricRef& m, std::string_view* unit) {
  if (m.ns != kKinesisNamespace) return std::nullopt;
  std::string stream;
  std::string shard;
  for (const auto& [name, value] : m.dimensions) {
    std::string* slot = name == "StreamName" ? &stream : name == "ShardId" ? &shard : nullptr;
    if (slot == nullptr || !slot->empty()) return std::nullopt;
    *slot = value;
  }
  if (stream.empty()) return std::nullopt;
  const MetricDef* def = FindMetric(m.name, !shard.empty());
  if (def == nullptr) return std::nullopt;
  *unit = def->unit;
  return SeriesKey{m.name, stream, shard};
}

double Statistic(const Aggregate& a, std::string_view stat) {
  if (stat == "SampleCount") return a.samples;
  if (stat == "Sum") return a.sum;
  if (stat == "Minimum") return a.min;
  if (stat == "Maximum") return a.max;
  return a.samples > 0 ? a.sum / a.samples : 0;  // Average
}

bool IsStatistic(std::string_view s) {
  return std::find(kStatistics.begin(), kStatistics.end(), s) != kStatistics.end();
}

// Period: 1, 5, 10, 30 or a multiple of 60 seconds. Data is kept per minute,
// so shorter periods are answered per minute.
bool ReadPeriod(const JsonValue& o, std::string_view path, int64_t* period_ms,
                CloudWatchError* error) {
  std::optional<int64_t> period;
  if (!ReadInt(o, "Period", path, &period, error)) return false;
  if (!period) {
    *error = Missing(path);
    return false;
  }
  const int64_t p = *period;
  if (p < 1 || (p > 30 && p % 60 != 0) || (p < 60 && p != 1 && p != 5 && p != 10 && p != 30)) {
    *error = InvalidValue("The parameter " + std::string(path) +
                          " must be 1, 5, 10, 30, or a multiple of 60.");
    return false;
  }
  if (p > 365LL * 24 * 3600) {
    *error = InvalidValue("The parameter " + std::string(path) + " must be at most 31536000.");
    return false;
  }
  *period_ms = std::max<int64_t>(p, 60) * 1000;
  return true;
}

bool ReadTimeRange(const JsonValue& o, int64_t* start, int64_t* end, CloudWatchError* error) {
  std::optional<int64_t> s;
  std::optional<int64_t> e;
  if (!ReadTimestamp(o, "StartTime", "StartTime", &s, error) ||
      !ReadTimestamp(o, "EndTime", "EndTime", &e, error)) {
    return false;
  }
  if (!s) {
    *error = Missing("StartTime");
    return false;
  }
  if (!e) {
    *error = Missing("EndTime");
    return false;
  }
  if (*s >= *e) {
    *error = InvalidValue("The parameter StartTime must be less than the parameter EndTime.");
    return false;
  }
  *start = *s;
  *end = *e;
  return true;
}

bool GetMetricStatistics(const MetricHistory& history, const JsonValue& in, JsonValue* out,
                         CloudWatchError* error) {
  MetricRef metric;
  if (!ReadMetric(in, "", &metric, error)) return false;
  int64_t start = 0;
  int64_t end = 0;
  int64_t period_ms = 0;
  if (!ReadTimeRange(in, &start, &end, error) || !ReadPeriod(in, "Period", &period_ms, error)) {
    return false;
  }
  const std::vector<JsonValue>* stats = nullptr;
  const std::vector<JsonValue>* extended = nullptr;
  if (!ReadList(in, "Statistics", "Statistics", &stats, error) ||
      !ReadList(in, "ExtendedStatistics", "ExtendedStatistics", &extended, error)) {
    return false;
  }
  if (stats->empty() == extended->empty()) {
    *error =
        InvalidCombination("Must specify either Statistics or ExtendedStatistics, but not both.");
    return false;
  }
  if (!extended->empty()) {
    *error = InvalidValue(
        "The parameter ExtendedStatistics is not supported by this server: Tidelog keeps "
        "SampleCount, Average, Sum, Minimum and Maximum per minute, not percentiles.");
    return false;
  }
  if (stats->size() > 5) {
    *error = InvalidValue("The collection Statistics must not have a size greater than 5.");
    return false;
  }
  std::vector<std::string> wanted;
  for (size_t i = 0; i < stats->size(); ++i) {
    const JsonValue& s = (*stats)[i];
    if (!s.is_string() || !IsStatistic(s.string)) {
      *error = InvalidValue("The parameter Statistics.member." + std::to_string(i + 1) +
                            " must be a value in the set [ Average, Sum, SampleCount, Maximum, "
                            "Minimum ].");
      return false;
    }
    wanted.push_back(s.string);
  }
  std::optional<std::string> unit;
  if (!ReadString(in, "Unit", "Unit", &unit, error)) return false;
  // end > start, both within years 1..9999: the difference cannot overflow.
  const int64_t requested = (end - start + period_ms - 1) / period_ms;
  if (requested > kMaxDatapointsPerStatistics) {
    *error = InvalidCombination("You have requested up to " + std::to_string(requested) +
                                " datapoints, which exceeds the limit of 1440. You may reduce the "
                                "datapoints requested by increasing Period, or decreasing the time "
                                "range.");
    return false;
  }
  *out = Object();
  Member(out, "Label", Text(metric.name));
  JsonValue& points = Member(out, "Datapoints", Array());
  std::string_view metric_unit;
  const std::optional<SeriesKey> key = SeriesOf(metric, &metric_unit);
  if (!key || (unit && *unit != metric_unit)) return true;
  for (const TimedAggregate& t : history.Query(*key, start, end, period_ms)) {
    JsonValue& p = Push(&points, Object());
    Member(&p, "Timestamp", Timestamp(t.start_ms));
    for (const std::string& stat : wanted) Member(&p, stat, Number(Statistic(t.value, stat)));
    Member(&p, "Unit", Text(metric_unit));
  }
  return true;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

struct DataQuery {
  std::string id;
  std::string label;
  bool return_data = true;
  std::vector<TimedAggregate> points;
  std::string stat;
};

bool ParseNextToken(const std::optional<std::string>& token, int64_t* offset,
                    CloudWatchError* error) {
  *offset = 0;
  if (!token) return true;
  std::string_view t = *token;
  bool ok = t.substr(0, kNextTokenPrefix.size()) == kNextTokenPrefix;
  if (ok) {
    t.remove_prefix(kNextTokenPrefix.size());
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *offset);
    ok = !t.empty() && ec == std::errc() && p == t.data() + t.size() && *offset >= 0;
  }
  if (!ok) {
    *error = {"InvalidNextToken", "InvalidNextToken", "The service couldn't process the NextToken.",
              400, true};
  }
  return ok;
}

bool GetMetricData(const MetricHistory& history, const JsonValue& in, JsonValue* out,
                   CloudWatchError* error) {
  const std::vector<JsonValue>* queries = nullptr;
  if (!ReadList(in, "MetricDataQueries", "MetricDataQueries", &queries, error)) return false;
  if (queries->empty()) {
    *error = Missing("MetricDataQueries");
    return false;
  }
  if (queries->size() > kMaxMetricDataQueries) {
    *error =
        InvalidValue("The collection MetricDataQueries must not have a size greater than 500.");
    return false;
  }
  int64_t start = 0;
  int64_t end = 0;
  if (!ReadTimeRange(in, &start, &end, error)) return false;
  std::optional<std::string> scan_by;
  std::optional<int64_t> max_points;
  std::optional<std::string> next_token;
  if (!ReadString(in, "ScanBy", "ScanBy", &scan_by, error) ||
      !ReadInt(in, "MaxDatapoints", "MaxDatapoints", &max_points, error) ||
      !ReadString(in, "NextToken", "NextToken", &next_token, error)) {
    return false;
  }
  if (scan_by && *scan_by != "TimestampDescending" && *scan_by != "TimestampAscending") {
    *error = InvalidValue(
        "The parameter ScanBy must be a value in the set [ TimestampDescending, "
        "TimestampAscending ].");
    return false;
  }
  if (max_points && *max_points < 1) {
    *error = InvalidValue("The parameter MaxDatapoints must be greater than 0.");
    return false;
  }
  int64_t offset = 0;
  if (!ParseNextToken(next_token, &offset, error)) return false;
  const bool descending = !scan_by || *scan_by == "TimestampDescending";

  std::vector<DataQuery> parsed;
  std::set<std::string> ids;
  for (size_t i = 0; i < queries->size(); ++i) {
    const std::string at = "MetricDataQueries.member." + std::to_string(i + 1);
    const JsonValue& q = (*queries)[i];
    if (!q.is_object()) {
      *error = InvalidValue("The parameter " + at + " must be a structure.");
      return false;
    }
    DataQuery& d = parsed.emplace_back();
    if (!ReadRequiredString(q, "Id", at + ".Id", &d.id, error)) return false;
    if (!ValidId(d.id) || d.id.size() > 255) {
      *error = InvalidValue("The value " + d.id + " for parameter " + at +
                            ".Id is not valid: it must start with a lowercase letter and contain "
                            "only letters, digits and underscores.");
      return false;
    }
    if (!ids.insert(d.id).second) {
      *error = InvalidValue("The values for parameter id in MetricDataQueries are not unique.");
      return false;
    }
    std::optional<std::string> label;
    std::optional<bool> return_data;
    std::optional<std::string> expression;
    if (!ReadString(q, "Label", at + ".Label", &label, error) ||
        !ReadBool(q, "ReturnData", at + ".ReturnData", &return_data, error) ||
        !ReadString(q, "Expression", at + ".Expression", &expression, error)) {
      return false;
    }
    d.return_data = return_data.value_or(true);
    const JsonValue* stat = Field(q, "MetricStat");
    if (expression && stat != nullptr) {
      *error = InvalidCombination("The parameters " + at + ".Expression and " + at +
                                  ".MetricStat are mutually exclusive.");
      return false;
    }
    if (expression) {
      *error = InvalidValue("The parameter " + at +
                            ".Expression is not supported by this server: Tidelog answers "
                            "MetricStat queries, not metric math.");
      return false;
    }
    if (stat == nullptr || !stat->is_object()) {
      *error = Missing(at + ".MetricStat");
      return false;
    }
    const JsonValue* metric_node = Field(*stat, "Metric");
    if (metric_node == nullptr || !metric_node->is_object()) {
      *error = Missing(at + ".MetricStat.Metric");
      return false;
    }
    MetricRef metric;
    int64_t period_ms = 0;
    std::optional<std::string> unit;
    if (!ReadMetric(*metric_node, at + ".MetricStat.Metric", &metric, error) ||
        !ReadPeriod(*stat, at + ".MetricStat.Period", &period_ms, error) ||
        !ReadRequiredString(*stat, "Stat", at + ".MetricStat.Stat", &d.stat, error) ||
        !ReadString(*stat, "Unit", at + ".MetricStat.Unit", &unit, error)) {
      return false;
    }
    if (!IsStatistic(d.stat)) {
      *error = InvalidValue("The parameter " + at +
                            ".MetricStat.Stat must be one of SampleCount, "
                            "Average, Sum, Minimum, Maximum (Tidelog keeps no percentiles).");
      return false;
    }
    d.label = label.value_or(metric.name);
    std::string_view metric_unit;
    const std::optional<SeriesKey> key = SeriesOf(metric, &metric_unit);
    if (key && (!unit || *unit == metric_unit)) {
      d.points = history.Query(*key, start, end, period_ms);
      if (descending) std::reverse(d.points.begin(), d.points.end());
    }
  }

  // Pages cut the concatenation of every returned query's datapoints.
  const int64_t page = max_points.value_or(kDefaultMaxDatapoints);
  int64_t position = 0;  // datapoints before the current query's
  *out = Object();
  JsonValue& results = Member(out, "MetricDataResults", Array());
  for (const DataQuery& d : parsed) {
    if (!d.return_data) continue;
    JsonValue& r = Push(&results, Object());
    Member(&r, "Id", Text(d.id));
    Member(&r, "Label", Text(d.label));
    JsonValue& stamps = Member(&r, "Timestamps", Array());
    JsonValue& values = Member(&r, "Values", Array());
    const auto n = static_cast<int64_t>(d.points.size());
    const int64_t from = std::clamp<int64_t>(offset - position, 0, n);
    const int64_t to = std::clamp<int64_t>(offset + page - position, 0, n);
    for (int64_t i = from; i < to; ++i) {
      Push(&stamps, Timestamp(d.points[i].start_ms));
      Push(&values, Number(Statistic(d.points[i].value, d.stat)));
    }
    Member(&r, "StatusCode", Text(to < n ? "PartialData" : "Complete"));
    position += n;
  }
  if (offset + page < position) {
    Member(out, "NextToken", Text(std::string(kNextTokenPrefix) + std::to_string(offset + page)));
  }
  Member(out, "Messages", Array());
  return true;
}

bool ListMetrics(const MetricHistory& history, const JsonValue& in, int64_t now_ms, JsonValue* out,
                 CloudWatchError* error) {
  std::optional<std::string> ns;
  std::optional<std::string> name;
  std::optional<std::string> recently;
  std::optional<std::string> next_token;
  std::vector<std::pair<std::string, std::string>> filters;
  if (!ReadString(in, "Namespace", "Namespace", &ns, error) ||
      !ReadString(in, "MetricName", "MetricName", &name, error) ||
      !ReadString(in, "RecentlyActive", "RecentlyActive", &recently, error) ||
      !ReadString(in, "NextToken", "NextToken", &next_token, error) ||
      !ReadDimensions(in, "Dimensions", false, 10, &filters, error)) {
    return false;
  }
  if (recently && *recently != "PT3H") {
    *error = InvalidValue("The parameter RecentlyActive must be a value in the set [ PT3H ].");
    return false;
  }
  int64_t offset = 0;
  if (!ParseNextToken(next_token, &offset, error)) return false;
  *out = Object();
  JsonValue& metrics = Member(out, "Metrics", Array());
  if (ns && *ns != kKinesisNamespace) return true;
  int64_t index = 0;
  for (const SeriesInfo& s : history.List()) {
    if (name && *name != s.key.metric) continue;
    if (recently && s.last_active_ms < now_ms - kRecentlyActiveMs) continue;
    const bool matches = std::all_of(filters.begin(), filters.end(), [&](const auto& f) {
      const std::string* value = f.first == "StreamName"                        ? &s.key.stream
                                 : f.first == "ShardId" && !s.key.shard.empty() ? &s.key.shard
                                                                                : nullptr;
      return value != nullptr && (f.second.empty() || f.second == *value);
    });
    if (!matches) continue;
    if (index++ < offset) continue;
    if (static_cast<int64_t>(metrics.array.size()) == static_cast<int64_t>(kListMetricsPageSize)) {
      Member(out, "NextToken", Text(std::string(kNextTokenPrefix) + std::to_string(index - 1)));
      break;
    }
    JsonValue& m = Push(&metrics, Object());
    Member(&m, "Namespace", Text(kKinesisNamespace));
    Member(&m, "MetricName", Text(s.key.metric));
    JsonValue& dims = Member(&m, "Dimensions", Array());
    JsonValue& stream = Push(&dims, Object());
    Member(&stream, "Name", Text("StreamName"));
    Member(&stream, "Value", Text(s.key.stream));
    if (!s.key.shard.empty()) {
      JsonValue& shard = Push(&dims, Object());
      Member(&shard, "Name", Text("ShardId"));
      Member(&shard, "Value", Text(s.key.shard));
    }
  }
  return true;
}

}  // namespace

bool RunOperation(const MetricHistory& history, std::string_view operation, const JsonValue& input,
                  int64_t now_ms, JsonValue* output, CloudWatchError* error) {
  if (operation == "GetMetricStatistics") return GetMetricStatistics(history, input, output, error);
  if (operation == "GetMetricData") return GetMetricData(history, input, output, error);
  if (operation == "ListMetrics") return ListMetrics(history, input, now_ms, output, error);
  if (operation.empty()) {
    *error = {"MissingAction", "", "The request must contain the parameter Action.", 400, true};
  } else {
    *error = {"InvalidAction", "",
              "The action " + std::string(operation) +
                  " is not valid for this web service (Tidelog serves GetMetricStatistics, "
                  "GetMetricData and ListMetrics).",
              400, true};
  }
  return false;
}

}  // namespace tidelog::server::cloudwatch
