// `tidelog reshard split | merge | scale`: SplitShard (at the midpoint of
// the shard's range unless --at), MergeShards of two adjacent shards, and
// UpdateShardCount UNIFORM_SCALING; each waits (bounded) for ACTIVE and
// prints the open shards.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tools/cli/cli_context.h"
#include "tools/cli/kinesis_session.h"
#include "tools/cli/output.h"
#include "tools/cli/stream_views.h"

namespace tidelog::cli {
namespace {

struct ReshardFlags {
  std::string stream;
  std::string shard;
  std::string adjacent_shard;
  std::string at;  // decimal hash key; empty: the midpoint
  int target = 1;
  bool no_wait = false;
  int timeout_s = 300;
};

// The split point that halves [start, end]: the right child starts at
// start + floor((end - start) / 2) + 1, so the left child holds
// ceil(width / 2) keys. Needs end > start (a one-key shard cannot split).
bool MidpointSplitKey(const HashKeyRange& range, u128* key) {
  if (range.ending_hash_key <= range.starting_hash_key) return false;
  *key = range.starting_hash_key + (range.ending_hash_key - range.starting_hash_key) / 2 + 1;
  return true;
}

int Finish(const CliContext& context, KinesisSession& session, const ReshardFlags& flags) {
  if (!flags.no_wait && !session.WaitForStatus(flags.stream, false, flags.timeout_s))
    return kExitFailure;
  std::string shards;
  if (!session.ListAllShardsJson(flags.stream, &shards)) return CallFailed();
  if (context.json) {
    JsonBuilder j;
    j.BeginObject().Key("StreamName").Str(flags.stream).Key("Shards").Raw(shards).EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::fputs(ShardTableText(shards, true).c_str(), stdout);
  }
  return kExitOk;
}

int RunSplit(const CliContext& context, KinesisSession& session, const ReshardFlags& flags) {
  u128 split_key = 0;
  if (!flags.at.empty()) {
    if (!ParseU128Decimal(flags.at, &split_key)) {
      std::fprintf(stderr, "--at must be a decimal hash key below 2^128\n");
      return kExitUsage;
    }
  } else {
    std::vector<ShardSlot> open;
    if (!session.ListOpenShards(flags.stream, &open)) return CallFailed();
    const ShardSlot* target = nullptr;
    uint32_t wanted = 0, index = 0;
    const bool resolvable = ResolveShardId(flags.shard, &wanted);
    for (const auto& slot : open) {
      if (slot.shard_id == flags.shard ||
          (resolvable && ResolveShardId(slot.shard_id, &index) && index == wanted))
        target = &slot;
    }
    if (target == nullptr) {
      std::fprintf(stderr, "no open shard %s in stream %s\n", flags.shard.c_str(),
                   flags.stream.c_str());
      return kExitFailure;
    }
    if (!MidpointSplitKey(target->range, &split_key)) {
      std::fprintf(stderr, "shard %s covers one hash key and cannot be split\n",
                   flags.shard.c_str());
      return kExitFailure;
    }
  }
  JsonBuilder j;
  j.BeginObject().Key("StreamName").Str(flags.stream).Key("ShardToSplit").Str(flags.shard);
  j.Key("NewStartingHashKey").Str(U128ToDecimal(split_key)).EndObject();
  std::string response;
  if (!session.Call("SplitShard", j.str(), &response)) return CallFailed();
  return Finish(context, session, flags);
}

int RunMerge(const CliContext& context, KinesisSession& session, const ReshardFlags& flags) {
  JsonBuilder j;
  j.BeginObject().Key("StreamName").Str(flags.stream).Key("ShardToMerge").Str(flags.shard);
  j.Key("AdjacentShardToMerge").Str(flags.adjacent_shard).EndObject();
  std::string response;
  if (!session.Call("MergeShards", j.str(), &response)) return CallFailed();
  return Finish(context, session, flags);
}

int RunScale(const CliContext& context, KinesisSession& session, const ReshardFlags& flags) {
  JsonBuilder j;
  j.BeginObject().Key("StreamName").Str(flags.stream).Key("TargetShardCount").Int(flags.target);
  j.Key("ScalingType").Str("UNIFORM_SCALING").EndObject();
  std::string response;
  if (!session.Call("UpdateShardCount", j.str(), &response)) return CallFailed();
  return Finish(context, session, flags);
}

using Runner = int (*)(const CliContext&, KinesisSession&, const ReshardFlags&);

void Wire(CLI::App* sub, CliContext& context, std::shared_ptr<ReshardFlags> flags, Runner run) {
  sub->add_flag("--no-wait", flags->no_wait, "return without waiting for ACTIVE");
  sub->add_option("--timeout", flags->timeout_s, "seconds to wait for ACTIVE")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  sub->fallthrough();
  sub->callback([&context, flags, run] {
    std::unique_ptr<KinesisSession> session = KinesisSession::Open(context);
    context.exit_code = session == nullptr ? kExitFailure : run(context, *session, *flags);
  });
}

}  // namespace

void AddReshardCommand(CLI::App& app, CliContext& context) {
  auto flags = std::make_shared<ReshardFlags>();
  CLI::App* reshard = app.add_subcommand("reshard", "split, merge or scale a stream's shards");
  reshard->require_subcommand(1);

  CLI::App* split = reshard->add_subcommand("split", "split a shard (at its midpoint by default)");
  split->add_option("stream", flags->stream, "stream name")->required();
  split->add_option("shard", flags->shard, "shard to split")->required();
  split->add_option("--at", flags->at, "NewStartingHashKey (decimal)");
  Wire(split, context, flags, RunSplit);

  CLI::App* merge = reshard->add_subcommand("merge", "merge two adjacent shards");
  merge->add_option("stream", flags->stream, "stream name")->required();
  merge->add_option("shard", flags->shard, "ShardToMerge")->required();
  merge->add_option("adjacent", flags->adjacent_shard, "AdjacentShardToMerge")->required();
  Wire(merge, context, flags, RunMerge);

  CLI::App* scale = reshard->add_subcommand("scale", "UpdateShardCount to N with UNIFORM_SCALING");
  scale->add_option("stream", flags->stream, "stream name")->required();
  scale->add_option("shards", flags->target, "target open shard count")
      ->required()
      ->check(CLI::Range(1, 100000));
  Wire(scale, context, flags, RunScale);
}

}  // namespace tidelog::cli
