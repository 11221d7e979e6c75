// Canonical request construction for SigV4.
#include "server/auth/canonical_request.h"

#include <algorithm>

#include "server/auth/crypto.h"

namespace tidelog::server::sigv4 {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `name` is lower-case already.
bool EqualsLowerName(std::string_view header, std::string_view name) {
  if (header.size() != name.size()) return false;
  for (size_t i = 0; i < header.size(); ++i)
    if (ToLower(header[i]) != name[i]) return false;
  return true;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string RemoveDotSegments(std::string_view path) {
  if (path.empty()) return "";
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (!seg.empty() && seg != ".") {
      if (seg == "..") {
        if (!segments.empty()) segments.pop_back();
      } else {
        segments.push_back(seg);
      }
    }
    start = end + 1;
  }
  std::string out;
  if (path.front() == '/') out.push_back('/');
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out;
}

void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      size_t slash = target.find_first_of("/?", scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      break;
    }
  }
  size_t q = target.find('?');
  *path = target.substr(0, q);
  *query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  size_t hash = query->find('#');
  if (hash != std::string_view::npos) *query = query->substr(0, hash);
}

QueryParams ParseQuery(std::string_view query) {
  QueryParams params;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        params.emplace_back(PercentDecode(pair), std::string());
      } else {
        params.emplace_back(PercentDecode(pair.substr(0, eq)), PercentDecode(pair.substr(eq + 1)));
      }
    }
    start = end + 1;
  }
  return params;
}

std::string CanonicalPath(std::string_view raw_path) {
  std::string normalized = RemoveDotSegments(raw_path);
  if (normalized.empty()) return "/";
  return UriEncode(normalized, /*keep_slash=*/true);
}

std::string CanonicalQuery(const QueryParams& params, std::string_view skip_key) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [k, v] : params) {
    if (!skip_key.empty() && k == skip_key) continue;
    encoded.emplace_back(UriEncode(k, false), UriEncode(v, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(k).append("=").append(v);
  }
  return out;
}

std::string TrimAll(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.push_back(c);
    }
  }
  return out;
}

std::string CanonicalHeaders(const HttpRequest& request,
                             const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    out.append(name).push_back(':');
    // HTTP/2 clients (the AWS SDK for JavaScript v3) sign the :authority
    // pseudo-header by that name; the network layer hands it on as Host.
    const std::string_view lookup = name == ":authority" ? std::string_view("host") : name;
    bool first = true;
    for (const auto& [k, v] : request.headers) {
      if (!EqualsLowerName(k, lookup)) continue;
      if (!first) out.push_back(',');
      out.append(TrimAll(v));
      first = false;
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(const HttpRequest& request, std::string_view canonical_query,
                             const std::vector<std::string>& signed_headers,
                             std::string_view signed_headers_text, std::string_view payload_hash) {
  std::string_view path, query;
  SplitTarget(request.target, &path, &query);
  std::string out = request.method;
  out.push_back('\n');
  out.append(CanonicalPath(path)).push_back('\n');
  out.append(canonical_query).push_back('\n');
  out.append(CanonicalHeaders(request, signed_headers)).push_back('\n');
  out.append(signed_headers_text).push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(Sha256Hex(canonical_request));
  return out;
}

}  // namespace tidelog::server::sigv4
