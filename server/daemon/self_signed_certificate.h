// A self-signed TLS certificate for local development (--tls-self-signed),
// made once under the data directory so clients can trust it by path.
#pragma once

#include <string>

namespace tidelog::server {

// The certificate and key files under `dir` (cert.pem, key.pem): made on the
// first call (an ECDSA P-256 key, the certificate valid for localhost,
// 127.0.0.1 and ::1 for 825 days, the key readable by the owner only),
// reused afterwards. False with a message when they cannot be made.
bool EnsureSelfSignedCertificate(const std::string& dir, std::string* cert_file,
                                 std::string* key_file, std::string* error);

}  // namespace tidelog::server
