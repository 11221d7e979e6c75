// Account settings: DescribeAccountSettings and UpdateAccountSettings (the
// minimum throughput billing commitment).
#include "server/kinesis/errors.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/request_fields.h"

namespace tidelog::server::kinesis {
namespace {

std::string_view CommitmentStatusName(CommitmentStatus s) {
  switch (s) {
    case CommitmentStatus::kEnabled:
      return "ENABLED";
    case CommitmentStatus::kEnabledUntilEarliestAllowedEnd:
      return "ENABLED_UNTIL_EARLIEST_ALLOWED_END";
    case CommitmentStatus::kDisabled:
      break;
  }
  return "DISABLED";
}

void WriteTimestamp(std::string_view key, const std::optional<int64_t>& ms, JsonWriter* w) {
  if (!ms) return;
  w->Key(key);
  w->Timestamp(*ms);
}

// {"MinimumThroughputBillingCommitment": MinimumThroughputBillingCommitmentOutput}
HttpResponse SettingsResponse(const AccountSettings& a) {
  JsonWriter w;
  w.StartObject();
  w.Key("MinimumThroughputBillingCommitment");
  w.StartObject();
  w.Field("Status", CommitmentStatusName(a.commitment));
  WriteTimestamp("StartedAt", a.started_millis, &w);
  WriteTimestamp("EndedAt", a.ended_millis, &w);
  WriteTimestamp("EarliestAllowedEndAt", a.earliest_allowed_end_millis, &w);
  w.EndObject();
  w.EndObject();
  return JsonResponse(w.Release());
}

}  // namespace

HttpResponse DescribeAccountSettings(Engine& e, const JsonValue&) {
  AccountSettings a;
  Status s = e.DescribeAccountSettings(&a);
  return s.ok() ? SettingsResponse(a) : StatusResponse(s);
}

HttpResponse UpdateAccountSettings(Engine& e, const JsonValue& body) {
  bool enable = false;
  if (const JsonValue* c = body.Find("MinimumThroughputBillingCommitment"))
    enable = StringField(*c, "Status") == "ENABLED";
  AccountSettings a;
  Status s = e.UpdateAccountSettings(enable, &a);
  return s.ok() ? SettingsResponse(a) : StatusResponse(s);
}

}  // namespace tidelog::server::kinesis
