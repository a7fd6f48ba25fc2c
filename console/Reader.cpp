// The console reader: a recursive-descent parser over bytes, with line/column tracking and
// bounded depth and size. Errors stop the read (a datum after a syntax error has no reliable
// start), so there is one diagnostic per read.
#include "console/Reader.h"

#include "core/support/NumberText.h"
#include "core/support/Utf8.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

namespace vvm::console {
namespace {

bool isDelimiter(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '(' || c == ')' ||
         c == '[' || c == ']' || c == '"' || c == ';' || c == '\'';
}

struct NamedChar {
  std::string_view name;
  uint32_t code;
};
constexpr NamedChar kNamedChars[] = {{"space", ' '},   {"newline", '\n'}, {"tab", '\t'},      {"nul", 0},
                                     {"null", 0},      {"return", '\r'},  {"linefeed", '\n'}, {"alarm", 7},
                                     {"backspace", 8}, {"delete", 127},   {"escape", 27}};

class Reader {
public:
  Reader(std::string_view text, const std::string& file, Diagnostics& diags, const ReadLimits& limits)
      : text_(text), file_(file), diags_(diags), limits_(limits) {}

  std::vector<Datum> all() {
    std::vector<Datum> out;
    for (;;) {
      skipAtmosphere();
      if (failed_ || atEnd()) break;
      if (peek() == ')' || peek() == ']') {
        error(here(), std::string("unexpected '") + peek() + "' (no list is open)");
        break;
      }
      Datum d;
      if (!datum(d, 0)) break;
      out.push_back(std::move(d));
    }
    return out;
  }

  /// Whether the text ended inside an unfinished datum (and nothing else went wrong).
  bool endedEarly() const { return endedEarly_; }

private:
  // ---- characters and positions

  bool atEnd() const { return at_ >= text_.size(); }
  char peek(size_t ahead = 0) const { return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0'; }
  SourcePos here() const { return {line_, static_cast<uint32_t>(at_ - lineStart_ + 1)}; }
  char next() {
    char c = text_[at_++];
    if (c == '\n') {
      ++line_;
      lineStart_ = at_;
    }
    return c;
  }

  void error(SourcePos pos, std::string message) {
    if (failed_) return;
    failed_ = true;
    // The offending line, for the caret display.
    size_t start = at_ <= text_.size() ? lineStartOf(pos) : 0;
    size_t end = text_.find('\n', start);
    std::string line(text_.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    diags_.error(file_, pos.line, pos.col, std::move(message), std::move(line));
  }
  void unexpectedEnd(SourcePos open, std::string_view what) {
    endedEarly_ = true;
    error(open, std::string("unterminated ") + std::string(what) + " (the text ends before it closes)");
  }
  size_t lineStartOf(SourcePos pos) const {
    size_t start = 0;
    for (uint32_t l = 1; l < pos.line && start < text_.size(); ++l) {
      size_t nl = text_.find('\n', start);
      if (nl == std::string_view::npos) return start;
      start = nl + 1;
    }
    return start;
  }

  /// Skips whitespace and comments (the "atmosphere" of R7RS), including #| |# and #;.
  /// `depth` is the nesting of the data that follow (a #; comment reads one at that depth).
  void skipAtmosphere(size_t depth = 0) {
    while (!atEnd() && !failed_) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        next();
      } else if (c == ';') {
        while (!atEnd() && peek() != '\n') next();
      } else if (c == '#' && peek(1) == '|') {
        SourcePos open = here();
        next(), next();
        int depth = 1;
        while (depth > 0) {
          if (atEnd()) return unexpectedEnd(open, "block comment #|");
          if (peek() == '|' && peek(1) == '#') {
            next(), next();
            --depth;
          } else if (peek() == '#' && peek(1) == '|') {
            next(), next();
            ++depth;
          } else {
            next();
          }
        }
      } else if (c == '#' && peek(1) == ';') {
        SourcePos at = here();
        next(), next();
        if (depth >= limits_.maxDepth)
          return error(at, "nested too deeply (the limit is " + std::to_string(limits_.maxDepth) + " levels)");
        skipAtmosphere(depth + 1);
        if (failed_) return;
        if (atEnd()) return unexpectedEnd(here(), "#; (a datum to comment out)");
        Datum ignored;
        datum(ignored, depth + 1);
      } else {
        return;
      }
    }
  }

  bool count(SourcePos pos) {
    if (++datums_ > limits_.maxDatums) {
      error(pos, "too many datums (the limit is " + std::to_string(limits_.maxDatums) + ")");
      return false;
    }
    return true;
  }

  // ---- data

  bool datum(Datum& d, size_t depth) {
    d.pos = here();
    if (!count(d.pos)) return false;
    if (depth > limits_.maxDepth) {
      error(d.pos, "nested too deeply (the limit is " + std::to_string(limits_.maxDepth) + " levels)");
      return false;
    }
    char c = peek();
    switch (c) {
    case '(':
    case '[': return list(d, depth);
    case ')':
    case ']': error(d.pos, std::string("unexpected '") + c + "'"); return false;
    case '"': return string(d);
    case '\'': return abbreviation(d, "quote", 1, depth);
    case '`': return abbreviation(d, "quasiquote", 1, depth);
    case ',':
      return peek(1) == '@' ? abbreviation(d, "unquote-splicing", 2, depth) : abbreviation(d, "unquote", 1, depth);
    case '#': return hash(d, depth);
    case '|': return barSymbol(d);
    default: return atom(d);
    }
  }

  bool abbreviation(Datum& d, const char* name, int length, size_t depth) {
    for (int i = 0; i < length; ++i) next();
    d.kind = Datum::Kind::List;
    Datum head;
    head.kind = Datum::Kind::Symbol;
    head.pos = d.pos;
    head.text = name;
    d.items.push_back(std::move(head));
    skipAtmosphere(depth + 1);
    if (failed_) return false;
    if (atEnd()) {
      unexpectedEnd(d.pos, std::string("'") + name + "' form (nothing follows it)");
      return false;
    }
    Datum body;
    if (!datum(body, depth + 1)) return false;
    d.items.push_back(std::move(body));
    return true;
  }

  /// Reads the elements up to `close`; for lists, also `. tail`.
  bool elements(Datum& d, char close, bool allowDot, size_t depth, std::string_view what) {
    SourcePos open = d.pos;
    for (;;) {
      skipAtmosphere(depth + 1);
      if (failed_) return false;
      if (atEnd()) {
        unexpectedEnd(open, what);
        return false;
      }
      char c = peek();
      if (c == ')' || c == ']') {
        if (c != close) {
          error(here(), std::string("'") + c + "' closes " + std::string(what) + " opened at line " +
                            std::to_string(open.line) + " with the other kind of bracket");
          return false;
        }
        next();
        return true;
      }
      if (c == '.' && isDelimiter(peek(1)) && allowDot) {
        SourcePos dot = here();
        next();
        if (d.items.empty()) {
          error(dot, "'.' needs a datum before it (as in (a . b))");
          return false;
        }
        skipAtmosphere(depth + 1);
        if (failed_) return false;
        if (atEnd()) {
          unexpectedEnd(open, what);
          return false;
        }
        Datum tail;
        if (!datum(tail, depth + 1)) return false;
        d.items.push_back(std::move(tail));
        d.dotted = true;
        skipAtmosphere(depth + 1);
        if (failed_) return false;
        if (atEnd()) {
          unexpectedEnd(open, what);
          return false;
        }
        if (peek() != close) {
          error(here(), "exactly one datum may follow '.' before the list closes");
          return false;
        }
        next();
        return true;
      }
      Datum item;
      if (!datum(item, depth + 1)) return false;
      d.items.push_back(std::move(item));
    }
  }

  bool list(Datum& d, size_t depth) {
    char open = next();
    d.kind = Datum::Kind::List;
    return elements(d, open == '(' ? ')' : ']', true, depth, "list");
  }

  bool hash(Datum& d, size_t depth) {
    char c = peek(1);
    if (c == '(') {
      next(), next();
      d.kind = Datum::Kind::Vector;
      return elements(d, ')', false, depth, "vector #(");
    }
    if (c == 'u' && peek(2) == '8' && peek(3) == '(') {
      for (int i = 0; i < 4; ++i) next();
      Datum v;
      v.pos = d.pos;
      v.kind = Datum::Kind::Vector;
      if (!elements(v, ')', false, depth, "byte vector #u8(")) return false;
      d.kind = Datum::Kind::Bytes;
      for (const Datum& b : v.items) {
        if (b.kind != Datum::Kind::Integer || b.integer < 0 || b.integer > 255) {
          error(b.pos, "a byte vector holds integers 0 to 255, not " + b.write());
          return false;
        }
        d.text.push_back(static_cast<char>(b.integer));
      }
      return true;
    }
    if (c == '\\') return character(d);
    // #t #f #true #false, #x #b #o #d numbers: read the token and decide.
    size_t start = at_;
    while (!atEnd() && !isDelimiter(peek())) next();
    std::string_view token = text_.substr(start, at_ - start);
    if (token == "#t" || token == "#true" || token == "#f" || token == "#false") {
      d.kind = Datum::Kind::Boolean;
      d.integer = token[1] == 't';
      return true;
    }
    if (token.size() > 2 && (token[1] == 'x' || token[1] == 'X' || token[1] == 'b' || token[1] == 'B' ||
                             token[1] == 'o' || token[1] == 'O' || token[1] == 'd' || token[1] == 'D')) {
      int base = 10;
      switch (token[1] | 0x20) {
      case 'x': base = 16; break;
      case 'b': base = 2; break;
      case 'o': base = 8; break;
      default: break;
      }
      if (auto v = integer(token.substr(2), base)) {
        d.kind = Datum::Kind::Integer;
        d.integer = *v;
        return true;
      }
      if (!failed_) error(d.pos, "'" + std::string(token) + "' is not a base-" + std::to_string(base) + " integer");
      return false;
    }
    error(d.pos, "unknown '#' syntax '" + std::string(token) + "'");
    return false;
  }

  bool character(Datum& d) {
    next(), next(); // #\ .
    if (atEnd()) {
      unexpectedEnd(d.pos, "character #\\");
      return false;
    }
    // One code point, then a name if more non-delimiters follow.
    size_t start = at_;
    next();
    while (!atEnd() && !isDelimiter(peek())) next();
    std::string_view token = text_.substr(start, at_ - start);
    d.kind = Datum::Kind::Char;
    uint32_t cp = 0;
    if (utf8Decode(token, 0, cp) == token.size()) {
      d.integer = cp;
      return true;
    }
    for (const NamedChar& n : kNamedChars) {
      if (token == n.name) {
        d.integer = n.code;
        return true;
      }
    }
    if (token.size() > 1 && (token[0] == 'x' || token[0] == 'X')) {
      auto v = integer(token.substr(1), 16);
      if (v && *v >= 0 && *v <= 0x10FFFF && !(*v >= 0xD800 && *v <= 0xDFFF)) {
        d.integer = *v;
        return true;
      }
    }
    error(d.pos, "unknown character #\\" + std::string(token));
    return false;
  }

  bool string(Datum& d) {
    next(); // "
    d.kind = Datum::Kind::String;
    for (;;) {
      if (atEnd()) {
        unexpectedEnd(d.pos, "string");
        return false;
      }
      char c = next();
      if (c == '"') return true;
      if (c != '\\') {
        d.text.push_back(c);
        continue;
      }
      if (atEnd()) {
        unexpectedEnd(d.pos, "string");
        return false;
      }
      SourcePos escape = here();
      char e = next();
      switch (e) {
      case 'n': d.text.push_back('\n'); break;
      case 't': d.text.push_back('\t'); break;
      case 'r': d.text.push_back('\r'); break;
      case '0': d.text.push_back('\0'); break;
      case 'a': d.text.push_back('\a'); break;
      case 'b': d.text.push_back('\b'); break;
      case '\\': d.text.push_back('\\'); break;
      case '"': d.text.push_back('"'); break;
      case '|': d.text.push_back('|'); break;
      case 'x':
      case 'X': {
        size_t start = at_;
        while (!atEnd() && peek() != ';' && peek() != '"' && at_ - start < 8) next();
        auto v = integer(text_.substr(start, at_ - start), 16);
        if (peek() != ';' || !v || *v < 0 || *v > 0x10FFFF || (*v >= 0xD800 && *v <= 0xDFFF)) {
          error(escape, "'\\x' wants a hexadecimal Unicode code point and ';' (as in \\x41;)");
          return false;
        }
        next();
        utf8Append(d.text, static_cast<uint32_t>(*v));
        break;
      }
      default: {
        // \ then optional spaces, a line break, and the next line's indentation: nothing.
        size_t probe = at_ - 1;
        while (probe < text_.size() && (text_[probe] == ' ' || text_[probe] == '\t')) ++probe;
        if (probe < text_.size() && (text_[probe] == '\n' || text_[probe] == '\r')) {
          while (at_ < probe) next();
          if (peek() == '\r') next();
          if (peek() == '\n') next();
          while (!atEnd() && (peek() == ' ' || peek() == '\t')) next();
          break;
        }
        error(escape, std::string("unknown escape '\\") + e + "' in a string");
        return false;
      }
      }
    }
  }

  bool barSymbol(Datum& d) {
    next();
    d.kind = Datum::Kind::Symbol;
    for (;;) {
      if (atEnd()) {
        unexpectedEnd(d.pos, "symbol |...|");
        return false;
      }
      char c = next();
      if (c == '|') return true;
      if (c == '\\' && !atEnd()) c = next();
      d.text.push_back(c);
    }
  }

  bool atom(Datum& d) {
    size_t start = at_;
    while (!atEnd() && !isDelimiter(peek())) next();
    std::string_view token = text_.substr(start, at_ - start);
    if (token.empty()) { // a delimiter we do not start data with: '#' handled, so only odd bytes
      error(d.pos, std::string("unexpected '") + peek() + "'");
      return false;
    }
    if (auto v = integer(token, 10)) {
      d.kind = Datum::Kind::Integer;
      d.integer = *v;
      return true;
    }
    if (failed_) return false;
    if (auto r = real(token)) {
      d.kind = Datum::Kind::Real;
      d.real = *r;
      return true;
    }
    if (looksNumeric(token)) {
      error(d.pos, "'" + std::string(token) + "' is not a number (and a symbol may not look like one)");
      return false;
    }
    if (token == ".") {
      error(d.pos, "'.' is only allowed inside a list, before its last datum");
      return false;
    }
    d.kind = Datum::Kind::Symbol;
    d.text = std::string(token);
    return true;
  }

  // ---- numbers

  /// An optionally signed integer in `base`; nullopt when the token is not one. An integer
  /// beyond 64 bits is an error (recorded here).
  std::optional<int64_t> integer(std::string_view token, int base) {
    bool negative = false;
    std::string_view digits = token;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty()) return std::nullopt;
    uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
    if (end != digits.data() + digits.size()) return std::nullopt;
    uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
    if (ec == std::errc::result_out_of_range || magnitude > limit) {
      error(here(), "integer '" + std::string(token) + "' does not fit in 64 bits");
      return std::nullopt;
    }
    return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  }

public:
  /// A real number's token as the syntax allows it; nullopt when the token is not one.
  static std::optional<double> real(std::string_view token) {
    if (token == "+inf.0") return std::numeric_limits<double>::infinity();
    if (token == "-inf.0") return -std::numeric_limits<double>::infinity();
    if (token == "+nan.0" || token == "-nan.0") return std::numeric_limits<double>::quiet_NaN();
    // Digits, at most one '.', an optional exponent; at least one digit before the exponent.
    size_t i = 0, n = token.size();
    if (i < n && (token[i] == '+' || token[i] == '-')) ++i;
    size_t digits = 0;
    bool dot = false;
    for (; i < n && (std::isdigit(static_cast<unsigned char>(token[i])) || (token[i] == '.' && !dot)); ++i) {
      if (token[i] == '.')
        dot = true;
      else
        ++digits;
    }
    if (digits == 0) return std::nullopt;
    if (i < n && (token[i] == 'e' || token[i] == 'E')) {
      ++i;
      if (i < n && (token[i] == '+' || token[i] == '-')) ++i;
      size_t expDigits = 0;
      for (; i < n && std::isdigit(static_cast<unsigned char>(token[i])); ++i) ++expDigits;
      if (expDigits == 0) return std::nullopt;
    }
    if (i != n) return std::nullopt;
    double v = 0;
    std::string copy(token[0] == '+' ? token.substr(1) : token);
    auto [end, ec] = std::from_chars(copy.data(), copy.data() + copy.size(), v);
    if (end != copy.data() + copy.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) { // overflow to infinity, underflow to zero, as IEEE rounds
      v = std::strtod(copy.c_str(), nullptr);
    }
    return v;
  }

  /// A token that starts like a number (digit, or sign/dot then digit) but did not parse.
  static bool looksNumeric(std::string_view t) {
    size_t i = 0;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (i < t.size() && t[i] == '.') ++i;
    return i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]));
  }

private:
  std::string_view text_;
  const std::string& file_;
  Diagnostics& diags_;
  ReadLimits limits_;
  size_t at_ = 0;
  size_t lineStart_ = 0;
  uint32_t line_ = 1;
  size_t datums_ = 0;
  bool failed_ = false;
  bool endedEarly_ = false;
};

void writeTo(const Datum& d, std::string& out) {
  switch (d.kind) {
  case Datum::Kind::Integer: out += std::to_string(d.integer); return;
  case Datum::Kind::Real:
    if (std::isnan(d.real))
      out += "+nan.0";
    else if (std::isinf(d.real))
      out += d.real > 0 ? "+inf.0" : "-inf.0";
    else
      out += floatText(d.real);
    return;
  case Datum::Kind::Boolean: out += d.integer ? "#t" : "#f"; return;
  case Datum::Kind::Char: {
    for (const NamedChar& n : kNamedChars) {
      if (n.code == d.integer && n.name != "null" && n.name != "linefeed") {
        out += "#\\" + std::string(n.name);
        return;
      }
    }
    out += "#\\";
    if (d.integer < 0x20) {
      static const char kHex[] = "0123456789abcdef";
      out += 'x';
      out += kHex[d.integer >> 4];
      out += kHex[d.integer & 15];
    } else {
      utf8Append(out, static_cast<uint32_t>(d.integer));
    }
    return;
  }
  case Datum::Kind::String:
    out += '"';
    for (char c : d.text) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    out += '"';
    return;
  case Datum::Kind::Symbol: {
    // A name that would read back as something else is written between bars.
    bool plain = !d.text.empty() && d.text != "." &&
                 std::string_view("#|,`").find(d.text[0]) == std::string_view::npos && !Reader::looksNumeric(d.text) &&
                 !Reader::real(d.text);
    for (char c : d.text) plain = plain && !isDelimiter(c) && c != '|' && c != '\\';
    if (plain) {
      out += d.text;
      return;
    }
    out += '|';
    for (char c : d.text) {
      if (c == '|' || c == '\\') out += '\\';
      out += c;
    }
    out += '|';
    return;
  }
  case Datum::Kind::Bytes:
    out += "#u8(";
    for (size_t i = 0; i < d.text.size(); ++i)
      out += (i ? " " : "") + std::to_string(static_cast<unsigned char>(d.text[i]));
    out += ')';
    return;
  case Datum::Kind::List:
  case Datum::Kind::Vector:
    out += d.kind == Datum::Kind::Vector ? "#(" : "(";
    for (size_t i = 0; i < d.items.size(); ++i) {
      if (i) out += d.dotted && i + 1 == d.items.size() ? " . " : " ";
      writeTo(d.items[i], out);
    }
    out += ')';
    return;
  }
}

} // namespace

std::string Datum::write() const {
  std::string out;
  writeTo(*this, out);
  return out;
}

std::vector<Datum> readAll(std::string_view text, const std::string& file, Diagnostics& diags,
                           const ReadLimits& limits) {
  return Reader(text, file, diags, limits).all();
}

bool needsMoreInput(std::string_view text) {
  Diagnostics diags;
  std::string file = "<input>";
  Reader r(text, file, diags, {});
  r.all();
  return r.endedEarly();
}

} // namespace vvm::console
