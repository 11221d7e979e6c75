// SHA-256 and HMAC-SHA256 (OpenSSL) as SigV4 uses them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tidelog::server::sigv4 {

using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::string_view data);
Digest HmacSha256(std::string_view key, std::string_view data);
std::string HexEncode(const Digest& digest);  // lower-case, 64 chars
std::string Sha256Hex(std::string_view data);

// kSigning = HMAC chain over "AWS4" + secret, date, region, service, "aws4_request".
Digest DeriveSigningKey(std::string_view secret, std::string_view date8, std::string_view region,
                        std::string_view service);

// Constant-time equality of two strings (false at once if lengths differ;
// lengths are not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tidelog::server::sigv4
