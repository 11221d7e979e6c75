// PrometheusText: the text exposition format's escaping and layout.
#include "server/observability/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace tidelog::server {
namespace {

void AppendEscaped(std::string* out, std::string_view text, bool quote) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '"':
        if (quote) {
          out->append("\\\"");
          break;
        }
        [[fallthrough]];
      default:
        out->push_back(c);
    }
  }
}

std::string_view TypeName(PrometheusText::Type type) {
  switch (type) {
    case PrometheusText::Type::kCounter:
      return "counter";
    case PrometheusText::Type::kGauge:
      return "gauge";
    case PrometheusText::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string FormatPrometheusValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Plain decimals where they are short (bucket bounds like 0.0005), else
  // exponent form; both the shortest digits that read back the same.
  const double magnitude = std::fabs(value);
  const bool fixed = magnitude == 0 || (magnitude >= 1e-9 && magnitude < 1e15);
  auto [end, ec] = fixed ? std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof(buf), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

void PrometheusText::Family(std::string_view name, Type type, std::string_view help) {
  out_.append("# HELP ").append(name).push_back(' ');
  AppendEscaped(&out_, help, /*quote=*/false);
  out_.append("\n# TYPE ").append(name).push_back(' ');
  out_.append(TypeName(type)).push_back('\n');
}

void PrometheusText::Line(std::string_view name, std::string_view suffix, const Labels& labels,
                          std::string_view extra_label, std::string_view extra_value,
                          std::string_view value) {
  out_.append(name).append(suffix);
  if (!labels.empty() || !extra_label.empty()) {
    out_.push_back('{');
    bool first = true;
    auto label = [&](std::string_view k, std::string_view v) {
      if (!first) out_.push_back(',');
      first = false;
      out_.append(k).append("=\"");
      AppendEscaped(&out_, v, /*quote=*/true);
      out_.push_back('"');
    };
    for (const auto& [k, v] : labels) label(k, v);
    if (!extra_label.empty()) label(extra_label, extra_value);
    out_.push_back('}');
  }
  out_.push_back(' ');
  out_.append(value).push_back('\n');
}

void PrometheusText::Sample(std::string_view name, const Labels& labels, double value) {
  Line(name, "", labels, "", "", FormatPrometheusValue(value));
}

void PrometheusText::Sample(std::string_view name, const Labels& labels, uint64_t value) {
  Line(name, "", labels, "", "", std::to_string(value));
}

void PrometheusText::Histogram(std::string_view name, const Labels& labels,
                               const std::vector<uint64_t>& bounds,
                               const std::vector<uint64_t>& counts, uint64_t count, uint64_t sum,
                               double scale) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size() && i < counts.size(); ++i) {
    cumulative += counts[i];
    Line(name, "_bucket", labels, "le",
         FormatPrometheusValue(static_cast<double>(bounds[i]) * scale), std::to_string(cumulative));
  }
  // +Inf equals _count (a record racing the snapshot may be in neither).
  if (counts.size() > bounds.size()) cumulative += counts.back();
  const uint64_t total = std::max(cumulative, count);
  Line(name, "_bucket", labels, "le", "+Inf", std::to_string(total));
  Line(name, "_sum", labels, "", "", FormatPrometheusValue(static_cast<double>(sum) * scale));
  Line(name, "_count", labels, "", "", std::to_string(total));
}

}  // namespace tidelog::server
