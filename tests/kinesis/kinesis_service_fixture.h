// KinesisServiceFixture: a KinesisService over a real engine in a temporary
// directory, and Call()/Send() that hand it a request and wait (bounded) for
// its answer, parsed. Shared by the protocol tests of tests/kinesis.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "server/kinesis/json_value.h"
#include "server/kinesis/kinesis_service.h"
#include "tidelog/engine.h"

namespace tidelog::server::testing {

struct Answer {
  int status = 0;
  std::string type;     // x-amzn-ErrorType, "" on success
  std::string message;  // the error's message (or Message), "" when none
  kinesis::JsonValue json;
  std::string body;
};

class KinesisServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tidelog-kinesis-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    EngineOptions options;
    options.data_dir = dir_ + "/data";
    options.durability = Durability::kAsync;
    options.quotas_enabled = false;
    options.retention_interval_ms = 0;
    Status s = Engine::Open(options, &engine_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    service_ = std::make_unique<KinesisService>(engine_.get(), KinesisServiceOptions{});
  }

  void TearDown() override {
    service_.reset();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  Answer Send(HttpRequest request) {
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    service_->Handle(std::move(request), [promise](HttpResponse r) { promise->set_value(r); });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    HttpResponse r = future.get();
    Answer a;
    a.status = r.status;
    a.body = r.body;
    for (const auto& [k, v] : r.headers) {
      if (k == "x-amzn-ErrorType") a.type = v;
    }
    if (!r.body.empty() && r.body[0] == '{') {
      EXPECT_TRUE(kinesis::ParseJson(r.body, &a.json)) << r.body;
      const kinesis::JsonValue* m = a.json.Find("message");
      if (!m) m = a.json.Find("Message");
      if (m) a.message = m->string;
    }
    return a;
  }

  Answer Call(std::string_view op, std::string body) {
    HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"content-type", "application/x-amz-json-1.1"},
                   {"x-amz-target", "Kinesis_20131202." + std::string(op)}};
    req.body = std::move(body);
    return Send(std::move(req));
  }

  void CreateStream(const std::string& name, int shards) {
    Answer a = Call("CreateStream", R"({"StreamName":")" + name + R"(","ShardCount":)" +
                                        std::to_string(shards) + "}");
    ASSERT_EQ(a.status, 200) << a.body;
  }

  std::string dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<KinesisService> service_;
};

}  // namespace tidelog::server::testing
