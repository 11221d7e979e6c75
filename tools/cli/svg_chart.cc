// SVG rendering of bar charts, written by hand (a few dozen elements).
#include "tools/cli/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tidelog::cli {
namespace {

constexpr double kPlotWidth = 900, kPlotHeight = 320;
constexpr double kLeft = 70, kTop = 50, kBottom = 90, kRight = 180;
constexpr const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

std::string Num(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", v);
  return text;
}

// A round axis maximum at or above `max_value`: 1, 2 or 5 times a power of ten.
double NiceCeiling(double max_value) {
  if (!(max_value > 0)) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(max_value)));
  for (double step : {1.0, 2.0, 5.0, 10.0})
    if (step * magnitude >= max_value) return step * magnitude;
  return 10 * magnitude;
}

}  // namespace

std::string EscapeXml(std::string_view text) {
  std::string out;
  for (unsigned char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += (ch < 0x20 && ch != '\t' && ch != '\n') ? '?' : static_cast<char>(ch);
    }
  }
  return out;
}

std::string RenderSvgBarChart(const BarChart& chart) {
  const double width = kLeft + kPlotWidth + kRight, height = kTop + kPlotHeight + kBottom;
  double max_value = chart.reference_line.value_or(0);
  for (const auto& s : chart.series)
    for (double v : s.values) max_value = std::max(max_value, v);
  const double axis_max = NiceCeiling(max_value);
  auto y_of = [&](double v) {
    return kTop + kPlotHeight * (1 - std::clamp(v / axis_max, 0.0, 1.0));
  };

  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(width) + "\" height=\"" +
         Num(height) + "\" viewBox=\"0 0 " + Num(width) + " " + Num(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + Num(width / 2) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" +
         EscapeXml(chart.title) + "</text>\n";
  // Axes and five horizontal grid lines.
  for (int i = 0; i <= 5; ++i) {
    const double v = axis_max * i / 5, y = y_of(v);
    svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(kLeft + kPlotWidth) +
           "\" y2=\"" + Num(y) + "\" stroke=\"#ddd\"/>\n";
    char label[32];
    std::snprintf(label, sizeof(label), "%g", v);
    svg += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" +
           label + "</text>\n";
  }
  svg += "<text transform=\"translate(16," + Num(kTop + kPlotHeight / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + EscapeXml(chart.y_label) + "</text>\n";

  const size_t categories = std::max<size_t>(1, chart.categories.size());
  const size_t series = std::max<size_t>(1, chart.series.size());
  const double group_width = kPlotWidth / static_cast<double>(categories);
  const double bar_width = group_width * 0.8 / static_cast<double>(series);
  // Labels only where they fit: about one per 40 px.
  const size_t label_every = std::max<size_t>(1, static_cast<size_t>(40 / group_width) + 1);
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    const double group_x = kLeft + group_width * static_cast<double>(c) + group_width * 0.1;
    for (size_t s = 0; s < chart.series.size(); ++s) {
      const double v = c < chart.series[s].values.size() ? chart.series[s].values[c] : 0;
      const double y = y_of(v);
      svg += "<rect x=\"" + Num(group_x + bar_width * static_cast<double>(s)) + "\" y=\"" + Num(y) +
             "\" width=\"" + Num(bar_width) + "\" height=\"" + Num(kTop + kPlotHeight - y) +
             "\" fill=\"" + kColors[s % std::size(kColors)] + "\"><title>" +
             EscapeXml(chart.series[s].name + " " + chart.categories[c]) + ": " + Num(v) +
             "</title></rect>\n";
    }
    if (c % label_every == 0) {
      const double x = kLeft + group_width * (static_cast<double>(c) + 0.5);
      svg += "<text transform=\"translate(" + Num(x) + "," + Num(kTop + kPlotHeight + 12) +
             ") rotate(45)\" font-size=\"10\">" + EscapeXml(chart.categories[c]) + "</text>\n";
    }
  }
  svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop + kPlotHeight) + "\" x2=\"" +
         Num(kLeft + kPlotWidth) + "\" y2=\"" + Num(kTop + kPlotHeight) + "\" stroke=\"black\"/>\n";
  if (chart.reference_line) {
    const double y = y_of(*chart.reference_line);
    svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(kLeft + kPlotWidth) +
           "\" y2=\"" + Num(y) + "\" stroke=\"black\" stroke-dasharray=\"6,4\"/>\n";
  }
  // Legend: one swatch per series, then the reference line.
  double legend_y = kTop;
  for (size_t s = 0; s < chart.series.size(); ++s, legend_y += 18) {
    svg += "<rect x=\"" + Num(kLeft + kPlotWidth + 16) + "\" y=\"" + Num(legend_y) +
           "\" width=\"12\" height=\"12\" fill=\"" + kColors[s % std::size(kColors)] + "\"/>\n";
    svg += "<text x=\"" + Num(kLeft + kPlotWidth + 34) + "\" y=\"" + Num(legend_y + 10) + "\">" +
           EscapeXml(chart.series[s].name) + "</text>\n";
  }
  if (chart.reference_line) {
    svg += "<line x1=\"" + Num(kLeft + kPlotWidth + 16) + "\" y1=\"" + Num(legend_y + 6) +
           "\" x2=\"" + Num(kLeft + kPlotWidth + 28) + "\" y2=\"" + Num(legend_y + 6) +
           "\" stroke=\"black\" stroke-dasharray=\"3,2\"/>\n";
    svg += "<text x=\"" + Num(kLeft + kPlotWidth + 34) + "\" y=\"" + Num(legend_y + 10) +
           "\">fair share</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace tidelog::cli
