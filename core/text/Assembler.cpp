// The .vp assembler. Two passes over the lines: the first declares shapes, statics and method
// signatures (so code may refer to anything defined anywhere in the file), the second builds
// dispatch tables and method bodies. Every error names file:line:column; the assembler keeps
// going after an error in one method so that a file's mistakes are reported together.
#include "core/text/Assembler.h"

#include "core/interp/Interpreter.h"
#include "core/interp/Runtime.h"
#include "core/verify/Verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>

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
    std::string src = line >= 1 && line <= sourceLines_.size() ? sourceLines_[line - 1] : std::string();
    diags_.error(file_, line, col, std::move(msg), src);
  }
  void error(const Line& l, const Token& t, std::string msg) { error(l.number, t.col, std::move(msg)); }

  void lex() {
    for (size_t n = 0; n < sourceLines_.size(); ++n) {
      const std::string& s = sourceLines_[n];
      Line line;
      line.number = static_cast<uint32_t>(n + 1);
      size_t i = 0;
      while (i < s.size()) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == ',') {
          ++i;
          continue;
        }
        if (c == ';') break;
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
              int v = 0;
              if (i + 2 > s.size() || std::from_chars(s.data() + i, s.data() + i + 2, v, 16).ptr != s.data() + i + 2) {
                error(line.number, static_cast<uint32_t>(i - 1), "\\x needs two hex digits");
                v = 0;
              }
              i = std::min(i + 2, s.size());
              t.text += static_cast<char>(v);
              break;
            }
            default: error(line.number, static_cast<uint32_t>(i - 1), fmt::format("unknown escape '\\{}'", e));
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
            fmt::format("'{}' is not a {}kind (i32 i64 f32 f64 ref{})", t.text, allowVoid ? "result " : "",
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
      error(l.number, l.tokens.back().col, fmt::format("expected {} after '{}'", what, l.tokens.back().text));
      return false;
    }
    if (!isName(l.tokens[idx].text) || l.tokens[idx].isString) {
      error(l, l.tokens[idx], fmt::format("'{}' is not a valid {}", l.tokens[idx].text, what));
      return false;
    }
    return true;
  }

  void extra(const Line& l, size_t from) {
    if (from < l.tokens.size()) error(l, l.tokens[from], fmt::format("unexpected '{}'", l.tokens[from].text));
  }

  void declare() {
    size_t i = 0;
    while (i < lines_.size()) {
      const Line& l = lines_[i];
      const std::string& d = l.tokens[0].text;
      if (d == ".shape") {
        i = declareShape(i);
      } else if (d == ".static") {
        if (expectName(l, 1, "static name") && l.tokens.size() >= 3) {
          auto k = parseKind(l, l.tokens[2], false);
          if (k && !module_.addStatic(l.tokens[1].text, *k))
            error(l, l.tokens[1], fmt::format("static '{}' is defined twice", l.tokens[1].text));
          extra(l, 3);
        } else if (l.tokens.size() < 3) {
          error(l, l.tokens[0], "expected: .static NAME KIND");
        }
        ++i;
      } else if (d == ".method") {
        i = declareMethod(i);
      } else {
        error(l, l.tokens[0],
              d[0] == '.' ? fmt::format("unknown directive '{}' at top level (expected .shape, .static or .method)", d)
                          : fmt::format("'{}' outside a method (instructions go between .method and .end)", d));
        ++i;
      }
    }
  }

  size_t findEnd(size_t i, const char* what) {
    for (size_t j = i + 1; j < lines_.size(); ++j) {
      const std::string& d = lines_[j].tokens[0].text;
      if (d == ".end") return j;
      if (d == ".shape" || d == ".method" || d == ".static") break;
    }
    error(lines_[i], lines_[i].tokens[0], fmt::format("{} has no matching .end", what));
    return SIZE_MAX;
  }

  size_t declareShape(size_t i) {
    const Line& l = lines_[i];
    size_t end = findEnd(i, ".shape");
    if (end == SIZE_MAX) return i + 1;
    extra(lines_[end], 1);
    if (!expectName(l, 1, "shape name")) return end + 1;
    Shape* parent = nullptr;
    if (l.tokens.size() > 2) {
      if (l.tokens[2].text != ":" || l.tokens.size() < 4) {
        error(l, l.tokens[2], "expected ': PARENT' after the shape name");
        return end + 1;
      }
      parent = module_.findShape(l.tokens[3].text);
      if (!parent) {
        error(l, l.tokens[3],
              fmt::format("parent shape '{}' is not defined (define a shape before extending it)", l.tokens[3].text));
        return end + 1;
      }
      if (parent->isArray()) {
        error(l, l.tokens[3], fmt::format("cannot extend array shape '{}'", parent->name));
        return end + 1;
      }
      extra(l, 4);
    }
    Shape* s = module_.addShape(l.tokens[1].text);
    if (!s) {
      error(l, l.tokens[1], fmt::format("shape '{}' is defined twice (or is a built-in shape)", l.tokens[1].text));
      return end + 1;
    }
    s->parent = parent;
    if (parent) s->fields = parent->fields;
    ShapeDecl decl{s, &l, {}};
    for (size_t j = i + 1; j < end; ++j) {
      const Line& m = lines_[j];
      const std::string& d = m.tokens[0].text;
      if (d == ".field") {
        if (!expectName(m, 1, "field name")) continue;
        if (m.tokens.size() < 3) {
          error(m, m.tokens[0], "expected: .field NAME KIND");
          continue;
        }
        auto k = parseKind(m, m.tokens[2], false);
        if (!k) continue;
        for (size_t f = parent ? parent->fields.size() : 0; f < s->fields.size(); ++f)
          if (s->fields[f].name == m.tokens[1].text)
            error(m, m.tokens[1], fmt::format("field '{}' is defined twice", m.tokens[1].text));
        if (s->fields.size() >= 65535) {
          error(m, m.tokens[0], "too many fields");
          continue;
        }
        s->fields.push_back({m.tokens[1].text, *k});
        extra(m, 3);
      } else if (d == ".vslot") {
        if (!expectName(m, 1, "slot name") || !expectName(m, 2, "method name")) continue;
        extra(m, 3);
        decl.members.push_back({&m, 0});
      } else {
        error(m, m.tokens[0], fmt::format("'{}' inside .shape (expected .field or .vslot)", d));
      }
    }
    shapeDecls_.push_back(std::move(decl));
    return end + 1;
  }

  size_t declareMethod(size_t i) {
    const Line& l = lines_[i];
    size_t end = findEnd(i, ".method");
    if (end == SIZE_MAX) return i + 1;
    extra(lines_[end], 1);
    if (!expectName(l, 1, "method name")) return end + 1;
    Body body{nullptr, &l, i + 1, end, {}};
    Signature sig;
    std::vector<std::string> names;
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
        body.localNames[l.tokens[t].text] = static_cast<uint32_t>(sig.params.size() - 1);
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
      error(l, l.tokens[1], fmt::format("method '{}' is defined twice", l.tokens[1].text));
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
      if (s->parent) {
        s->vtable = s->parent->vtable;
        s->vslotNames = s->parent->vslotNames;
      }
      for (auto& [m, _] : decl.members) {
        const std::string& slot = m->tokens[1].text;
        Method* target = module_.findMethod(m->tokens[2].text);
        if (!target) {
          error(*m, m->tokens[2], fmt::format("method '{}' is not defined", m->tokens[2].text));
          continue;
        }
        if (target->sig.params.empty() || target->sig.params[0] != Kind::Ref) {
          error(*m, m->tokens[2],
                fmt::format("method '{}' cannot fill a dispatch slot: its first parameter must be the receiver (ref)",
                            target->name));
          continue;
        }
        int idx = s->vslotIndex(slot);
        if (idx >= 0) {
          if (s->vtable[static_cast<size_t>(idx)]->sig != target->sig) {
            error(*m, m->tokens[2],
                  fmt::format("method '{}' overrides slot '{}' with a different signature", target->name, slot));
            continue;
          }
          s->vtable[static_cast<size_t>(idx)] = target;
        } else {
          s->vslotNames.push_back(slot);
          s->vtable.push_back(target);
        }
      }
      s->finish();
    }
  }

  // ---------------------------------------------------------------- pass 2: bodies
  struct Fixup {
    uint32_t insn;
    int word; ///< 0: a, 1: b
    std::string label;
    const Line* line;
    const Token* token;
  };

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
    if (t.isString || s.empty() || ec != std::errc() || p != s.data() + s.size()) {
      error(l, t, fmt::format("'{}' is not {}", t.text, what));
      return std::nullopt;
    }
    // Range check in 128-bit-safe form.
    if (!neg && v > static_cast<uint64_t>(hi)) {
      error(l, t, fmt::format("{} is out of range for {}", t.text, what));
      return std::nullopt;
    }
    if (neg && v > static_cast<uint64_t>(-(lo + 1)) + 1) {
      error(l, t, fmt::format("{} is out of range for {}", t.text, what));
      return std::nullopt;
    }
    return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  }

  std::optional<double> parseFloat(const Line& l, const Token& t) {
    const std::string& s = t.text;
    if (s == "nan" || s == "+nan") return std::nan("");
    if (s == "-nan") return -std::nan("");
    if (s == "inf" || s == "+inf") return HUGE_VAL;
    if (s == "-inf") return -HUGE_VAL;
    char* end = nullptr;
    double d = t.isString || s.empty() ? 0 : std::strtod(s.c_str(), &end);
    if (t.isString || s.empty() || end != s.c_str() + s.size() || std::isalpha(static_cast<unsigned char>(s.back()))) {
      error(l, t, fmt::format("'{}' is not a floating-point number", s));
      return std::nullopt;
    }
    return d;
  }

  std::optional<std::pair<Shape*, int>> parseMember(const Line& l, const Token& t, bool field) {
    auto dot = t.text.rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == t.text.size()) {
      error(l, t, fmt::format("expected SHAPE.{} but found '{}'", field ? "FIELD" : "SLOT", t.text));
      return std::nullopt;
    }
    std::string shapeName = t.text.substr(0, dot), member = t.text.substr(dot + 1);
    Shape* s = module_.findShape(shapeName);
    if (!s) {
      error(l, t, fmt::format("shape '{}' is not defined", shapeName));
      return std::nullopt;
    }
    int idx = field ? s->fieldIndex(member) : s->vslotIndex(member);
    if (idx < 0) {
      error(l, t, fmt::format("shape '{}' has no {} '{}'", shapeName, field ? "field" : "dispatch slot", member));
      return std::nullopt;
    }
    return std::make_pair(s, idx);
  }

  void assembleBody(Body& body) {
    Method& m = *body.method;
    std::map<std::string, uint32_t, std::less<>> labels;
    std::vector<Fixup> fixups;
    struct PendingHandler {
      const Line* line;
      bool cleanup;
      const Shape* shape;
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
        if (!isName(name))
          error(l, l.tokens[t], fmt::format("'{}' is not a valid label name", name));
        else if (!labels.emplace(name, static_cast<uint32_t>(m.code.size())).second)
          error(l, l.tokens[t], fmt::format("label '{}' is defined twice", name));
        ++t;
      }
      if (t >= l.tokens.size()) continue;
      const Token& head = l.tokens[t];
      const std::string& d = head.text;
      if (d == ".local" || d == ".locals") {
        if (!m.code.empty()) {
          error(l, head, "locals must be declared before the first instruction");
          continue;
        }
        for (size_t k = t + 1; k < l.tokens.size(); ++k) {
          auto kind = parseKind(l, l.tokens[k], false);
          if (!kind) break;
          m.locals.push_back(*kind);
          if (m.locals.size() > kMaxLocals) {
            error(l, l.tokens[k], fmt::format("more than {} locals", kMaxLocals));
            break;
          }
          if (d == ".local" && k + 1 < l.tokens.size()) {
            if (!expectName(l, k + 1, "local name")) break;
            if (!body.localNames.emplace(l.tokens[k + 1].text, static_cast<uint32_t>(m.locals.size() - 1)).second)
              error(l, l.tokens[k + 1], fmt::format("local '{}' is defined twice", l.tokens[k + 1].text));
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
          shape = module_.findShape(l.tokens[t + 4].text);
          if (!shape) {
            error(l, l.tokens[t + 4], fmt::format("shape '{}' is not defined", l.tokens[t + 4].text));
            continue;
          }
        }
        m.handlers.push_back({});
        pendingHandlers.push_back({&l, cleanup, shape});
        continue;
      }
      if (d[0] == '.') {
        error(l, head, fmt::format("unknown directive '{}' in a method body", d));
        continue;
      }
      auto op = opFromName(d);
      if (!op) {
        std::string best;
        size_t bestD = 3;
        for (size_t k = 0; k < kOpCount; ++k) {
          if (kOpInfo[k].flags & Internal) continue;
          size_t dd = distance(d, kOpInfo[k].name);
          if (dd < bestD) {
            bestD = dd;
            best = kOpInfo[k].name;
          }
        }
        error(l, head,
              best.empty() ? fmt::format("unknown instruction '{}'", d)
                           : fmt::format("unknown instruction '{}' (did you mean '{}'?)", d, best));
        continue;
      }
      if (m.code.size() >= kMaxInsns) {
        error(l, head, fmt::format("method has more than {} instructions", kMaxInsns));
        return;
      }
      Insn in;
      in.op = *op;
      in.line = l.number;
      in.col = static_cast<uint16_t>(std::min<uint32_t>(head.col, 65535));
      uint32_t index = static_cast<uint32_t>(m.code.size());
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
          auto v = parseFloat(l, *tok);
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
          fixups.push_back({index, word, tok->text, &l, tok});
          break;
        }
        case OperandKind::Switch: ok = parseSwitch(m, l, k, in); break;
        case OperandKind::Method: {
          const Token* tok = need();
          if (!tok) break;
          Method* callee = module_.findMethod(tok->text);
          if (!callee) {
            error(l, *tok, fmt::format("method '{}' is not defined", tok->text));
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
          const StaticInfo* s = module_.findStatic(tok->text);
          if (!s) {
            error(l, *tok, fmt::format("static '{}' is not defined", tok->text));
            ok = false;
          } else
            *slot = reinterpret_cast<int64_t>(s->cell);
          break;
        }
        case OperandKind::Shape: {
          const Token* tok = need();
          if (!tok) break;
          Shape* s = module_.findShape(tok->text);
          if (!s) {
            error(l, *tok, fmt::format("shape '{}' is not defined", tok->text));
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
            error(l, *tok, fmt::format("'{}' is not an element kind (i8 u16 i16 i32 i64 f32 f64 ref)", tok->text));
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
                  fmt::format("primitive '{}' is not registered (vvm run --list-primitives shows them)", tok->text));
            ok = false;
          } else
            *slot = reinterpret_cast<int64_t>(p);
          break;
        }
        }
        word += static_cast<int>(operandWords(kind));
      }
      if (ok) extra(l, k);
      m.code.push_back(in);
    }

    // Resolve labels: in instructions, switch tables and handlers.
    auto resolve = [&](const Line& l, const Token& tok, const std::string& name) -> std::optional<uint32_t> {
      auto it = labels.find(name);
      if (it == labels.end()) {
        error(l, tok, fmt::format("label '{}' is not defined in method '{}'", name, m.name));
        return std::nullopt;
      }
      return it->second;
    };
    for (auto& f : fixups) {
      auto target = resolve(*f.line, *f.token, f.label);
      if (!target) continue;
      (f.word == 0 ? m.code[f.insn].a : m.code[f.insn].b) = *target;
    }
    for (const auto& f : switchFixups_) {
      if (f.method != &m) continue;
      auto target = resolve(*f.line, *f.token, f.label);
      if (!target) continue;
      SwitchTable& sw = m.switches[f.table];
      (f.which < 0 ? sw.defaultTarget : sw.targets[static_cast<size_t>(f.which)]) = *target;
    }
    for (size_t h = 0; h < pendingHandlers.size(); ++h) {
      const Line& l = *pendingHandlers[h].line;
      size_t t = 0;
      while (l.tokens[t].text[0] != '.') ++t;
      auto start = resolve(l, l.tokens[t + 1], l.tokens[t + 1].text);
      auto end = resolve(l, l.tokens[t + 2], l.tokens[t + 2].text);
      auto target = resolve(l, l.tokens[t + 3], l.tokens[t + 3].text);
      if (!start || !end || !target) continue;
      if (*start >= *end) {
        error(l, l.tokens[t + 1], "the protected range is empty (START must come before END)");
        continue;
      }
      m.handlers[h] = {*start, *end, *target, pendingHandlers[h].shape, pendingHandlers[h].cleanup};
    }
    if (diags_.count() == errorsBefore && m.code.empty())
      error(*body.header, body.header->tokens[1], fmt::format("method '{}' has no instructions", m.name));
  }

  bool parseSwitch(Method& m, const Line& l, size_t& k, Insn& in) {
    SwitchTable sw;
    sw.dense = in.op == Op::TableSwitch;
    size_t tableIndex = m.switches.size();
    struct Pending {
      int which; // -1 default, else entry index
      const Token* tok;
    };
    std::vector<Pending> pend;
    const bool dense = sw.dense;
    if (sw.dense) {
      // tableswitch LOW DEFAULT T0 T1 ...
      if (k + 2 > l.tokens.size()) {
        error(l, l.tokens.back(), "expected: tableswitch LOW DEFAULT TARGET...");
        return false;
      }
      auto low = parseInt(l, l.tokens[k], INT32_MIN, INT32_MAX, "an i32");
      if (!low) return false;
      sw.low = static_cast<int32_t>(*low);
      pend.push_back({-1, &l.tokens[k + 1]});
      for (size_t j = k + 2; j < l.tokens.size(); ++j) {
        pend.push_back({static_cast<int>(sw.targets.size()), &l.tokens[j]});
        sw.targets.push_back(0);
      }
      k = l.tokens.size();
    } else {
      // lookupswitch DEFAULT KEY:TARGET ...
      if (k + 1 > l.tokens.size()) {
        error(l, l.tokens.back(), "expected: lookupswitch DEFAULT KEY:TARGET...");
        return false;
      }
      pend.push_back({-1, &l.tokens[k]});
      std::vector<std::pair<int32_t, const Token*>> entries;
      for (size_t j = k + 1; j < l.tokens.size(); ++j) {
        const Token& tok = l.tokens[j];
        auto colon = tok.text.find(':');
        if (colon == std::string::npos || tok.isString) {
          error(l, tok, fmt::format("expected KEY:TARGET but found '{}'", tok.text));
          return false;
        }
        Token keyTok{tok.text.substr(0, colon), tok.col, false};
        auto key = parseInt(l, keyTok, INT32_MIN, INT32_MAX, "an i32 key");
        if (!key) return false;
        entries.push_back({static_cast<int32_t>(*key), &tok});
      }
      std::stable_sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.first < b.first; });
      for (size_t j = 0; j < entries.size(); ++j) {
        if (j && entries[j].first == entries[j - 1].first) {
          error(l, *entries[j].second, fmt::format("lookupswitch key {} appears twice", entries[j].first));
          return false;
        }
        sw.keys.push_back(entries[j].first);
        sw.targets.push_back(0);
        pend.push_back({static_cast<int>(j), entries[j].second});
      }
      k = l.tokens.size();
    }
    m.switches.push_back(std::move(sw));
    in.a = static_cast<int64_t>(tableIndex);
    // Switch tables live in m.switches, which may still grow: record fixups by index and
    // patch through a stable pointer taken after the body is complete.
    for (auto& p : pend) {
      std::string label = p.tok->text;
      if (!dense && p.which >= 0) label = label.substr(label.find(':') + 1);
      switchFixups_.push_back({&m, tableIndex, p.which, label, &l, p.tok});
    }
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

  struct SwitchFixup {
    Method* method;
    size_t table;
    int which;
    std::string label;
    const Line* line;
    const Token* token;
  };

  std::vector<SwitchFixup> switchFixups_;
  std::string_view text_;
  const std::string& file_;
  Module& module_;
  Diagnostics& diags_;
  std::vector<std::string> sourceLines_;
  std::vector<Line> lines_;
  std::vector<ShapeDecl> shapeDecls_;
  std::vector<Body> bodies_;
};

} // namespace

bool assemble(std::string_view text, const std::string& file, Module& module, Diagnostics& diags) {
  Assembler a(text, file, module, diags);
  return a.run();
}

} // namespace vvm::core
