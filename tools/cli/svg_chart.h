// A small self-contained SVG bar chart (grouped when there is more than one
// series): the key-distribution plot of `tidelog keys --plot`. The output is
// a well-formed XML document; every text is XML-escaped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tidelog::cli {

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per category
};

struct BarChart {
  std::string title;
  std::string y_label;
  std::vector<std::string> categories;
  std::vector<BarSeries> series;
  std::optional<double> reference_line;  // e.g. the fair share, dashed
};

std::string RenderSvgBarChart(const BarChart& chart);

// `text` with &, <, >, " and ' escaped; bytes below 0x20 other than tab and
// newline (not allowed in XML 1.0) become '?'.
std::string EscapeXml(std::string_view text);

}  // namespace tidelog::cli
