// Tags: the stream-addressed AddTagsToStream / RemoveTagsFromStream /
// ListTagsForStream and the ARN-addressed TagResource / UntagResource /
// ListTagsForResource, on stream and consumer ARNs.
#include <algorithm>

#include "server/kinesis/errors.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/request_fields.h"

namespace tidelog::server::kinesis {
namespace {

constexpr int32_t kListTagsMaxLimit = 50;

void WriteTags(const std::vector<Tag>& tags, size_t begin, size_t end, JsonWriter* w) {
  w->Key("Tags");
  w->StartArray();
  for (size_t i = begin; i < end; ++i) {
    w->StartObject();
    w->Field("Key", tags[i].key);
    w->Field("Value", tags[i].value);
    w->EndObject();
  }
  w->EndArray();
}

}  // namespace

HttpResponse AddTagsToStream(Engine& e, const JsonValue& body) {
  std::string stream;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.AddTags(stream, TagMapField(body, "Tags"));
  return EmptyOrError(s);
}

HttpResponse RemoveTagsFromStream(Engine& e, const JsonValue& body) {
  std::string stream;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.RemoveTags(stream, StringListField(body, "TagKeys"));
  return EmptyOrError(s);
}

HttpResponse ListTagsForStream(Engine& e, const JsonValue& body) {
  std::string stream;
  std::vector<Tag> tags;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.ListTags(stream, &tags);
  if (!s.ok()) return StatusResponse(s);
  std::string_view start = StringField(body, "ExclusiveStartTagKey");
  size_t begin = 0;
  if (!start.empty()) {
    begin = std::upper_bound(tags.begin(), tags.end(), start,
                             [](std::string_view k, const Tag& t) { return k < t.key; }) -
            tags.begin();
  }
  const size_t limit = LimitField(body, "Limit", kListTagsMaxLimit, kListTagsMaxLimit);
  const size_t end = begin + std::min(tags.size() - begin, limit);
  JsonWriter w;
  w.StartObject();
  WriteTags(tags, begin, end, &w);
  w.BoolField("HasMoreTags", end < tags.size());
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse TagResource(Engine& e, const JsonValue& body) {
  return EmptyOrError(e.TagResource(StringField(body, "ResourceARN"), TagMapField(body, "Tags")));
}

HttpResponse UntagResource(Engine& e, const JsonValue& body) {
  return EmptyOrError(
      e.UntagResource(StringField(body, "ResourceARN"), StringListField(body, "TagKeys")));
}

HttpResponse ListTagsForResource(Engine& e, const JsonValue& body) {
  std::vector<Tag> tags;
  Status s = e.ListTagsForResource(StringField(body, "ResourceARN"), &tags);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  WriteTags(tags, 0, tags.size(), &w);
  w.EndObject();
  return JsonResponse(w.Release());
}

}  // namespace tidelog::server::kinesis
