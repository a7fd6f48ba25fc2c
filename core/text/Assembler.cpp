// The .vp assembler. Two passes over the lines: the first declares shapes, statics and method
// signatures (so code may refer to anything defined anywhere in the file), the second builds
// dispatch tables and method bodies. Every error names file:line:column; the assembler keeps
// going after an error in one method so that a file's mistakes are reported together.
#include "core/text/Assembler.h"

#include "core/interp/Interpreter.h"
#include "core/interp/Runtime.h"
#include "core/ir/Builder.h"
#include "core/support/Utf8.h"
#include "core/verify/Verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

namespace vvm::core {
namespace {

struct Token {
  std::string text; ///< for strings: the unescaped contents
  uint32_t col = 0;
  bool isString = false;
};

struct Line {
  uint32_t number = 0;
  std::vector<Token> tokens;
};

/// Edit distance, for "did you mean" suggestions.
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? size_t{0} : size_t{1})});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// User text (a token, a name) made fit for a message: control bytes and malformed UTF-8
/// become \xHH (a NUL would cut the printed diagnostics short, an escape sequence would drive
/// the terminal), and text past 48 bytes is cut to "...", so that a 60 MB token does not
/// make a 60 MB message. String-literal contents can hold any byte through escapes.
std::string show(std::string_view s) {
  constexpr size_t kMaxShown = 48;
  std::string out;
  size_t i = 0;
  while (i < s.size() && out.size() < kMaxShown) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c >= 0x80 ? utf8Length(s, i) : 0;
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
    } else if (len) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  if (i < s.size()) out += "...";
  return out;
}

/// Resource limits of the .vp form beyond those of the IR (Verifier.h). The inherited copies
/// of fields, dispatch slots and the subtype display are counted so that a deep or wide
/// hierarchy written in a few hundred KB cannot ask for gigabytes.
constexpr size_t kMaxShapes = 65535;
constexpr size_t kMaxStatics = 65535;
constexpr size_t kMaxShapeEntries = size_t{1} << 22;
constexpr size_t kMaxTokensPerLine = kMaxInsns + 4;

class Assembler {
public:
  Assembler(std::string_view text, const std::string& file, Module& module, Diagnostics& diags)
      : text_(text), file_(file), module_(module), diags_(diags) {}

  bool run() {
    splitLines();
    lex();
    if (diags_.hasErrors()) return false;
    declare();
    if (diags_.hasErrors()) return false;
    buildShapes();
    if (diags_.hasErrors()) return false;
    for (auto& body : bodies_) assembleBody(body);
    if (diags_.hasErrors()) return false;
    for (auto& body : bodies_) {
      if (verify(*body.method, diags_, file_, &sourceLines_)) prepare(*body.method);
    }
    return !diags_.hasErrors();
  }

private:
  // ---------------------------------------------------------------- lexing
  void splitLines() {
    // Sized up front: growing by doubling would copy (and for a moment hold twice) what may be
    // tens of millions of lines.
    sourceLines_.reserve(static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n')) + 1);
    size_t start = 0;
    while (start <= text_.size()) {
      size_t nl = text_.find('\n', start);
      if (nl == std::string_view::npos) nl = text_.size();
      std::string_view l = text_.substr(start, nl - start);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      sourceLines_.emplace_back(l);
      start = nl + 1;
    }
  }

  void error(uint32_t line, uint32_t col, std::string msg) {
    // Past the shown maximum only the count matters: skip copying the source line, which may
    // be megabytes long, for each of what may be millions of errors on it.
    if (diags_.full()) return diags_.countOnly();
    std::string src = line >= 1 && line <= sourceLines_.size() ? sourceLines_[line - 1] : std::string();
    // The quoted line goes to a terminal: bytes that are not UTF-8 show as '?', one for one so
    // that the caret stays under its column (the formatter does the same for control bytes).
    for (size_t i = 0; i < src.size();) {
      auto c = static_cast<unsigned char>(src[i]);
      size_t len = c >= 0x80 ? utf8Length(src, i) : 1;
      if (!len || c == 0x7f) src[i] = '?';
      i += len ? len : 1;
    }
    diags_.error(file_, line, col, std::move(msg), src);
  }
  void error(const Line& l, const Token& t, std::string msg) { error(l.number, t.col, std::move(msg)); }

  /// A .vp file is text. Control characters (other than tab) are rejected wherever they are,
  /// comments included, and so is malformed UTF-8 outside string literals: they mean a binary
  /// or mis-encoded file, and would otherwise end up in names and messages. The contents of a
  /// string literal are bytes, which may be any (the disassembler writes bytes of 0x80 and up
  /// as they are, so its output of "\xff" must read back). Reports the first one on the line.
  bool checkText(uint32_t number, std::string_view s) {
    bool inString = false, inComment = false;
    for (size_t i = 0; i < s.size();) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
        // Follow the lexer: a '"' opens or closes a string, a ';' outside one starts a comment.
        if (!inComment && c == '"')
          inString = !inString;
        else if (!inComment && inString && c == '\\' && i + 1 < s.size() && s[i + 1] >= 0x20 && s[i + 1] < 0x7f)
          ++i; // an escaped character, perhaps '"'
        else if (!inString && c == ';')
          inComment = true;
        ++i;
        continue;
      }
      if (c >= 0x80) {
        size_t len = inString ? 1 : utf8Length(s, i);
        if (len) {
          i += len;
          continue;
        }
        error(number, static_cast<uint32_t>(i + 1),
              fmt::format("invalid UTF-8 (byte 0x{:02x}): a .vp file must be UTF-8 text", c));
        return false;
      }
      if (c == 0)
        error(number, static_cast<uint32_t>(i + 1), "NUL byte in the source: a .vp file must be text");
      else if (c == '\r')
        error(number, static_cast<uint32_t>(i + 1),
              "carriage return in the middle of a line: lines end with \\n or \\r\\n");
      else
        error(number, static_cast<uint32_t>(i + 1),
              fmt::format("control character 0x{:02x} in the source (in a string literal, write \\x{:02x})", c, c));
      return false;
    }
    return true;
  }

  void lex() {
    lines_.reserve(sourceLines_.size());
    for (size_t n = 0; n < sourceLines_.size(); ++n) {
      const std::string& s = sourceLines_[n];
      Line line;
      line.number = static_cast<uint32_t>(n + 1);
      if (!checkText(line.number, s)) continue;
      size_t i = 0;
      // A UTF-8 byte order mark, which some editors write, is not part of the text; a #! first
      // line (an executable script's) is for the system, not for us.
      if (n == 0 && s.compare(0, 3, "\xef\xbb\xbf") == 0) i = 3;
      if (n == 0 && s.compare(i, 2, "#!") == 0) i = s.size();
      while (i < s.size()) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == ',') {
          ++i;
          continue;
        }
        if (c == ';') break;
        // Only a switch has many operands, and no more targets than a method has
        // instructions: a longer line is a mistake, and would cost 40 bytes a word to lex.
        if (line.tokens.size() >= kMaxTokensPerLine) {
          error(line.number, static_cast<uint32_t>(i + 1),
                fmt::format("more than {} words on one line", kMaxTokensPerLine));
          break;
        }
        Token t;
        t.col = static_cast<uint32_t>(i + 1);
        if (c == '(' || c == ')') {
          t.text = std::string(1, c);
          ++i;
        } else if (c == '"') {
          t.isString = true;
          ++i;
          bool closed = false;
          while (i < s.size()) {
            char d = s[i++];
            if (d == '"') {
              closed = true;
              break;
            }
            if (d != '\\') {
              t.text += d;
              continue;
            }
            if (i >= s.size()) break;
            char e = s[i++];
            switch (e) {
            case 'n': t.text += '\n'; break;
            case 't': t.text += '\t'; break;
            case 'r': t.text += '\r'; break;
            case '0': t.text += '\0'; break;
            case '\\': t.text += '\\'; break;
            case '"': t.text += '"'; break;
            case 'x': {
              // Exactly two hex digits: from_chars alone would also take a sign ("\\x-1").
              int v = 0;
              if (i + 2 <= s.size() && std::isxdigit(static_cast<unsigned char>(s[i])) &&
                  std::isxdigit(static_cast<unsigned char>(s[i + 1]))) {
                std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
                i += 2;
              } else {
                error(line.number, static_cast<uint32_t>(i - 1), "\\x needs two hex digits, as in \\x7f");
              }
              t.text += static_cast<char>(v);
              break;
            }
            default:
              error(line.number, static_cast<uint32_t>(i - 1),
                    fmt::format("unknown escape '\\{}' (the escapes are \\n \\t \\r \\0 \\\\ \\\" \\xHH)",
                                show(std::string_view(&e, 1))));
            }
          }
          if (!closed) error(line.number, t.col, "unterminated string literal");
        } else {
          size_t j = i;
          while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != ',' && s[j] != ';' && s[j] != '(' &&
                 s[j] != ')' && s[j] != '"')
            ++j;
          t.text = s.substr(i, j - i);
          i = j;
        }
        line.tokens.push_back(std::move(t));
      }
      // Every later pass reads a line's first token as its directive or instruction, so a
      // quoted ".end" must not pass for one.
      if (!line.tokens.empty() && line.tokens[0].isString) {
        error(line, line.tokens[0], "a line cannot start with a string literal");
        continue;
      }
      if (!line.tokens.empty()) lines_.push_back(std::move(line));
    }
  }

  // ---------------------------------------------------------------- pass 1: declarations
  struct ShapeDecl {
    Shape* shape;
    const Line* line;
    std::vector<std::pair<const Line*, size_t>> members; // (line, unused)
  };
  struct Body {
    Method* method;
    const Line* header;
    size_t first, last; // indices into lines_ of the body (exclusive of .method and .end)
    std::map<std::string, uint32_t, std::less<>> localNames;
  };

  std::optional<Kind> parseKind(const Line& l, const Token& t, bool allowVoid) {
    auto k = kindFromName(t.text);
    if (!k || k == Kind::Word || (!allowVoid && *k == Kind::Void)) {
      error(l, t,
            fmt::format("'{}' is not a {}kind (i32 i64 f32 f64 ref{})", show(t.text), allowVoid ? "result " : "",
                        allowVoid ? " void" : ""));
      return std::nullopt;
    }
    return k;
  }

  bool isName(const std::string& s) const {
    if (s.empty()) return false;
    for (char c : s)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '.' || c == '-' || c == '<' ||
            c == '>' || c == '/'))
        return false;
    return !std::isdigit(static_cast<unsigned char>(s[0])) && s[0] != '-';
  }

  bool expectName(const Line& l, size_t idx, const char* what) {
    if (idx >= l.tokens.size()) {
      error(l.number, l.tokens.back().col, fmt::format("expected {} after '{}'", what, show(l.tokens.back().text)));
      return false;
    }
    if (l.tokens[idx].isString) {
      error(l, l.tokens[idx], fmt::format("expected {}, not a string literal", what));
      return false;
    }
    if (!isName(l.tokens[idx].text)) {
      error(l, l.tokens[idx],
            fmt::format("'{}' is not a valid {} (names are letters, digits and _ $ . - < > /, and do not start "
                        "with a digit or '-')",
                        show(l.tokens[idx].text), what));
      return false;
    }
    return true;
  }

  /// A field or dispatch-slot name: a name without '.', since SHAPE.MEMBER operands are split
  /// at the last '.'; a member "a.b" could never be named.
  bool expectMemberName(const Line& l, size_t idx, const char* what) {
    if (!expectName(l, idx, what)) return false;
    if (l.tokens[idx].text.find('.') != std::string::npos) {
      error(
          l, l.tokens[idx],
          fmt::format("{} '{}' cannot contain '.' (operands name it as SHAPE.MEMBER)", what, show(l.tokens[idx].text)));
      return false;
    }
    return true;
  }

  void extra(const Line& l, size_t from) {
    if (from < l.tokens.size()) error(l, l.tokens[from], fmt::format("unexpected '{}'", show(l.tokens[from].text)));
  }

  /// A shape of this file or a built-in one. Module::findShape is a linear search, which a
  /// file with many shapes and many `new` would make quadratic.
  Shape* findShape(std::string_view name) const {
    auto it = shapesByName_.find(name);
    return it != shapesByName_.end() ? it->second : module_.runtime().findBuiltinShape(name);
  }

  const StaticInfo* findStatic(std::string_view name) const {
    auto it = staticsByName_.find(name);
    return it != staticsByName_.end() ? it->second : nullptr;
  }

  /// Index of field or slot `name` of a finished shape (the last one with that name, as
  /// Shape::fieldIndex), through a per-shape table instead of a linear search per operand.
  int memberIndex(const Shape* s, std::string_view name, bool field) {
    auto& index = (field ? fieldIndex_ : slotIndex_)[s];
    if (!index) {
      index = std::make_unique<std::map<std::string, int, std::less<>>>();
      if (field)
        for (size_t i = 0; i < s->fields.size(); ++i) (*index)[s->fields[i].name] = static_cast<int>(i);
      else
        for (size_t i = 0; i < s->vslotNames.size(); ++i) (*index)[s->vslotNames[i]] = static_cast<int>(i);
    }
    auto it = index->find(name);
    return it == index->end() ? -1 : it->second;
  }

  /// Charges `n` entries (fields, dispatch slots, display entries, inherited copies included)
  /// to the file's budget; false after reporting that it is exhausted.
  bool chargeShapeEntries(const Line& l, size_t n) {
    shapeEntries_ += n;
    if (shapeEntries_ <= kMaxShapeEntries) return true;
    error(l, l.tokens[0],
          fmt::format("the shapes of this file are too large: more than {} fields, dispatch slots and ancestors "
                      "in all, counting each shape's inherited ones",
                      kMaxShapeEntries));
    return false;
  }

  static std::string signatureText(const Signature& sig) {
    std::string out = "(";
    for (size_t i = 0; i < sig.params.size(); ++i) {
      if (i) out += ' ';
      out += kindName(sig.params[i]);
    }
    return out + ") " + std::string(kindName(sig.ret));
  }

  void declare() {
    size_t i = 0;
    // Past the shape budget every later shape would be reported missing: stop there.
    while (i < lines_.size() && shapeEntries_ <= kMaxShapeEntries) {
      const Line& l = lines_[i];
      const std::string& d = l.tokens[0].text;
      if (d == ".shape") {
        i = declareShape(i);
      } else if (d == ".static") {
        declareStatic(l);
        ++i;
      } else if (d == ".method") {
        i = declareMethod(i);
      } else if (d == ".end") {
        error(l, l.tokens[0], "'.end' without a .shape or .method to end");
        ++i;
      } else if (d == ".field" || d == ".vslot") {
        error(l, l.tokens[0], fmt::format("'{}' outside a shape (it goes between .shape and .end)", d));
        ++i;
      } else if (d == ".local" || d == ".locals" || d == ".catch" || d == ".cleanup") {
        error(l, l.tokens[0], fmt::format("'{}' outside a method (it goes between .method and .end)", d));
        ++i;
      } else {
        error(l, l.tokens[0],
              d[0] == '.'
                  ? fmt::format("unknown directive '{}' at top level (expected .shape, .static or .method)", show(d))
                  : fmt::format("'{}' outside a method (instructions go between .method and .end)", show(d)));
        ++i;
      }
    }
  }

  void declareStatic(const Line& l) {
    if (l.tokens.size() < 3) {
      error(l, l.tokens[0], "expected: .static NAME KIND");
      return;
    }
    if (!expectName(l, 1, "static name")) return;
    auto k = parseKind(l, l.tokens[2], false);
    if (!k) return;
    extra(l, 3);
    const std::string& name = l.tokens[1].text;
    if (findStatic(name)) {
      error(l, l.tokens[1], fmt::format("static '{}' is defined twice", show(name)));
      return;
    }
    if (staticsByName_.size() >= kMaxStatics) {
      error(l, l.tokens[0], fmt::format("more than {} statics in one file", kMaxStatics));
      return;
    }
    if (const StaticInfo* s = module_.addStatic(name, *k)) staticsByName_.emplace(s->name, s);
  }

  /// The index of the .end closing the block that starts at line i. A .shape, .method or
  /// .static before it means the .end was forgotten (blocks do not nest). On failure returns
  /// SIZE_MAX and sets resume_ to where declaring goes on, so that the lines of the broken
  /// block are not each reported as being outside a block.
  size_t findEnd(size_t i, const char* what) {
    for (size_t j = i + 1; j < lines_.size(); ++j) {
      const std::string& d = lines_[j].tokens[0].text;
      if (d == ".end") return j;
      if (d == ".shape" || d == ".method" || d == ".static") {
        error(lines_[i], lines_[i].tokens[0],
              fmt::format("{} has no matching .end before the {} on line {} (.shape and .method blocks do "
                          "not nest)",
                          what, d, lines_[j].number));
        resume_ = j;
        return SIZE_MAX;
      }
    }
    error(lines_[i], lines_[i].tokens[0], fmt::format("{} has no matching .end", what));
    resume_ = lines_.size();
    return SIZE_MAX;
  }

  size_t declareShape(size_t i) {
    const Line& l = lines_[i];
    size_t end = findEnd(i, ".shape");
    if (end == SIZE_MAX) return resume_;
    extra(lines_[end], 1);
    if (!expectName(l, 1, "shape name")) return end + 1;
    Shape* parent = nullptr;
    if (l.tokens.size() > 2) {
      if (l.tokens[2].text != ":" || l.tokens.size() < 4) {
        error(l, l.tokens[2], "expected ': PARENT' after the shape name");
        return end + 1;
      }
      parent = findShape(l.tokens[3].text);
      if (!parent) {
        error(l, l.tokens[3],
              fmt::format("parent shape '{}' is not defined (define a shape before extending it)",
                          show(l.tokens[3].text)));
        return end + 1;
      }
      if (parent->isArray()) {
        error(l, l.tokens[3], fmt::format("cannot extend array shape '{}'", show(parent->name)));
        return end + 1;
      }
      extra(l, 4);
    }
    const std::string& name = l.tokens[1].text;
    if (findShape(name)) {
      error(l, l.tokens[1], fmt::format("shape '{}' is defined twice (or is a built-in shape)", show(name)));
      return end + 1;
    }
    if (shapesByName_.size() >= kMaxShapes) {
      error(l, l.tokens[0], fmt::format("more than {} shapes in one file", kMaxShapes));
      return end + 1;
    }
    // The new shape copies its parent's fields, and finish() its parent's display.
    size_t depth = parent ? (parent->owner == &module_ ? depth_[parent] : parent->depth) + 1 : 0;
    if (!chargeShapeEntries(l, (parent ? parent->fields.size() : 0) + depth + 1)) return end + 1;
    Shape* s = module_.addShape(name);
    if (!s) {
      error(l, l.tokens[1], fmt::format("shape '{}' is defined twice (or is a built-in shape)", show(name)));
      return end + 1;
    }
    shapesByName_.emplace(s->name, s);
    depth_[s] = depth;
    s->parent = parent;
    if (parent) s->fields = parent->fields;
    ShapeDecl decl{s, &l, {}};
    std::set<std::string_view, std::less<>> own; // views of token text, stable in lines_
    for (size_t j = i + 1; j < end; ++j) {
      const Line& m = lines_[j];
      const std::string& d = m.tokens[0].text;
      if (d == ".field") {
        if (!expectMemberName(m, 1, "field name")) continue;
        if (m.tokens.size() < 3) {
          error(m, m.tokens[0], "expected: .field NAME KIND");
          continue;
        }
        auto k = parseKind(m, m.tokens[2], false);
        if (!k) continue;
        extra(m, 3);
        if (!own.insert(m.tokens[1].text).second) {
          error(m, m.tokens[1], fmt::format("field '{}' is defined twice", show(m.tokens[1].text)));
          continue;
        }
        if (s->fields.size() >= 65535) {
          error(m, m.tokens[0],
                fmt::format("shape '{}' has more than 65535 fields (inherited ones included)", show(s->name)));
          break;
        }
        if (!chargeShapeEntries(m, 1)) break;
        s->fields.push_back({m.tokens[1].text, *k});
      } else if (d == ".vslot") {
        if (!expectMemberName(m, 1, "slot name") || !expectName(m, 2, "method name")) continue;
        extra(m, 3);
        decl.members.push_back({&m, 0});
      } else {
        error(m, m.tokens[0], fmt::format("'{}' inside .shape (expected .field or .vslot)", show(d)));
      }
    }
    shapeDecls_.push_back(std::move(decl));
    return end + 1;
  }

  size_t declareMethod(size_t i) {
    const Line& l = lines_[i];
    size_t end = findEnd(i, ".method");
    if (end == SIZE_MAX) return resume_;
    extra(lines_[end], 1);
    if (!expectName(l, 1, "method name")) return end + 1;
    Body body{nullptr, &l, i + 1, end, {}};
    Signature sig;
    size_t t = 2;
    if (t >= l.tokens.size() || l.tokens[t].text != "(") {
      error(l.number, t < l.tokens.size() ? l.tokens[t].col : l.tokens.back().col,
            "expected '(' and the parameter kinds, as in: .method add (i32 i32) i32");
      return end + 1;
    }
    ++t;
    while (t < l.tokens.size() && l.tokens[t].text != ")") {
      auto k = parseKind(l, l.tokens[t], false);
      if (!k) return end + 1;
      sig.params.push_back(*k);
      ++t;
      // An optional parameter name follows its kind.
      if (t < l.tokens.size() && l.tokens[t].text != ")" && !kindFromName(l.tokens[t].text)) {
        if (!expectName(l, t, "parameter name")) return end + 1;
        if (!body.localNames.emplace(l.tokens[t].text, static_cast<uint32_t>(sig.params.size() - 1)).second) {
          error(l, l.tokens[t], fmt::format("parameter '{}' is defined twice", show(l.tokens[t].text)));
          return end + 1;
        }
        ++t;
      }
    }
    if (t >= l.tokens.size()) {
      error(l, l.tokens.back(), "missing ')' after the parameters");
      return end + 1;
    }
    ++t;
    if (t >= l.tokens.size()) {
      error(l, l.tokens.back(), "missing the result kind after ')' (void if none)");
      return end + 1;
    }
    auto ret = parseKind(l, l.tokens[t], true);
    if (!ret) return end + 1;
    sig.ret = *ret;
    extra(l, t + 1);
    Method* m = module_.addMethod(l.tokens[1].text);
    if (!m) {
      error(l, l.tokens[1], fmt::format("method '{}' is defined twice", show(l.tokens[1].text)));
      return end + 1;
    }
    m->sig = sig;
    m->locals = sig.params;
    m->line = l.number;
    body.method = m;
    bodies_.push_back(std::move(body));
    return end + 1;
  }

  // ---------------------------------------------------------------- dispatch tables
  void buildShapes() {
    for (auto& decl : shapeDecls_) {
      Shape* s = decl.shape;
      // Slot name -> index while the table grows (Shape::vslotIndex is a linear search).
      std::map<std::string, size_t, std::less<>> slots;
      if (s->parent) {
        if (!chargeShapeEntries(*decl.line, s->parent->vtable.size())) return;
        s->vtable = s->parent->vtable;
        s->vslotNames = s->parent->vslotNames;
        for (size_t k = 0; k < s->vslotNames.size(); ++k) slots[s->vslotNames[k]] = k;
      }
      const size_t inherited = s->vtable.size();
      for (auto& [m, _] : decl.members) {
        const std::string& slot = m->tokens[1].text;
        Method* target = module_.findMethod(m->tokens[2].text);
        if (!target) {
          error(*m, m->tokens[2], fmt::format("method '{}' is not defined", show(m->tokens[2].text)));
          continue;
        }
        if (target->sig.params.empty() || target->sig.params[0] != Kind::Ref) {
          error(*m, m->tokens[2],
                fmt::format("method '{}' cannot fill a dispatch slot: its first parameter must be the receiver (ref)",
                            show(target->name)));
          continue;
        }
        auto it = slots.find(slot);
        if (it != slots.end()) {
          size_t idx = it->second;
          // A slot of this very shape named twice is a mistake, not an override.
          if (idx >= inherited) {
            error(*m, m->tokens[1],
                  fmt::format("dispatch slot '{}' is defined twice in shape '{}'", show(slot), show(s->name)));
            continue;
          }
          if (s->vtable[idx]->sig != target->sig) {
            error(*m, m->tokens[2],
                  fmt::format("method '{}' {} overrides slot '{}' of signature {}: an override must have the same "
                              "signature",
                              show(target->name), signatureText(target->sig), show(slot),
                              signatureText(s->vtable[idx]->sig)));
            continue;
          }
          s->vtable[idx] = target;
        } else {
          if (!chargeShapeEntries(*m, 1)) return;
          slots.emplace(slot, s->vslotNames.size());
          s->vslotNames.push_back(slot);
          s->vtable.push_back(target);
        }
      }
      s->finish();
    }
  }

  // ---------------------------------------------------------------- pass 2: bodies
  /// A label of the method being assembled: its builder label, and where the text uses it
  /// (for located errors). Code may not go to a label that ends the method; a handler range may.
  struct LabelUse {
    const Line* line;
    const Token* token;
    bool code; ///< a branch, switch or handler target (not a range boundary)
  };
  struct LabelInfo {
    Label label;
    bool defined = false;
    std::vector<LabelUse> uses;
  };
  using Labels = std::map<std::string, LabelInfo, std::less<>>;

  LabelInfo& labelFor(Builder& b, Labels& labels, std::string_view name) {
    auto it = labels.find(name);
    if (it == labels.end()) it = labels.emplace(std::string(name), LabelInfo{b.newLabel(), false, {}}).first;
    return it->second;
  }
  Label useLabel(Builder& b, Labels& labels, const Line& l, const Token& tok, std::string_view name, bool code) {
    LabelInfo& info = labelFor(b, labels, name);
    info.uses.push_back({&l, &tok, code});
    return info.label;
  }

  std::optional<int64_t> parseInt(const Line& l, const Token& t, int64_t lo, int64_t hi, const char* what) {
    std::string_view s = t.text;
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      neg = s[0] == '-';
      s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s.remove_prefix(2);
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (t.isString || s.empty() || p != s.data() + s.size() ||
        (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      error(l, t, fmt::format("'{}' is not {}", show(t.text), what));
      return std::nullopt;
    }
    // Range check in 128-bit-safe form (digits beyond 64 bits are out of range too).
    if (ec == std::errc::result_out_of_range || (!neg && v > static_cast<uint64_t>(hi)) ||
        (neg && v > static_cast<uint64_t>(-(lo + 1)) + 1)) {
      error(l, t, fmt::format("{} is out of range for {} ({} to {})", show(t.text), what, lo, hi));
      return std::nullopt;
    }
    return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  }

  std::optional<double> parseFloat(const Line& l, const Token& t, bool f32) {
    const std::string& s = t.text;
    if (s == "nan" || s == "+nan") return std::nan("");
    if (s == "-nan") return -std::nan("");
    if (s == "inf" || s == "+inf") return HUGE_VAL;
    if (s == "-inf") return -HUGE_VAL;
    char* end = nullptr;
    double d = t.isString || s.empty() ? 0 : std::strtod(s.c_str(), &end);
    if (t.isString || s.empty() || end != s.c_str() + s.size() || std::isalpha(static_cast<unsigned char>(s.back()))) {
      error(l, t, fmt::format("'{}' is not a floating-point number", show(s)));
      return std::nullopt;
    }
    // An f32 is rounded once, from the decimal text: going through double first can round
    // twice and land one ulp off (1.00000005960464477539 is halfway in f32 only after the
    // first rounding). Every f32 is exactly a double, so the result travels as one.
    if (f32) d = std::strtof(s.c_str(), nullptr);
    // A number must stay finite in its kind ("inf" is written inf): strtod makes "1e400" inf,
    // and "1e39" as an f32 would silently become inf too (3.4028235e38 still rounds to
    // FLT_MAX, and is how FLT_MAX prints).
    if (std::isinf(d)) {
      error(l, t, fmt::format("{} is out of range for {} (use inf for infinity)", show(s), f32 ? "f32" : "f64"));
      return std::nullopt;
    }
    return d;
  }

  std::optional<std::pair<Shape*, int>> parseMember(const Line& l, const Token& t, bool field) {
    auto dot = t.text.rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == t.text.size()) {
      error(l, t, fmt::format("expected SHAPE.{} but found '{}'", field ? "FIELD" : "SLOT", show(t.text)));
      return std::nullopt;
    }
    std::string shapeName = t.text.substr(0, dot), member = t.text.substr(dot + 1);
    Shape* s = findShape(shapeName);
    if (!s) {
      error(l, t, fmt::format("shape '{}' is not defined", show(shapeName)));
      return std::nullopt;
    }
    int idx = memberIndex(s, member, field);
    if (idx < 0) {
      error(l, t,
            fmt::format("shape '{}' has no {} '{}'", show(shapeName), field ? "field" : "dispatch slot", show(member)));
      return std::nullopt;
    }
    return std::make_pair(s, idx);
  }

  void assembleBody(Body& body) {
    Method& m = *body.method;
    Builder b(m);
    Labels labels;
    struct PendingHandler {
      const Line* line;
      size_t directive; ///< index of the .catch/.cleanup token (labels may precede it)
    };
    std::vector<PendingHandler> pendingHandlers;
    size_t errorsBefore = diags_.count();

    for (size_t li = body.first; li < body.last; ++li) {
      const Line& l = lines_[li];
      size_t t = 0;
      // Labels: "name:" at the start of a line, possibly followed by an instruction.
      while (t < l.tokens.size() && !l.tokens[t].isString && l.tokens[t].text.size() > 1 &&
             l.tokens[t].text.back() == ':') {
        std::string name = l.tokens[t].text.substr(0, l.tokens[t].text.size() - 1);
        if (!isName(name)) {
          error(l, l.tokens[t], fmt::format("'{}' is not a valid label name", show(name)));
        } else if (LabelInfo& info = labelFor(b, labels, name); info.defined) {
          error(l, l.tokens[t], fmt::format("label '{}' is defined twice", show(name)));
        } else {
          info.defined = true;
          b.bind(info.label);
        }
        ++t;
      }
      if (t >= l.tokens.size()) continue;
      const Token& head = l.tokens[t];
      const std::string& d = head.text;
      if (head.isString) {
        error(l, head, "expected an instruction or directive, not a string literal");
        continue;
      }
      if (d == ".local" || d == ".locals") {
        if (!m.code.empty()) {
          error(l, head, "locals must be declared before the first instruction");
          continue;
        }
        for (size_t k = t + 1; k < l.tokens.size(); ++k) {
          auto kind = parseKind(l, l.tokens[k], false);
          if (!kind) break;
          b.addLocal(*kind);
          if (m.locals.size() > kMaxLocals) {
            error(l, l.tokens[k], fmt::format("more than {} locals", kMaxLocals));
            break;
          }
          if (d == ".local" && k + 1 < l.tokens.size()) {
            if (!expectName(l, k + 1, "local name")) break;
            // ".local i32 i64" would otherwise quietly declare one i32 local named "i64".
            if (kindFromName(l.tokens[k + 1].text)) {
              error(l, l.tokens[k + 1],
                    fmt::format("'{}' is a kind, not a local name (.locals declares several unnamed locals)",
                                l.tokens[k + 1].text));
              break;
            }
            if (!body.localNames.emplace(l.tokens[k + 1].text, static_cast<uint32_t>(m.locals.size() - 1)).second)
              error(l, l.tokens[k + 1], fmt::format("local '{}' is defined twice", show(l.tokens[k + 1].text)));
            extra(l, k + 2);
            break;
          }
        }
        if (t + 1 >= l.tokens.size()) error(l, head, fmt::format("expected kinds after {}", d));
        continue;
      }
      if (d == ".catch" || d == ".cleanup") {
        bool cleanup = d == ".cleanup";
        size_t want = cleanup ? 4 : 5;
        if (l.tokens.size() - t != want) {
          error(l, head,
                cleanup ? "expected: .cleanup START END HANDLER" : "expected: .catch START END HANDLER SHAPE|any");
          continue;
        }
        const Shape* shape = nullptr;
        if (!cleanup && l.tokens[t + 4].text != "any") {
          shape = findShape(l.tokens[t + 4].text);
          if (!shape) {
            error(l, l.tokens[t + 4], fmt::format("shape '{}' is not defined", show(l.tokens[t + 4].text)));
            continue;
          }
        }
        const Token* range = &l.tokens[t + 1];
        b.addHandler(useLabel(b, labels, l, range[0], range[0].text, false),
                     useLabel(b, labels, l, range[1], range[1].text, false),
                     useLabel(b, labels, l, range[2], range[2].text, true), shape, cleanup);
        pendingHandlers.push_back({&l, t});
        continue;
      }
      if (d[0] == '.') {
        error(l, head,
              d == ".field" || d == ".vslot"
                  ? fmt::format("'{}' inside a method (it goes between .shape and .end)", d)
                  : fmt::format("unknown directive '{}' in a method body (expected .local, .locals, .catch, .cleanup "
                                "or an instruction)",
                                show(d)));
        continue;
      }
      auto op = opFromName(d);
      if (!op) {
        std::string best;
        size_t bestD = 3;
        // A suggestion costs an edit distance to every mnemonic: none for long words (a
        // megabyte-long token took seconds) nor for errors past those shown (a file of many
        // unknown words took minutes).
        bool suggest = d.size() <= 32 && !diags_.full();
        for (size_t k = 0; k < kOpCount && suggest; ++k) {
          std::string_view name = kOpInfo[k].name;
          // The lengths' difference is a lower bound of the distance.
          if ((kOpInfo[k].flags & Internal) ||
              std::max(d.size(), name.size()) - std::min(d.size(), name.size()) >= bestD)
            continue;
          size_t dd = distance(d, name);
          if (dd < bestD) {
            bestD = dd;
            best = kOpInfo[k].name;
          }
        }
        error(l, head,
              best.empty() ? fmt::format("unknown instruction '{}'", show(d))
                           : fmt::format("unknown instruction '{}' (did you mean '{}'?)", show(d), best));
        continue;
      }
      if (m.code.size() >= kMaxInsns) {
        error(l, head, fmt::format("method has more than {} instructions", kMaxInsns));
        return;
      }
      b.setPosition(l.number, static_cast<uint16_t>(std::min<uint32_t>(head.col, 65535)));
      Insn in;
      in.op = *op;
      bool emitted = false; // branches and switches are emitted with their labels
      size_t k = t + 1;
      std::string_view operands = info(*op).operands;
      int word = 0;
      bool ok = true;
      auto need = [&]() -> const Token* {
        if (k < l.tokens.size()) return &l.tokens[k++];
        error(l, l.tokens.back(), fmt::format("'{}' is missing an operand (expects {})", d, describeOperands(*op)));
        ok = false;
        return nullptr;
      };
      for (char letter : operands) {
        if (!ok) break;
        int64_t* slot = word == 0 ? &in.a : &in.b;
        OperandKind kind = *operandKindFromLetter(letter);
        switch (kind) {
        case OperandKind::I32:
        case OperandKind::I64: {
          const Token* tok = need();
          if (!tok) break;
          auto v = kind == OperandKind::I32 ? parseInt(l, *tok, INT32_MIN, INT32_MAX, "an i32")
                                            : parseInt(l, *tok, INT64_MIN, INT64_MAX, "an i64");
          if (v)
            *slot = *v;
          else
            ok = false;
          break;
        }
        case OperandKind::F32:
        case OperandKind::F64: {
          const Token* tok = need();
          if (!tok) break;
          auto v = parseFloat(l, *tok, kind == OperandKind::F32);
          if (!v) {
            ok = false;
            break;
          }
          if (kind == OperandKind::F32) {
            float f = static_cast<float>(*v);
            uint32_t bits;
            std::memcpy(&bits, &f, 4);
            *slot = bits;
          } else {
            std::memcpy(slot, &*v, 8);
          }
          break;
        }
        case OperandKind::Local: {
          const Token* tok = need();
          if (!tok) break;
          auto it = body.localNames.find(tok->text);
          if (it != body.localNames.end()) {
            *slot = it->second;
            break;
          }
          auto v = parseInt(l, *tok, 0, kMaxLocals, "a local index or name");
          if (v)
            *slot = *v;
          else
            ok = false;
          break;
        }
        case OperandKind::Label: {
          const Token* tok = need();
          if (!tok) break;
          b.branch(*op, useLabel(b, labels, l, *tok, tok->text, true));
          emitted = true;
          break;
        }
        case OperandKind::Switch:
          ok = parseSwitch(b, labels, l, k, *op);
          emitted = ok;
          break;
        case OperandKind::Method: {
          const Token* tok = need();
          if (!tok) break;
          Method* callee = module_.findMethod(tok->text);
          if (!callee) {
            error(l, *tok, fmt::format("method '{}' is not defined", show(tok->text)));
            ok = false;
          } else
            *slot = reinterpret_cast<int64_t>(callee);
          break;
        }
        case OperandKind::VSlot:
        case OperandKind::Field: {
          const Token* tok = need();
          if (!tok) break;
          auto member = parseMember(l, *tok, kind == OperandKind::Field);
          if (!member) {
            ok = false;
            break;
          }
          in.a = reinterpret_cast<int64_t>(member->first);
          in.b = member->second;
          break;
        }
        case OperandKind::Static: {
          const Token* tok = need();
          if (!tok) break;
          const StaticInfo* s = findStatic(tok->text);
          if (!s) {
            error(l, *tok, fmt::format("static '{}' is not defined", show(tok->text)));
            ok = false;
          } else
            *slot = reinterpret_cast<int64_t>(s->cell);
          break;
        }
        case OperandKind::Shape: {
          const Token* tok = need();
          if (!tok) break;
          Shape* s = findShape(tok->text);
          if (!s) {
            error(l, *tok, fmt::format("shape '{}' is not defined", show(tok->text)));
            ok = false;
          } else
            *slot = reinterpret_cast<int64_t>(s);
          break;
        }
        case OperandKind::Elem: {
          const Token* tok = need();
          if (!tok) break;
          auto e = elemFromName(tok->text);
          if (!e) {
            error(l, *tok,
                  fmt::format("'{}' is not an element kind (i8 u16 i16 i32 i64 f32 f64 ref)", show(tok->text)));
            ok = false;
          } else
            *slot = static_cast<int64_t>(*e);
          break;
        }
        case OperandKind::String: {
          const Token* tok = need();
          if (!tok) break;
          if (!tok->isString) {
            error(l, *tok, "expected a string literal in double quotes");
            ok = false;
            break;
          }
          Object* s = module_.internString(tok->text);
          if (!s) {
            error(l, *tok, "out of memory interning the string");
            ok = false;
          } else
            *slot = reinterpret_cast<int64_t>(s);
          break;
        }
        case OperandKind::Prim: {
          const Token* tok = need();
          if (!tok) break;
          const Primitive* p = module_.runtime().primitives().find(tok->text);
          if (!p) {
            error(l, *tok,
                  fmt::format("primitive '{}' is not registered (vvm run --list-primitives shows them)",
                              show(tok->text)));
            ok = false;
          } else
            *slot = reinterpret_cast<int64_t>(p);
          break;
        }
        }
        word += static_cast<int>(operandWords(kind));
      }
      if (ok) extra(l, k);
      // After an error, a nop keeps the instruction numbering for the errors still to come.
      if (!emitted) ok ? b.emit(in.op, in.a, in.b) : b.emit(Op::Nop);
    }

    // Labels: every one used must be defined, and code cannot go to one that ends the method
    // (a handler range may end there). Errors are reported in the order of the text.
    std::vector<std::pair<const LabelUse*, std::string>> problems;
    for (const auto& [name, info] : labels) {
      bool atEnd = info.defined && b.boundAt(info.label) == m.code.size();
      for (const LabelUse& use : info.uses) {
        if (!info.defined)
          problems.push_back({&use, fmt::format("label '{}' is not defined in method '{}'", show(name), show(m.name))});
        else if (atEnd && use.code)
          problems.push_back({&use, fmt::format("label '{}' is at the end of method '{}': there is no instruction "
                                                "there to go to",
                                                show(name), show(m.name))});
      }
    }
    std::sort(problems.begin(), problems.end(), [](const auto& x, const auto& y) {
      return std::pair(x.first->line->number, x.first->token->col) <
             std::pair(y.first->line->number, y.first->token->col);
    });
    for (const auto& [use, message] : problems) error(*use->line, *use->token, message);
    std::string unbound;
    if (problems.empty() && b.finish(unbound)) {
      for (size_t h = 0; h < pendingHandlers.size(); ++h)
        if (m.handlers[h].start >= m.handlers[h].end) {
          const Line& l = *pendingHandlers[h].line;
          error(l, l.tokens[pendingHandlers[h].directive + 1],
                "the protected range is empty (START must come before END)");
        }
    }
    if (diags_.count() == errorsBefore && m.code.empty())
      error(*body.header, body.header->tokens[1], fmt::format("method '{}' has no instructions", show(m.name)));
  }

  /// Parses a switch's operands (the rest of the line) and emits it.
  bool parseSwitch(Builder& b, Labels& labels, const Line& l, size_t& k, Op op) {
    if (op == Op::TableSwitch) {
      // tableswitch LOW DEFAULT T0 T1 ...
      if (k + 2 > l.tokens.size()) {
        error(l, l.tokens.back(), "expected: tableswitch LOW DEFAULT TARGET...");
        return false;
      }
      auto low = parseInt(l, l.tokens[k], INT32_MIN, INT32_MAX, "an i32");
      if (!low) return false;
      // The keys are LOW, LOW+1, ...: the last must still be an i32.
      if (size_t count = l.tokens.size() - (k + 2); count && *low + static_cast<int64_t>(count) - 1 > INT32_MAX) {
        error(l, l.tokens[k],
              fmt::format("tableswitch from {} with {} targets has keys past {}", *low, count, INT32_MAX));
        return false;
      }
      Label otherwise = useLabel(b, labels, l, l.tokens[k + 1], l.tokens[k + 1].text, true);
      std::vector<Label> targets;
      for (size_t j = k + 2; j < l.tokens.size(); ++j)
        targets.push_back(useLabel(b, labels, l, l.tokens[j], l.tokens[j].text, true));
      k = l.tokens.size();
      b.tableSwitch(static_cast<int32_t>(*low), otherwise, targets);
      return true;
    }
    // lookupswitch DEFAULT KEY:TARGET ...
    if (k + 1 > l.tokens.size()) {
      error(l, l.tokens.back(), "expected: lookupswitch DEFAULT KEY:TARGET...");
      return false;
    }
    std::vector<std::pair<int32_t, const Token*>> entries;
    for (size_t j = k + 1; j < l.tokens.size(); ++j) {
      const Token& tok = l.tokens[j];
      auto colon = tok.text.find(':');
      if (colon == std::string::npos || tok.isString) {
        error(l, tok, fmt::format("expected KEY:TARGET but found '{}'", show(tok.text)));
        return false;
      }
      Token keyTok{tok.text.substr(0, colon), tok.col, false};
      auto key = parseInt(l, keyTok, INT32_MIN, INT32_MAX, "an i32 key");
      if (!key) return false;
      entries.push_back({static_cast<int32_t>(*key), &tok});
    }
    std::stable_sort(entries.begin(), entries.end(), [](auto& x, auto& y) { return x.first < y.first; });
    for (size_t j = 1; j < entries.size(); ++j) {
      if (entries[j].first == entries[j - 1].first) {
        error(l, *entries[j].second, fmt::format("lookupswitch key {} appears twice", entries[j].first));
        return false;
      }
    }
    Label otherwise = useLabel(b, labels, l, l.tokens[k], l.tokens[k].text, true);
    std::vector<std::pair<int32_t, Label>> cases;
    for (const auto& [key, tok] : entries) {
      std::string_view target = std::string_view(tok->text).substr(tok->text.find(':') + 1);
      cases.push_back({key, useLabel(b, labels, l, *tok, target, true)});
    }
    k = l.tokens.size();
    b.lookupSwitch(otherwise, std::move(cases));
    return true;
  }

  std::string describeOperands(Op op) {
    std::string out;
    for (char c : info(op).operands) {
      if (!out.empty()) out += ' ';
      switch (*operandKindFromLetter(c)) {
#define VVM_OPERAND(Name, Letter, Words, Doc)                                                                          \
  case OperandKind::Name:                                                                                              \
    out += Doc;                                                                                                        \
    break;
#include "core/ir/Operands.def"
      }
    }
    return out;
  }

  std::string_view text_;
  const std::string& file_;
  Module& module_;
  Diagnostics& diags_;
  std::vector<std::string> sourceLines_;
  std::vector<Line> lines_;
  std::vector<ShapeDecl> shapeDecls_;
  std::map<std::string_view, Shape*, std::less<>> shapesByName_;             ///< keys: the shapes' names
  std::map<std::string_view, const StaticInfo*, std::less<>> staticsByName_; ///< keys: the statics' names
  std::unordered_map<const Shape*, size_t> depth_; ///< of this file's shapes, before finish() sets Shape::depth
  std::unordered_map<const Shape*, std::unique_ptr<std::map<std::string, int, std::less<>>>> fieldIndex_, slotIndex_;
  size_t shapeEntries_ = 0; ///< charged against kMaxShapeEntries
  size_t resume_ = 0;       ///< set by findEnd when a block has no .end
  std::vector<Body> bodies_;
};

} // namespace

bool assemble(std::string_view text, const std::string& file, Module& module, Diagnostics& diags) {
  Assembler a(text, file, module, diags);
  return a.run();
}

} // namespace vvm::core
