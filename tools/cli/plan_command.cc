// `tidelog plan`: the shard calculator's flags and its table / JSON output.
#include <cmath>
#include <cstdio>
#include <string>

#include "tools/cli/cli_context.h"
#include "tools/cli/output.h"
#include "tools/cli/shard_plan.h"

namespace tidelog::cli {
namespace {

struct PlanFlags {
  double write_mibps = 0;
  double records_per_sec = 0;
  double record_bytes = 0;
  std::string fan_out = "classic";
  PlanInput input;
  double shard_hour = 0, put_units = 0, efo_shard_hour = 0, efo_gb = 0;
};

std::string Amount(double value, const std::string& unit) {
  if (unit == "records/s") return FormatCount(std::llround(value)) + " " + unit;
  const int decimals = value >= 100 ? 1 : (value >= 1 ? 2 : 3);
  return FormatFixed(value, decimals) + " " + unit;
}

std::string PlanJson(const PlanInput& in, const PlanResult& r) {
  JsonBuilder j;
  j.BeginObject();
  j.Key("shards").Int(r.shards);
  j.Key("binding").Str(r.binding);
  j.Key("headroom_pct").Num(in.headroom_pct);
  j.Key("fan_out").Str(in.fan_out == FanOut::kClassic ? "classic" : "enhanced");
  j.Key("readers").Int(in.readers);
  j.Key("write_mibps").Num(r.write_mibps);
  j.Key("records_per_sec");
  r.records_per_sec ? j.Num(*r.records_per_sec) : j.Null();
  j.Key("record_bytes");
  r.record_bytes ? j.Num(*r.record_bytes) : j.Null();
  j.Key("read_mibps").Num(r.read_mibps);
  j.Key("constraints").BeginArray();
  for (const auto& c : r.constraints) {
    j.BeginObject();
    j.Key("name").Str(c.name);
    j.Key("unit").Str(c.unit);
    j.Key("known").Bool(c.known);
    j.Key("demand").Num(c.demand);
    j.Key("per_shard_limit").Num(c.per_shard_limit);
    j.Key("shards").Int(c.shards);
    j.EndObject();
  }
  j.EndArray();
  j.Key("costs").BeginArray();
  for (const auto& c : r.costs) {
    j.BeginObject().Key("item").Str(c.item).Key("per_hour").Num(c.per_hour);
    j.Key("per_month").Num(c.per_month).EndObject();
  }
  j.EndArray();
  j.Key("total_per_month");
  r.costs.empty() ? j.Null() : j.Num(r.total_per_month);
  j.Key("warnings").BeginArray();
  for (const auto& w : r.warnings) j.Str(w);
  j.EndArray();
  j.EndObject();
  return j.str();
}

std::string PlanText(const PlanInput& in, const PlanResult& r) {
  std::string out = "workload: write " + Amount(r.write_mibps, "MiB/s");
  if (r.records_per_sec) out += ", " + FormatFixed(*r.records_per_sec, 0) + " records/s";
  if (r.record_bytes) out += " of " + FormatFixed(*r.record_bytes, 0) + " B";
  out += "; " + std::to_string(in.readers) + " " +
         (in.fan_out == FanOut::kClassic ? "classic" : "enhanced fan-out") + " reader" +
         (in.readers == 1 ? "" : "s") + "; headroom " + FormatFixed(in.headroom_pct, 0) + "%\n\n";
  TextTable table({{"constraint"},
                   {"demand+headroom", true},
                   {"per-shard limit", true},
                   {"shards", true},
                   {"note"}});
  for (const auto& c : r.constraints) {
    std::string limit = Amount(c.per_shard_limit, c.unit);
    if (c.name == "read-bytes" && in.fan_out == FanOut::kEnhanced) limit += " per consumer";
    table.AddRow({c.name, c.known ? Amount(c.demand, c.unit) : "unknown", limit,
                  c.known ? std::to_string(c.shards) : "-",
                  c.name == r.binding ? "<- binding" : ""});
  }
  out += table.Render();
  out += "\nshards needed: " + std::to_string(r.shards) + " (binding: " + r.binding + ")\n";
  if (!r.costs.empty()) {
    TextTable costs({{"cost item"}, {"per hour", true}, {"per month (730 h)", true}});
    for (const auto& c : r.costs)
      costs.AddRow({c.item, FormatFixed(c.per_hour, 4), FormatFixed(c.per_month, 2)});
    costs.AddRow({"total", FormatFixed(r.total_per_month / kHoursPerMonth, 4),
                  FormatFixed(r.total_per_month, 2)});
    out += "\n" + costs.Render();
  }
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  return out;
}

}  // namespace

void AddPlanCommand(CLI::App& app, CliContext& context) {
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* plan = app.add_subcommand(
      "plan", "Kinesis shard calculator: shards a workload needs and the limit that binds");
  // Bounds keep every product below 1e30, far inside a double's range.
  auto* write = plan->add_option("--write-mbps", flags->write_mibps,
                                 "write throughput in MiB/s (derived from "
                                 "--records-per-sec x --record-size when not given)")
                    ->check(CLI::Range(0.0, 1e9));
  auto* records =
      plan->add_option("--records-per-sec", flags->records_per_sec, "records written per second")
          ->check(CLI::Range(0.0, 1e12));
  auto* size = plan->add_option("--record-size", flags->record_bytes,
                                "average record size in bytes (data + partition key)")
                   ->check(CLI::Range(1.0, 10.0 * 1024 * 1024));
  plan->add_option("--readers", flags->input.readers, "consumer applications reading every record")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  plan->add_option("--fan-out", flags->fan_out,
                   "classic (GetRecords) or enhanced (SubscribeToShard)")
      ->check(CLI::IsMember({"classic", "enhanced"}))
      ->capture_default_str();
  plan->add_option("--headroom", flags->input.headroom_pct, "spare capacity in percent")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  plan->add_option("--polls-per-sec", flags->input.polls_per_sec,
                   "GetRecords calls per classic consumer per shard per second")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  auto* shard_hour =
      plan->add_option("--shard-hour-price", flags->shard_hour, "price of one shard-hour")
          ->check(CLI::Range(0.0, 1e6));
  auto* put_units = plan->add_option("--put-unit-price", flags->put_units,
                                     "price per million 25 KB PUT payload units")
                        ->check(CLI::Range(0.0, 1e6));
  auto* efo_hour = plan->add_option("--efo-consumer-shard-hour-price", flags->efo_shard_hour,
                                    "enhanced fan-out price per consumer-shard-hour")
                       ->check(CLI::Range(0.0, 1e6));
  auto* efo_gb = plan->add_option("--efo-gb-price", flags->efo_gb,
                                  "enhanced fan-out price per GB (2^30 bytes) retrieved")
                     ->check(CLI::Range(0.0, 1e6));
  plan->callback([flags, &context, write, records, size, shard_hour, put_units, efo_hour, efo_gb] {
    PlanInput in = flags->input;
    if (write->count() > 0) in.write_mibps = flags->write_mibps;
    if (records->count() > 0) in.records_per_sec = flags->records_per_sec;
    if (size->count() > 0) in.record_bytes = flags->record_bytes;
    in.fan_out = flags->fan_out == "enhanced" ? FanOut::kEnhanced : FanOut::kClassic;
    if (shard_hour->count() > 0) in.prices.shard_hour = flags->shard_hour;
    if (put_units->count() > 0) in.prices.put_million_units = flags->put_units;
    if (efo_hour->count() > 0) in.prices.efo_consumer_shard_hour = flags->efo_shard_hour;
    if (efo_gb->count() > 0) in.prices.efo_gb = flags->efo_gb;
    PlanResult result;
    if (auto error = ComputePlan(in, &result)) {
      std::fprintf(stderr, "tidelog plan: %s\n", error->c_str());
      context.exit_code = kExitUsage;
      return;
    }
    const std::string text = context.json ? PlanJson(in, result) + "\n" : PlanText(in, result);
    std::fputs(text.c_str(), stdout);
  });
}

}  // namespace tidelog::cli
