// Fuzz target: tidelogd's TOML config, flags and credentials file (server/daemon/daemon_config.cc).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "server/daemon/daemon_config.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tidelog::server::DaemonConfig;

// A path whose file holds `content` (one memfd, rewritten per input).
std::string InMemoryFile(std::string_view content) {
  static const int fd = memfd_create("tidelog-fuzz-config", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, 0) != 0 ||
      pwrite(fd, content.data(), content.size(), 0) != static_cast<ssize_t>(content.size())) {
    std::abort();
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

// What a successful parse promises (ParseDaemonArgs' final checks).
void CheckConfig(const DaemonConfig& c, std::string_view input) {
  FUZZ_CHECK(c.tls_cert_file.empty() == c.tls_key_file.empty(), input);
  FUZZ_CHECK(!(c.tls_self_signed && !c.tls_cert_file.empty()), input);
  FUZZ_CHECK(c.listen_tls.empty() || tidelog::server::TlsConfigured(c), input);
  FUZZ_CHECK(!c.data_dir.empty() && !c.region.empty() && c.account_id.size() == 12, input);
  (void)tidelog::server::HostOf(c.listen);
  (void)tidelog::server::HostOf(c.listen_tls);
}

void CheckCredentials(DaemonConfig config, std::string_view input) {
  std::vector<tidelog::server::Credential> credentials;
  std::string error;
  if (!tidelog::server::LoadCredentials(config, &credentials, &error)) {
    FUZZ_CHECK(!error.empty(), input);
    return;
  }
  std::set<std::string> ids;
  for (const auto& c : credentials) {
    FUZZ_CHECK(!c.access_key_id.empty() && !c.secret_access_key.empty(), input);
    FUZZ_CHECK(ids.insert(c.access_key_id).second, input);
  }
}

}  // namespace

// Tidelogd's configuration (server/daemon/daemon_config.cc): the TOML --config file, the
// command-line flags and the credentials file. Files are memfds read through /proc/self/fd: nothing
// touches the disk.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = tidelog::fuzz::AsView(data + 1, size - 1);
  DaemonConfig config;
  std::string error;
  switch (data[0] % 3) {
    case 0: {  // a --config TOML file
      const std::string path = InMemoryFile(rest);
      const char* argv[] = {"tidelogd", "--config", path.c_str()};
      if (tidelog::server::ParseDaemonArgs(3, argv, &config, &error)) {
        CheckConfig(config, rest);
        config.credentials_file.clear();  // a path the file named: not read
        CheckCredentials(config, rest);
      } else {
        FUZZ_CHECK(!error.empty(), rest);
      }
      break;
    }
    case 1: {  // flags, NUL-separated; --config and files are left out
      std::vector<std::string> args = {"tidelogd"};
      size_t start = 0;
      while (start <= rest.size()) {
        size_t end = rest.find('\0', start);
        if (end == std::string_view::npos) end = rest.size();
        args.emplace_back(rest.substr(start, end - start));
        start = end + 1;
      }
      std::vector<const char*> argv;
      for (const std::string& a : args) {
        if (a.find("config") != std::string::npos) continue;
        argv.push_back(a.c_str());
      }
      if (tidelog::server::ParseDaemonArgs(static_cast<int>(argv.size()), argv.data(), &config,
                                           &error)) {
        CheckConfig(config, rest);
        config.credentials_file.clear();
        CheckCredentials(config, rest);
      } else {
        FUZZ_CHECK(!error.empty(), rest);
      }
      break;
    }
    default:  // a --credentials-file
      config.credentials_file = InMemoryFile(rest);
      CheckCredentials(config, rest);
      break;
  }
  return 0;
}
