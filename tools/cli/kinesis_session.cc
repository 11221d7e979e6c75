// Client setup from flags and environment, AWS-CLI-style error reports,
// ListShards paging and the bounded ACTIVE poll.
#include "tools/cli/kinesis_session.h"

#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "tools/cli/output.h"
#include "tools/client/aws_environment.h"

namespace tidelog::cli {
namespace {

constexpr int kPollStartMs = 100;
constexpr int kPollMaxMs = 2000;

}  // namespace

std::unique_ptr<KinesisSession> KinesisSession::Open(const CliContext& context) {
  std::optional<std::string> region = client::ResolveRegion(context.region);
  if (!region) {
    if (context.endpoint_url.empty()) {
      std::fprintf(stderr,
                   "You must specify a region: --region, AWS_REGION or AWS_DEFAULT_REGION.\n");
      return nullptr;
    }
    region = "us-east-1";  // a local endpoint: tidelogd's default --region
  }
  std::optional<server::Credential> credential = client::CredentialFromEnvironment();
  if (!credential) {
    std::fprintf(stderr,
                 "Unable to locate credentials: set AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY.\n");
    return nullptr;
  }
  const std::string url =
      context.endpoint_url.empty() ? client::DefaultKinesisEndpoint(*region) : context.endpoint_url;
  client::Endpoint endpoint;
  if (auto error = client::ParseEndpointUrl(url, &endpoint)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return nullptr;
  }
  client::TlsOptions tls{!context.no_verify_ssl, client::ResolveCaBundle(context.ca_bundle)};
  return std::unique_ptr<KinesisSession>(
      new KinesisSession(std::move(endpoint), std::move(*credential), *region, std::move(tls)));
}

bool KinesisSession::Call(const std::string& operation, const std::string& body,
                          std::string* response) {
  client::CallResult result = client_.Call(operation, body);
  if (result.ok()) {
    *response = std::move(result.body);
    return true;
  }
  last_error_ = client::DescribeFailure(result);
  std::fprintf(stderr, "An error occurred (%s) when calling the %s operation: %s\n",
               last_error_.type.c_str(), operation.c_str(), last_error_.message.c_str());
  return false;
}

bool KinesisSession::ListAllShardsJson(const std::string& stream, std::string* json_array) {
  std::string next_token;
  *json_array = "[";
  bool first = true;
  simdjson::dom::parser parser;
  // Bounded: 10,000 pages of up to 1,000 shards.
  for (int page = 0; page < 10000; ++page) {
    JsonBuilder request;
    request.BeginObject();
    if (next_token.empty()) {
      request.Key("StreamName").Str(stream);
    } else {
      request.Key("NextToken").Str(next_token);
    }
    request.EndObject();
    std::string response;
    if (!Call("ListShards", request.str(), &response)) return false;
    simdjson::dom::element doc;
    simdjson::dom::array shards;
    if (parser.parse(response).get(doc) != simdjson::SUCCESS ||
        doc["Shards"].get(shards) != simdjson::SUCCESS) {
      std::fprintf(stderr, "ListShards: unexpected response: %s\n", response.c_str());
      return false;
    }
    for (simdjson::dom::element shard : shards) {
      if (!first) *json_array += ",";
      first = false;
      *json_array += simdjson::minify(shard);
    }
    std::string_view token;
    if (doc["NextToken"].get(token) != simdjson::SUCCESS || token.empty()) {
      *json_array += "]";
      return true;
    }
    next_token = std::string(token);
  }
  std::fprintf(stderr, "ListShards: too many pages\n");
  return false;
}

bool KinesisSession::ListOpenShards(const std::string& stream, std::vector<ShardSlot>* out) {
  std::string all;
  if (!ListAllShardsJson(stream, &all)) return false;
  simdjson::dom::parser parser;
  simdjson::dom::array shards;
  if (parser.parse(all).get(shards) != simdjson::SUCCESS) return false;
  out->clear();
  for (simdjson::dom::element shard : shards) {
    std::string_view id, start, end, ending_sequence;
    if (shard["SequenceNumberRange"]["EndingSequenceNumber"].get(ending_sequence) ==
        simdjson::SUCCESS)
      continue;  // closed
    ShardSlot slot;
    if (shard["ShardId"].get(id) != simdjson::SUCCESS ||
        shard["HashKeyRange"]["StartingHashKey"].get(start) != simdjson::SUCCESS ||
        shard["HashKeyRange"]["EndingHashKey"].get(end) != simdjson::SUCCESS ||
        !ParseU128Decimal(start, &slot.range.starting_hash_key) ||
        !ParseU128Decimal(end, &slot.range.ending_hash_key)) {
      std::fprintf(stderr, "ListShards: a shard without a valid HashKeyRange\n");
      return false;
    }
    slot.shard_id = std::string(id);
    out->push_back(std::move(slot));
  }
  return true;
}

bool KinesisSession::WaitForStatus(const std::string& stream, bool until_gone, int timeout_s) {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(timeout_s);
  std::string last_status;
  int delay_ms = kPollStartMs;
  simdjson::dom::parser parser;
  for (;;) {
    JsonBuilder request;
    request.BeginObject().Key("StreamName").Str(stream).EndObject();
    client::CallResult result = client_.Call("DescribeStreamSummary", request.str());
    std::string status;
    if (result.ok()) {
      simdjson::dom::element doc;
      std::string_view s;
      if (parser.parse(result.body).get(doc) == simdjson::SUCCESS &&
          doc["StreamDescriptionSummary"]["StreamStatus"].get(s) == simdjson::SUCCESS)
        status = std::string(s);
    } else {
      last_error_ = client::DescribeFailure(result);
      if (until_gone && last_error_.type == "ResourceNotFoundException") status = "DELETED";
      if (status.empty()) {
        if (tty) std::fputs("\n", stderr);
        std::fprintf(stderr, "An error occurred (%s) when calling the %s operation: %s\n",
                     last_error_.type.c_str(), "DescribeStreamSummary",
                     last_error_.message.c_str());
        return false;
      }
    }
    const bool done = until_gone ? status == "DELETED" : status == "ACTIVE";
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (tty) {
      std::fprintf(stderr, "\rwaiting for %s: %-9s %5.1fs", stream.c_str(), status.c_str(),
                   elapsed);
      if (done) std::fputs("\n", stderr);
    } else if (status != last_status) {
      std::fprintf(stderr, "%s: %s\n", stream.c_str(), status.c_str());
    }
    last_status = status;
    if (done) return true;
    if (std::chrono::steady_clock::now() >= deadline) {
      if (tty) std::fputs("\n", stderr);
      std::fprintf(stderr, "%s still %s after %d s\n", stream.c_str(), status.c_str(), timeout_s);
      last_error_ = {"Timeout", "stream not " + std::string(until_gone ? "deleted" : "ACTIVE")};
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    delay_ms = std::min(kPollMaxMs, delay_ms * 2);
  }
}

}  // namespace tidelog::cli
