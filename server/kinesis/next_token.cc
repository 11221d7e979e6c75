// NextToken layout, before base64: fields joined by '\n' (no field may hold a
// newline: names and ids match [a-zA-Z0-9_.-]+), led by a version tag.
#include "server/kinesis/next_token.h"

#include <charconv>
#include <vector>

#include "tidelog/base64.h"

namespace tidelog::server::kinesis {
namespace {

constexpr std::string_view kVersion = "tl1";

std::string Int(int64_t v) { return std::to_string(v); }

bool ParseInt(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

std::string EncodeNextToken(const NextToken& t) {
  std::string plain;
  for (std::string_view f :
       {std::string_view(kVersion), std::string_view(t.kind), std::string_view(t.stream),
        std::string_view(t.last), std::string_view(t.filter_type),
        std::string_view(t.filter_shard_id)}) {
    plain.append(f);
    plain.push_back('\n');
  }
  plain += Int(t.filter_timestamp_millis) + "\n" + Int(t.issued_millis);
  return Base64Encode(plain);
}

Status DecodeNextToken(std::string_view text, std::string_view kind, int64_t now_millis,
                       NextToken* t) {
  const Status invalid = Status::InvalidArgument("Invalid NextToken.");
  std::string plain;
  if (!Base64Decode(text, &plain)) return invalid;
  std::vector<std::string_view> f;
  std::string_view rest = plain;
  for (size_t pos; (pos = rest.find('\n')) != std::string_view::npos; rest.remove_prefix(pos + 1))
    f.push_back(rest.substr(0, pos));
  f.push_back(rest);
  if (f.size() != 8 || f[0] != kVersion || f[1] != kind) return invalid;
  t->kind = f[1];
  t->stream = f[2];
  t->last = f[3];
  t->filter_type = f[4];
  t->filter_shard_id = f[5];
  if (!ParseInt(f[6], &t->filter_timestamp_millis) || !ParseInt(f[7], &t->issued_millis))
    return invalid;
  // Tokens are not signed, so issued_millis is any int64: compared, never
  // subtracted. One from later than a TTL ahead was not issued here.
  if (t->issued_millis > now_millis + kNextTokenTtlMillis) return invalid;
  if (t->issued_millis < now_millis - kNextTokenTtlMillis) {
    return Status(ErrorCode::kExpiredNextToken,
                  "The timestamp of the NextToken has expired. NextToken is valid for 300 "
                  "seconds after it is issued.");
  }
  return Status::OK();
}

}  // namespace tidelog::server::kinesis
