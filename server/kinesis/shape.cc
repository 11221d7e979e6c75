// Full-match implementations of the model's patterns: a small backtracking
// matcher over literal, character-class and repetition tokens, memoized so
// that no input costs more than O(tokens * length^2).
#include "server/kinesis/shape.h"

#include <vector>

namespace tidelog::server::kinesis {
namespace {

enum class CharClass { kLiteral, kAny, kDigit, kNonSpace, kName, kLowerAlnum };

struct Token {
  CharClass cls;
  std::string_view literal;  // for kLiteral
  size_t min = 1, max = 1;
};

constexpr size_t kUnbounded = static_cast<size_t>(-1);

bool InClass(CharClass cls, unsigned char c) {
  switch (cls) {
    case CharClass::kAny:
      return c != '\n' && c != '\r';
    case CharClass::kDigit:
      return c >= '0' && c <= '9';
    case CharClass::kNonSpace:
      return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v');
    case CharClass::kName:
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '.' || c == '-';
    case CharClass::kLowerAlnum:
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    case CharClass::kLiteral:
      return false;
  }
  return false;
}

class Matcher {
 public:
  Matcher(const std::vector<Token>& tokens, std::string_view s)
      : tokens_(tokens), s_(s), failed_((tokens.size() + 1) * (s.size() + 1), false) {}

  bool Match(size_t t, size_t pos) {
    if (t == tokens_.size()) return pos == s_.size();
    size_t memo = t * (s_.size() + 1) + pos;
    if (failed_[memo]) return false;
    const Token& tok = tokens_[t];
    bool ok = false;
    if (tok.cls == CharClass::kLiteral) {
      ok = s_.substr(pos, tok.literal.size()) == tok.literal &&
           Match(t + 1, pos + tok.literal.size());
    } else {
      // Longest run of class characters from pos, capped at max.
      size_t n = 0;
      while (pos + n < s_.size() && n < tok.max &&
             InClass(tok.cls, static_cast<unsigned char>(s_[pos + n])))
        ++n;
      for (size_t k = n + 1; k-- > tok.min && !ok;) ok = Match(t + 1, pos + k);
    }
    if (!ok) failed_[memo] = true;
    return ok;
  }

 private:
  const std::vector<Token>& tokens_;
  std::string_view s_;
  std::vector<bool> failed_;
};

Token Lit(std::string_view s) { return {CharClass::kLiteral, s, 0, 0}; }
Token Rep(CharClass c, size_t min, size_t max) { return {c, {}, min, max}; }

const std::vector<Token>& Tokens(Pattern p) {
  static const std::vector<Token> kName = {Rep(CharClass::kName, 1, kUnbounded)};
  static const std::vector<Token> kStreamArn = {
      Lit("arn:aws"),   Rep(CharClass::kAny, 0, kUnbounded),
      Lit(":kinesis:"), Rep(CharClass::kAny, 0, kUnbounded),
      Lit(":"),         Rep(CharClass::kDigit, 12, 12),
      Lit(":stream/"),  Rep(CharClass::kNonSpace, 1, kUnbounded)};
  static const std::vector<Token> kResourceArn = {
      Lit("arn:aws"),   Rep(CharClass::kAny, 0, kUnbounded),
      Lit(":kinesis:"), Rep(CharClass::kAny, 0, kUnbounded),
      Lit(":"),         Rep(CharClass::kDigit, 12, 12),
      Lit(":"),         Rep(CharClass::kAny, 0, kUnbounded),
      Lit("stream/"),   Rep(CharClass::kNonSpace, 1, kUnbounded)};
  static const std::vector<Token> kConsumerArn = {
      Lit("arn:aws"),    Rep(CharClass::kAny, 0, kUnbounded),
      Lit(":kinesis:"),  Rep(CharClass::kAny, 0, kUnbounded),
      Lit(":"),          Rep(CharClass::kDigit, 12, 12),
      Lit(":"),          Rep(CharClass::kAny, 0, kUnbounded),
      Lit("stream/"),    Rep(CharClass::kName, 1, kUnbounded),
      Lit("/consumer/"), Rep(CharClass::kName, 1, kUnbounded),
      Lit(":"),          Rep(CharClass::kDigit, 1, kUnbounded)};
  static const std::vector<Token> kStreamId = {Rep(CharClass::kLowerAlnum, 20, 20), Lit("-"),
                                               Rep(CharClass::kLowerAlnum, 3, 3)};
  static const std::vector<Token> kNone = {};
  switch (p) {
    case Pattern::kName:
      return kName;
    case Pattern::kStreamArn:
      return kStreamArn;
    case Pattern::kResourceArn:
      return kResourceArn;
    case Pattern::kConsumerArn:
      return kConsumerArn;
    case Pattern::kStreamId:
      return kStreamId;
    default:
      return kNone;
  }
}

// 0|([1-9]\d{0,max_more})
bool MatchDecimal(std::string_view s, size_t max_more) {
  if (s == "0") return true;
  if (s.empty() || s.size() > max_more + 1 || s[0] < '1' || s[0] > '9') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string_view PatternText(Pattern p) {
  switch (p) {
    case Pattern::kNone:
      return "";
    case Pattern::kName:
      return "[a-zA-Z0-9_.-]+";
    case Pattern::kStreamArn:
      return "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";
    case Pattern::kResourceArn:
      return "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+";
    case Pattern::kConsumerArn:
      return "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/"
             "[a-zA-Z0-9_.-]+:[0-9]+";
    case Pattern::kHashKey:
      return "0|([1-9]\\d{0,38})";
    case Pattern::kSequenceNumber:
      return "0|([1-9]\\d{0,128})";
    case Pattern::kStreamId:
      return "[a-z0-9]{20}-[a-z0-9]{3}";
  }
  return "";
}

bool MatchesPattern(Pattern p, std::string_view s) {
  switch (p) {
    case Pattern::kNone:
      return true;
    case Pattern::kHashKey:
      return MatchDecimal(s, 38);
    case Pattern::kSequenceNumber:
      return MatchDecimal(s, 128);
    default: {
      Matcher m(Tokens(p), s);
      return m.Match(0, 0);
    }
  }
}

}  // namespace tidelog::server::kinesis
