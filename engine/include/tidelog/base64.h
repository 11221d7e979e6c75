// Strict standard base64 (RFC 4648 section 4, padded). Written here because
// no Debian 12 library is fit: libb64 wraps lines and skips invalid input,
// modp_b64 and OpenSSL's EVP_DecodeBlock accept unpadded or garbage tails.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tidelog {

// Exact encoded length of n bytes: 4 * ceil(n / 3).
constexpr size_t Base64EncodedLength(size_t n) { return (n + 2) / 3 * 4; }

// Writes Base64EncodedLength(in.size()) bytes to out.
void Base64EncodeTo(std::string_view in, char* out);
std::string Base64Encode(std::string_view in);

// Decodes padded base64. Rejects (returns false) characters outside the
// alphabet, lengths not a multiple of 4, misplaced '=' and non-zero padding
// bits. Appends the bytes to *out.
bool Base64Decode(std::string_view in, std::string* out);

}  // namespace tidelog
