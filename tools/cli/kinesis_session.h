// A CLI subcommand's connection to Kinesis: the client built from the global
// flags and the AWS environment, calls that report AWS errors the way the
// AWS CLI does, and the helpers several subcommands share (open shards,
// waiting for ACTIVE).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/cli/cli_context.h"
#include "tools/cli/key_distribution.h"
#include "tools/client/kinesis_client.h"

namespace tidelog::cli {

class KinesisSession {
 public:
  // nullptr after printing why (no credentials, no region, bad URL).
  static std::unique_ptr<KinesisSession> Open(const CliContext& context);

  // True with the response body in *response; otherwise prints
  // "An error occurred (<type>) when calling the <operation> operation:
  // <message>" to stderr and remembers the error.
  bool Call(const std::string& operation, const std::string& body, std::string* response);
  const client::AwsError& last_error() const { return last_error_; }

  // The stream's open shards (ListShards, every page).
  bool ListOpenShards(const std::string& stream, std::vector<ShardSlot>* out);
  // Every shard (open and closed) as ListShards returns them, raw JSON
  // objects in one array.
  bool ListAllShardsJson(const std::string& stream, std::string* json_array);

  // Polls DescribeStreamSummary until the stream is ACTIVE (or, with
  // `until_gone`, until it is not found), at most `timeout_s`. Shows a
  // progress line on a terminal's stderr, plain lines otherwise.
  bool WaitForStatus(const std::string& stream, bool until_gone, int timeout_s);

 private:
  KinesisSession(client::Endpoint endpoint, server::Credential credential, std::string region,
                 client::TlsOptions tls)
      : client_(std::move(endpoint), std::move(credential), std::move(region), std::move(tls)) {}
  client::KinesisClient client_;
  client::AwsError last_error_;
};

// Exit status for a failed call (kExitFailure); the error is already printed.
inline int CallFailed() { return kExitFailure; }

}  // namespace tidelog::cli
