// PrometheusText: writes the Prometheus text exposition format (version
// 0.0.4): one # HELP and # TYPE per family, then its samples, label values
// escaped. Families must be written whole, one after another; the writer
// checks nothing else, so names and help texts are the caller's to get right
// (`promtool check metrics` in the tests does).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tidelog::server {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Starts a family.
  void Family(std::string_view name, Type type, std::string_view help);
  // A sample of the current counter or gauge family.
  void Sample(std::string_view name, const Labels& labels, double value);
  void Sample(std::string_view name, const Labels& labels, uint64_t value);
  // The samples of one histogram of the current family: bucket counts (not
  // cumulative, bounds.size() + 1 of them) are made cumulative; bounds and
  // sum are multiplied by `scale` (e.g. 1e-6 for microseconds to seconds).
  void Histogram(std::string_view name, const Labels& labels, const std::vector<uint64_t>& bounds,
                 const std::vector<uint64_t>& counts, uint64_t count, uint64_t sum, double scale);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Line(std::string_view name, std::string_view suffix, const Labels& labels,
            std::string_view extra_label, std::string_view extra_value, std::string_view value);

  std::string out_;
};

// A double in Prometheus' form: shortest round-trip digits, +Inf, NaN.
std::string FormatPrometheusValue(double value);

}  // namespace tidelog::server
