// Output helpers: table alignment, JSON building and escaping, bars, and the
// SVG chart's well-formedness (balanced tags, escaped text).
#include "tools/cli/output.h"

#include <gtest/gtest.h>

#include <vector>

#include "tools/cli/svg_chart.h"

namespace tidelog::cli {
namespace {

TEST(OutputTest, TableAlignsColumns) {
  TextTable t({{"name"}, {"n", true}});
  t.AddRow({"a", "1"});
  t.AddRow({"long-name", "1234"});
  EXPECT_EQ(t.Render(),
            "name          n\n"
            "---------  ----\n"
            "a             1\n"
            "long-name  1234\n");
  EXPECT_THROW(t.AddRow({"only one"}), std::logic_error);
}

TEST(OutputTest, JsonBuilderNestsAndEscapes) {
  JsonBuilder j;
  j.BeginObject().Key("a").Int(1).Key("b").BeginArray().Str("x\"\\\n\x01").Num(0.5).Bool(true);
  j.Null().EndArray().Key("c").Num(1.0 / 0.0).Key("d").BeginObject().EndObject().EndObject();
  EXPECT_EQ(j.str(), R"({"a":1,"b":["x\"\\\n\u0001",0.5,true,null],"c":null,"d":{}})");
}

TEST(OutputTest, Numbers) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1000), "1,000");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatFixed(1.5, 2), "1.50");
  EXPECT_EQ(Bar(10, 10, 4), "####");
  EXPECT_EQ(Bar(0.01, 10, 4), "#");
  EXPECT_EQ(Bar(0, 10, 4), "");
}

// Checks that every '<' opens a tag that is closed in order: enough to catch
// unbalanced or unescaped output (the e2e test parses the file with
// xml.etree as well).
bool BalancedXml(const std::string& xml, std::string* why) {
  std::vector<std::string> open;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    const size_t end = xml.find('>', pos);
    if (end == std::string::npos) return *why = "unterminated tag", false;
    std::string tag = xml.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty()) return *why = "empty tag", false;
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag.back() == '/') continue;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return *why = "mismatched </" + tag, false;
      open.pop_back();
      continue;
    }
    open.push_back(tag.substr(0, tag.find(' ')));
  }
  if (!open.empty()) return *why = "unclosed <" + open.back(), false;
  // Outside tags, no raw '&' that does not start an entity.
  for (size_t amp = xml.find('&'); amp != std::string::npos; amp = xml.find('&', amp + 1)) {
    if (xml.compare(amp, 5, "&amp;") != 0 && xml.compare(amp, 4, "&lt;") != 0 &&
        xml.compare(amp, 4, "&gt;") != 0 && xml.compare(amp, 6, "&quot;") != 0 &&
        xml.compare(amp, 6, "&apos;") != 0)
      return *why = "raw &", false;
  }
  return true;
}

TEST(SvgChartTest, WellFormedAndEscaped) {
  BarChart chart;
  chart.title = "keys <&> \"quoted\"";
  chart.y_label = "share (%)";
  chart.categories = {"shardId-000000000000", "shardId-000000000001"};
  chart.series = {{"file:a&b.txt", {60, 40}}, {"random", {50, 50}}};
  chart.reference_line = 50;
  const std::string svg = RenderSvgBarChart(chart);
  std::string why;
  EXPECT_TRUE(BalancedXml(svg, &why)) << why;
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("keys &lt;&amp;&gt; &quot;quoted&quot;"), std::string::npos);
  EXPECT_NE(svg.find("file:a&amp;b.txt"), std::string::npos);
  EXPECT_EQ(svg.find("a&b"), std::string::npos);
  // 4 bars + background + 2 legend swatches.
  size_t rects = 0;
  for (size_t p = svg.find("<rect"); p != std::string::npos; p = svg.find("<rect", p + 1)) ++rects;
  EXPECT_EQ(rects, 7u);
}

TEST(SvgChartTest, EmptyAndManyCategories) {
  BarChart empty;
  std::string why;
  EXPECT_TRUE(BalancedXml(RenderSvgBarChart(empty), &why)) << why;
  BarChart many;
  many.series = {{"s", {}}};
  for (int i = 0; i < 2000; ++i) {
    many.categories.push_back("c" + std::to_string(i));
    many.series[0].values.push_back(i);
  }
  EXPECT_TRUE(BalancedXml(RenderSvgBarChart(many), &why)) << why;
  EXPECT_EQ(EscapeXml(std::string("a\x01"
                                  "b")),
            "a?b");
}

}  // namespace
}  // namespace tidelog::cli
