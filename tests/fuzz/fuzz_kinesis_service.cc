// Fuzz target: KinesisService's whole request path over a real engine in a tmpfs directory.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/kinesis_service.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/json_tree.h"
#include "tidelog/engine.h"

namespace {

using tidelog::server::HttpRequest;
using tidelog::server::HttpResponse;
namespace k = tidelog::server::kinesis;

constexpr std::string_view kDirPrefix = "tidelog-fuzz-service-";
constexpr int64_t kStartMicros = 1704067200LL * 1000 * 1000;  // 2024-01-01T00:00:00Z
// Inputs between two resets of the engine's streams (bounds what puts store).
constexpr uint64_t kResetEvery = 2000;

// Removes the directories of earlier runs whose process is gone.
void RemoveStale(const std::filesystem::path& parent) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kDirPrefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + kDirPrefix.size(), nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

struct World {
  std::shared_ptr<tidelog::ManualClock> clock =
      std::make_shared<tidelog::ManualClock>(kStartMicros);
  std::string dir;
  std::unique_ptr<tidelog::Engine> engine;
  std::unique_ptr<tidelog::server::KinesisService> service;
  uint64_t inputs = 0;

  World() {
    const std::filesystem::path parent =
        std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    RemoveStale(parent);
    dir = (parent / (std::string(kDirPrefix) + std::to_string(getpid()))).string();
    std::filesystem::remove_all(dir);
    tidelog::EngineOptions options;
    options.data_dir = dir;
    options.durability = tidelog::Durability::kAsync;
    options.clock = clock;
    options.retention_interval_ms = 0;
    options.stream_transition_ms = 0;
    options.subscription_lifetime_ms = 1000;
    options.block_cache_bytes = 8 << 20;
    options.write_buffer_bytes = 4 << 20;
    options.min_free_bytes = 0;
    options.shard_limit = 200;  // CreateStream bodies may ask for many
    options.log_sink = [](tidelog::LogSeverity, std::string_view) {};
    const tidelog::Status s = tidelog::Engine::Open(options, &engine);
    if (!s.ok()) {
      std::fprintf(stderr, "engine open failed: %s\n", s.ToString().c_str());
      std::abort();
    }
    service = std::make_unique<tidelog::server::KinesisService>(
        engine.get(), tidelog::server::KinesisServiceOptions{nullptr, 1});
    Populate();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(Get().dir, ec);
    });
  }

  static World& Get() {
    static World* world = new World();
    return *world;
  }

  // The stream the seeds name ("fuzz", 2 shards, one consumer, a record).
  void Populate() {
    tidelog::CreateStreamRequest create;
    create.stream_name = "fuzz";
    create.shard_count = 2;
    (void)engine->CreateStream(create);
    tidelog::ConsumerInfo consumer;
    (void)engine->RegisterStreamConsumer("fuzz", "fuzz-consumer", &consumer);
    tidelog::PutRecordResult result;
    (void)engine->PutRecord("fuzz", tidelog::PutRecordEntry{"key", "data", std::nullopt},
                            std::nullopt, &result);
  }

  // Deletes every stream and starts again, so stored data stays bounded.
  void Reset() {
    std::vector<tidelog::StreamInfo> streams;
    (void)engine->ListStreams(&streams);
    for (const auto& s : streams) (void)engine->DeleteStream(s.stream_name, true);
    Populate();
  }
};

const std::string* FindHeader(const HttpResponse& r, std::string_view lower) {
  for (const auto& [name, value] : r.headers) {
    if (name.size() == lower.size() &&
        std::equal(name.begin(), name.end(), lower.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      return &value;
  }
  return nullptr;
}

void CheckResponse(HttpResponse& r, bool cbor, std::string_view input) {
  FUZZ_CHECK(r.status >= 200 && r.status <= 599, input);
  if (r.stream) {
    FUZZ_CHECK(r.body.empty() && r.status == 200, input);
    r.stream->Cancel();  // the client goes away at once
    return;
  }
  const std::string* type = FindHeader(r, "content-type");
  if (type == nullptr || r.body.empty()) return;
  k::JsonValue tree;
  if (*type == k::kCborContentType) {
    FUZZ_CHECK(cbor, input);  // answers are in the request's format
    FUZZ_CHECK(k::ParseCbor(r.body, &tree), r.body);
  } else if (*type == "application/x-amz-json-1.1") {
    FUZZ_CHECK(!cbor, input);
    FUZZ_CHECK(k::ParseJson(r.body, &tree), r.body);
  } else {
    return;
  }
  FUZZ_CHECK(tree.is_object(), r.body);
  if (const std::string* error = FindHeader(r, "x-amzn-errortype")) {
    FUZZ_CHECK(r.status >= 400, input);
    const k::JsonValue* body_type = tree.Find("__type");
    FUZZ_CHECK(body_type != nullptr && body_type->string == *error, r.body);
  }
}

}  // namespace

// The whole request path of KinesisService (server/kinesis/kinesis_service.cc): a request body,
// JSON or CBOR, for any operation, through CheckHead and Handle (head checks, parsing, the put fast
// paths, model checks, the operation) over a real engine in a tmpfs directory. Every answer must
// come, and be well-formed in the request's format.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  World& world = World::Get();
  if (++world.inputs % kResetEvery == 0) world.Reset();
  world.clock->AdvanceMillis(1);

  // Byte 0: the operation (one past the list: an unknown one); byte 1: bit 0
  // CBOR, bit 1 a CORS Origin, bit 2 GET instead of POST; then the body.
  constexpr size_t kOps = std::size(tidelog::fuzz::kOperations);
  const size_t op = data[0] % (kOps + 1);
  const bool cbor = (data[1] & 1) != 0;
  HttpRequest request;
  request.method = data[1] & 4 ? "GET" : "POST";
  request.target = "/";
  request.body = std::string(tidelog::fuzz::AsView(data + 2, size - 2));
  request.headers = {
      {"host", "kinesis.us-east-1.amazonaws.com"},
      {"content-type", cbor ? std::string(k::kCborContentType) : "application/x-amz-json-1.1"},
      {"x-amz-target",
       "Kinesis_20131202." + std::string(op < kOps ? tidelog::fuzz::kOperations[op] : "Unknown")},
      {"content-length", std::to_string(request.body.size())},
  };
  if (data[1] & 2) request.headers.emplace_back("origin", "http://localhost:3000");
  request.remote_address = "127.0.0.1:1";
  const std::string_view input = tidelog::fuzz::AsView(data, size);

  HttpRequest head = request;
  head.body.clear();
  if (std::optional<HttpResponse> early = world.service->CheckHead(head)) {
    CheckResponse(*early, cbor, input);
    return 0;
  }
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  std::future<HttpResponse> answer = promise->get_future();
  world.service->Handle(std::move(request),
                        [promise](HttpResponse r) { promise->set_value(std::move(r)); });
  FUZZ_CHECK(
      answer.wait_for(std::chrono::seconds(20)) == std::future_status::ready && "no answer in 20 s",
      input);
  HttpResponse response = answer.get();
  CheckResponse(response, cbor, input);
  return 0;
}
