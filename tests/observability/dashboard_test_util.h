// Helpers of the dashboard units: a per-test temp directory with an Engine
// (manual clock, no background work), and lookups in a parsed JSON document.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "server/kinesis/json_value.h"
#include "tidelog/clock.h"
#include "tidelog/engine.h"

namespace tidelog::server::testing {

using kinesis::JsonValue;

// The member `key` of an object, null members included (JsonValue::Find
// skips them); nullptr when absent.
inline const JsonValue* Member(const JsonValue& v, std::string_view key) {
  for (const auto& m : v.object) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

inline std::string Str(const JsonValue& v, std::string_view key) {
  const JsonValue* m = Member(v, key);
  return m != nullptr && m->is_string() ? m->string : "<missing " + std::string(key) + ">";
}

inline int64_t Int(const JsonValue& v, std::string_view key) {
  const JsonValue* m = Member(v, key);
  EXPECT_TRUE(m != nullptr && m->integral) << key;
  return m != nullptr ? m->integer : -1;
}

inline bool Bool(const JsonValue& v, std::string_view key) {
  const JsonValue* m = Member(v, key);
  EXPECT_TRUE(m != nullptr && m->type == JsonValue::Type::kBool) << key;
  return m != nullptr && m->boolean;
}

class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "tidelog-dashboard-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    clock_ = std::make_shared<ManualClock>(1'700'000'000'000'000);
    EngineOptions o;
    o.data_dir = (dir_ / "db").string();
    o.clock = clock_;
    o.retention_interval_ms = 0;
    o.on_demand_interval_ms = 0;
    o.quotas_enabled = false;
    const Status s = Engine::Open(o, &engine_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void TearDown() override {
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void CreateStream(const std::string& name, int32_t shards) {
    CreateStreamRequest req;
    req.stream_name = name;
    req.shard_count = shards;
    const Status s = engine_->CreateStream(req);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::filesystem::path dir_;
  std::shared_ptr<ManualClock> clock_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace tidelog::server::testing
