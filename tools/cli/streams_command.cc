// `tidelog streams ls | create | describe | delete | retention | mode`.
// Changes wait (bounded) for the stream to be ACTIVE again, or gone.
#include <simdjson.h>

#include <cstdio>
#include <memory>
#include <string>

#include "tools/cli/cli_context.h"
#include "tools/cli/kinesis_session.h"
#include "tools/cli/output.h"
#include "tools/cli/stream_views.h"

namespace tidelog::cli {
namespace {

struct StreamsFlags {
  std::string name;
  int shards = 1;
  std::string mode = "PROVISIONED";
  int hours = 24;
  bool no_wait = false;
  bool enforce_consumer_deletion = false;
  int timeout_s = 300;
};

std::string NameBody(const std::string& stream) {
  JsonBuilder j;
  j.BeginObject().Key("StreamName").Str(stream).EndObject();
  return j.str();
}

// Prints the stream (summary and open shards), as text or JSON.
int PrintStream(const CliContext& context, KinesisSession& session, const std::string& stream,
                bool open_only) {
  std::string summary, shards;
  if (!session.Call("DescribeStreamSummary", NameBody(stream), &summary)) return CallFailed();
  if (!session.ListAllShardsJson(stream, &shards)) return CallFailed();
  const std::string text =
      context.json ? StreamJson(summary, shards) + "\n"
                   : StreamSummaryText(summary) + "\n" + ShardTableText(shards, open_only);
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

int FinishChange(const CliContext& context, KinesisSession& session, const StreamsFlags& flags) {
  if (!flags.no_wait && !session.WaitForStatus(flags.name, false, flags.timeout_s))
    return kExitFailure;
  return PrintStream(context, session, flags.name, true);
}

int RunList(const CliContext& context, KinesisSession& session) {
  JsonBuilder names;
  names.BeginArray();
  TextTable table({{"stream"}, {"status"}, {"mode"}});
  std::string next_token;
  simdjson::dom::parser parser;
  for (int page = 0; page < 10000; ++page) {  // bounded
    JsonBuilder request;
    request.BeginObject();
    if (!next_token.empty()) request.Key("NextToken").Str(next_token);
    request.EndObject();
    std::string response;
    if (!session.Call("ListStreams", request.str(), &response)) return CallFailed();
    simdjson::dom::element doc;
    if (parser.parse(response).get(doc) != simdjson::SUCCESS) return kExitFailure;
    simdjson::dom::array summaries, plain_names;
    if (doc["StreamSummaries"].get(summaries) == simdjson::SUCCESS) {
      for (simdjson::dom::element s : summaries) {
        std::string_view name, status, mode;
        if (s["StreamName"].get(name) != simdjson::SUCCESS) continue;
        if (s["StreamStatus"].get(status) != simdjson::SUCCESS) status = "";
        if (s["StreamModeDetails"]["StreamMode"].get(mode) != simdjson::SUCCESS) mode = "";
        names.BeginObject().Key("StreamName").Str(name).Key("StreamStatus").Str(status);
        names.Key("StreamMode").Str(mode).EndObject();
        table.AddRow({std::string(name), std::string(status), std::string(mode)});
      }
    } else if (doc["StreamNames"].get(plain_names) == simdjson::SUCCESS) {
      for (simdjson::dom::element n : plain_names) {
        std::string_view name;
        if (n.get(name) != simdjson::SUCCESS) continue;
        names.BeginObject().Key("StreamName").Str(name).EndObject();
        table.AddRow({std::string(name), "", ""});
      }
    }
    bool more = false;
    std::string_view token;
    if (doc["HasMoreStreams"].get(more) != simdjson::SUCCESS) more = false;
    if (!more || doc["NextToken"].get(token) != simdjson::SUCCESS || token.empty()) break;
    next_token = std::string(token);
  }
  names.EndArray();
  if (context.json) {
    JsonBuilder j;
    j.BeginObject().Key("Streams").Raw(names.str()).EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::fputs(table.Render().c_str(), stdout);
  }
  return kExitOk;
}

int RunCreate(const CliContext& context, KinesisSession& session, const StreamsFlags& flags,
              bool shards_given) {
  JsonBuilder j;
  j.BeginObject().Key("StreamName").Str(flags.name);
  if (flags.mode == "PROVISIONED" || shards_given) j.Key("ShardCount").Int(flags.shards);
  j.Key("StreamModeDetails").BeginObject().Key("StreamMode").Str(flags.mode).EndObject();
  j.EndObject();
  std::string response;
  if (!session.Call("CreateStream", j.str(), &response)) return CallFailed();
  return FinishChange(context, session, flags);
}

int RunDelete(const CliContext& context, KinesisSession& session, const StreamsFlags& flags) {
  JsonBuilder j;
  j.BeginObject().Key("StreamName").Str(flags.name);
  if (flags.enforce_consumer_deletion) j.Key("EnforceConsumerDeletion").Bool(true);
  j.EndObject();
  std::string response;
  if (!session.Call("DeleteStream", j.str(), &response)) return CallFailed();
  if (!flags.no_wait && !session.WaitForStatus(flags.name, true, flags.timeout_s))
    return kExitFailure;
  if (context.json) {
    JsonBuilder out;
    out.BeginObject().Key("StreamName").Str(flags.name).Key("Deleted").Bool(true).EndObject();
    std::printf("%s\n", out.str().c_str());
  } else {
    std::printf("deleted %s\n", flags.name.c_str());
  }
  return kExitOk;
}

// Reads one field of the stream's summary.
bool SummaryField(KinesisSession& session, const std::string& stream, const char* field,
                  std::string* text, int64_t* number) {
  std::string response;
  if (!session.Call("DescribeStreamSummary", NameBody(stream), &response)) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element value;
  if (parser.parse(response)["StreamDescriptionSummary"][field].get(value) != simdjson::SUCCESS)
    return false;
  std::string_view s;
  if (text != nullptr && value.get(s) == simdjson::SUCCESS) *text = std::string(s);
  if (number != nullptr && value.get(*number) != simdjson::SUCCESS) return false;
  return true;
}

int RunRetention(const CliContext& context, KinesisSession& session, const StreamsFlags& flags) {
  int64_t current = 0;
  if (!SummaryField(session, flags.name, "RetentionPeriodHours", nullptr, &current))
    return CallFailed();
  if (current != flags.hours) {
    JsonBuilder j;
    j.BeginObject().Key("StreamName").Str(flags.name);
    j.Key("RetentionPeriodHours").Int(flags.hours).EndObject();
    const char* op =
        flags.hours > current ? "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod";
    std::string response;
    if (!session.Call(op, j.str(), &response)) return CallFailed();
  }
  return FinishChange(context, session, flags);
}

int RunMode(const CliContext& context, KinesisSession& session, const StreamsFlags& flags) {
  std::string arn;
  if (!SummaryField(session, flags.name, "StreamARN", &arn, nullptr)) return CallFailed();
  JsonBuilder j;
  j.BeginObject().Key("StreamARN").Str(arn);
  j.Key("StreamModeDetails").BeginObject().Key("StreamMode").Str(flags.mode).EndObject();
  j.EndObject();
  std::string response;
  if (!session.Call("UpdateStreamMode", j.str(), &response)) return CallFailed();
  return FinishChange(context, session, flags);
}

using Runner = int (*)(const CliContext&, KinesisSession&, const StreamsFlags&);

void SetRunner(CLI::App* sub, CliContext& context, std::shared_ptr<StreamsFlags> flags,
               Runner run) {
  sub->callback([&context, flags, run] {
    std::unique_ptr<KinesisSession> session = KinesisSession::Open(context);
    context.exit_code = session == nullptr ? kExitFailure : run(context, *session, *flags);
  });
}

void AddWaitOptions(CLI::App* sub, StreamsFlags* flags) {
  sub->add_flag("--no-wait", flags->no_wait, "return without waiting for ACTIVE");
  sub->add_option("--timeout", flags->timeout_s, "seconds to wait for ACTIVE")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
}

}  // namespace

void AddStreamsCommand(CLI::App& app, CliContext& context) {
  auto flags = std::make_shared<StreamsFlags>();
  CLI::App* streams = app.add_subcommand("streams", "list, create, describe, change streams");
  streams->require_subcommand(1);

  CLI::App* ls = streams->add_subcommand("ls", "list streams");
  ls->callback([&context] {
    std::unique_ptr<KinesisSession> session = KinesisSession::Open(context);
    context.exit_code = session == nullptr ? kExitFailure : RunList(context, *session);
  });

  CLI::App* create = streams->add_subcommand("create", "create a stream and wait for ACTIVE");
  create->add_option("name", flags->name, "stream name")->required();
  CLI::Option* shards = create->add_option("--shards", flags->shards, "shard count")
                            ->check(CLI::Range(1, 100000))
                            ->capture_default_str();
  create->add_option("--mode", flags->mode, "capacity mode")
      ->check(CLI::IsMember({"PROVISIONED", "ON_DEMAND"}))
      ->capture_default_str();
  AddWaitOptions(create, flags.get());
  create->callback([&context, flags, shards] {
    std::unique_ptr<KinesisSession> session = KinesisSession::Open(context);
    context.exit_code = session == nullptr
                            ? kExitFailure
                            : RunCreate(context, *session, *flags, shards->count() > 0);
  });

  CLI::App* describe = streams->add_subcommand("describe", "a stream's summary and shards");
  describe->add_option("name", flags->name, "stream name")->required();
  describe->callback([&context, flags] {
    std::unique_ptr<KinesisSession> session = KinesisSession::Open(context);
    context.exit_code =
        session == nullptr ? kExitFailure : PrintStream(context, *session, flags->name, false);
  });

  CLI::App* remove = streams->add_subcommand("delete", "delete a stream and wait until gone");
  remove->add_option("name", flags->name, "stream name")->required();
  remove->add_flag("--enforce-consumer-deletion", flags->enforce_consumer_deletion,
                   "also deregister its consumers");
  AddWaitOptions(remove, flags.get());
  SetRunner(remove, context, flags, RunDelete);

  CLI::App* retention = streams->add_subcommand("retention", "set the retention period");
  retention->add_option("name", flags->name, "stream name")->required();
  retention->add_option("hours", flags->hours, "retention in hours (24..8760)")
      ->required()
      ->check(CLI::Range(24, 8760));
  AddWaitOptions(retention, flags.get());
  SetRunner(retention, context, flags, RunRetention);

  CLI::App* mode = streams->add_subcommand("mode", "switch PROVISIONED / ON_DEMAND");
  mode->add_option("name", flags->name, "stream name")->required();
  mode->add_option("mode", flags->mode, "PROVISIONED or ON_DEMAND")
      ->required()
      ->check(CLI::IsMember({"PROVISIONED", "ON_DEMAND"}));
  AddWaitOptions(mode, flags.get());
  SetRunner(mode, context, flags, RunMode);

  for (CLI::App* sub : streams->get_subcommands({})) sub->fallthrough();
}

}  // namespace tidelog::cli
