// Credentials and region from the standard AWS environment variables, as the
// AWS CLI and SDKs read them.
#pragma once

#include <optional>
#include <string>

#include "server/auth/sigv4.h"

namespace tidelog::client {

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN.
// nullopt when the key id or the secret is unset or empty.
std::optional<server::Credential> CredentialFromEnvironment();

// `flag` when non-empty, else AWS_REGION, else AWS_DEFAULT_REGION; nullopt
// when none is set.
std::optional<std::string> ResolveRegion(const std::string& flag);

// `flag` when non-empty, else AWS_CA_BUNDLE (may be empty: the system store).
std::string ResolveCaBundle(const std::string& flag);

// https://kinesis.<region>.amazonaws.com (the .cn partition for cn-*).
std::string DefaultKinesisEndpoint(const std::string& region);

}  // namespace tidelog::client
