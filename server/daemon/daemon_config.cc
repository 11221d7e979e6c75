// Flag, TOML and credentials-file parsing for tidelogd.
#include "server/daemon/daemon_config.h"

#include <arpa/inet.h>
#include <cpptoml.h>
#include <netdb.h>
#include <netinet/in.h>
#include <rocksdb/version.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "tidelog_build_version.h"

namespace tidelog::server {
namespace {

using Setter = std::function<bool(DaemonConfig*, const std::string&, std::string*)>;

bool ParseInt(const std::string& text, int64_t min, int64_t max, int64_t* out) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

// A setting that takes a whole number of bytes or items in [min, max].
Setter CountSetter(std::string flag, int64_t min, int64_t max, size_t DaemonConfig::*member) {
  return [flag = std::move(flag), min, max, member](DaemonConfig* c, const std::string& v,
                                                    std::string* e) {
    int64_t n;
    if (!ParseInt(v, min, max, &n)) {
      *e = "--" + flag + " must be an integer in [" + std::to_string(min) + ", " +
           std::to_string(max) + "], got '" + v + "'";
      return false;
    }
    c->*member = static_cast<size_t>(n);
    return true;
  };
}

// Every setting, by flag name (without "--"). TOML keys are the same names,
// with '_' accepted for '-'.
const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> setters = {
      {"listen",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v.rfind(':') == std::string::npos) {
           *e = "--listen wants HOST:PORT, got '" + v + "'";
           return false;
         }
         c->listen = v;
         return true;
       }},
      {"metrics-listen",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v.rfind(':') == std::string::npos) {
           *e = "--metrics-listen wants HOST:PORT, got '" + v + "'";
           return false;
         }
         c->metrics_listen = v;
         return true;
       }},
      {"listen-tls",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v.rfind(':') == std::string::npos) {
           *e = "--listen-tls wants HOST:PORT, got '" + v + "'";
           return false;
         }
         c->listen_tls = v;
         return true;
       }},
      {"tls-cert",
       [](DaemonConfig* c, const std::string& v, std::string*) {
         c->tls_cert_file = v;
         return true;
       }},
      {"tls-key",
       [](DaemonConfig* c, const std::string& v, std::string*) {
         c->tls_key_file = v;
         return true;
       }},
      {"tls-self-signed",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v == "on" || v == "true") {
           c->tls_self_signed = true;
         } else if (v == "off" || v == "false") {
           c->tls_self_signed = false;
         } else {
           *e = "--tls-self-signed takes no value (or on/off), got '" + v + "'";
           return false;
         }
         return true;
       }},
      {"data-dir",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v.empty()) {
           *e = "--data-dir must not be empty";
           return false;
         }
         c->data_dir = v;
         return true;
       }},
      {"durability",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v == "sync") {
           c->durability = tidelog::Durability::kSync;
         } else if (v == "async") {
           c->durability = tidelog::Durability::kAsync;
         } else {
           *e = "--durability must be sync or async, got '" + v + "'";
           return false;
         }
         return true;
       }},
      {"quotas",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v == "on" || v == "true") {
           c->quotas = true;
         } else if (v == "off" || v == "false") {
           c->quotas = false;
         } else {
           *e = "--quotas must be on or off, got '" + v + "'";
           return false;
         }
         return true;
       }},
      {"threads",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 1, 1024, &n)) {
           *e = "--threads must be an integer in [1, 1024], got '" + v + "'";
           return false;
         }
         c->threads = static_cast<int>(n);
         return true;
       }},
      {"access-key-id",
       [](DaemonConfig* c, const std::string& v, std::string*) {
         c->access_key_id = v;
         return true;
       }},
      {"secret-access-key",
       [](DaemonConfig* c, const std::string& v, std::string*) {
         c->secret_access_key = v;
         return true;
       }},
      {"session-token",
       [](DaemonConfig* c, const std::string& v, std::string*) {
         c->session_token = v;
         return true;
       }},
      {"max-connections",
       CountSetter("max-connections", 1, 1 << 20, &DaemonConfig::max_connections)},
      {"max-inflight-body-bytes", CountSetter("max-inflight-body-bytes", 1 << 20, int64_t{1} << 40,
                                              &DaemonConfig::max_inflight_body_bytes)},
      {"max-connection-body-bytes", CountSetter("max-connection-body-bytes", 1024, int64_t{1} << 40,
                                                &DaemonConfig::max_connection_body_bytes)},
      {"credentials-file",
       [](DaemonConfig* c, const std::string& v, std::string*) {
         c->credentials_file = v;
         return true;
       }},
      {"region",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v.empty()) {
           *e = "--region must not be empty";
           return false;
         }
         c->region = v;
         return true;
       }},
      {"account-id",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v.size() != 12 || v.find_first_not_of("0123456789") != std::string::npos) {
           *e = "--account-id must be 12 digits, got '" + v + "'";
           return false;
         }
         c->account_id = v;
         return true;
       }},
      {"retention-check-interval",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 0, 365LL * 24 * 3600, &n)) {
           *e = "--retention-check-interval must be whole seconds >= 0, got '" + v + "'";
           return false;
         }
         c->retention_check_interval_s = n;
         return true;
       }},
      {"stream-transition-ms",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 0, 3600LL * 1000, &n)) {
           *e = "--stream-transition-ms must be milliseconds in [0, 3600000], got '" + v + "'";
           return false;
         }
         c->stream_transition_ms = n;
         return true;
       }},
      {"on-demand-interval-ms",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 0, 3600LL * 1000, &n)) {
           *e = "--on-demand-interval-ms must be milliseconds in [0, 3600000], got '" + v + "'";
           return false;
         }
         c->on_demand_interval_ms = n;
         return true;
       }},
      {"on-demand-cooldown-ms",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 0, 24LL * 3600 * 1000, &n)) {
           *e = "--on-demand-cooldown-ms must be milliseconds in [0, 86400000], got '" + v + "'";
           return false;
         }
         c->on_demand_cooldown_ms = n;
         return true;
       }},
      {"metrics-history-minutes",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 1, 1440, &n)) {
           *e = "--metrics-history-minutes must be minutes in [1, 1440], got '" + v + "'";
           return false;
         }
         c->metrics_history_minutes = n;
         return true;
       }},
      {"subscription-lifetime-ms",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 1, 24LL * 3600 * 1000, &n)) {
           *e = "--subscription-lifetime-ms must be milliseconds in [1, 86400000], got '" + v + "'";
           return false;
         }
         c->subscription_lifetime_ms = n;
         return true;
       }},
      {"exclusive-subscriptions",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v == "on") {
           c->exclusive_subscriptions = true;
         } else if (v == "off") {
           c->exclusive_subscriptions = false;
         } else {
           *e = "--exclusive-subscriptions must be on or off, got '" + v + "'";
           return false;
         }
         return true;
       }},
      {"max-body-bytes",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 1024, int64_t{1} << 32, &n)) {
           *e = "--max-body-bytes must be an integer in [1024, 4294967296], got '" + v + "'";
           return false;
         }
         c->max_body_bytes = static_cast<size_t>(n);
         return true;
       }},
      {"log-format",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         if (v == "text") {
           c->log_format = LogFormat::kText;
         } else if (v == "json") {
           c->log_format = LogFormat::kJson;
         } else {
           *e = "--log-format must be text or json, got '" + v + "'";
           return false;
         }
         return true;
       }},
      {"min-free-bytes",
       [](DaemonConfig* c, const std::string& v, std::string* e) {
         int64_t n;
         if (!ParseInt(v, 0, std::numeric_limits<int64_t>::max(), &n)) {
           *e = "--min-free-bytes must be an integer >= 0, got '" + v + "'";
           return false;
         }
         c->min_free_bytes = static_cast<uint64_t>(n);
         return true;
       }},
  };
  return setters;
}

bool ApplyTomlFile(const std::string& path, DaemonConfig* config, std::string* error) {
  std::shared_ptr<cpptoml::table> table;
  try {
    table = cpptoml::parse_file(path);
  } catch (const cpptoml::parse_exception& e) {
    *error = "config " + path + ": " + e.what();
    return false;
  }
  for (const auto& [raw_key, value] : *table) {
    std::string key = raw_key;
    for (char& c : key)
      if (c == '_') c = '-';
    auto setter = Setters().find(key);
    if (setter == Setters().end() || key == "config") {
      *error = "config " + path + ": unknown key '" + raw_key + "'";
      return false;
    }
    std::string text;
    if (auto s = value->as<std::string>()) {
      text = s->get();
    } else if (auto i = value->as<int64_t>()) {
      text = std::to_string(i->get());
    } else if (auto b = value->as<bool>()) {
      text = b->get() ? "on" : "off";
    } else {
      *error = "config " + path + ": key '" + raw_key + "' must be a string, integer or boolean";
      return false;
    }
    if (!setter->second(config, text, error)) {
      *error = "config " + path + ": " + *error;
      return false;
    }
  }
  return true;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

bool ParseDaemonArgs(int argc, const char* const* argv, DaemonConfig* config, std::string* error) {
  // Split "--flag value" / "--flag=value" pairs first; the file is applied
  // before any flag so that flags win.
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      config->help = true;
      continue;
    }
    if (arg == "--version") {
      config->version = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + arg + "'";
      return false;
    }
    std::string name = arg.substr(2), value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name != "config" && Setters().count(name) == 0) {
      *error = "unknown flag --" + name;
      return false;
    }
    if (eq == std::string::npos && name == "tls-self-signed") {
      value = "on";  // a switch: "--tls-self-signed" alone
    } else if (eq == std::string::npos) {
      if (i + 1 >= argc) {
        *error = "--" + name + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (name == "config") {
      config_file = value;
    } else {
      flags.emplace_back(name, value);
    }
  }
  if (!config_file.empty() && !ApplyTomlFile(config_file, config, error)) return false;
  for (const auto& [name, value] : flags) {
    if (!Setters().at(name)(config, value, error)) return false;
  }
  if (config->tls_cert_file.empty() != config->tls_key_file.empty()) {
    *error = "--tls-cert and --tls-key go together";
    return false;
  }
  if (config->tls_self_signed && !config->tls_cert_file.empty()) {
    *error = "--tls-self-signed and --tls-cert/--tls-key exclude each other";
    return false;
  }
  if (!config->listen_tls.empty() && !TlsConfigured(*config)) {
    *error = "--listen-tls needs --tls-cert and --tls-key, or --tls-self-signed";
    return false;
  }
  return true;
}

bool LoadCredentials(const DaemonConfig& config, std::vector<Credential>* credentials,
                     std::string* error) {
  credentials->clear();
  if (config.access_key_id.empty() != config.secret_access_key.empty()) {
    *error = "--access-key-id and --secret-access-key go together";
    return false;
  }
  if (!config.session_token.empty() && config.access_key_id.empty()) {
    *error = "--session-token goes with --access-key-id and --secret-access-key";
    return false;
  }
  if (!config.access_key_id.empty()) {
    credentials->push_back({config.access_key_id, config.secret_access_key, config.session_token});
  }
  if (!config.credentials_file.empty()) {
    std::ifstream in(config.credentials_file);
    if (!in) {
      *error = "cannot read credentials file " + config.credentials_file;
      return false;
    }
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      std::string text = Trim(line);
      if (text.empty() || text[0] == '#') continue;
      // ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]; secrets hold no ':', tokens may.
      size_t colon = text.find(':');
      size_t second = colon == std::string::npos ? colon : text.find(':', colon + 1);
      std::string id = colon == std::string::npos ? "" : Trim(text.substr(0, colon));
      std::string secret =
          colon == std::string::npos ? "" : Trim(text.substr(colon + 1, second - colon - 1));
      std::string token = second == std::string::npos ? "" : Trim(text.substr(second + 1));
      if (id.empty() || secret.empty() || (second != std::string::npos && token.empty())) {
        *error = config.credentials_file + ":" + std::to_string(number) +
                 ": expected ACCESS_KEY_ID:SECRET or ACCESS_KEY_ID:SECRET:SESSION_TOKEN";
        return false;
      }
      credentials->push_back({id, secret, token});
    }
  }
  std::set<std::string> seen;
  for (const Credential& c : *credentials) {
    if (!seen.insert(c.access_key_id).second) {
      *error = "access key id '" + c.access_key_id + "' is configured twice";
      return false;
    }
  }
  return true;
}

std::string HostOf(const std::string& listen) {
  size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

bool IsLoopbackHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &results) != 0 || results == nullptr) {
    return false;
  }
  bool all_loopback = true;
  for (addrinfo* a = results; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(a->ai_addr);
      all_loopback &= (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(a->ai_addr);
      all_loopback &= IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) != 0;
    } else {
      all_loopback = false;
    }
  }
  ::freeaddrinfo(results);
  return all_loopback;
}

std::string DaemonUsage() {
  return R"(Usage: tidelogd [flags]

tidelogd serves the Amazon Kinesis Data Streams API (AWS JSON 1.1 over HTTP/1.1
and HTTP/2, plain or TLS) from a Tidelog store. Point any Kinesis client at it
with --endpoint-url.

Flags (a --config TOML file takes the same keys, e.g. listen = "0.0.0.0:4567";
flags win over the file):
  --listen HOST:PORT              address to serve (default 127.0.0.1:4567;
                                  port 0 picks a free port): HTTP/1.1 and
                                  HTTP/2 (h2c), and TLS when configured
  --tls-cert FILE --tls-key FILE  PEM certificate chain and private key: TLS
                                  1.2/1.3 with ALPN h2 and http/1.1
  --tls-self-signed               make (once) and use a certificate for
                                  localhost under DATA_DIR/tls; its path is
                                  printed, for AWS_CA_BUNDLE / NODE_EXTRA_CA_CERTS
  --listen-tls HOST:PORT          an extra listener that takes TLS only
  --metrics-listen HOST:PORT      an extra plain listener serving only
                                  /metrics and /health (they are also on
                                  --listen)
  --data-dir DIR                  store directory (default ./data)
  --durability sync|async         sync: acknowledge after fsync (default);
                                  async: after the write reaches the OS
  --quotas on|off                 per-shard throughput quotas (default on)
  --config FILE                   TOML file with any of these keys
  --threads N                     event-loop threads (default: one per core)
  --access-key-id ID              with --secret-access-key: require SigV4
  --secret-access-key KEY
  --session-token TOKEN           makes that key a session credential: its
                                  requests must carry X-Amz-Security-Token
  --credentials-file FILE         more credentials, one per line:
                                  ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]
                                  ('#' starts a comment)
  --region REGION                 region in ARNs, and the one signatures must
                                  be scoped to (default us-east-1)
  --account-id ID                 12-digit account in ARNs (default 000000000000)
  --retention-check-interval S    seconds between retention sweeps (default 60;
                                  0 disables the background sweep)
  --stream-transition-ms N         streams stay CREATING, UPDATING and DELETING
                                  for N ms, as on AWS (default 500; 0: instant)
  --on-demand-interval-ms N       ON_DEMAND streams: measure each shard's write
                                  demand and split hot shards or merge cold
                                  pairs every N ms (default 10000; 0: never)
  --on-demand-cooldown-ms N       after resharding an ON_DEMAND stream, leave
                                  it alone for N ms (default 60000)
  --metrics-history-minutes N     minutes of per-minute datapoints the
                                  CloudWatch API (GetMetricStatistics, ...)
                                  keeps in memory (default 180, at most 1440)
  --subscription-lifetime-ms N    SubscribeToShard subscriptions end cleanly
                                  after N ms (default 300000, as AWS)
  --exclusive-subscriptions on|off
                                  one active subscription per consumer and
                                  shard, as AWS (default on; off lets load
                                  tests fan one shard out past 20 consumers)
  --max-body-bytes N              larger requests get 413 (default 16777216)
  --max-connections N             connections past N are closed at once
                                  (default 4096)
  --max-inflight-body-bytes N     request bodies read and not yet answered,
                                  all connections together; more wait unread
                                  (default 33554432 = 32 MiB)
  --max-connection-body-bytes N   the same for one connection's pipelined
                                  requests (default 16777216 = 16 MiB)
  --min-free-bytes N              refuse appends while the data filesystem has
                                  less than N bytes free, so deletions and
                                  compaction can still free space (default
                                  67108864 = 64 MiB; 0 disables)
  --log-format text|json          stderr lines as text (default) or one JSON
                                  object per line: ts (RFC 3339, UTC, ms),
                                  level (info, warn, error), msg, and fields
                                  such as address on the listening line
  --version                       print the version (and git commit, when
                                  built from a checkout) and RocksDB's; exit
  --help                          this text

Authentication is on when credentials are configured, off otherwise.
Listening on a non-loopback address requires credentials.
On SIGTERM or SIGINT tidelogd stops accepting, finishes requests in flight
(HTTP/2 clients get GOAWAY), closes the store and exits 0. On SIGHUP it reads
the TLS certificate and key again (new connections use them).
)";
}

std::string DaemonVersion() {
  std::string text = "tidelogd " TIDELOG_VERSION;
  const std::string commit = TIDELOG_GIT_COMMIT;
  if (!commit.empty()) text += " (git " + commit + ")";
  text += "\nRocksDB " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
          std::to_string(ROCKSDB_PATCH) + "\n";
  return text;
}

std::vector<std::string> DaemonSettingNames() {
  std::vector<std::string> names;
  for (const auto& [name, setter] : Setters()) names.push_back(name);
  return names;
}

}  // namespace tidelog::server
