// KinesisService: the AWS JSON 1.1 Kinesis protocol (Kinesis_20131202) over a
// tidelog::Engine. Authenticates, routes X-Amz-Target, checks the body against
// the service model and answers with AWS's exact error names and texts.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "server/http/http_message.h"
#include "tidelog/engine.h"

namespace boost::asio {
class thread_pool;
}

namespace tidelog::server {

class SigV4Verifier;

struct KinesisServiceOptions {
  const SigV4Verifier* verifier = nullptr;  // nullptr: authentication off
  size_t worker_threads = 2;                // pool for blocking engine calls
};

class KinesisService final : public RequestHandler {
 public:
  // `engine` (and the verifier) must outlive the service and every request it
  // has accepted.
  KinesisService(tidelog::Engine* engine, KinesisServiceOptions options);
  ~KinesisService() override;  // finishes queued work, joins workers

  KinesisService(const KinesisService&) = delete;
  KinesisService& operator=(const KinesisService&) = delete;

  // Answers, from the head alone, a request that cannot be valid: a missing
  // or impossible signature (all but the body hash), a method other than
  // POST, an unknown target or content type.
  std::optional<HttpResponse> CheckHead(const HttpRequest& head) override;
  void Handle(HttpRequest request, Responder done) override;

 private:
  tidelog::Engine* engine_;
  KinesisServiceOptions options_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
};

}  // namespace tidelog::server
