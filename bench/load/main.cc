// tidelog_load: a load generator for tidelogd (or any Kinesis endpoint).
// Modes putrecords, putrecord, getrecords and put-to-get; see LoadUsage().
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/load_options.h"
#include "tidelog/base64.h"
#include "tools/client/kinesis_client.h"

namespace tidelog::load {
namespace {

using client::CallResult;
using client::KinesisClient;
using client::MonoMicros;

// Figures gathered by one thread, merged at the end.
struct Stats {
  int64_t records_ok = 0;
  int64_t records_failed = 0;
  int64_t calls_ok = 0;
  int64_t calls_failed = 0;
  int64_t data_bytes = 0;
  std::vector<int64_t> latencies_us;
  std::string first_error;

  void Merge(const Stats& o) {
    records_ok += o.records_ok;
    records_failed += o.records_failed;
    calls_ok += o.calls_ok;
    calls_failed += o.calls_failed;
    data_bytes += o.data_bytes;
    latencies_us.insert(latencies_us.end(), o.latencies_us.begin(), o.latencies_us.end());
    if (first_error.empty()) first_error = o.first_error;
  }
  void Fail(const CallResult& r) {
    ++calls_failed;
    if (first_error.empty()) {
      first_error = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status) + " " + r.body;
    }
  }
};

struct Percentiles {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

Percentiles ComputePercentiles(std::vector<int64_t> us) {
  Percentiles p;
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(us.size() - 1) + 0.5);
    return static_cast<double>(us[i]) / 1000.0;
  };
  p.p50_ms = at(0.50);
  p.p99_ms = at(0.99);
  p.max_ms = static_cast<double>(us.back()) / 1000.0;
  return p;
}

class Runner {
 public:
  explicit Runner(LoadOptions options) : o_(std::move(options)) {
    size_t colon = o_.endpoint.rfind(':');
    host_ = o_.endpoint.substr(0, colon);
    if (host_.size() >= 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
    port_ = static_cast<uint16_t>(std::stoi(o_.endpoint.substr(colon + 1)));
  }

  std::unique_ptr<KinesisClient> NewClient() const {
    return std::make_unique<KinesisClient>(
        host_, port_, server::Credential{o_.access_key_id, o_.secret_access_key}, o_.region);
  }

  bool SetUp(std::string* error) {
    control_ = NewClient();
    std::string body =
        R"({"StreamName":")" + o_.stream + R"(","ShardCount":)" + std::to_string(o_.shards) + "}";
    CallResult r = control_->Call("CreateStream", body);
    if (!r.ok() && r.body.find("ResourceInUseException") == std::string::npos) {
      *error = "CreateStream: " + Describe(r);
      return false;
    }
    const int64_t deadline = MonoMicros() + 60'000'000;
    for (;;) {
      r = control_->Call("DescribeStreamSummary", R"({"StreamName":")" + o_.stream + R"("})");
      if (r.ok() && r.body.find(R"("StreamStatus":"ACTIVE")") != std::string::npos) break;
      if (MonoMicros() > deadline) {
        *error = "stream did not become ACTIVE: " + Describe(r);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    r = control_->Call("ListShards", R"({"StreamName":")" + o_.stream + R"("})");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (!r.ok() || parser.parse(r.body).get(doc)) {
      *error = "ListShards: " + Describe(r);
      return false;
    }
    for (auto shard : doc["Shards"].get_array()) {
      std::string_view id = shard["ShardId"].get_string().value_unsafe();
      shard_ids_.emplace_back(id);
    }
    return true;
  }

  void TearDown() {
    if (!o_.keep_stream && control_) {
      control_->Call("DeleteStream", R"({"StreamName":")" + o_.stream + R"("})");
    }
  }

  // Random payloads are made once per thread; keys are random per record.
  struct Payloads {
    explicit Payloads(int record_bytes, uint64_t seed) : rng(seed) {
      std::string raw(static_cast<size_t>(record_bytes), '\0');
      for (int i = 0; i < 16; ++i) {
        for (char& c : raw) c = static_cast<char>(rng());
        data.push_back(Base64Encode(raw));
      }
    }
    const std::string& Data() { return data[rng() % data.size()]; }
    std::string Key() { return "user-" + std::to_string(rng() % 1000000000); }
    std::mt19937_64 rng;
    std::vector<std::string> data;
  };

  // PutRecords calls until `end_us`, or until `budget` (shared) runs out.
  Stats PutRecordsUntil(int64_t end_us, std::atomic<int64_t>* budget, uint64_t seed) {
    Stats s;
    auto client = NewClient();
    Payloads payloads(o_.record_bytes, seed);
    simdjson::dom::parser parser;
    while (MonoMicros() < end_us) {
      int n = o_.batch;
      if (budget != nullptr) {
        int64_t left = budget->fetch_sub(n);
        if (left <= 0) break;
        n = static_cast<int>(std::min<int64_t>(n, left));
      }
      std::string body = R"({"StreamName":")" + o_.stream + R"(","Records":[)";
      for (int i = 0; i < n; ++i) {
        if (i > 0) body.push_back(',');
        body.append(R"({"Data":")").append(payloads.Data());
        body.append(R"(","PartitionKey":")").append(payloads.Key()).append("\"}");
      }
      body.append("]}");
      const int64_t t0 = MonoMicros();
      CallResult r = client->Call("PutRecords", std::move(body));
      const int64_t t1 = MonoMicros();
      simdjson::dom::element doc;
      int64_t failed = 0;
      if (!r.ok() || parser.parse(r.body).get(doc) || doc["FailedRecordCount"].get(failed)) {
        s.Fail(r);
        if (budget != nullptr) budget->fetch_add(n);
        if (r.status == 0) break;
        continue;
      }
      ++s.calls_ok;
      s.records_ok += n - failed;
      s.records_failed += failed;
      if (budget != nullptr && failed > 0) budget->fetch_add(failed);
      s.data_bytes += (n - failed) * o_.record_bytes;
      s.latencies_us.push_back(t1 - t0);
    }
    return s;
  }

  Stats PutRecordUntil(int64_t end_us, uint64_t seed) {
    Stats s;
    auto client = NewClient();
    Payloads payloads(o_.record_bytes, seed);
    while (MonoMicros() < end_us) {
      std::string body = R"({"StreamName":")" + o_.stream + R"(","Data":")" + payloads.Data() +
                         R"(","PartitionKey":")" + payloads.Key() + "\"}";
      const int64_t t0 = MonoMicros();
      CallResult r = client->Call("PutRecord", std::move(body));
      const int64_t t1 = MonoMicros();
      if (!r.ok()) {
        s.Fail(r);
        ++s.records_failed;
        if (r.status == 0) break;
        continue;
      }
      ++s.calls_ok;
      ++s.records_ok;
      s.data_bytes += o_.record_bytes;
      s.latencies_us.push_back(t1 - t0);
    }
    return s;
  }

  std::string Iterator(KinesisClient* client, const std::string& shard, const char* type) {
    CallResult r =
        client->Call("GetShardIterator", R"({"StreamName":")" + o_.stream + R"(","ShardId":")" +
                                             shard + R"(","ShardIteratorType":")" + type + "\"}");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view it;
    if (!r.ok() || parser.parse(r.body).get(doc) || doc["ShardIterator"].get(it)) return "";
    return std::string(it);
  }

  // Reads one shard from TRIM_HORIZON until caught up.
  Stats DrainShard(const std::string& shard) {
    Stats s;
    auto client = NewClient();
    std::string iterator = Iterator(client.get(), shard, "TRIM_HORIZON");
    simdjson::dom::parser parser;
    while (!iterator.empty()) {
      const int64_t t0 = MonoMicros();
      CallResult r =
          client->Call("GetRecords", R"({"ShardIterator":")" + iterator + R"(","Limit":10000})");
      const int64_t t1 = MonoMicros();
      simdjson::dom::element doc;
      simdjson::dom::array records;
      int64_t behind = 0;
      if (!r.ok() || parser.parse(r.body).get(doc) || doc["Records"].get(records) ||
          doc["MillisBehindLatest"].get(behind)) {
        s.Fail(r);
        break;
      }
      ++s.calls_ok;
      s.latencies_us.push_back(t1 - t0);
      const int64_t n = static_cast<int64_t>(records.size());
      s.records_ok += n;
      s.data_bytes += n * o_.record_bytes;
      std::string_view next;
      iterator = doc["NextShardIterator"].get(next) ? "" : std::string(next);
      if (n == 0 && behind == 0) break;
    }
    return s;
  }

  int64_t ElapsedSince(int64_t start_us) const { return MonoMicros() - start_us; }

  void Report(const char* what, const Stats& s, int64_t elapsed_us, const std::string& extra_json,
              bool records_are_reads) {
    const double secs = static_cast<double>(elapsed_us) / 1e6;
    const double rps = static_cast<double>(s.records_ok) / secs;
    const double mbps = static_cast<double>(s.data_bytes) / secs / (1 << 20);
    const double cps = static_cast<double>(s.calls_ok) / secs;
    Percentiles p = ComputePercentiles(s.latencies_us);
    std::printf("mode          %s\n", o_.mode.c_str());
    std::printf("endpoint      %s, stream %s (%d shards)\n", o_.endpoint.c_str(), o_.stream.c_str(),
                o_.shards);
    std::printf("connections   %d, record %d B%s\n", o_.connections, o_.record_bytes,
                o_.mode == "putrecords" || o_.mode == "getrecords"
                    ? (", batch " + std::to_string(o_.batch)).c_str()
                    : "");
    std::printf("elapsed       %.2f s\n", secs);
    std::printf("%-13s %" PRId64 " (%.0f records/s, %.2f MiB/s of data)\n", what, s.records_ok, rps,
                mbps);
    if (!records_are_reads) {
      std::printf("failed        %" PRId64 " records, %" PRId64 " calls\n", s.records_failed,
                  s.calls_failed);
    }
    std::printf("calls         %" PRId64 " ok (%.1f calls/s)\n", s.calls_ok, cps);
    std::printf("%-13s p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
                o_.mode == "put-to-get" ? "put->get" : "call latency", p.p50_ms, p.p99_ms,
                p.max_ms);
    if (!s.first_error.empty()) std::printf("first error   %s\n", s.first_error.c_str());
    if (o_.json) {
      std::printf(
          "{\"mode\":\"%s\",\"shards\":%d,\"connections\":%d,\"record_bytes\":%d,\"batch\":%d,"
          "\"elapsed_s\":%.3f,\"records\":%" PRId64
          ",\"records_per_s\":%.1f,\"mib_per_s\":%.3f,"
          "\"calls_per_s\":%.1f,\"failed_records\":%" PRId64 ",\"failed_calls\":%" PRId64
          ",\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f%s}\n",
          o_.mode.c_str(), o_.shards, o_.connections, o_.record_bytes, o_.batch, secs, s.records_ok,
          rps, mbps, cps, s.records_failed, s.calls_failed, p.p50_ms, p.p99_ms, p.max_ms,
          extra_json.c_str());
    }
  }

  template <class Fn>
  Stats RunThreads(int n, Fn fn) {
    std::vector<Stats> per_thread(static_cast<size_t>(n));
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { per_thread[i] = fn(i); });
    for (auto& t : threads) t.join();
    Stats total;
    for (const Stats& s : per_thread) total.Merge(s);
    return total;
  }

  int Run() {
    const int64_t duration_us = static_cast<int64_t>(o_.duration_s * 1e6);
    if (o_.mode == "putrecords" || o_.mode == "putrecord") {
      const int64_t start = MonoMicros();
      Stats s = RunThreads(o_.connections, [&](int i) {
        return o_.mode == "putrecords" ? PutRecordsUntil(start + duration_us, nullptr, 1000 + i)
                                       : PutRecordUntil(start + duration_us, 1000 + i);
      });
      Report("acknowledged", s, ElapsedSince(start), "", false);
      return s.calls_ok > 0 ? 0 : 1;
    }
    if (o_.mode == "getrecords") {
      std::atomic<int64_t> budget{o_.prefill};
      const int64_t fill_start = MonoMicros();
      Stats fill = RunThreads(o_.connections, [&](int i) {
        return PutRecordsUntil(fill_start + 600'000'000, &budget, 2000 + i);
      });
      std::fprintf(stderr, "prefilled %" PRId64 " records in %.2f s\n", fill.records_ok,
                   static_cast<double>(ElapsedSince(fill_start)) / 1e6);
      const int64_t start = MonoMicros();
      Stats s = RunThreads(static_cast<int>(shard_ids_.size()),
                           [&](int i) { return DrainShard(shard_ids_[i]); });
      const int64_t elapsed = ElapsedSince(start);
      std::string extra = ",\"prefilled\":" + std::to_string(fill.records_ok);
      Report("read", s, elapsed, extra, true);
      if (s.records_ok != fill.records_ok) {
        std::printf("MISMATCH      read %" PRId64 " of %" PRId64 " records written\n", s.records_ok,
                    fill.records_ok);
        return 1;
      }
      return 0;
    }
    return RunPutToGet(duration_us);
  }

  int RunPutToGet(int64_t duration_us) {
    const int64_t total = static_cast<int64_t>(o_.rate * o_.duration_s);
    std::vector<std::atomic<int64_t>> acked_at(static_cast<size_t>(total));
    std::vector<std::string> iterators;
    {
      auto client = NewClient();
      for (const std::string& shard : shard_ids_) {
        iterators.push_back(Iterator(client.get(), shard, "LATEST"));
        if (iterators.back().empty()) {
          std::fprintf(stderr, "GetShardIterator failed for %s\n", shard.c_str());
          return 1;
        }
      }
    }
    std::atomic<int64_t> seen{0};
    std::atomic<bool> writers_done{false};
    std::atomic<int64_t> acked{0};
    std::vector<Stats> reader_stats(shard_ids_.size());
    std::vector<std::thread> readers;
    for (size_t i = 0; i < shard_ids_.size(); ++i) {
      readers.emplace_back([&, i] {
        Stats& s = reader_stats[i];
        auto client = NewClient();
        simdjson::dom::parser parser;
        std::string iterator = iterators[i];
        int64_t idle_deadline = 0;
        while (!iterator.empty()) {
          CallResult r = client->Call("GetRecords",
                                      R"({"ShardIterator":")" + iterator + R"(","Limit":10000})");
          const int64_t now = MonoMicros();
          simdjson::dom::element doc;
          simdjson::dom::array records;
          if (!r.ok() || parser.parse(r.body).get(doc) || doc["Records"].get(records)) {
            s.Fail(r);
            break;
          }
          ++s.calls_ok;
          for (auto record : records) {
            std::string_view data = record["Data"].get_string().value_unsafe();
            std::string raw;
            if (!Base64Decode(data, &raw)) continue;
            int64_t id = std::strtoll(raw.c_str(), nullptr, 10);
            if (id < 0 || id >= total) continue;
            int64_t ack = acked_at[static_cast<size_t>(id)].load();
            // Read before the writer saw its acknowledgement: zero latency.
            s.latencies_us.push_back(ack == 0 ? 0 : std::max<int64_t>(0, now - ack));
            ++s.records_ok;
            s.data_bytes += static_cast<int64_t>(raw.size());
            seen.fetch_add(1);
          }
          std::string_view next;
          iterator = doc["NextShardIterator"].get(next) ? "" : std::string(next);
          if (writers_done.load() && seen.load() >= acked.load()) break;
          if (records.size() == 0) {
            if (writers_done.load()) {
              if (idle_deadline == 0) idle_deadline = now + 10'000'000;
              if (now > idle_deadline) break;  // records never seen: reported below
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(o_.poll_interval_ms));
          }
        }
      });
    }
    std::atomic<int64_t> next_id{0};
    const int64_t start = MonoMicros();
    Stats writes = RunThreads(o_.connections, [&](int w) {
      Stats s;
      auto client = NewClient();
      Payloads payloads(1, 3000 + w);
      for (;;) {
        int64_t id = next_id.fetch_add(1);
        if (id >= total) break;
        // Paced globally: record `id` is due at start + id / rate.
        int64_t due = start + static_cast<int64_t>(static_cast<double>(id) * 1e6 / o_.rate);
        int64_t wait = due - MonoMicros();
        if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait));
        std::string raw = std::to_string(id);
        raw.resize(std::max<size_t>(raw.size() + 1, static_cast<size_t>(o_.record_bytes)), ' ');
        std::string body = R"({"StreamName":")" + o_.stream + R"(","Data":")" + Base64Encode(raw) +
                           R"(","PartitionKey":")" + payloads.Key() + "\"}";
        CallResult r = client->Call("PutRecord", std::move(body));
        if (!r.ok()) {
          s.Fail(r);
          ++s.records_failed;
          continue;
        }
        acked_at[static_cast<size_t>(id)].store(MonoMicros());
        acked.fetch_add(1);
        ++s.records_ok;
        ++s.calls_ok;
      }
      return s;
    });
    writers_done.store(true);
    for (auto& t : readers) t.join();
    Stats reads;
    for (const Stats& s : reader_stats) reads.Merge(s);
    reads.records_failed = writes.records_failed;
    reads.calls_failed += writes.calls_failed;
    if (reads.first_error.empty()) reads.first_error = writes.first_error;
    std::string extra = ",\"written\":" + std::to_string(writes.records_ok) +
                        ",\"rate\":" + std::to_string(o_.rate);
    std::printf("written       %" PRId64 " records at %.0f records/s target\n", writes.records_ok,
                o_.rate);
    Report("read", reads, ElapsedSince(start), extra, false);
    (void)duration_us;
    return reads.records_ok == writes.records_ok ? 0 : 1;
  }

 private:
  std::string Describe(const CallResult& r) {
    return r.status == 0 ? r.error : "HTTP " + std::to_string(r.status) + " " + r.body;
  }

  LoadOptions o_;
  std::string host_;
  uint16_t port_ = 0;
  std::unique_ptr<KinesisClient> control_;
  std::vector<std::string> shard_ids_;
};

}  // namespace
}  // namespace tidelog::load

int main(int argc, char** argv) {
  using namespace tidelog::load;
  LoadOptions options;
  bool help = false;
  std::string error;
  if (!ParseLoadOptions(argc, argv, &options, &help, &error)) {
    std::fprintf(stderr, "tidelog_load: %s\n\n%s", error.c_str(), LoadUsage().c_str());
    return 2;
  }
  if (help) {
    std::fputs(LoadUsage().c_str(), stdout);
    return 0;
  }
  Runner runner(options);
  if (!runner.SetUp(&error)) {
    std::fprintf(stderr, "tidelog_load: %s\n", error.c_str());
    runner.TearDown();
    return 1;
  }
  int rc = runner.Run();
  runner.TearDown();
  return rc;
}
