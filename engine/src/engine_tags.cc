// Tags on streams (AddTagsToStream, RemoveTagsFromStream, ListTagsForStream)
// and on stream or consumer ARNs (TagResource, UntagResource,
// ListTagsForResource), with AWS's character set and per-resource limit.
#include <string>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"
#include "engine/src/messages.h"

namespace tidelog {
namespace {

// Decodes the UTF-8 code point at s[*i] and advances *i; false on bytes that
// are not UTF-8 (the server's JSON and CBOR parsers reject those already).
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  const int extra = b0 < 0x80           ? 0
                    : (b0 >> 5) == 0x6  ? 1
                    : (b0 >> 4) == 0xE  ? 2
                    : (b0 >> 3) == 0x1E ? 3
                                        : -1;
  // s.size() - *i >= 1: *i indexes a byte of s.
  if (extra < 0 || s.size() - *i <= static_cast<size_t>(extra)) return false;
  uint32_t v = extra == 0 ? b0 : b0 & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) return false;
    v = v << 6 | (b & 0x3F);
  }
  *i += static_cast<size_t>(extra) + 1;
  *cp = v;
  return true;
}

// AWS's tag characters: ASCII letters and digits, space, `_ . / = + - % @`
// and the letters of U+00C0..U+1FFF and U+2C00..U+D7FF, as kinesalite's tests
// against AWS pinned them, plus ':', which TagResource's API reference lists.
// Characters past U+FFFF (which AWS, in Java, sees as surrogate pairs) are
// outside the set.
bool TagCharacterAllowed(uint32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_.:/=+-%@ ").find(static_cast<char>(c)) != std::string_view::npos;
  }
  return (c >= 0xC0 && c <= 0x1FFF) || (c >= 0x2C00 && c <= 0xD7FF);
}

bool TagTextAllowed(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    if (!NextCodePoint(s, &i, &cp) || !TagCharacterAllowed(cp)) return false;
  }
  return true;
}

}  // namespace

Status EngineImpl::CheckTagCharacters(const std::vector<Tag>& tags,
                                      std::string_view resource) const {
  for (const Tag& t : tags) {
    if (!TagTextAllowed(t.key) || !TagTextAllowed(t.value)) {
      return Status::InvalidArgument(
          "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white "
          "space, _ . / = + - % @.");
    }
  }
  // AWS lists '%' as valid above, then refuses it with this second text.
  for (const Tag& t : tags) {
    if (t.key.find('%') != std::string::npos || t.value.find('%') != std::string::npos) {
      return Status::InvalidArgument(
          "Failed to add tags to " + std::string(resource) + " under account " + account() +
          " because some tags contained illegal characters. The allowed characters are Unicode "
          "letters, white-spaces, '_',',','/','=','+','-','@'.");
    }
  }
  return Status::OK();
}

Status EngineImpl::CheckConsumerTags(const std::vector<Tag>& tags,
                                     std::string_view consumer_name) const {
  const std::string resource = "consumer " + std::string(consumer_name);
  if (Status s = CheckTagCharacters(tags, resource); !s.ok()) return s;
  std::map<std::string, std::string> distinct;
  for (const Tag& t : tags) distinct[t.key] = t.value;
  if (distinct.size() > static_cast<size_t>(kMaxTagsPerStream)) {
    return Status::InvalidArgument("Failed to add tags to " + resource + " under account " +
                                   account() + " because a given consumer cannot have more than " +
                                   std::to_string(kMaxTagsPerStream) + " tags associated with it.");
  }
  return Status::OK();
}

Status EngineImpl::FindTags(std::string_view resource_arn,
                            std::map<std::string, std::string>** tags, StreamState** stream,
                            std::string* resource) {
  if (resource_arn.find("/consumer/") != std::string_view::npos) {
    size_t index = 0;
    Status s = FindConsumer("", "", resource_arn, stream, &index);
    if (!s.ok()) return s;
    *tags = &(*stream)->consumers[index].tags;
    *resource = "consumer " + std::string(resource_arn);
    return Status::OK();
  }
  std::string name;
  Status s = ResolveStream("", resource_arn, &name);
  if (!s.ok()) return s;
  *stream = FindStream(name);
  if (!*stream) return msg::StreamNotFound(name, account());
  *tags = &(*stream)->tags;
  *resource = "stream " + name;
  return Status::OK();
}

Status EngineImpl::TagResource(std::string_view resource_arn, const std::vector<Tag>& tags) {
  if (tags.empty())
    return msg::Validation(
        {msg::Constraint("{}", "tags", "have length greater than or equal to 1")});
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    std::map<std::string, std::string>* slot = nullptr;
    StreamState* s = nullptr;
    std::string resource;
    Status st = FindTags(resource_arn, &slot, &s, &resource);
    if (!st.ok()) return st;
    st = CheckTagCharacters(tags, resource);
    if (!st.ok()) return st;
    std::map<std::string, std::string> merged = *slot;
    for (const auto& t : tags) merged[t.key] = t.value;
    if (merged.size() > static_cast<size_t>(kMaxTagsPerStream)) {
      return Status::InvalidArgument(
          "Failed to add tags to " + resource + " under account " + account() +
          " because a given " + resource.substr(0, resource.find(' ')) + " cannot have more than " +
          std::to_string(kMaxTagsPerStream) + " tags associated with it.");
    }
    *slot = std::move(merged);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::UntagResource(std::string_view resource_arn,
                                 const std::vector<std::string>& keys) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    std::map<std::string, std::string>* slot = nullptr;
    StreamState* s = nullptr;
    std::string resource;
    Status st = FindTags(resource_arn, &slot, &s, &resource);
    if (!st.ok()) return st;
    for (const auto& k : keys) slot->erase(k);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::ListTagsForResource(std::string_view resource_arn, std::vector<Tag>* tags) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  std::map<std::string, std::string>* slot = nullptr;
  StreamState* s = nullptr;
  std::string resource;
  Status st = FindTags(resource_arn, &slot, &s, &resource);
  if (!st.ok()) return st;
  tags->clear();
  for (const auto& [k, v] : *slot) tags->push_back({k, v});
  return Status::OK();
}

Status EngineImpl::AddTags(std::string_view name, const std::vector<Tag>& tags) {
  return TagResource(StreamArn(name), tags);
}

Status EngineImpl::RemoveTags(std::string_view name, const std::vector<std::string>& keys) {
  return UntagResource(StreamArn(name), keys);
}

Status EngineImpl::ListTags(std::string_view name, std::vector<Tag>* tags) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  StreamState* s = FindStream(name);
  if (!s) return msg::StreamNotFound(name, account());
  tags->clear();
  for (const auto& [k, v] : s->tags) tags->push_back({k, v});
  return Status::OK();
}

}  // namespace tidelog
