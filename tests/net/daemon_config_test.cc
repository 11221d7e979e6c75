// tidelogd configuration: flags, the TOML file (flags win), credentials files,
// the loopback check, --version, --log-format and the example config of
// packaging/.
#include "server/daemon/daemon_config.h"

#include <gtest/gtest.h>
#include <rocksdb/version.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tidelog::server {
namespace {

class DaemonConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tidelog-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  bool Parse(std::vector<std::string> args, DaemonConfig* config, std::string* error) {
    std::vector<const char*> argv = {"tidelogd"};
    for (const std::string& a : args) argv.push_back(a.c_str());
    return ParseDaemonArgs(static_cast<int>(argv.size()), argv.data(), config, error);
  }

  std::string dir_;
};

TEST_F(DaemonConfigTest, Defaults) {
  DaemonConfig c;
  std::string error;
  ASSERT_TRUE(Parse({}, &c, &error)) << error;
  EXPECT_EQ(c.listen, "127.0.0.1:4567");
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.durability, tidelog::Durability::kSync);
  EXPECT_TRUE(c.quotas);
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.account_id, "000000000000");
  EXPECT_EQ(c.retention_check_interval_s, 60);
  EXPECT_EQ(c.max_body_bytes, size_t{16} << 20);
  EXPECT_EQ(c.min_free_bytes, uint64_t{64} << 20);
  EXPECT_EQ(c.max_connections, 4096u);
  EXPECT_EQ(c.max_inflight_body_bytes, size_t{32} << 20);
  EXPECT_EQ(c.max_connection_body_bytes, size_t{16} << 20);
  EXPECT_EQ(c.session_token, "");
  EXPECT_EQ(c.log_format, LogFormat::kText);
  EXPECT_FALSE(c.help);
  EXPECT_FALSE(c.version);
  EXPECT_EQ(c, DaemonConfig{});
}

TEST_F(DaemonConfigTest, Flags) {
  DaemonConfig c;
  std::string error;
  ASSERT_TRUE(Parse({"--listen",
                     "[::1]:0",
                     "--data-dir=/var/x",
                     "--durability",
                     "async",
                     "--quotas",
                     "off",
                     "--threads",
                     "3",
                     "--region",
                     "eu-west-1",
                     "--account-id",
                     "123456789012",
                     "--retention-check-interval",
                     "0",
                     "--max-body-bytes",
                     "2048",
                     "--min-free-bytes",
                     "0",
                     "--max-connections",
                     "10",
                     "--max-inflight-body-bytes",
                     "2097152",
                     "--max-connection-body-bytes",
                     "4096",
                     "--session-token",
                     "tok",
                     "--help"},
                    &c, &error))
      << error;
  EXPECT_EQ(c.max_connections, 10u);
  EXPECT_EQ(c.max_inflight_body_bytes, 2097152u);
  EXPECT_EQ(c.max_connection_body_bytes, 4096u);
  EXPECT_EQ(c.session_token, "tok");
  EXPECT_EQ(c.listen, "[::1]:0");
  EXPECT_EQ(c.data_dir, "/var/x");
  EXPECT_EQ(c.durability, tidelog::Durability::kAsync);
  EXPECT_FALSE(c.quotas);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.account_id, "123456789012");
  EXPECT_EQ(c.retention_check_interval_s, 0);
  EXPECT_EQ(c.max_body_bytes, 2048u);
  EXPECT_EQ(c.min_free_bytes, 0u);
  EXPECT_TRUE(c.help);
}

TEST_F(DaemonConfigTest, BadFlags) {
  const std::vector<std::vector<std::string>> bad = {{"--bogus", "1"},
                                                     {"--durability", "fast"},
                                                     {"--quotas", "maybe"},
                                                     {"--threads", "0"},
                                                     {"--threads", "x"},
                                                     {"--account-id", "12"},
                                                     {"--listen", "nocolon"},
                                                     {"--max-body-bytes", "1"},
                                                     {"--listen"},
                                                     {"positional"},
                                                     {"--retention-check-interval", "-1"},
                                                     {"--min-free-bytes", "-1"},
                                                     {"--min-free-bytes", "1G"},
                                                     {"--max-connections", "0"},
                                                     {"--max-connections", "99999999999999999999"},
                                                     {"--max-inflight-body-bytes", "1024"},
                                                     {"--max-connection-body-bytes", "-5"}};
  for (const auto& args : bad) {
    DaemonConfig c;
    std::string error;
    EXPECT_FALSE(Parse(args, &c, &error)) << args[0];
    EXPECT_FALSE(error.empty());
  }
  DaemonConfig c;
  std::string error;
  EXPECT_FALSE(Parse({"--bogus", "1"}, &c, &error));
  EXPECT_EQ(error, "unknown flag --bogus");
}

TEST_F(DaemonConfigTest, TomlFileWithFlagsWinning) {
  std::string path = Write("tidelogd.toml",
                           "# broker settings\n"
                           "listen = \"127.0.0.1:9000\"\n"
                           "data_dir = \"/srv/tidelog\"\n"
                           "durability = \"async\"\n"
                           "quotas = false\n"
                           "threads = 2\n"
                           "retention-check-interval = 30\n"
                           "min_free_bytes = 1048576\n");
  DaemonConfig c;
  std::string error;
  ASSERT_TRUE(Parse({"--listen", "127.0.0.1:9001", "--config", path}, &c, &error)) << error;
  EXPECT_EQ(c.listen, "127.0.0.1:9001");  // the flag, though given before --config
  EXPECT_EQ(c.data_dir, "/srv/tidelog");
  EXPECT_EQ(c.durability, tidelog::Durability::kAsync);
  EXPECT_FALSE(c.quotas);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.retention_check_interval_s, 30);
  EXPECT_EQ(c.min_free_bytes, 1048576u);

  DaemonConfig bad;
  EXPECT_FALSE(Parse({"--config", Write("typo.toml", "lissen = \"x:1\"\n")}, &bad, &error));
  EXPECT_NE(error.find("unknown key 'lissen'"), std::string::npos) << error;
  EXPECT_FALSE(Parse({"--config", Write("broken.toml", "listen = \n")}, &bad, &error));
  EXPECT_FALSE(Parse({"--config", Write("value.toml", "durability = \"x\"\n")}, &bad, &error));
  EXPECT_FALSE(Parse({"--config", dir_ + "/missing.toml"}, &bad, &error));
}

TEST_F(DaemonConfigTest, Credentials) {
  DaemonConfig c;
  std::vector<Credential> credentials;
  std::string error;
  ASSERT_TRUE(LoadCredentials(c, &credentials, &error));
  EXPECT_TRUE(credentials.empty());

  c.access_key_id = "AKID1";
  EXPECT_FALSE(LoadCredentials(c, &credentials, &error));  // secret missing
  c.secret_access_key = "s1";
  c.credentials_file =
      Write("creds", "# team keys\n\n AKID2 : s2/with+slash \nAKID3:s3\nASIA4:s4:tok/en+4:x=\n");
  ASSERT_TRUE(LoadCredentials(c, &credentials, &error)) << error;
  ASSERT_EQ(credentials.size(), 4u);
  EXPECT_EQ(credentials[0].access_key_id, "AKID1");
  EXPECT_EQ(credentials[0].session_token, "");
  EXPECT_EQ(credentials[1].access_key_id, "AKID2");
  EXPECT_EQ(credentials[1].secret_access_key, "s2/with+slash");
  EXPECT_EQ(credentials[2].secret_access_key, "s3");
  EXPECT_EQ(credentials[3].access_key_id, "ASIA4");
  EXPECT_EQ(credentials[3].secret_access_key, "s4");
  EXPECT_EQ(credentials[3].session_token, "tok/en+4:x=");

  c.session_token = "flag-token";
  ASSERT_TRUE(LoadCredentials(c, &credentials, &error)) << error;
  EXPECT_EQ(credentials[0].session_token, "flag-token");
  DaemonConfig token_alone;
  token_alone.session_token = "t";
  EXPECT_FALSE(LoadCredentials(token_alone, &credentials, &error));
  c.session_token.clear();
  c.credentials_file = Write("empty-token", "AKID5:s5:\n");
  EXPECT_FALSE(LoadCredentials(c, &credentials, &error));

  c.credentials_file = Write("bad", "AKID4\n");
  EXPECT_FALSE(LoadCredentials(c, &credentials, &error));
  EXPECT_NE(error.find(":1: expected ACCESS_KEY_ID:SECRET"), std::string::npos) << error;
  c.credentials_file = Write("dup", "AKID1:other\n");
  EXPECT_FALSE(LoadCredentials(c, &credentials, &error));
  c.credentials_file = dir_ + "/missing";
  EXPECT_FALSE(LoadCredentials(c, &credentials, &error));
}

TEST_F(DaemonConfigTest, TlsSettings) {
  DaemonConfig config;
  std::string error;
  EXPECT_FALSE(TlsConfigured(config));
  // A switch: no value taken, so the next flag is still read as a flag.
  ASSERT_TRUE(Parse({"--tls-self-signed", "--listen-tls", "127.0.0.1:4568"}, &config, &error))
      << error;
  EXPECT_TRUE(config.tls_self_signed);
  EXPECT_EQ(config.listen_tls, "127.0.0.1:4568");
  EXPECT_TRUE(TlsConfigured(config));

  DaemonConfig files;
  ASSERT_TRUE(Parse({"--tls-cert", "c.pem", "--tls-key=k.pem"}, &files, &error)) << error;
  EXPECT_EQ(files.tls_cert_file, "c.pem");
  EXPECT_EQ(files.tls_key_file, "k.pem");

  DaemonConfig toml;
  ASSERT_TRUE(Parse({"--config", Write("tls.toml", "tls_self_signed = true\n")}, &toml, &error))
      << error;
  EXPECT_TRUE(toml.tls_self_signed);

  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
      {{"--tls-key", "k.pem"}, "--tls-cert and --tls-key go together"},
      {{"--tls-self-signed", "--tls-cert", "c", "--tls-key", "k"}, "exclude each other"},
      {{"--listen-tls", "127.0.0.1:4568"}, "--listen-tls needs"},
      {{"--listen-tls", "nowhere"}, "--listen-tls wants HOST:PORT"},
      {{"--tls-self-signed=maybe"}, "--tls-self-signed takes no value"},
  };
  for (const auto& [args, message] : bad) {
    DaemonConfig c;
    error.clear();
    EXPECT_FALSE(Parse(args, &c, &error)) << args[0];
    EXPECT_NE(error.find(message), std::string::npos) << error;
  }
}

TEST_F(DaemonConfigTest, LogFormatAndVersion) {
  DaemonConfig c;
  std::string error;
  ASSERT_TRUE(Parse({"--log-format", "json", "--version"}, &c, &error)) << error;
  EXPECT_EQ(c.log_format, LogFormat::kJson);
  EXPECT_TRUE(c.version);
  EXPECT_FALSE(c.help);
  ASSERT_TRUE(Parse({"--log-format=text"}, &c, &error)) << error;
  EXPECT_EQ(c.log_format, LogFormat::kText);

  DaemonConfig toml;
  ASSERT_TRUE(Parse({"--config", Write("log.toml", "log_format = \"json\"\n")}, &toml, &error))
      << error;
  EXPECT_EQ(toml.log_format, LogFormat::kJson);
  DaemonConfig flag_wins;
  ASSERT_TRUE(
      Parse({"--config", Write("log2.toml", "log-format = \"json\"\n"), "--log-format", "text"},
            &flag_wins, &error))
      << error;
  EXPECT_EQ(flag_wins.log_format, LogFormat::kText);

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--log-format", "xml"}, {"--log-format", "JSON"}, {"--log-format"}}) {
    DaemonConfig bad;
    error.clear();
    EXPECT_FALSE(Parse(args, &bad, &error)) << args.back();
    EXPECT_NE(error.find("--log-format"), std::string::npos) << error;
  }
  DaemonConfig bad;
  EXPECT_FALSE(Parse({"--config", Write("bad-log.toml", "log_format = 1\n")}, &bad, &error));
  EXPECT_NE(error.find("--log-format must be text or json, got '1'"), std::string::npos) << error;
  EXPECT_FALSE(Parse({"--version=1"}, &bad, &error));  // a switch, not a setting
  EXPECT_EQ(error, "unknown flag --version");
  EXPECT_FALSE(Parse({"--config", Write("version.toml", "version = true\n")}, &bad, &error));
  EXPECT_NE(error.find("unknown key 'version'"), std::string::npos) << error;
}

TEST(DaemonVersionTest, NamesTheProjectGitAndRocksDbVersions) {
  const std::string commit = TIDELOG_TEST_GIT_COMMIT;
  const std::string expected = std::string("tidelogd ") + TIDELOG_TEST_PROJECT_VERSION +
                               (commit.empty() ? "" : " (git " + commit + ")") + "\nRocksDB " +
                               std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) +
                               "." + std::to_string(ROCKSDB_PATCH) + "\n";
  EXPECT_EQ(DaemonVersion(), expected);
}

TEST(DaemonUsageTest, HelpNamesEverySetting) {
  const std::string usage = DaemonUsage();
  const std::vector<std::string> names = DaemonSettingNames();
  EXPECT_GE(names.size(), 25u);
  for (const std::string& name : names) {
    EXPECT_NE(usage.find("--" + name + " "), std::string::npos) << name;
  }
  EXPECT_NE(usage.find("--version"), std::string::npos);
  EXPECT_NE(usage.find("--log-format text|json"), std::string::npos);
}

// packaging/tidelogd.toml sets every key to its default, or shows it
// commented out where the default is "none": parsed, it is DaemonConfig{}.
TEST_F(DaemonConfigTest, ExampleConfigHasEveryKeyAtItsDefault) {
  const std::string example = std::string(TIDELOG_SOURCE_DIR) + "/packaging/tidelogd.toml";
  DaemonConfig c;
  std::string error;
  ASSERT_TRUE(Parse({"--config", example}, &c, &error)) << error;
  EXPECT_EQ(c, DaemonConfig{});

  std::ifstream in(example);
  ASSERT_TRUE(in) << example;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (std::string key : DaemonSettingNames()) {
    for (char& ch : key)
      if (ch == '-') ch = '_';
    size_t found = 0;
    for (const std::string& line : lines) {
      if (line.rfind(key + " = ", 0) == 0 || line.rfind("# " + key + " = ", 0) == 0) ++found;
    }
    EXPECT_EQ(found, 1u) << key << " should appear once, set or commented out";
  }
}

TEST(DaemonLoopbackTest, LoopbackHosts) {
  EXPECT_EQ(HostOf("127.0.0.1:4567"), "127.0.0.1");
  EXPECT_EQ(HostOf("[::1]:0"), "::1");
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.8.9.10"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.1.2.3"));
}

}  // namespace
}  // namespace tidelog::server
