// The tidelogd executable: the listening line, serving one request, SigV4 on
// and off, refusing a public address without credentials, and a clean exit 0
// on SIGTERM. Every wait is bounded (poll on the stderr pipe and a pidfd).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
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
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDERR_FILENO);
      std::vector<char*> argv = {const_cast<char*>(TIDELOGD_PATH)};
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(TIDELOGD_PATH, argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    stderr_fd_ = pipe_fds[0];
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  }
  ~Tidelogd() {
    if (pid_ > 0 && exit_code_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stderr_fd_ >= 0) ::close(stderr_fd_);
    if (pidfd_ >= 0) ::close(pidfd_);
  }

  // Reads stderr until a line starting with `prefix` (or EOF / timeout).
  std::string WaitForLine(const std::string& prefix) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
    for (;;) {
      size_t start = 0, end;
      while ((end = output_.find('\n', start)) != std::string::npos) {
        std::string line = output_.substr(start, end - start);
        if (line.rfind(prefix, 0) == 0) return line;
        start = end + 1;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || !ReadSome(static_cast<int>(left))) return "";
    }
  }

  // Waits (bounded) for the process to exit; returns its exit code or -1.
  int WaitExit() {
    pollfd p{pidfd_, POLLIN, 0};
    if (::poll(&p, 1, kTimeoutMs) != 1) return -1;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return -1;
    while (ReadSome(0)) {
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

  void Signal(int sig) { ::kill(pid_, sig); }
  const std::string& output() const { return output_; }

 private:
  bool ReadSome(int timeout_ms) {
    pollfd p{stderr_fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    char buf[4096];
    ssize_t n = ::read(stderr_fd_, buf, sizeof(buf));
    if (n <= 0) return false;
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stderr_fd_ = -1;
  int exit_code_ = -1;
  std::string output_;
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

}  // namespace
}  // namespace tidelog::server
