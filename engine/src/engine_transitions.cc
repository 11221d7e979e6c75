// Stream state transitions: CREATING after CreateStream, UPDATING after
// resharding and settings changes, DELETING after DeleteStream, each for
// EngineOptions::stream_transition_ms, with AWS's refusals meanwhile.
//
// States are derived from time, never from a timer: a stream is CREATING
// until created_ms + T and UPDATING until updating_until_ms; a deleted stream
// is removed from the catalog (and its data deleted) at once and only its
// description is kept in Catalog::deleting until its time is up.
#include <string>

#include "engine/src/engine_impl.h"

namespace tidelog {

StreamStatus EngineImpl::StatusOf(const StreamState& s) const {
  const int64_t t = options_.stream_transition_ms;
  if (t <= 0) return StreamStatus::kActive;
  const int64_t now = NowMs();
  // created_ms is a past clock reading; the sum cannot overflow for any sane t.
  if (now < s.created_ms + t) return StreamStatus::kCreating;
  if (now < s.updating_until_ms) return StreamStatus::kUpdating;
  return StreamStatus::kActive;
}

Status EngineImpl::RequireActive(const StreamState& s) const {
  const StreamStatus status = StatusOf(s);
  if (status == StreamStatus::kActive) return Status::OK();
  return Status::InUse("Stream " + s.name + " under account " + account() +
                       " not ACTIVE, instead in state " + std::string(ToString(status)));
}

void EngineImpl::MarkUpdating(StreamState* s) {
  if (options_.stream_transition_ms <= 0) return;
  s->updating_until_ms = NowMs() + options_.stream_transition_ms;
}

void EngineImpl::ShowDeleting(StreamInfo info) {
  if (options_.stream_transition_ms <= 0) return;
  const int64_t now = NowMs();
  // Forget the ones whose time is up, so the map stays as small as the
  // deletions of the last T milliseconds.
  for (auto it = catalog_.deleting.begin(); it != catalog_.deleting.end();) {
    it = it->second.until_ms <= now ? catalog_.deleting.erase(it) : std::next(it);
  }
  info.status = StreamStatus::kDeleting;
  std::string name = info.stream_name;
  catalog_.deleting[name] = Catalog::Deleting{std::move(info), now + options_.stream_transition_ms};
}

const StreamInfo* EngineImpl::FindDeleting(std::string_view name) const {
  auto it = catalog_.deleting.find(name);
  if (it == catalog_.deleting.end() || it->second.until_ms <= NowMs()) return nullptr;
  return &it->second.info;
}

}  // namespace tidelog
