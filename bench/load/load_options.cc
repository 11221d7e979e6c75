// Flag parsing for tidelog_load.
#include "bench/load/load_options.h"

#include <unistd.h>

#include <functional>
#include <map>

namespace tidelog::load {

bool ParseLoadOptions(int argc, char** argv, LoadOptions* o, bool* help, std::string* error) {
  using Set = std::function<bool(const std::string&)>;
  auto to_int = [](int* out, int min) {
    return [out, min](const std::string& v) {
      try {
        *out = std::stoi(v);
      } catch (...) {
        return false;
      }
      return *out >= min;
    };
  };
  auto to_double = [](double* out) {
    return [out](const std::string& v) {
      try {
        *out = std::stod(v);
      } catch (...) {
        return false;
      }
      return *out > 0;
    };
  };
  std::map<std::string, Set> flags = {
      {"endpoint", [&](const std::string& v) { return !(o->endpoint = v).empty(); }},
      {"stream", [&](const std::string& v) { return !(o->stream = v).empty(); }},
      {"shards", to_int(&o->shards, 1)},
      {"connections", to_int(&o->connections, 1)},
      {"duration", to_double(&o->duration_s)},
      {"batch", to_int(&o->batch, 1)},
      {"record-size", to_int(&o->record_bytes, 1)},
      {"prefill",
       [&](const std::string& v) {
         try {
           o->prefill = std::stoll(v);
         } catch (...) {
           return false;
         }
         return o->prefill > 0;
       }},
      {"rate", to_double(&o->rate)},
      {"poll-interval-ms", to_int(&o->poll_interval_ms, 0)},
      {"access-key-id", [&](const std::string& v) { return !(o->access_key_id = v).empty(); }},
      {"secret-access-key",
       [&](const std::string& v) { return !(o->secret_access_key = v).empty(); }},
      {"region", [&](const std::string& v) { return !(o->region = v).empty(); }},
  };
  *help = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return true;
    }
    if (arg == "--json") {
      o->json = true;
      continue;
    }
    if (arg == "--keep-stream") {
      o->keep_stream = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!o->mode.empty()) {
        *error = "unexpected argument '" + arg + "'";
        return false;
      }
      o->mode = arg;
      continue;
    }
    std::string name = arg.substr(2), value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *error = "--" + name + " needs a value";
      return false;
    }
    auto it = flags.find(name);
    if (it == flags.end()) {
      *error = "unknown flag --" + name;
      return false;
    }
    if (!it->second(value)) {
      *error = "bad value for --" + name + ": '" + value + "'";
      return false;
    }
  }
  if (o->mode != "putrecords" && o->mode != "putrecord" && o->mode != "getrecords" &&
      o->mode != "put-to-get") {
    *error = o->mode.empty() ? "no mode given" : "unknown mode '" + o->mode + "'";
    return false;
  }
  if (o->batch > 500) {
    *error = "--batch is at most 500 (the PutRecords limit)";
    return false;
  }
  if (o->stream.empty()) o->stream = "tidelog-load-" + std::to_string(::getpid());
  return true;
}

std::string LoadUsage() {
  return R"(Usage: tidelog_load MODE [flags]

Drives a Kinesis endpoint (tidelogd) with SigV4-signed AWS JSON 1.1 calls over
keep-alive HTTP/1.1 connections, one blocking thread per connection. Creates
its stream (CreateStream, waits ACTIVE) and deletes it afterwards.

Modes:
  putrecords   PutRecords batches for --duration s: records/s acknowledged
  putrecord    single PutRecord calls: requests/s, latency p50/p99/max
  getrecords   write --prefill records, then drain every shard with
               GetRecords Limit 10000: records/s read
  put-to-get   one writer at --rate records/s, one polling reader per shard:
               latency from put acknowledgement to read, p50/p99/max

Flags:
  --endpoint HOST:PORT     (default 127.0.0.1:4567)
  --stream NAME            (default tidelog-load-<pid>)
  --shards N               shards of the stream (default 4)
  --connections N          connections = writer threads (default 8)
  --duration S             seconds of load (default 10)
  --batch N                records per PutRecords, <= 500 (default 500)
  --record-size BYTES      data bytes per record (default 100)
  --prefill N              getrecords: records to write first (default 200000)
  --rate R                 put-to-get: records/s (default 1000)
  --poll-interval-ms MS    put-to-get: pause after an empty read (default 5)
  --access-key-id ID --secret-access-key KEY --region R   signing identity
  --keep-stream            do not delete the stream at the end
  --json                   also print one JSON object with the figures
)";
}

}  // namespace tidelog::load
