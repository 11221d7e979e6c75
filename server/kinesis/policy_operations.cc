// Resource policies of streams and consumers: PutResourcePolicy,
// GetResourcePolicy and DeleteResourcePolicy, by ResourceARN (a stream ARN or
// a consumer ARN).
#include "server/kinesis/errors.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/request_fields.h"

namespace tidelog::server::kinesis {

HttpResponse PutResourcePolicy(Engine& e, const JsonValue& body) {
  std::string_view policy = StringField(body, "Policy");
  JsonValue doc;
  if (!ParseJson(policy, &doc) || !doc.is_object()) {
    return ErrorResponse("InvalidArgumentException", "Policy is not a valid JSON document.");
  }
  return EmptyOrError(e.PutResourcePolicy(StringField(body, "ResourceARN"), policy));
}

HttpResponse GetResourcePolicy(Engine& e, const JsonValue& body) {
  std::string policy;
  Status s = e.GetResourcePolicy(StringField(body, "ResourceARN"), &policy);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.Field("Policy", policy);
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse DeleteResourcePolicy(Engine& e, const JsonValue& body) {
  return EmptyOrError(e.DeleteResourcePolicy(StringField(body, "ResourceARN")));
}

}  // namespace tidelog::server::kinesis
