// Reads the AWS environment variables the CLI honours.
#include "tools/client/aws_environment.h"

#include <cstdlib>

namespace tidelog::client {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::optional<server::Credential> CredentialFromEnvironment() {
  server::Credential credential{Env("AWS_ACCESS_KEY_ID"), Env("AWS_SECRET_ACCESS_KEY"),
                                Env("AWS_SESSION_TOKEN")};
  if (credential.access_key_id.empty() || credential.secret_access_key.empty()) return std::nullopt;
  return credential;
}

std::optional<std::string> ResolveRegion(const std::string& flag) {
  if (!flag.empty()) return flag;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string value = Env(name);
    if (!value.empty()) return value;
  }
  return std::nullopt;
}

std::string ResolveCaBundle(const std::string& flag) {
  return flag.empty() ? Env("AWS_CA_BUNDLE") : flag;
}

std::string DefaultKinesisEndpoint(const std::string& region) {
  const bool china = region.rfind("cn-", 0) == 0;
  return "https://kinesis." + region + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

}  // namespace tidelog::client
