// KinesisClient: one keep-alive HTTP/1.1 connection, plain or TLS (OpenSSL),
// to a Kinesis endpoint, sending SigV4-signed AWS JSON 1.1 calls with
// blocking sockets. Used by the tidelog CLI and the load tools (bench/load).
// One thread per client; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/auth/sigv4.h"

namespace tidelog::client {

struct CallResult {
  int status = 0;     // HTTP status; 0 when the connection failed
  std::string body;   // response JSON
  std::string error;  // transport error text when status == 0
  bool ok() const { return status == 200; }
};

// Where to connect: from a URL such as https://kinesis.us-east-1.amazonaws.com
// or http://127.0.0.1:4567 (http:// or https://, a host name, IPv4 or [IPv6]
// literal, an optional port, an optional "/" path and nothing else).
struct Endpoint {
  bool tls = false;
  std::string host;  // without brackets
  uint16_t port = 0;
};
std::optional<std::string> ParseEndpointUrl(std::string_view url, Endpoint* out);

struct TlsOptions {
  // Verify the server's certificate chain and that it names the host.
  bool verify_peer = true;
  // PEM file of trusted CAs; empty: the system store.
  std::string ca_bundle;
};

class KinesisClient {
 public:
  // Plain HTTP to host:port.
  KinesisClient(std::string host, uint16_t port, server::Credential credential, std::string region);
  KinesisClient(Endpoint endpoint, server::Credential credential, std::string region,
                TlsOptions tls);
  ~KinesisClient();

  KinesisClient(const KinesisClient&) = delete;
  KinesisClient& operator=(const KinesisClient&) = delete;

  // POSTs `body` with X-Amz-Target Kinesis_20131202.<operation>. Reconnects
  // once if the kept-alive connection was closed.
  CallResult Call(std::string_view operation, std::string body);

  // Starts a call whose response is a chunked stream (SubscribeToShard):
  // sends it and reads the head. True with 200; otherwise *error_body holds
  // what came. Then ReadStream() until it returns false (the stream ended or
  // the connection failed); the connection is not reused afterwards.
  bool OpenStream(std::string_view operation, std::string body, std::string* error_body);
  // Appends the next chunk's data to *out.
  bool ReadStream(std::string* out);
  // Ends a stream being read on another thread (its ReadStream returns false).
  void ShutdownStream();

 private:
  struct Tls;
  bool Connect(std::string* error);
  bool StartTls(std::string* error);
  void Disconnect();
  bool SendAll(const std::string& bytes);
  bool ReadResponse(CallResult* result);
  bool Fill();
  std::string Wire(std::string_view operation, std::string body);

  Endpoint endpoint_;
  server::Credential credential_;
  std::string region_;
  TlsOptions tls_options_;
  std::unique_ptr<Tls> tls_;  // set while a TLS session is open
  int fd_ = -1;
  std::string buffer_;  // received, not yet consumed
};

// The AWS error of a failed call: `__type` without its namespace prefix
// ("...#ResourceNotFoundException") and `message` (or `Message`). For a
// transport failure, type "ConnectionError" and the transport text; for a
// body that is not an AWS error, "HTTP <status>" and the body.
struct AwsError {
  std::string type;
  std::string message;
};
AwsError DescribeFailure(const CallResult& result);

// Wall-clock milliseconds for signing.
int64_t NowMillis();
// Monotonic microseconds for latency.
int64_t MonoMicros();

}  // namespace tidelog::client
