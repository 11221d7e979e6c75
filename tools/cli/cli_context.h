// What every tidelog subcommand shares: the global flags (output format,
// endpoint, TLS, region) and the exit code its callback sets. Each
// subcommand file exposes one Add<Name>Command(app, context) that registers
// its CLI11 subcommand; main.cc only wires them.
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace tidelog::cli {

// Exit codes: 0 success, 1 a failed call or a failed check, 2 bad usage
// (CLI11's own parse errors exit with its codes, also non-zero).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct CliContext {
  bool json = false;
  std::string endpoint_url;  // empty: https://kinesis.<region>.amazonaws.com
  std::string region;        // empty: AWS_REGION, then AWS_DEFAULT_REGION
  bool no_verify_ssl = false;
  std::string ca_bundle;  // empty: AWS_CA_BUNDLE, then the system store
  int exit_code = kExitOk;
};

void AddPlanCommand(CLI::App& app, CliContext& context);
void AddKeysCommand(CLI::App& app, CliContext& context);
void AddStreamsCommand(CLI::App& app, CliContext& context);
void AddReshardCommand(CLI::App& app, CliContext& context);

}  // namespace tidelog::cli
