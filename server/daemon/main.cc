// tidelogd: the Kinesis-compatible broker. Wires Engine -> (SigV4Verifier) ->
// KinesisService -> HttpServer, serves until SIGTERM/SIGINT, then drains and
// closes the store.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/auth/sigv4.h"
#include "server/cloudwatch/cloudwatch_service.h"
#include "server/cloudwatch/metric_history.h"
#include "server/daemon/daemon_config.h"
#include "server/daemon/daemon_log.h"
#include "server/daemon/self_signed_certificate.h"
#include "server/daemon/termination_signals.h"
#include "server/http/http_server.h"
#include "server/http/tls_context.h"
#include "server/kinesis/kinesis_service.h"
#include "server/observability/observability_handler.h"
#include "tidelog/clock.h"
#include "tidelog/engine.h"

namespace tidelog::server {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

// tidelog_build_info's version label: the first line of --version without
// the program name ("0.1.0 (git 0123abcd)").
std::string VersionLabel() {
  std::string v = DaemonVersion();
  v = v.substr(0, v.find('\n'));
  constexpr std::string_view kPrefix = "tidelogd ";
  if (v.rfind(kPrefix, 0) == 0) v.erase(0, kPrefix.size());
  return v;
}

int Run(int argc, char** argv) {
  BlockTerminationSignals();

  DaemonConfig config;
  std::string error;
  if (!ParseDaemonArgs(argc, argv, &config, &error)) {
    std::fprintf(stderr, "tidelogd: %s\nRun 'tidelogd --help' for the flags.\n", error.c_str());
    return kExitUsage;
  }
  if (config.help) {
    std::fputs(DaemonUsage().c_str(), stdout);
    return 0;
  }
  if (config.version) {
    std::fputs(DaemonVersion().c_str(), stdout);
    return 0;
  }
  SetLogFormat(config.log_format);
  std::vector<Credential> credentials;
  if (!LoadCredentials(config, &credentials, &error)) {
    std::fprintf(stderr, "tidelogd: %s\n", error.c_str());
    return kExitUsage;
  }
  for (const std::string* listen : {&config.listen, &config.listen_tls}) {
    if (credentials.empty() && !listen->empty() && !IsLoopbackHost(HostOf(*listen))) {
      std::fprintf(stderr,
                   "tidelogd: refusing to listen on %s without credentials: anyone who can reach "
                   "it could read and delete every stream. Configure --access-key-id and "
                   "--secret-access-key (or --credentials-file), or listen on a loopback address "
                   "such as 127.0.0.1.\n",
                   listen->c_str());
      return kExitUsage;
    }
  }
  std::unique_ptr<TlsContext> tls;
  if (TlsConfigured(config)) {
    std::string cert_file = config.tls_cert_file, key_file = config.tls_key_file;
    if (config.tls_self_signed &&
        !EnsureSelfSignedCertificate(config.data_dir + "/tls", &cert_file, &key_file, &error)) {
      std::fprintf(stderr, "tidelogd: --tls-self-signed: %s\n", error.c_str());
      return kExitFailure;
    }
    tls = TlsContext::Load(cert_file, key_file, &error);
    if (!tls) {
      std::fprintf(stderr, "tidelogd: %s: %s\n",
                   config.tls_self_signed ? "--tls-self-signed" : "--tls-cert/--tls-key",
                   error.c_str());
      return kExitUsage;
    }
  }

  tidelog::EngineOptions engine_options;
  engine_options.data_dir = config.data_dir;
  engine_options.durability = config.durability;
  engine_options.clock = tidelog::SystemClock();
  engine_options.quotas_enabled = config.quotas;
  engine_options.account_id = config.account_id;
  engine_options.region = config.region;
  engine_options.retention_interval_ms = config.retention_check_interval_s * 1000;
  engine_options.min_free_bytes = config.min_free_bytes;
  engine_options.subscription_lifetime_ms = config.subscription_lifetime_ms;
  engine_options.stream_transition_ms = config.stream_transition_ms;
  engine_options.on_demand_interval_ms = config.on_demand_interval_ms;
  engine_options.on_demand_cooldown_ms = config.on_demand_cooldown_ms;
  engine_options.exclusive_subscriptions = config.exclusive_subscriptions;
  // RocksDB's info log and the store's disk-full reports go to our log.
  engine_options.log_sink = [](tidelog::LogSeverity severity, std::string_view line) {
    Log(severity == tidelog::LogSeverity::kError     ? LogLevel::kError
        : severity == tidelog::LogSeverity::kWarning ? LogLevel::kWarning
                                                     : LogLevel::kInfo,
        line);
  };
  std::unique_ptr<tidelog::Engine> engine;
  tidelog::Status status = tidelog::Engine::Open(engine_options, &engine);
  if (!status.ok()) {
    Log(LogLevel::kError, "cannot open the store in " + config.data_dir + ": " + status.ToString());
    return kExitFailure;
  }

  std::unique_ptr<SigV4Verifier> verifier;
  std::unique_ptr<SigV4Verifier> monitoring_verifier;  // the CloudWatch API's scope
  if (!credentials.empty()) {
    verifier = std::make_unique<SigV4Verifier>(credentials, config.region, tidelog::SystemClock());
    monitoring_verifier = std::make_unique<SigV4Verifier>(
        credentials, config.region, tidelog::SystemClock(), 15 * 60 * 1000, "monitoring");
  }
  KinesisServiceOptions service_options;
  service_options.verifier = verifier.get();
  // Workers block on reads and control-plane calls (puts complete
  // asynchronously), so more of them than cores keeps the loops fed.
  service_options.worker_threads =
      std::max<size_t>(4, 2 * std::max(1u, std::thread::hardware_concurrency()));
  auto service = std::make_unique<KinesisService>(engine.get(), service_options);
  // The CloudWatch API (AWS/Kinesis metrics), answered from a per-minute
  // history sampled from the engine every second.
  cloudwatch::MetricHistoryOptions history_options;
  history_options.history_minutes = config.metrics_history_minutes;
  auto history = std::make_unique<cloudwatch::MetricHistory>(engine.get(), history_options);
  history->Start();
  auto cloudwatch_service = std::make_unique<cloudwatch::CloudWatchService>(
      history.get(), service.get(), monitoring_verifier.get());
  // /metrics and /health in front of both protocols on the same port:
  // observability -> CloudWatch -> Kinesis.
  ObservabilityOptions observability_options;
  observability_options.version = VersionLabel();
  auto observability = std::make_unique<ObservabilityHandler>(
      engine.get(), cloudwatch_service.get(), observability_options);

  HttpServerOptions http_options;
  http_options.listen = config.listen;
  http_options.listen_tls = config.listen_tls;
  http_options.tls = tls.get();
  http_options.threads = config.threads;
  http_options.max_body_bytes = config.max_body_bytes;
  http_options.max_connections = config.max_connections;
  http_options.max_inflight_body_bytes = config.max_inflight_body_bytes;
  http_options.max_connection_body_bytes = config.max_connection_body_bytes;
  http_options.log = [](std::string_view line) { Log(LogLevel::kWarning, line); };
  auto http = std::make_unique<HttpServer>(http_options, observability.get());
  observability->SetOpenConnections([server = http.get()] { return server->open_connections(); });
  if (!http->Start(&error)) {
    Log(LogLevel::kError, error);
    observability.reset();
    cloudwatch_service.reset();
    history.reset();
    service.reset();
    engine.reset();
    return kExitFailure;
  }
  // --metrics-listen: /metrics and /health alone on another address, one loop.
  std::unique_ptr<ObservabilityHandler> metrics_handler;
  std::unique_ptr<HttpServer> metrics_http;
  if (!config.metrics_listen.empty()) {
    metrics_handler =
        std::make_unique<ObservabilityHandler>(engine.get(), nullptr, observability_options);
    metrics_handler->SetOpenConnections(
        [server = http.get()] { return server->open_connections(); });
    HttpServerOptions metrics_options;
    metrics_options.listen = config.metrics_listen;
    metrics_options.threads = 1;
    metrics_options.max_connections = 64;
    metrics_options.log = http_options.log;
    metrics_http = std::make_unique<HttpServer>(metrics_options, metrics_handler.get());
    if (!metrics_http->Start(&error)) {
      Log(LogLevel::kError, "--metrics-listen: " + error);
      metrics_http.reset();
      metrics_handler.reset();
      http->Stop();
      observability.reset();
      cloudwatch_service.reset();
      history.reset();
      service.reset();
      engine.reset();
      return kExitFailure;
    }
  }
  Log(LogLevel::kInfo,
      "store " + config.data_dir + ", durability " +
          (config.durability == tidelog::Durability::kSync ? "sync" : "async") + ", quotas " +
          (config.quotas ? "on" : "off") + ", authentication " +
          (verifier ? "on (" + std::to_string(credentials.size()) + " credentials)" : "off") +
          ", region " + config.region + ", account " + config.account_id);
  if (tls) LogTlsCertificate(tls->cert_file());
  if (!http->local_address().empty()) LogListening(http->local_address());
  if (!http->local_tls_address().empty()) LogListening(http->local_tls_address(), "for TLS ");
  if (metrics_http) LogListening(metrics_http->local_address(), "for metrics ");

  const int sig = WaitForTerminationSignal([&tls] {
    if (!tls) return;
    std::string reload_error;
    if (tls->Reload(&reload_error)) {
      Log(LogLevel::kInfo, "SIGHUP: reloaded the TLS certificate " + tls->cert_file());
    } else {
      Log(LogLevel::kWarning, "SIGHUP: keeping the current TLS certificate: " + reload_error);
    }
  });
  Log(LogLevel::kInfo, std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                           ": draining requests in flight");
  // Bounded shutdown. Asio 1.26's io_uring backend can lose the completion of
  // an operation cancelled as it completes, and then an event loop never
  // returns. If shutdown outlives the drain by far, exit anyway: every
  // acknowledged append is already in the WAL (fsynced in sync mode, in the
  // page cache in async mode, which outlives the process), so recovery on
  // the next start loses nothing that was acknowledged.
  std::thread watchdog([deadline_ms = http_options.drain_timeout_ms + 5'000] {
    std::this_thread::sleep_for(std::chrono::milliseconds(deadline_ms));
    Log(LogLevel::kWarning,
        "shutdown did not finish in time; exiting (acknowledged data is in "
        "the write-ahead log)");
    std::_Exit(0);
  });
  watchdog.detach();
  // Order matters: the server stops taking requests and drains; the service
  // finishes queued work; the engine completes in-flight appends (their
  // responders are dropped by the stopped server, which must still exist) and
  // flushes; only then does the server go.
  // Live SubscribeToShard streams end first (cleanly: clients resubscribe
  // from their ContinuationSequenceNumber), so the drain does not wait on them.
  engine->EndSubscriptions();
  http->Stop();
  if (metrics_http) metrics_http->Stop();
  metrics_handler.reset();
  observability.reset();
  cloudwatch_service.reset();
  history.reset();  // its sampler reads the engine
  service.reset();
  verifier.reset();
  monitoring_verifier.reset();
  engine.reset();
  http.reset();
  metrics_http.reset();
  tls.reset();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace tidelog::server

int main(int argc, char** argv) { return tidelog::server::Run(argc, argv); }
