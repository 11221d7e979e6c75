// Per-stream settings: retention, capacity mode, encryption and enhanced
// monitoring.
#include "server/kinesis/errors.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/model_json.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/request_fields.h"

namespace tidelog::server::kinesis {
namespace {

using RetentionCall = Status (Engine::*)(std::string_view, int32_t);

HttpResponse ChangeRetention(Engine& e, const JsonValue& body, RetentionCall call) {
  std::string stream;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = (e.*call)(stream, Int32Field(body, "RetentionPeriodHours").value_or(0));
  return EmptyOrError(s);
}

using EncryptionCall = Status (Engine::*)(std::string_view, EncryptionType, std::string_view);

HttpResponse ChangeEncryption(Engine& e, const JsonValue& body, EncryptionCall call) {
  std::string stream;
  EncryptionType type = EncryptionType::kNone;
  ParseEncryptionType(StringField(body, "EncryptionType"), &type);
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = (e.*call)(stream, type, StringField(body, "KeyId"));
  return EmptyOrError(s);
}

using MonitoringCall = Status (Engine::*)(std::string_view, const std::vector<std::string>&,
                                          std::vector<std::string>*, std::vector<std::string>*);

HttpResponse ChangeMonitoring(Engine& e, const JsonValue& body, MonitoringCall call) {
  std::string stream;
  std::vector<std::string> current, desired;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = (e.*call)(stream, StringListField(body, "ShardLevelMetrics"), &current, &desired);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.Field("StreamName", stream);
  w.Key("CurrentShardLevelMetrics");
  WriteStringList(current, &w);
  w.Key("DesiredShardLevelMetrics");
  WriteStringList(desired, &w);
  w.Field("StreamARN", e.StreamArn(stream));
  w.EndObject();
  return JsonResponse(w.Release());
}

}  // namespace

HttpResponse IncreaseStreamRetentionPeriod(Engine& e, const JsonValue& body) {
  return ChangeRetention(e, body, &Engine::IncreaseRetentionPeriod);
}

HttpResponse DecreaseStreamRetentionPeriod(Engine& e, const JsonValue& body) {
  return ChangeRetention(e, body, &Engine::DecreaseRetentionPeriod);
}

HttpResponse UpdateStreamMode(Engine& e, const JsonValue& body) {
  std::string stream;
  StreamMode mode = StreamMode::kProvisioned;
  if (const JsonValue* details = body.Find("StreamModeDetails"))
    ParseStreamMode(StringField(*details, "StreamMode"), &mode);
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.UpdateStreamMode(stream, mode, Int32Field(body, "WarmThroughputMiBps"));
  return EmptyOrError(s);
}

HttpResponse UpdateMaxRecordSize(Engine& e, const JsonValue& body) {
  std::string stream;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.UpdateMaxRecordSize(stream, Int32Field(body, "MaxRecordSizeInKiB").value_or(0));
  return EmptyOrError(s);
}

HttpResponse UpdateStreamWarmThroughput(Engine& e, const JsonValue& body) {
  std::string stream;
  WarmThroughput warm;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok())
    s = e.UpdateStreamWarmThroughput(stream, Int32Field(body, "WarmThroughputMiBps").value_or(0),
                                     &warm);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.Field("StreamARN", e.StreamArn(stream));
  w.Field("StreamName", stream);
  WriteWarmThroughput(warm, &w);
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse StartStreamEncryption(Engine& e, const JsonValue& body) {
  return ChangeEncryption(e, body, &Engine::StartStreamEncryption);
}

HttpResponse StopStreamEncryption(Engine& e, const JsonValue& body) {
  return ChangeEncryption(e, body, &Engine::StopStreamEncryption);
}

HttpResponse EnableEnhancedMonitoring(Engine& e, const JsonValue& body) {
  return ChangeMonitoring(e, body, &Engine::EnableEnhancedMonitoring);
}

HttpResponse DisableEnhancedMonitoring(Engine& e, const JsonValue& body) {
  return ChangeMonitoring(e, body, &Engine::DisableEnhancedMonitoring);
}

}  // namespace tidelog::server::kinesis
