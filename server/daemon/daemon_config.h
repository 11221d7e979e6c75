// DaemonConfig: tidelogd's settings from defaults, an optional TOML file
// (--config) and command-line flags, in increasing precedence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "server/auth/sigv4.h"
#include "server/daemon/daemon_log.h"
#include "tidelog/options.h"

namespace tidelog::server {

struct DaemonConfig {
  std::string listen = "127.0.0.1:4567";  // also takes TLS when TLS is configured
  std::string listen_tls;                 // a TLS-only listener; empty: none
  // TLS: a PEM certificate chain and key, or a self-signed pair made under
  // <data_dir>/tls on first start.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls_self_signed = false;
  std::string data_dir = "./data";
  tidelog::Durability durability = tidelog::Durability::kSync;
  bool quotas = true;
  int threads = 0;  // 0: one event loop per core
  std::string access_key_id;
  std::string secret_access_key;
  std::string credentials_file;
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  int64_t retention_check_interval_s = 60;
  // CREATING / UPDATING / DELETING last this long (EngineOptions); the
  // peers' default.
  int64_t stream_transition_ms = 500;
  // SubscribeToShard: a subscription ends cleanly after this long (AWS: 5 min).
  int64_t subscription_lifetime_ms = 300 * 1000;
  // ON_DEMAND streams: measure and reshard every N ms (0: never); after a
  // reshard, leave the stream alone for the cooldown (EngineOptions).
  int64_t on_demand_interval_ms = 10 * 1000;
  int64_t on_demand_cooldown_ms = 60 * 1000;
  // Minutes of per-minute datapoints the CloudWatch API keeps (in memory).
  int64_t metrics_history_minutes = 180;
  // A second address serving only /metrics and /health (empty: none; they
  // are on `listen` as well).
  std::string metrics_listen;
  // AWS's one active subscription per consumer and shard; off for fan-out
  // load tests past the 20 consumers a stream may have.
  bool exclusive_subscriptions = true;
  size_t max_body_bytes = 16 << 20;
  std::string session_token;  // with access_key_id: a session credential
  size_t max_connections = 4096;
  size_t max_inflight_body_bytes = 32 << 20;
  size_t max_connection_body_bytes = 16 << 20;
  // Free-space reserve of the data filesystem (EngineOptions::min_free_bytes).
  uint64_t min_free_bytes = 64ULL << 20;
  LogFormat log_format = LogFormat::kText;
  bool help = false;
  bool version = false;  // --version: print DaemonVersion() and exit

  bool operator==(const DaemonConfig&) const = default;
};

// Applies the --config file (if any) and then every flag of argv to *config,
// then checks that the settings go together. False with a message naming
// the bad flag, key or value.
bool ParseDaemonArgs(int argc, const char* const* argv, DaemonConfig* config, std::string* error);

// The credentials of --access-key-id/--secret-access-key and of
// --credentials-file (lines "ACCESS_KEY_ID:SECRET", '#' comments). Empty when
// none are configured (authentication off).
bool LoadCredentials(const DaemonConfig& config, std::vector<Credential>* credentials,
                     std::string* error);

// True when every address `host` resolves to is a loopback address.
bool IsLoopbackHost(const std::string& host);
// True when TLS is configured (--tls-cert/--tls-key or --tls-self-signed).
inline bool TlsConfigured(const DaemonConfig& c) {
  return c.tls_self_signed || !c.tls_cert_file.empty();
}

// The host part of "host:port" / "[v6]:port".
std::string HostOf(const std::string& listen);

std::string DaemonUsage();

// What --version prints: "tidelogd VERSION" (with " (git COMMIT)" when the
// commit was known at configure time), then "RocksDB MAJOR.MINOR.PATCH", each
// line ending in '\n'.
std::string DaemonVersion();

// Every setting's flag name (without "--"), sorted; the TOML keys are the
// same names, '-' or '_' alike. --config, --help and --version are not
// settings and are not listed.
std::vector<std::string> DaemonSettingNames();

}  // namespace tidelog::server
