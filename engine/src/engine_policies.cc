// Resource policies: PutResourcePolicy, GetResourcePolicy and
// DeleteResourcePolicy, kept with the stream or consumer they name (in its
// StreamMeta), so deleting the stream or deregistering the consumer drops them.
#include <string>

#include "engine/src/engine_impl.h"
#include "engine/src/messages.h"

namespace tidelog {

Status EngineImpl::FindPolicy(std::string_view arn, std::string** policy, StreamState** stream) {
  if (arn.find("/consumer/") != std::string_view::npos) {
    size_t index = 0;
    Status s = FindConsumer("", "", arn, stream, &index);
    if (!s.ok()) return s;
    *policy = &(*stream)->consumers[index].policy;
    return Status::OK();
  }
  std::string name;
  Status s = ResolveStream("", arn, &name);
  if (!s.ok()) return s;
  *stream = FindStream(name);
  if (!*stream) return msg::StreamNotFound(name, account());
  *policy = &(*stream)->policy;
  return Status::OK();
}

Status EngineImpl::PutResourcePolicy(std::string_view resource_arn, std::string_view policy) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    std::string* slot = nullptr;
    StreamState* s = nullptr;
    Status st = FindPolicy(resource_arn, &slot, &s);
    if (!st.ok()) return st;
    *slot = std::string(policy);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::GetResourcePolicy(std::string_view resource_arn, std::string* policy) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  std::string* slot = nullptr;
  StreamState* s = nullptr;
  Status st = FindPolicy(resource_arn, &slot, &s);
  if (!st.ok()) return st;
  *policy = slot->empty() ? "{}" : *slot;
  return Status::OK();
}

Status EngineImpl::DeleteResourcePolicy(std::string_view resource_arn) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    std::string* slot = nullptr;
    StreamState* s = nullptr;
    Status st = FindPolicy(resource_arn, &slot, &s);
    if (!st.ok()) return st;
    if (slot->empty()) return Status::OK();
    slot->clear();
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

}  // namespace tidelog
