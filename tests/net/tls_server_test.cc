// TLS on the HttpServer: handshakes (TLS 1.2 and 1.3) and ALPN on the plain
// port and on a TLS-only listener, the self-signed certificate as a trust
// anchor, plain text beside TLS on one port, and certificate reload.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "server/daemon/self_signed_certificate.h"
#include "server/http/tls_context.h"
#include "tests/net/http_test_fixture.h"
#include "tests/net/raw_http_client.h"

namespace tidelog::server::testing {
namespace {

namespace fs = std::filesystem;

// A blocking TLS client (OpenSSL) that trusts exactly `ca_file`.
class TlsClient {
 public:
  struct Options {
    std::string ca_file;
    std::string alpn;  // wire format, e.g. "\x02h2\x08http/1.1"; empty: none
    int min_version = TLS1_2_VERSION;
    int max_version = TLS1_3_VERSION;
    std::string host = "localhost";  // checked against the certificate
  };

  TlsClient(uint16_t port, const Options& options) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, options.min_version);
    SSL_CTX_set_max_proto_version(ctx_, options.max_version);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(ctx_, options.ca_file.c_str(), nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, options.host.c_str());
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    if (options.host == "127.0.0.1") {
      X509_VERIFY_PARAM_set1_ip_asc(param, "127.0.0.1");
    } else {
      X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
    }
    if (!options.alpn.empty()) {
      SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(options.alpn.data()),
                          static_cast<unsigned>(options.alpn.size()));
    }
    handshake_ok_ = SSL_connect(ssl_) == 1;
    if (!handshake_ok_) ERR_clear_error();
  }
  ~TlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }

  bool handshake_ok() const { return handshake_ok_; }
  std::string alpn() const {
    const unsigned char* data = nullptr;
    unsigned int size = 0;
    SSL_get0_alpn_selected(ssl_, &data, &size);
    return std::string(reinterpret_cast<const char*>(data), size);
  }
  int version() const { return SSL_version(ssl_); }
  // SHA-256 of the server's certificate.
  std::string PeerFingerprint() const {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return "";
    unsigned char md[32];
    unsigned int n = 0;
    X509_digest(cert, EVP_sha256(), md, &n);
    X509_free(cert);
    return std::string(reinterpret_cast<char*>(md), n);
  }

  bool Send(const std::string& bytes) {
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
           static_cast<int>(bytes.size());
  }
  // Reads until `marker` arrives; nullopt on EOF or error.
  std::optional<std::string> ReadUntil(const std::string& marker) {
    while (buffer_.find(marker) == std::string::npos) {
      char chunk[4096];
      const int n = SSL_read(ssl_, chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    return buffer_;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
  std::string buffer_;
};

constexpr char kBothProtocols[] = "\x02h2\x08http/1.1";
constexpr char kHttp11Only[] = "\x08http/1.1";

class TlsServerTest : public HttpServerTest {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tidelog-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::string error;
    ASSERT_TRUE(EnsureSelfSignedCertificate(dir_ + "/tls", &cert_, &key_, &error)) << error;
    tls_ = TlsContext::Load(cert_, key_, &error);
    ASSERT_TRUE(tls_) << error;
  }
  void TearDown() override {
    HttpServerTest::TearDown();
    fs::remove_all(dir_);
  }
  void Start(std::string listen_tls = "") {
    HttpServerOptions options;
    options.tls = tls_.get();
    options.listen_tls = std::move(listen_tls);
    StartServer(true, options);
  }
  TlsClient::Options Client(std::string alpn = kHttp11Only) {
    TlsClient::Options o;
    o.ca_file = cert_;
    o.alpn = std::move(alpn);
    return o;
  }
  static std::string Request(const std::string& body) {
    return "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  }

  std::string dir_, cert_, key_;
  std::unique_ptr<TlsContext> tls_;
};

TEST_F(TlsServerTest, Http11OverTls12AndTls13OnThePlainPort) {
  Start();
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    TlsClient::Options o = Client();
    o.min_version = o.max_version = version;
    TlsClient client(port(), o);
    ASSERT_TRUE(client.handshake_ok()) << version;
    EXPECT_EQ(client.version(), version);
    EXPECT_EQ(client.alpn(), "http/1.1");
    ASSERT_TRUE(client.Send(Request("hello over tls")));
    auto reply = client.ReadUntil("hello over tls");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->rfind("HTTP/1.1 200", 0), 0u) << *reply;
  }
}

TEST_F(TlsServerTest, CertificateIsValidForLocalhostAndLoopbackIp) {
  Start();
  TlsClient::Options by_ip = Client();
  by_ip.host = "127.0.0.1";
  EXPECT_TRUE(TlsClient(port(), by_ip).handshake_ok());
  TlsClient::Options wrong = Client();
  wrong.host = "example.com";
  EXPECT_FALSE(TlsClient(port(), wrong).handshake_ok());
}

TEST_F(TlsServerTest, AlpnPrefersH2AndGoesWithoutWhenNothingMatches) {
  Start();
  EXPECT_EQ(TlsClient(port(), Client(kBothProtocols)).alpn(), "h2");
  EXPECT_EQ(TlsClient(port(), Client(kHttp11Only)).alpn(), "http/1.1");
  TlsClient none(port(), Client(""));
  ASSERT_TRUE(none.handshake_ok());
  EXPECT_EQ(none.alpn(), "");
  // No ALPN: HTTP/1.1 is told by its first bytes.
  ASSERT_TRUE(none.Send(Request("no alpn")));
  ASSERT_TRUE(none.ReadUntil("no alpn"));
  TlsClient other(port(), Client("\x08spdy/3.1"));
  ASSERT_TRUE(other.handshake_ok());
  EXPECT_EQ(other.alpn(), "");
}

TEST_F(TlsServerTest, PlainTextStillWorksOnTheSamePort) {
  Start();
  RawHttpClient plain(port());
  ASSERT_TRUE(plain.Send(RawHttpClient::Post("plain")));
  auto response = plain.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "plain");
}

TEST_F(TlsServerTest, GarbageThatLooksLikeTlsIsClosedAndTheServerGoesOn) {
  Start();
  {
    RawHttpClient bogus(port());
    ASSERT_TRUE(bogus.Send(std::string("\x16\x03\x01\x00\x05hello", 10)));
    EXPECT_TRUE(bogus.DrainsToEof());  // after a TLS alert
  }
  TlsClient client(port(), Client());
  EXPECT_TRUE(client.handshake_ok());
}

TEST_F(TlsServerTest, TlsOnlyListenerRefusesPlainText) {
  Start("127.0.0.1:0");
  ASSERT_NE(server_->local_tls_port(), 0);
  ASSERT_NE(server_->local_tls_port(), port());
  TlsClient client(server_->local_tls_port(), Client());
  ASSERT_TRUE(client.handshake_ok());
  ASSERT_TRUE(client.Send(Request("tls only")));
  ASSERT_TRUE(client.ReadUntil("tls only"));
  RawHttpClient plain(server_->local_tls_port());
  ASSERT_TRUE(plain.Send(RawHttpClient::Post("plain")));
  EXPECT_FALSE(plain.ReadResponse());
}

TEST_F(TlsServerTest, ReloadServesTheNewCertificateAndKeepsTheOldOnError) {
  Start();
  const std::string before = TlsClient(port(), Client()).PeerFingerprint();
  ASSERT_FALSE(before.empty());
  // A new pair in place of the old files.
  std::string cert2, key2, error;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_ + "/tls2", &cert2, &key2, &error)) << error;
  fs::copy_file(cert2, cert_, fs::copy_options::overwrite_existing);
  fs::copy_file(key2, key_, fs::copy_options::overwrite_existing);
  ASSERT_TRUE(tls_->Reload(&error)) << error;
  TlsClient::Options trusting_new = Client();
  trusting_new.ca_file = cert2;
  const std::string after = TlsClient(port(), trusting_new).PeerFingerprint();
  EXPECT_FALSE(after.empty());
  EXPECT_NE(after, before);

  // A broken file: the reload fails, saying which, and the server goes on
  // with the certificate it has.
  {
    std::FILE* f = std::fopen(cert_.c_str(), "w");
    std::fputs("not a certificate\n", f);
    std::fclose(f);
  }
  EXPECT_FALSE(tls_->Reload(&error));
  EXPECT_NE(error.find(cert_), std::string::npos) << error;
  EXPECT_EQ(TlsClient(port(), trusting_new).PeerFingerprint(), after);
}

TEST(TlsContextTest, LoadNamesTheFileThatIsWrong) {
  std::string error;
  EXPECT_FALSE(TlsContext::Load("/nonexistent/cert.pem", "/nonexistent/key.pem", &error));
  EXPECT_NE(error.find("/nonexistent/cert.pem"), std::string::npos) << error;
}

TEST(SelfSignedCertificateTest, MadeOnceThenReused) {
  char pattern[] = "/tmp/tidelog-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = std::string(pattern) + "/tls";
  std::string cert, key, error;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir, &cert, &key, &error)) << error;
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::group_all, fs::perms::none);
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::others_all, fs::perms::none);
  const auto written = fs::last_write_time(cert);
  std::string cert2, key2;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir, &cert2, &key2, &error)) << error;
  EXPECT_EQ(cert2, cert);
  EXPECT_EQ(fs::last_write_time(cert), written);
  fs::remove_all(pattern);
}

}  // namespace
}  // namespace tidelog::server::testing
