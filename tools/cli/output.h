// Output helpers shared by the tidelog subcommands: aligned text tables, a
// compact JSON document builder (numbers as doubles too, which the broker's
// writer does not need), number formatting and terminal bars.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidelog::cli {

// Columns are left-aligned unless marked numeric (right-aligned). Every row
// has exactly as many cells as there are headers.
class TextTable {
 public:
  struct Column {
    std::string header;
    bool numeric = false;
  };
  explicit TextTable(std::vector<Column> columns);

  void AddRow(std::vector<std::string> cells);
  // The table, a header underline and one line per row; two spaces between
  // columns, no trailing spaces.
  std::string Render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Appends a JSON document value by value. Inside an object every value is
// preceded by Key(). Non-finite doubles are written as null.
class JsonBuilder {
 public:
  JsonBuilder& BeginObject();
  JsonBuilder& EndObject();
  JsonBuilder& BeginArray();
  JsonBuilder& EndArray();
  JsonBuilder& Key(std::string_view key);
  JsonBuilder& Str(std::string_view value);
  JsonBuilder& Int(int64_t value);
  JsonBuilder& Num(double value);
  JsonBuilder& Bool(bool value);
  JsonBuilder& Null();
  // An already-encoded JSON value, inserted verbatim.
  JsonBuilder& Raw(std::string_view json);

  const std::string& str() const { return text_; }

 private:
  void Separate();
  std::string text_;
  std::vector<bool> container_has_item_;
  bool key_pending_ = false;
};

// `value` as a quoted JSON string (quotes, backslashes and bytes below 0x20
// escaped; other bytes pass through).
std::string QuoteJson(std::string_view value);

// Fixed-point with `decimals` digits, trailing zeros kept ("1.50").
std::string FormatFixed(double value, int decimals);
// 1234567 -> "1,234,567".
std::string FormatCount(int64_t value);
// A bar of `width` cells scaled so that `max_value` fills it; at least one
// cell for any value above zero.
std::string Bar(double value, double max_value, int width);

// True when standard output is a terminal (progress indicators only then).
bool StdoutIsTerminal();

}  // namespace tidelog::cli
