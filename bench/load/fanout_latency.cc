// tidelog_fanout: SubscribeToShard push latency against a running tidelogd,
// with native clients (so the measurement is the broker's, not a Python
// decoder's). One writer puts --rate records/s with PutRecord, each record's
// Data its send time (steady clock, microseconds, decimal); --subscribers
// consumers each read the shard's event stream over HTTP/1.1 and record
// receive time minus send time. Prints p50 / p99 / max over every delivery.
//
//   tidelog_fanout --endpoint 127.0.0.1:4567 [--subscribers 1] [--rate 1000]
//                  [--seconds 5] [--access-key-id A --secret-access-key S]
//                  [--region us-east-1]
#include <simdjson.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/kinesis/event_stream.h"
#include "tidelog/base64.h"
#include "tools/client/kinesis_client.h"

namespace tidelog::load {
namespace {

using client::CallResult;
using client::KinesisClient;
using client::MonoMicros;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 4567;
  int subscribers = 1;
  int rate = 1000;
  int seconds = 5;
  std::string access_key_id = "x", secret_access_key = "x", region = "us-east-1";
};

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--endpoint") {
      size_t colon = v.rfind(':');
      if (colon == std::string::npos) return false;
      o->host = v.substr(0, colon);
      o->port = static_cast<uint16_t>(std::stoi(v.substr(colon + 1)));
    } else if (k == "--subscribers") {
      o->subscribers = std::clamp(std::stoi(v), 1, 20);  // consumers per stream
    } else if (k == "--rate") {
      o->rate = std::clamp(std::stoi(v), 1, 100000);
    } else if (k == "--seconds") {
      o->seconds = std::clamp(std::stoi(v), 1, 3600);
    } else if (k == "--access-key-id") {
      o->access_key_id = v;
    } else if (k == "--secret-access-key") {
      o->secret_access_key = v;
    } else if (k == "--region") {
      o->region = v;
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

// One subscriber: its connection, and the latencies it saw (its thread only
// until joined).
struct Subscriber {
  std::unique_ptr<KinesisClient> client;
  std::vector<int64_t> latencies_us;
  std::atomic<size_t> received{0};  // latencies_us.size(), readable by the main thread
  std::atomic<bool> started{false};
  std::string error;
};

// Reads event messages until the stream ends or `expected` records arrived.
void Subscribe(Subscriber* sub, const std::string& consumer_arn, size_t expected) {
  std::string body = R"({"ConsumerARN":")" + consumer_arn +
                     R"(","ShardId":"shardId-000000000000","StartingPosition":{"Type":"LATEST"}})";
  if (!sub->client->OpenStream("SubscribeToShard", body, &sub->error)) {
    sub->started = true;
    return;
  }
  simdjson::dom::parser parser;
  std::string buffer, data;
  while (sub->latencies_us.size() < expected && sub->client->ReadStream(&buffer)) {
    for (;;) {
      server::kinesis::DecodedEventMessage m;
      if (server::kinesis::DecodeEventStreamMessage(buffer, &m) !=
          server::kinesis::EventStreamError::kOk)
        break;
      const int64_t now = MonoMicros();
      const auto* type = m.Find(":event-type");
      if (type != nullptr && type->bytes_value == "SubscribeToShardEvent") {
        sub->started = true;
        simdjson::dom::element doc;
        if (parser.parse(m.payload.data(), m.payload.size()).get(doc) == simdjson::SUCCESS) {
          simdjson::dom::array records;
          if (doc["Records"].get(records) == simdjson::SUCCESS) {
            for (simdjson::dom::element r : records) {
              std::string_view b64;
              if (r["Data"].get(b64) != simdjson::SUCCESS) continue;
              data.clear();
              if (!Base64Decode(b64, &data)) continue;
              sub->latencies_us.push_back(now - std::strtoll(data.c_str(), nullptr, 10));
              sub->received = sub->latencies_us.size();
            }
          }
        }
      } else if (type == nullptr) {
        sub->error = "exception event: " + std::string(m.payload);
      }
      buffer.erase(0, m.total_length);
    }
  }
  sub->started = true;
}

std::string JsonField(const std::string& json, std::string_view path1, std::string_view path2) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view v;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return "";
  if (doc[path1][path2].get(v) != simdjson::SUCCESS) return "";
  return std::string(v);
}

int Run(const Options& o) {
  server::Credential cred{o.access_key_id, o.secret_access_key, ""};
  KinesisClient control(o.host, o.port, cred, o.region);
  const std::string stream = "fanout-" + std::to_string(MonoMicros());
  CallResult r =
      control.Call("CreateStream", R"({"StreamName":")" + stream + R"(","ShardCount":1})");
  if (!r.ok()) return std::fprintf(stderr, "CreateStream: %d %s\n", r.status, r.body.c_str()), 1;
  std::string arn;
  for (int i = 0; i < 600; ++i) {  // bounded: 60 s
    r = control.Call("DescribeStreamSummary", R"({"StreamName":")" + stream + R"("})");
    if (JsonField(r.body, "StreamDescriptionSummary", "StreamStatus") == "ACTIVE") {
      arn = JsonField(r.body, "StreamDescriptionSummary", "StreamARN");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (arn.empty()) return std::fprintf(stderr, "stream never ACTIVE\n"), 1;

  const size_t total = static_cast<size_t>(o.rate) * static_cast<size_t>(o.seconds);
  std::vector<std::unique_ptr<Subscriber>> subs;
  std::vector<std::thread> threads;
  for (int i = 0; i < o.subscribers; ++i) {
    r = control.Call(
        "RegisterStreamConsumer",
        R"({"StreamARN":")" + arn + R"(","ConsumerName":"c)" + std::to_string(i) + "\"}");
    std::string consumer = JsonField(r.body, "Consumer", "ConsumerARN");
    if (consumer.empty())
      return std::fprintf(stderr, "RegisterStreamConsumer: %s\n", r.body.c_str()), 1;
    auto sub = std::make_unique<Subscriber>();
    sub->client = std::make_unique<KinesisClient>(o.host, o.port, cred, o.region);
    threads.emplace_back(Subscribe, sub.get(), consumer, total);
    subs.push_back(std::move(sub));
  }
  // Every subscriber has its first event (LATEST is fixed) before the writer starts.
  for (auto& s : subs) {
    for (int i = 0; i < 1000 && !s->started; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!s->error.empty()) return std::fprintf(stderr, "subscribe: %s\n", s->error.c_str()), 1;
  }

  const auto start = std::chrono::steady_clock::now();
  const auto interval = std::chrono::nanoseconds(1'000'000'000 / o.rate);
  size_t put = 0;
  for (size_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + interval * static_cast<int64_t>(i));
    std::string sent = std::to_string(MonoMicros());
    r = control.Call("PutRecord", R"({"StreamName":")" + stream +
                                      R"(","PartitionKey":"k","Data":")" + Base64Encode(sent) +
                                      "\"}");
    put += r.ok() ? 1 : 0;
  }
  const double put_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Subscribers stop once they have every record; bounded wait, then end them.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (size_t i = 0; i < subs.size(); ++i) {
    while (subs[i]->received < put && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& s : subs) s->client->ShutdownStream();
  for (auto& t : threads) t.join();

  std::vector<int64_t> all;
  for (auto& s : subs) all.insert(all.end(), s->latencies_us.begin(), s->latencies_us.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty()
               ? 0.0
               : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))] / 1000.0;
  };
  std::printf(
      "subscribers %d: put %zu records in %.2f s (%.0f/s); %zu of %zu deliveries; latency ms "
      "p50 %.3f p99 %.3f max %.3f\n",
      o.subscribers, put, put_s, put / put_s, all.size(), put * subs.size(), pct(0.50), pct(0.99),
      all.empty() ? 0.0 : all.back() / 1000.0);
  control.Call("DeleteStream",
               R"({"StreamName":")" + stream + R"(","EnforceConsumerDeletion":true})");
  return all.size() == put * subs.size() ? 0 : 2;
}

}  // namespace
}  // namespace tidelog::load

int main(int argc, char** argv) {
  tidelog::load::Options o;
  if (!tidelog::load::ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: tidelog_fanout --endpoint HOST:PORT [--subscribers N] [--rate R] "
                 "[--seconds S] [--access-key-id A --secret-access-key S] [--region R]\n");
    return 2;
  }
  return tidelog::load::Run(o);
}
