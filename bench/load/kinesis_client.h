// KinesisClient: one keep-alive HTTP/1.1 connection to a Kinesis endpoint,
// sending SigV4-signed AWS JSON 1.1 calls with blocking sockets. One thread
// per client; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/auth/sigv4.h"

namespace tidelog::load {

struct CallResult {
  int status = 0;     // HTTP status; 0 when the connection failed
  std::string body;   // response JSON
  std::string error;  // transport error text when status == 0
  bool ok() const { return status == 200; }
};

class KinesisClient {
 public:
  KinesisClient(std::string host, uint16_t port, server::Credential credential, std::string region);
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
  bool Connect(std::string* error);
  void Disconnect();
  bool SendAll(const std::string& bytes);
  bool ReadResponse(CallResult* result);
  bool Fill();
  std::string Wire(std::string_view operation, std::string body);

  std::string host_;
  uint16_t port_;
  server::Credential credential_;
  std::string region_;
  int fd_ = -1;
  std::string buffer_;  // received, not yet consumed
};

// Wall-clock milliseconds for signing.
int64_t NowMillis();
// Monotonic microseconds for latency.
int64_t MonoMicros();

}  // namespace tidelog::load
