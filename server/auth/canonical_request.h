// The SigV4 canonical request: URI encoding, path normalisation, canonical
// query string and canonical headers, exactly as botocore and AWS build them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/http_message.h"

namespace tidelog::server::sigv4 {

// Percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ (and '/' when
// keep_slash), with upper-case hex.
std::string UriEncode(std::string_view s, bool keep_slash);

// Decodes %XX escapes; a '%' not followed by two hex digits stays literal.
// '+' is not a space.
std::string PercentDecode(std::string_view s);

// RFC 3986 5.2.4 dot-segment removal that also collapses repeated slashes
// (botocore's remove_dot_segments).
std::string RemoveDotSegments(std::string_view path);

// Splits a request-target into path and query (without '?'). Accepts
// absolute-form targets ("http://host/p?q").
void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query);

// Query parameters, decoded, in arrival order. "a" yields ("a", "").
using QueryParams = std::vector<std::pair<std::string, std::string>>;
QueryParams ParseQuery(std::string_view query);

// The canonical path of a raw (as sent, percent-encoded) request path: dot
// segments removed, then every byte encoded again except '/'. This is the
// "encode twice" rule of every service but S3.
std::string CanonicalPath(std::string_view raw_path);

// Sorted by encoded key then encoded value, each re-encoded; parameters named
// `skip_key` (e.g. X-Amz-Signature) are left out.
std::string CanonicalQuery(const QueryParams& params, std::string_view skip_key = {});

// Trims and collapses runs of spaces and tabs to one space.
std::string TrimAll(std::string_view value);

// "name:value\n" for each name in `signed_headers` (lower-case), values of
// repeated headers comma-joined; a signed header missing from the request has
// an empty value.
std::string CanonicalHeaders(const HttpRequest& request,
                             const std::vector<std::string>& signed_headers);

// The full canonical request.
std::string CanonicalRequest(const HttpRequest& request, std::string_view canonical_query,
                             const std::vector<std::string>& signed_headers,
                             std::string_view signed_headers_text, std::string_view payload_hash);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical request)>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

}  // namespace tidelog::server::sigv4
