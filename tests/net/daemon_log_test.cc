// tidelogd's log lines (server/daemon/daemon_log.cc): the text layout, and
// JSON lines that a strict parser (simdjson, which validates UTF-8) accepts
// whatever bytes the message and fields hold.
#include "server/daemon/daemon_log.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <regex>
#include <string>

namespace tidelog::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// 2021-03-04T05:06:07.089Z
const system_clock::time_point kWhen{milliseconds(1614834367089)};

std::string StringAt(simdjson::dom::element object, const char* key) {
  std::string_view value;
  if (object[key].get_string().get(value) != simdjson::SUCCESS)
    return "<missing " + std::string(key) + ">";
  return std::string(value);
}

TEST(DaemonLogTest, TextLine) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, LogLevel::kWarning, kWhen, "disk low"),
            "2021-03-04T05:06:07.089Z tidelogd WARN disk low\n");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, LogLevel::kInfo, kWhen, "up", {{"port", "1"}}),
            "2021-03-04T05:06:07.089Z tidelogd INFO up port=1\n");
}

TEST(DaemonLogTest, JsonLineHasTsLevelMsgAndFields) {
  const std::string line = FormatLogLine(LogFormat::kJson, LogLevel::kError, kWhen, "boom",
                                         {{"address", "127.0.0.1:1"}});
  EXPECT_EQ(line,
            "{\"ts\":\"2021-03-04T05:06:07.089Z\",\"level\":\"error\",\"msg\":\"boom\","
            "\"address\":\"127.0.0.1:1\"}\n");
  EXPECT_NE(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, kWhen, "x").find("\"level\":\"info\""),
            std::string::npos);
  EXPECT_NE(
      FormatLogLine(LogFormat::kJson, LogLevel::kWarning, kWhen, "x").find("\"level\":\"warn\""),
      std::string::npos);
}

TEST(DaemonLogTest, JsonEscapesEveryStringAndParses) {
  // Quotes, backslashes, control bytes, DEL, valid multi-byte UTF-8, and
  // bytes that are not UTF-8 (a lone continuation, a truncated sequence, an
  // overlong form, a surrogate, past U+10FFFF).
  const std::string message = std::string("say \"hi\"\\ \n\r\t\b\f") + '\0' + "\x01\x1f\x7f" +
                              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" + " bad:\x80|\xe2\x82|" +
                              "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xff";
  const std::string line =
      FormatLogLine(LogFormat::kJson, LogLevel::kInfo, kWhen, message, {{"k\"ey\n", "v\\al\x02"}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(StringAt(doc, "ts"), "2021-03-04T05:06:07.089Z");
  EXPECT_EQ(StringAt(doc, "level"), "info");
  const std::string replacement = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(StringAt(doc, "msg"),
            std::string("say \"hi\"\\ \n\r\t\b\f") + '\0' + "\x01\x1f\x7f" +
                "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 bad:" + replacement + "|" + replacement +
                replacement + "|" + replacement + replacement + "|" + replacement + replacement +
                replacement + "|" + replacement + replacement + replacement + replacement + "|" +
                replacement);
  EXPECT_EQ(StringAt(doc, "k\"ey\n"), "v\\al\x02");
}

TEST(DaemonLogTest, TimestampIsRfc3339UtcWithMilliseconds) {
  const std::string line =
      FormatLogLine(LogFormat::kJson, LogLevel::kInfo, system_clock::now(), "now");
  EXPECT_TRUE(std::regex_search(
      line, std::regex(R"re(^\{"ts":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z",)re")))
      << line;
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, system_clock::time_point{}, "")
                .substr(0, 32),
            "{\"ts\":\"1970-01-01T00:00:00.000Z\"");
}

}  // namespace
}  // namespace tidelog::server
