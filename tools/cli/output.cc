// Tables, JSON building and number formatting for the tidelog CLI.
#include "tools/cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace tidelog::cli {

TextTable::TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) throw std::logic_error("table row width mismatch");
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render() const {
  std::vector<size_t> widths(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = columns_[c].header.size();
    for (const auto& row : rows_) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  auto append_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += "  ";
      const size_t pad = widths[c] - cells[c].size();
      if (columns_[c].numeric) line.append(pad, ' ');
      line += cells[c];
      if (!columns_[c].numeric) line.append(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  std::vector<std::string> headers;
  std::vector<std::string> rules;
  for (size_t c = 0; c < columns_.size(); ++c) {
    headers.push_back(columns_[c].header);
    rules.push_back(std::string(widths[c], '-'));
  }
  append_line(headers);
  append_line(rules);
  for (const auto& row : rows_) append_line(row);
  return out;
}

std::string QuoteJson(std::string_view value) {
  std::string out = "\"";
  for (unsigned char ch : value) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (ch < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", ch);
          out += escaped;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  out += '"';
  return out;
}

void JsonBuilder::Separate() {
  if (key_pending_) {
    key_pending_ = false;
    return;
  }
  if (!container_has_item_.empty()) {
    if (container_has_item_.back()) text_ += ',';
    container_has_item_.back() = true;
  }
}

JsonBuilder& JsonBuilder::BeginObject() {
  Separate();
  text_ += '{';
  container_has_item_.push_back(false);
  return *this;
}

JsonBuilder& JsonBuilder::EndObject() {
  text_ += '}';
  container_has_item_.pop_back();
  return *this;
}

JsonBuilder& JsonBuilder::BeginArray() {
  Separate();
  text_ += '[';
  container_has_item_.push_back(false);
  return *this;
}

JsonBuilder& JsonBuilder::EndArray() {
  text_ += ']';
  container_has_item_.pop_back();
  return *this;
}

JsonBuilder& JsonBuilder::Key(std::string_view key) {
  Separate();
  text_ += QuoteJson(key);
  text_ += ':';
  key_pending_ = true;
  return *this;
}

JsonBuilder& JsonBuilder::Str(std::string_view value) {
  Separate();
  text_ += QuoteJson(value);
  return *this;
}

JsonBuilder& JsonBuilder::Int(int64_t value) {
  Separate();
  text_ += std::to_string(value);
  return *this;
}

JsonBuilder& JsonBuilder::Num(double value) {
  Separate();
  if (!std::isfinite(value)) {
    text_ += "null";
    return *this;
  }
  char digits[64];
  std::snprintf(digits, sizeof(digits), "%.10g", value);
  text_ += digits;
  return *this;
}

JsonBuilder& JsonBuilder::Bool(bool value) {
  Separate();
  text_ += value ? "true" : "false";
  return *this;
}

JsonBuilder& JsonBuilder::Null() {
  Separate();
  text_ += "null";
  return *this;
}

JsonBuilder& JsonBuilder::Raw(std::string_view json) {
  Separate();
  text_ += json;
  return *this;
}

std::string FormatFixed(double value, int decimals) {
  char digits[64];
  std::snprintf(digits, sizeof(digits), "%.*f", decimals, value);
  return digits;
}

std::string FormatCount(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string Bar(double value, double max_value, int width) {
  if (value <= 0 || max_value <= 0 || width <= 0) return "";
  const double cells = std::clamp(value / max_value, 0.0, 1.0) * width;
  return std::string(std::max<size_t>(1, static_cast<size_t>(std::lround(cells))), '#');
}

bool StdoutIsTerminal() { return ::isatty(STDOUT_FILENO) == 1; }

}  // namespace tidelog::cli
