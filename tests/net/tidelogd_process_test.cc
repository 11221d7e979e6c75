// The tidelogd executable: the listening line, serving one request, SigV4 on
// and off, refusing a public address without credentials, a clean exit 0
// on SIGTERM, --version, --log-format json (every stderr line a JSON object)
// and the example config of packaging/. Every wait is bounded (poll on the
// stderr pipe and a pidfd).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <rocksdb/version.h>
#include <signal.h>
#include <simdjson.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "server/auth/sigv4.h"
#include "tests/net/raw_http_client.h"

namespace tidelog::server {
namespace {

using testing::RawHttpClient;
using testing::RawResponse;

constexpr int kTimeoutMs = 30000;

class Tidelogd {
 public:
  explicit Tidelogd(std::vector<std::string> args) {
    int pipe_fds[2], out_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    if (::pipe2(out_fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDERR_FILENO);
      ::dup2(out_fds[1], STDOUT_FILENO);
      std::vector<char*> argv = {const_cast<char*>(TIDELOGD_PATH)};
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(TIDELOGD_PATH, argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    ::close(out_fds[1]);
    stderr_fd_ = pipe_fds[0];
    stdout_fd_ = out_fds[0];
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  }
  ~Tidelogd() {
    if (pid_ > 0 && exit_code_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stderr_fd_ >= 0) ::close(stderr_fd_);
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    if (pidfd_ >= 0) ::close(pidfd_);
  }

  // Reads stderr until a line starting with `prefix` (or EOF / timeout).
  std::string WaitForLine(const std::string& prefix) {
    return WaitForLineWhere(
        [&prefix](const std::string& line) { return line.rfind(prefix, 0) == 0; });
  }

  // Reads stderr until a line for which `match` holds (or EOF / timeout).
  std::string WaitForLineWhere(const std::function<bool(const std::string&)>& match) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
    for (;;) {
      size_t start = 0, end;
      while ((end = output_.find('\n', start)) != std::string::npos) {
        std::string line = output_.substr(start, end - start);
        if (match(line)) return line;
        start = end + 1;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || !ReadSome(static_cast<int>(left))) return "";
    }
  }

  // Waits (bounded) for the process to exit; returns its exit code or -1.
  // Reads its stdout and stderr meanwhile, so that a full pipe never blocks it.
  int WaitExit() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
    pollfd p[3] = {{pidfd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}, {stdout_fd_, POLLIN, 0}};
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return -1;
      if (::poll(p, 3, static_cast<int>(left)) < 0) return -1;
      if (p[0].revents != 0) break;
      // At end of file (the child closed its end) a pipe is not polled again.
      if (p[1].revents != 0 && !ReadSome(0)) p[1].fd = -1;
      if (p[2].revents != 0 && !ReadSome(0, stdout_fd_, &stdout_)) p[2].fd = -1;
    }
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return -1;
    while (ReadSome(0)) {
    }
    while (ReadSome(0, stdout_fd_, &stdout_)) {
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

  void Signal(int sig) { ::kill(pid_, sig); }
  // What it wrote to stderr so far.
  const std::string& output() const { return output_; }
  // What it wrote to stdout, complete once WaitExit() returned (small
  // outputs only: the pipe is read after the exit).
  const std::string& standard_output() const { return stdout_; }

 private:
  bool ReadSome(int timeout_ms) { return ReadSome(timeout_ms, stderr_fd_, &output_); }
  static bool ReadSome(int timeout_ms, int fd, std::string* into) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return false;
    into->append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stderr_fd_ = -1;
  int stdout_fd_ = -1;
  int exit_code_ = -1;
  std::string output_;
  std::string stdout_;
};

class TidelogdProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tidelogd-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static uint16_t PortOf(const std::string& line) {
    return static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  }

  static std::string ListStreams(const std::string& extra_headers = "") {
    return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
           "X-Amz-Target: Kinesis_20131202.ListStreams\r\n" +
           extra_headers + "Content-Length: 2\r\n\r\n{}";
  }

  std::string dir_;
};

TEST_F(TidelogdProcessTest, ServesAndExitsCleanlyOnSigterm) {
  Tidelogd d({"--listen", "127.0.0.1:0", "--data-dir", dir_ + "/data", "--quotas", "off",
              "--threads", "2"});
  std::string line = d.WaitForLine("tidelogd: listening on ");
  ASSERT_FALSE(line.empty()) << d.output();
  EXPECT_EQ(line.rfind("tidelogd: listening on 127.0.0.1:", 0), 0u) << line;
  uint16_t port = PortOf(line);
  ASSERT_NE(port, 0);

  RawHttpClient client(port);
  ASSERT_TRUE(client.Send(ListStreams()));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"StreamNames\""), std::string::npos) << r->body;
  EXPECT_FALSE(r->Header("x-amzn-requestid").empty());

  d.Signal(SIGTERM);
  EXPECT_EQ(d.WaitExit(), 0) << d.output();
  EXPECT_TRUE(client.ReadsEof());
  size_t count = 0;
  for (size_t at = 0; (at = d.output().find("listening on", at)) != std::string::npos; ++at) {
    ++count;
  }
  EXPECT_EQ(count, 1u) << d.output();
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/data"));
}

TEST_F(TidelogdProcessTest, SigV4WhenCredentialsAreConfigured) {
  std::string creds = dir_ + "/creds";
  FILE* f = std::fopen(creds.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("# test keys\nAKIDFILE:file-secret\n", f);
  std::fclose(f);
  Tidelogd d({"--listen", "127.0.0.1:0", "--data-dir", dir_ + "/data", "--access-key-id", "AKID",
              "--secret-access-key", "SECRET", "--credentials-file", creds, "--threads", "1"});
  std::string line = d.WaitForLine("tidelogd: listening on ");
  ASSERT_FALSE(line.empty()) << d.output();
  uint16_t port = PortOf(line);

  RawHttpClient client(port);
  ASSERT_TRUE(client.Send(ListStreams()));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("MissingAuthenticationTokenException"), std::string::npos) << r->body;

  for (const Credential& credential :
       {Credential{"AKID", "SECRET"}, Credential{"AKIDFILE", "file-secret"}}) {
    HttpRequest signed_request;
    signed_request.method = "POST";
    signed_request.target = "/";
    signed_request.headers = {{"host", "127.0.0.1:" + std::to_string(port)},
                              {"content-type", "application/x-amz-json-1.1"},
                              {"x-amz-target", "Kinesis_20131202.ListStreams"}};
    signed_request.body = "{}";
    auto now = std::chrono::system_clock::now().time_since_epoch();
    SignRequestV4(&signed_request, credential, "us-east-1", "kinesis",
                  std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    std::string wire = "POST / HTTP/1.1\r\n";
    for (const auto& [k, v] : signed_request.headers) wire += k + ": " + v + "\r\n";
    wire += "content-length: 2\r\n\r\n{}";
    ASSERT_TRUE(client.Send(wire));
    std::optional<RawResponse> ok = client.ReadResponse();
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->status, 200) << credential.access_key_id << ": " << ok->body;
  }
  d.Signal(SIGINT);
  EXPECT_EQ(d.WaitExit(), 0) << d.output();
}

TEST_F(TidelogdProcessTest, RefusesPublicAddressWithoutCredentials) {
  Tidelogd d({"--listen", "0.0.0.0:0", "--data-dir", dir_ + "/data"});
  EXPECT_EQ(d.WaitExit(), 2);
  EXPECT_NE(d.output().find("refusing to listen on 0.0.0.0:0 without credentials"),
            std::string::npos)
      << d.output();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/data"));  // refused before opening the store
}

TEST_F(TidelogdProcessTest, BadFlagsExit2AndBusyPortExits1) {
  Tidelogd bad({"--durability", "sometimes"});
  EXPECT_EQ(bad.WaitExit(), 2);
  EXPECT_NE(bad.output().find("--durability must be sync or async"), std::string::npos);

  Tidelogd first({"--listen", "127.0.0.1:0", "--data-dir", dir_ + "/a", "--threads", "1"});
  std::string line = first.WaitForLine("tidelogd: listening on ");
  ASSERT_FALSE(line.empty()) << first.output();
  Tidelogd second({"--listen", "127.0.0.1:" + std::to_string(PortOf(line)), "--data-dir",
                   dir_ + "/b", "--threads", "1"});
  EXPECT_EQ(second.WaitExit(), 1);
  EXPECT_NE(second.output().find("cannot listen"), std::string::npos) << second.output();
  first.Signal(SIGTERM);
  EXPECT_EQ(first.WaitExit(), 0);
}

TEST_F(TidelogdProcessTest, VersionPrintsVersionsAndExits0) {
  Tidelogd d({"--version"});
  EXPECT_EQ(d.WaitExit(), 0) << d.output();
  const std::string commit = TIDELOG_TEST_GIT_COMMIT;
  EXPECT_EQ(d.standard_output(), std::string("tidelogd ") + TIDELOG_TEST_PROJECT_VERSION +
                                     (commit.empty() ? "" : " (git " + commit + ")") +
                                     "\nRocksDB " + std::to_string(ROCKSDB_MAJOR) + "." +
                                     std::to_string(ROCKSDB_MINOR) + "." +
                                     std::to_string(ROCKSDB_PATCH) + "\n");
  EXPECT_EQ(d.output(), "");

  Tidelogd help({"--help"});
  EXPECT_EQ(help.WaitExit(), 0);
  EXPECT_NE(help.standard_output().find("--log-format text|json"), std::string::npos);
  EXPECT_NE(help.standard_output().find("--version"), std::string::npos);
}

// Every stderr line of a whole run (start, RocksDB's info log, a request,
// SIGTERM, the drain, "stopped") is a JSON object with ts, level and msg.
TEST_F(TidelogdProcessTest, JsonLogLinesParseFromStartToStop) {
  Tidelogd d({"--listen", "127.0.0.1:0", "--data-dir", dir_ + "/data", "--threads", "1",
              "--log-format", "json"});
  std::string line = d.WaitForLineWhere(
      [](const std::string& l) { return l.find("\"msg\":\"listening on ") != std::string::npos; });
  ASSERT_FALSE(line.empty()) << d.output();
  simdjson::dom::parser parser;
  simdjson::dom::element listening;
  ASSERT_EQ(parser.parse(line).get(listening), simdjson::SUCCESS) << line;
  std::string_view listener, address;
  ASSERT_EQ(listening["listener"].get_string().get(listener), simdjson::SUCCESS) << line;
  ASSERT_EQ(listening["address"].get_string().get(address), simdjson::SUCCESS) << line;
  EXPECT_EQ(listener, "plain");
  ASSERT_EQ(address.rfind("127.0.0.1:", 0), 0u) << line;
  const uint16_t port = PortOf(std::string(address));
  ASSERT_NE(port, 0);

  RawHttpClient client(port);
  ASSERT_TRUE(client.Send(ListStreams()));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;

  d.Signal(SIGTERM);
  ASSERT_EQ(d.WaitExit(), 0) << d.output();
  const std::regex rfc3339_ms(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  size_t lines = 0, start = 0, end;
  bool stopped = false;
  while ((end = d.output().find('\n', start)) != std::string::npos) {
    const std::string text = d.output().substr(start, end - start);
    start = end + 1;
    ++lines;
    simdjson::dom::parser line_parser;
    simdjson::dom::object object;
    ASSERT_EQ(line_parser.parse(text).get(object), simdjson::SUCCESS)
        << "not a JSON object: " << text;
    std::string_view ts, level, msg;
    ASSERT_EQ(object["ts"].get_string().get(ts), simdjson::SUCCESS) << text;
    ASSERT_EQ(object["level"].get_string().get(level), simdjson::SUCCESS) << text;
    ASSERT_EQ(object["msg"].get_string().get(msg), simdjson::SUCCESS) << text;
    EXPECT_TRUE(std::regex_match(std::string(ts), rfc3339_ms)) << text;
    EXPECT_TRUE(level == "info" || level == "warn" || level == "error") << text;
    stopped |= msg == "stopped";
  }
  EXPECT_EQ(start, d.output().size()) << "a last line without its newline";
  EXPECT_GE(lines, 4u) << d.output();  // store, listening, SIGTERM, stopped at least
  EXPECT_TRUE(stopped) << d.output();
}

// packaging/tidelogd.toml as the service uses it, with the store in a temp
// directory and a free port: tidelogd takes it, serves and stops cleanly.
TEST_F(TidelogdProcessTest, ServesWithTheExampleConfig) {
  Tidelogd d({"--config", std::string(TIDELOG_SOURCE_DIR) + "/packaging/tidelogd.toml",
              "--data-dir", dir_ + "/data", "--listen", "127.0.0.1:0", "--threads", "1"});
  std::string line = d.WaitForLine("tidelogd: listening on ");
  ASSERT_FALSE(line.empty()) << d.output();
  RawHttpClient client(PortOf(line));
  ASSERT_TRUE(client.Send(ListStreams()));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
  d.Signal(SIGTERM);
  EXPECT_EQ(d.WaitExit(), 0) << d.output();
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/data"));
}

}  // namespace
}  // namespace tidelog::server
