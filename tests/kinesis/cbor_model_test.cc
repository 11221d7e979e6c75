// The transcoder's member-name rule (cbor_writer.h) against botocore's Kinesis
// model (data/kinesis/2013-12-02/service-2.json.gz, located at configure time
// and passed as TIDELOG_KINESIS_MODEL): in every shape an output or error can
// reach, a member is a timestamp exactly when IsTimestampMember says so and a
// blob exactly when IsBlobMember does, and no map (whose keys are data, not
// member names) is reachable.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <zlib.h>

#include <set>
#include <string>

#include "server/kinesis/cbor_writer.h"

namespace tidelog::server::kinesis {
namespace {

#ifdef TIDELOG_KINESIS_MODEL
std::string Gunzip(const char* path) {
  std::string out;
  gzFile f = gzopen(path, "rb");
  if (f == nullptr) return out;
  char buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

class ModelWalk {
 public:
  explicit ModelWalk(simdjson::dom::object shapes) : shapes_(shapes) {}

  void Shape(std::string_view name) {
    if (!seen_.insert(std::string(name)).second) return;
    simdjson::dom::object s = shapes_[name].get_object().value();
    const std::string_view type = s["type"].get_string().value();
    if (type == "structure") {
      simdjson::dom::object members;
      if (s["members"].get(members) != simdjson::SUCCESS) return;
      for (auto [member, spec] : members) {
        const std::string_view target = spec["shape"].get_string().value();
        const std::string_view member_type = shapes_[target]["type"].get_string().value();
        EXPECT_EQ(member_type == "timestamp", IsTimestampMember(member))
            << member << " in " << name << " is a " << member_type;
        EXPECT_EQ(member_type == "blob", IsBlobMember(member))
            << member << " in " << name << " is a " << member_type;
        timestamps_ += member_type == "timestamp" ? 1 : 0;
        Shape(target);
      }
    } else if (type == "list") {
      Shape(s["member"]["shape"].get_string().value());
    } else if (type == "map") {
      ADD_FAILURE() << "map " << name << " reachable from an output: its keys are data";
    }
  }

  int timestamps() const { return timestamps_; }

 private:
  simdjson::dom::object shapes_;
  std::set<std::string> seen_;
  int timestamps_ = 0;
};
#endif

TEST(CborModelTest, TimestampAndBlobMembersMatchBotocore) {
#ifndef TIDELOG_KINESIS_MODEL
  FAIL() << "botocore's Kinesis model was not found at configure time "
            "(scripts/install-deps.sh installs boto3)";
#else
  const std::string text = Gunzip(TIDELOG_KINESIS_MODEL);
  ASSERT_FALSE(text.empty()) << "cannot read " << TIDELOG_KINESIS_MODEL;
  simdjson::dom::parser parser;
  simdjson::dom::object model;
  ASSERT_EQ(parser.parse(text).get(model), simdjson::SUCCESS);
  ModelWalk walk(model["shapes"].get_object().value());
  int operations = 0;
  simdjson::dom::object operations_map = model["operations"].get_object().value();
  for (auto [name, op] : operations_map) {
    ++operations;
    simdjson::dom::element output;
    if (op["output"].get(output) == simdjson::SUCCESS)
      walk.Shape(output["shape"].get_string().value());
    simdjson::dom::array errors;
    if (op["errors"].get(errors) == simdjson::SUCCESS)
      for (simdjson::dom::element e : errors) walk.Shape(e["shape"].get_string().value());
  }
  EXPECT_GE(operations, 39);
  EXPECT_GT(walk.timestamps(), 0);
#endif
}

}  // namespace
}  // namespace tidelog::server::kinesis
