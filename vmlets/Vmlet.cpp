// Loading a VMlet's body, verifying its templates, and translating applications' bytecode.
#include "vmlets/Vmlet.h"

#include "console/Builtins.h"
#include "core/interp/Interpreter.h"
#include "core/ir/Builder.h"
#include "core/ir/Module.h"
#include "core/support/Assert.h"
#include "core/verify/Verifier.h"
#include "vos/Host.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <set>

namespace vvm::vmlets {

using console::Datum;
using console::SourcePos;
using core::Object;
using core::Op;

namespace {

/// Derived instructions nest; more than this means a runaway definition.
constexpr int kMaxTemplateDepth = 64;
/// VP instructions one template (an opcode's, or a derived instruction's) may expand to: nesting
/// doubles quickly ((d2) = (d1) (d1), (d3) = (d2) (d2), ...), and a hostile VMlet must not make
/// vvm verify or a translation build millions of instructions per opcode.
constexpr size_t kMaxTemplateInsns = 4096;

/// The VP instructions a template expands to, or kMaxTemplateInsns + 1 when it is more.
size_t expandedSize(const std::vector<TemplateInsn>& body) {
  size_t n = 0;
  for (const TemplateInsn& insn : body) {
    n += insn.derived ? insn.derived->expandedSize : 1;
    if (n > kMaxTemplateInsns) return kMaxTemplateInsns + 1;
  }
  return n;
}

uint32_t encodingBytes(Encoding e) {
  switch (e) {
  case Encoding::U8:
  case Encoding::S8: return 1;
  case Encoding::U16:
  case Encoding::S16: return 2;
  case Encoding::U32:
  case Encoding::S32: return 4;
  }
  return 0;
}

std::optional<Encoding> encodingFromName(std::string_view n) {
  if (n == "u8") return Encoding::U8;
  if (n == "s8") return Encoding::S8;
  if (n == "u16") return Encoding::U16;
  if (n == "s16") return Encoding::S16;
  if (n == "u32") return Encoding::U32;
  if (n == "s32") return Encoding::S32;
  return std::nullopt;
}

int64_t decode(Encoding e, const uint8_t* p, bool big) {
  uint32_t n = encodingBytes(e);
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v = big ? (v << 8) | p[i] : v | (uint64_t{p[i]} << (8 * i));
  switch (e) {
  case Encoding::U8:
  case Encoding::U16:
  case Encoding::U32: return static_cast<int64_t>(v);
  case Encoding::S8: return static_cast<int8_t>(v);
  case Encoding::S16: return static_cast<int16_t>(v);
  case Encoding::S32: return static_cast<int32_t>(v);
  }
  return 0;
}

struct LoadError {
  SourcePos pos;
  std::string message;
};
[[noreturn]] void fail(const Datum& at, std::string message) { throw LoadError{at.pos, std::move(message)}; }

/// Operand letters that take the same kind of argument (integers: immediates and locals).
char needClass(char letter) { return letter == 'l' || letter == 'L' ? 'i' : letter == 'd' ? 'f' : letter; }

std::string_view needName(char letter) {
  switch (needClass(letter)) {
  case 'i': return "an integer";
  case 'f': return "a number";
  case 'B': return "a branch target";
  case 'M': return "a method";
  case 's': return "a string";
  case 'P': return "a primitive";
  case 'E': return "an element kind";
  default: return "an operand";
  }
}

/// Reads the body forms of a VMlet into a Vmlet.
class BodyReader {
public:
  BodyReader(Vmlet& v, core::Runtime& rt) : v_(v), rt_(rt) {}

  void form(const Datum& d) {
    if (!d.isList() || d.items.empty() || d.items[0].kind != Datum::Kind::Symbol)
      fail(d, "expected a VMlet form: (def-opcode ...), (def-instruction ...), (define ...), (byte-order ...) or "
              "(entry ...)");
    const std::string& head = d.items[0].text;
    if (head == "byte-order") return byteOrder(d);
    if (head == "def-instruction") return defInstruction(d);
    if (head == "def-opcode") return defOpcode(d);
    if (head == "entry") return entry(d);
    if (head == "def-primitive") return defPrimitive(d);
    if (head == "def-rule") return defRule(d);
    if (head == "define" || head == "define-record-type") return; // compiled by the loader, in the sandbox
    if (head == "define-macro") fail(d, "define-macro is not allowed in a VMlet: macros run code at load time");
    if (head == "vmlet") fail(d, "a second manifest: the (vmlet ...) form must be the file's only first form");
    fail(d,
         fmt::format("{} is not a VMlet form (expected def-opcode, def-instruction, def-primitive, def-rule, define, "
                     "define-record-type, byte-order or entry); "
                     "expressions do not run at the top level of a VMlet",
                     head));
  }

private:
  void byteOrder(const Datum& d) {
    if (d.items.size() != 2 || !(d.items[1].isSymbol("big") || d.items[1].isSymbol("little")))
      fail(d, "byte-order is (byte-order big) or (byte-order little)");
    if (sawByteOrder_) fail(d, "byte-order appears twice");
    sawByteOrder_ = true;
    v_.bigEndian = d.items[1].isSymbol("big");
  }

  void entry(const Datum& d) {
    if (d.items.size() != 2 || d.items[1].kind != Datum::Kind::Symbol) fail(d, "entry is (entry PROCEDURE-NAME)");
    if (!v_.entryName.empty()) fail(d, "entry appears twice");
    v_.entryName = d.items[1].text;
    v_.entryPos = d.pos;
  }

  void defPrimitive(const Datum& d) {
    if (d.items.size() != 5 || d.items[1].kind != Datum::Kind::Symbol || !d.items[2].isList() ||
        d.items[3].kind != Datum::Kind::Symbol || d.items[4].kind != Datum::Kind::Symbol)
      fail(d, "def-primitive is (def-primitive NAME (PARAM-KIND...) RESULT-KIND PROCEDURE)");
    PrimitiveDef p;
    p.name = d.items[1].text;
    p.pos = d.pos;
    if (v_.primitives.count(p.name)) fail(d.items[1], fmt::format("primitive {} is defined twice", p.name));
    if (rt_.primitives().find(p.name))
      fail(d.items[1], fmt::format("{} is a primitive of vvm's: a VMlet's primitive cannot take its name", p.name));
    for (const Datum& k : d.items[2].items) {
      auto kind = k.kind == Datum::Kind::Symbol ? core::kindFromName(k.text) : std::nullopt;
      if (!kind || *kind == core::Kind::Void) fail(k, "a parameter kind is one of i32 i64 f32 f64 ref");
      p.params.push_back(*kind);
    }
    if (p.params.size() > console::kMaxDirectArgs)
      fail(d.items[2], fmt::format("a primitive takes at most {} parameters", console::kMaxDirectArgs));
    auto result = core::kindFromName(d.items[3].text);
    if (!result) fail(d.items[3], "a result kind is one of void i32 i64 f32 f64 ref");
    p.result = *result;
    p.procedure = d.items[4].text;
    v_.primitives.emplace(p.name, std::move(p));
  }

  void defRule(const Datum& d) {
    if (d.items.size() != 3 || d.items[1].kind != Datum::Kind::Symbol || d.items[2].kind != Datum::Kind::Symbol)
      fail(d, "def-rule is (def-rule NAME PROCEDURE)");
    for (const RuleDef& r : v_.rules)
      if (r.name == d.items[1].text) fail(d.items[1], fmt::format("rule {} is defined twice", r.name));
    v_.rules.push_back({d.items[1].text, d.items[2].text, d.pos});
  }

  void defInstruction(const Datum& d) {
    if (d.items.size() < 3 || !d.items[1].isList() || d.items[1].items.empty() ||
        d.items[1].items[0].kind != Datum::Kind::Symbol)
      fail(d, "def-instruction is (def-instruction (NAME PARAM...) INSN...)");
    auto def = std::make_unique<Derived>();
    def->name = d.items[1].items[0].text;
    def->pos = d.pos;
    if (core::opFromName(def->name))
      fail(d.items[1].items[0],
           fmt::format("{} is a VP instruction: a derived instruction cannot redefine it", def->name));
    if (v_.derived.count(def->name))
      fail(d.items[1].items[0], fmt::format("derived instruction {} is defined twice", def->name));
    for (size_t i = 1; i < d.items[1].items.size(); ++i) {
      const Datum& p = d.items[1].items[i];
      if (p.kind != Datum::Kind::Symbol || p.text.starts_with("$"))
        fail(p, "a derived instruction's parameters are names (not starting with $)");
      def->params.push_back(p.text);
    }
    for (size_t i = 2; i < d.items.size(); ++i) def->body.push_back(insn(d.items[i], nullptr, def.get()));
    def->expandedSize = expandedSize(def->body);
    if (def->expandedSize > kMaxTemplateInsns)
      fail(d,
           fmt::format("derived instruction {} expands to more than {} VP instructions", def->name, kMaxTemplateInsns));
    // What each parameter must be, from the slots it fills (a nested derived instruction's needs
    // pass through); two different needs for one parameter cannot both be met.
    def->paramNeeds.assign(def->params.size(), '*');
    for (size_t k = 0; k < def->body.size(); ++k) {
      const TemplateInsn& use = def->body[k];
      for (size_t i = 0; i < use.args.size(); ++i) {
        if (use.args[i].kind != TemplateArg::Kind::Param) continue;
        char need = use.op ? core::info(*use.op).operands[i] : use.derived->paramNeeds[i];
        char& have = def->paramNeeds[use.args[i].index];
        if (need == '*') continue;
        if (have != '*' && needClass(have) != needClass(need))
          fail(d.items[k + 2], fmt::format("parameter {} is used both as {} and as {}", def->params[use.args[i].index],
                                           needName(have), needName(need)));
        have = need;
      }
    }
    if (++derivedCount_ > 65536) fail(d, "too many derived instructions");
    v_.derived.emplace(def->name, std::move(def));
  }

  void defOpcode(const Datum& d) {
    if (d.items.size() < 4 || d.items[1].kind != Datum::Kind::Integer || d.items[2].kind != Datum::Kind::Symbol ||
        !d.items[3].isList())
      fail(d, "def-opcode is (def-opcode CODE NAME (OPERAND-ENCODING...) INSN...)");
    int64_t code = d.items[1].integer;
    if (code < 0 || code > 255) fail(d.items[1], fmt::format("opcode {} is outside 0..255", code));
    OpcodeDef& op = v_.opcodes[static_cast<size_t>(code)];
    if (op.defined) fail(d.items[1], fmt::format("opcode {:#04x} is defined twice (first as {})", code, op.name));
    for (const OpcodeDef& other : v_.opcodes)
      if (other.defined && other.name == d.items[2].text)
        fail(d.items[2], fmt::format("opcode name {} is used twice", other.name));
    op.defined = true;
    op.name = d.items[2].text;
    op.pos = d.pos;
    for (const Datum& e : d.items[3].items) {
      auto enc = e.kind == Datum::Kind::Symbol ? encodingFromName(e.text) : std::nullopt;
      if (!enc) fail(e, "an operand encoding is one of u8 s8 u16 s16 u32 s32");
      op.operands.push_back(*enc);
    }
    for (size_t i = 4; i < d.items.size(); ++i) op.body.push_back(insn(d.items[i], &op, nullptr));
    if (expandedSize(op.body) > kMaxTemplateInsns)
      fail(d, fmt::format("opcode {} expands to more than {} VP instructions", op.name, kMaxTemplateInsns));
  }

  TemplateInsn insn(const Datum& d, const OpcodeDef* opcode, const Derived* within) {
    if (!d.isList() || d.items.empty() || d.items[0].kind != Datum::Kind::Symbol)
      fail(d, "a template instruction is (MNEMONIC ARG...)");
    TemplateInsn out;
    out.pos = d.pos;
    const std::string& name = d.items[0].text;
    if (auto op = core::opFromName(name)) {
      out.op = *op;
      std::string_view letters = core::info(*op).operands;
      if (d.items.size() - 1 != letters.size())
        fail(d, fmt::format("{} takes {} operand{}, given {}", name, letters.size(), letters.size() == 1 ? "" : "s",
                            d.items.size() - 1));
      for (size_t i = 0; i < letters.size(); ++i) out.args.push_back(arg(d.items[i + 1], letters[i], opcode, within));
      return out;
    }
    auto it = v_.derived.find(name);
    if (it == v_.derived.end())
      fail(d.items[0], fmt::format("{} is neither a VP instruction nor a derived instruction defined above", name));
    out.derived = it->second.get();
    if (d.items.size() - 1 != out.derived->params.size())
      fail(d, fmt::format("{} takes {} argument{}, given {}", name, out.derived->params.size(),
                          out.derived->params.size() == 1 ? "" : "s", d.items.size() - 1));
    for (size_t i = 1; i < d.items.size(); ++i) {
      TemplateArg a = arg(d.items[i], '*', opcode, within);
      char need = out.derived->paramNeeds[i - 1];
      if (need != '*' && a.kind != TemplateArg::Kind::Param) checkArg(d.items[i], a, need);
      out.args.push_back(std::move(a));
    }
    return out;
  }

  /// An argument for an operand of kind `letter` ('*': a derived instruction's argument, any).
  TemplateArg arg(const Datum& d, char letter, const OpcodeDef* opcode, const Derived* within) {
    TemplateArg a;
    auto operandRef = [&](const Datum& x) -> std::optional<uint32_t> {
      if (x.kind != Datum::Kind::Symbol || !x.text.starts_with("$")) return std::nullopt;
      if (!opcode) fail(x, "operands ($k) exist only in def-opcode templates: pass them to derived instructions");
      uint32_t k = 0;
      for (size_t i = 1; i < x.text.size(); ++i) {
        if (x.text[i] < '0' || x.text[i] > '9' || k > 1000) fail(x, "an operand is $0, $1, ...");
        k = k * 10 + static_cast<uint32_t>(x.text[i] - '0');
      }
      if (x.text.size() == 1) fail(x, "an operand is $0, $1, ...");
      if (k >= opcode->operands.size())
        fail(x, fmt::format("{} has {} operand{}: there is no {}", opcode->name, opcode->operands.size(),
                            opcode->operands.size() == 1 ? "" : "s", x.text));
      return k;
    };
    auto paramRef = [&](const Datum& x) -> std::optional<uint32_t> {
      if (!within || x.kind != Datum::Kind::Symbol) return std::nullopt;
      for (size_t i = 0; i < within->params.size(); ++i)
        if (within->params[i] == x.text) return static_cast<uint32_t>(i);
      return std::nullopt;
    };
    if (auto k = operandRef(d)) {
      a.kind = TemplateArg::Kind::Operand;
      a.index = *k;
    } else if (auto p = paramRef(d)) {
      a.kind = TemplateArg::Kind::Param;
      a.index = *p;
    } else if (d.isList() && d.items.size() == 2 && d.items[0].isSymbol("primitive")) {
      if (d.items[1].kind != Datum::Kind::Symbol || !v_.primitives.count(d.items[1].text))
        fail(d, "(primitive NAME) names a def-primitive above it");
      a.kind = TemplateArg::Kind::Primitive;
      a.text = d.items[1].text;
    } else if (d.isList() && d.items.size() == 2 && (d.items[0].isSymbol("target") || d.items[0].isSymbol("method"))) {
      auto k = operandRef(d.items[1]);
      if (!k) fail(d, fmt::format("({} $k) names an operand", d.items[0].text));
      a.kind = d.items[0].isSymbol("target") ? TemplateArg::Kind::Target : TemplateArg::Kind::Method;
      a.index = *k;
    } else if (d.kind == Datum::Kind::Integer) {
      a.kind = TemplateArg::Kind::Integer;
      a.integer = d.integer;
    } else if (d.kind == Datum::Kind::Real) {
      a.kind = TemplateArg::Kind::Real;
      a.real = d.real;
    } else if (d.kind == Datum::Kind::String) {
      a.kind = TemplateArg::Kind::String;
      a.text = d.text;
    } else if (d.kind == Datum::Kind::Symbol) {
      a.kind = TemplateArg::Kind::Symbol;
      a.text = d.text;
    } else {
      fail(d, "a template argument is a literal, $k, a parameter, (target $k) or (method $k)");
    }
    if (letter != '*') checkArg(d, a, letter);
    return a;
  }

  /// Checks what can be checked before translation: that the argument can fill the operand.
  void checkArg(const Datum& d, const TemplateArg& a, char letter) {
    using K = TemplateArg::Kind;
    bool fromBytecode = a.kind == K::Operand || a.kind == K::Param;
    switch (letter) {
    case 'i':
    case 'l':
    case 'L':
      if (!fromBytecode && a.kind != K::Integer) fail(d, "expected an integer, $k or a parameter");
      if (a.kind == K::Integer && letter == 'i' && (a.integer < INT32_MIN || a.integer > INT32_MAX))
        fail(d, "the integer does not fit in 32 bits");
      if (a.kind == K::Integer && letter == 'L' && (a.integer < 0 || a.integer > 65535)) fail(d, "a local is 0..65535");
      return;
    case 'f':
    case 'd':
      if (!fromBytecode && a.kind != K::Real && a.kind != K::Integer) fail(d, "expected a number");
      return;
    case 'B':
      if (a.kind != K::Target && a.kind != K::Param) fail(d, "a branch needs (target $k)");
      return;
    case 'M':
      if (a.kind != K::Method && a.kind != K::Primitive && a.kind != K::Param)
        fail(d, "a call needs (method $k) or (primitive NAME)");
      return;
    case 's':
      if (a.kind != K::String && a.kind != K::Param) fail(d, "expected a string literal");
      return;
    case 'P': {
      if (a.kind != K::String) fail(d, "callprim needs a primitive's name as a string");
      if (!rt_.primitives().find(a.text) || a.text.starts_with("console/"))
        fail(d, fmt::format("no primitive {} (vvm run --list-primitives lists them)", a.text));
      auto capability = vos::basePrimitiveCapability(a.text);
      if (capability && !capability->empty()) {
        bool asked = false;
        for (const std::string& c : v_.manifest.capabilities) asked = asked || c == *capability;
        if (!asked)
          fail(d, fmt::format("primitive {} needs the capability {}, which the manifest does not ask for", a.text,
                              *capability));
      }
      return;
    }
    case 'E':
      if (a.kind != K::Symbol || !core::elemFromName(a.text))
        fail(d, "expected an element kind (i8 i16 u16 i32 i64 f32 f64 ref)");
      return;
    default:
      fail(d, fmt::format("operands of kind '{}' (shapes, fields, statics, switch tables) cannot appear in templates",
                          letter));
    }
  }

  Vmlet& v_;
  core::Runtime& rt_;
  bool sawByteOrder_ = false;
  size_t derivedCount_ = 0;
};

// ---- instantiating templates (translation and template verification share this)

/// What a template's arguments resolve to for one opcode occurrence.
struct Site {
  const uint8_t* code = nullptr; ///< bytecode of the method (null when verifying a template)
  uint32_t pc = 0;               ///< offset of the opcode
  std::vector<int64_t> operands; ///< decoded operand values
  /// Branch target label for a bytecode offset, or nullopt if it is not an instruction start.
  std::function<std::optional<core::Label>(int64_t offset)> target;
  /// The method for a method-table index, or null.
  std::function<core::Method*(int64_t index)> method;
  /// The VP method of a def-primitive, or null.
  std::function<core::Method*(std::string_view name)> primitive;
};

struct TemplateError {
  std::string message;
};

class Instantiator {
public:
  Instantiator(core::Builder& b, core::Module& module, core::Runtime& rt) : b_(b), module_(module), rt_(rt) {}

  /// Emits `body` for `site`; `params` are the values of a derived instruction's parameters.
  void emit(const std::vector<TemplateInsn>& body, const Site& site, const std::vector<TemplateArg>& params,
            int depth) {
    if (depth > kMaxTemplateDepth) throw TemplateError{"derived instructions nest too deeply"};
    for (const TemplateInsn& insn : body) {
      if (insn.derived) {
        std::vector<TemplateArg> resolved;
        for (const TemplateArg& a : insn.args)
          resolved.push_back(a.kind == TemplateArg::Kind::Param ? params.at(a.index) : a);
        emit(insn.derived->body, site, resolved, depth + 1);
        continue;
      }
      std::vector<TemplateArg> args;
      for (const TemplateArg& raw : insn.args)
        args.push_back(raw.kind == TemplateArg::Kind::Param ? params.at(raw.index) : raw);
      emitOne(*insn.op, args, site);
    }
  }

  /// Emits one VP instruction whose arguments are resolved (no parameters left).
  void emitOne(Op op, const std::vector<TemplateArg>& args, const Site& site) {
    std::string_view letters = core::info(op).operands;
    int64_t words[2] = {0, 0};
    std::optional<core::Label> label;
    for (size_t i = 0; i < letters.size(); ++i) words[i] = word(op, letters[i], args.at(i), site, label);
    if (core::hasFlag(op, core::Branch)) {
      b_.branch(op, *label);
    } else {
      b_.emit(op, words[0], words[1]);
    }
  }

private:
  static int64_t operand(const TemplateArg& a, const Site& site) {
    if (a.index >= site.operands.size()) throw TemplateError{fmt::format("there is no operand ${}", a.index)};
    return site.operands[a.index];
  }

  int64_t integer(const TemplateArg& a, const Site& site) {
    switch (a.kind) {
    case TemplateArg::Kind::Integer: return a.integer;
    case TemplateArg::Kind::Operand: return operand(a, site);
    default: throw TemplateError{"expected an integer argument"};
    }
  }

  int64_t word(Op op, char letter, const TemplateArg& a, const Site& site, std::optional<core::Label>& label) {
    auto name = core::info(op).name;
    switch (letter) {
    case 'i': {
      int64_t v = integer(a, site);
      if (v < INT32_MIN || v > INT32_MAX) throw TemplateError{fmt::format("{}: {} does not fit in 32 bits", name, v)};
      return v;
    }
    case 'l': return integer(a, site);
    case 'L': {
      int64_t v = integer(a, site);
      if (v < 0 || v > 65535) throw TemplateError{fmt::format("{}: local {} is out of range", name, v)};
      return v;
    }
    case 'f': {
      float f = a.kind == TemplateArg::Kind::Real ? static_cast<float>(a.real) : static_cast<float>(integer(a, site));
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      return bits;
    }
    case 'd': {
      double f = a.kind == TemplateArg::Kind::Real ? a.real : static_cast<double>(integer(a, site));
      int64_t bits;
      std::memcpy(&bits, &f, 8);
      return bits;
    }
    case 'B': {
      if (a.kind != TemplateArg::Kind::Target) throw TemplateError{fmt::format("{}: a branch needs (target $k)", name)};
      int64_t offset = static_cast<int64_t>(site.pc) + operand(a, site);
      label = site.target(offset);
      if (!label)
        throw TemplateError{fmt::format("{}: the branch target {} (at {:+d}) is not the start of an instruction", name,
                                        offset, operand(a, site))};
      return 0;
    }
    case 'M': {
      if (a.kind == TemplateArg::Kind::Primitive) {
        core::Method* p = site.primitive ? site.primitive(a.text) : nullptr;
        if (!p) throw TemplateError{fmt::format("{}: no primitive {}", name, a.text)};
        return reinterpret_cast<int64_t>(p);
      }
      if (a.kind != TemplateArg::Kind::Method) throw TemplateError{fmt::format("{}: a call needs (method $k)", name)};
      int64_t index = operand(a, site);
      core::Method* m = site.method(index);
      if (!m) throw TemplateError{fmt::format("{}: there is no method {} in the method table", name, index)};
      return reinterpret_cast<int64_t>(m);
    }
    case 's': {
      if (a.kind != TemplateArg::Kind::String) throw TemplateError{fmt::format("{}: expected a string", name)};
      Object* s = module_.internString(a.text);
      if (!s) throw TemplateError{"out of memory"};
      return reinterpret_cast<int64_t>(s);
    }
    case 'P': {
      const core::Primitive* p = a.kind == TemplateArg::Kind::String ? rt_.primitives().find(a.text) : nullptr;
      if (!p) throw TemplateError{fmt::format("{}: expected a primitive's name", name)};
      return reinterpret_cast<int64_t>(p);
    }
    case 'E': {
      auto e = a.kind == TemplateArg::Kind::Symbol ? core::elemFromName(a.text) : std::nullopt;
      if (!e) throw TemplateError{fmt::format("{}: expected an element kind", name)};
      return static_cast<int64_t>(*e);
    }
    default: throw TemplateError{fmt::format("{}: this operand kind cannot come from a template", name)};
    }
  }

  core::Builder& b_;
  core::Module& module_;
  core::Runtime& rt_;
};

// ---- verifying templates with the VP verifier

/// Works out what values a template takes from the stack (by simulating the instruction table's
/// stack effects from an empty stack), so that it can be verified inside a method that provides
/// them and drops what the template leaves.
class TemplateChecker {
public:
  TemplateChecker(core::Runtime& rt, core::Module& scratch, std::function<core::Method*(std::string_view)> primitive)
      : rt_(rt), scratch_(scratch), primitive_(std::move(primitive)) {}

  /// Verifies one opcode's template; throws LoadError on failure.
  void check(const OpcodeDef& op, const std::vector<TemplateInsn>& body, SourcePos pos, const std::string& file,
             const std::string& what) {
    // Flatten derived instructions, recording (op, argument) per instruction.
    std::vector<Flat> flat;
    flatten(body, {}, flat, 0, pos);
    // Simulate: inputs are what the template pops from below its own pushes.
    std::vector<core::Kind> inputs; // bottom first
    std::vector<core::Kind> stack;
    std::vector<core::Kind> locals;
    core::Kind ret = core::Kind::Void;
    for (size_t n = 0; n < flat.size(); ++n) {
      const Flat& f = flat[n];
      const core::OpInfo& info = core::info(f.op);
      std::string pops, pushes;
      if (info.effect == "*") {
        // A primitive's stack effect is its signature. A call of the program's method $k has
        // a signature only the program knows: what comes before it is verified here, the
        // rest when an application's code is translated.
        const core::Signature* sig = nullptr;
        if (f.op == Op::CallPrim && f.args.at(0).kind == TemplateArg::Kind::String) {
          if (const core::Primitive* p = rt_.primitives().find(f.args[0].text)) sig = &p->sig;
        } else if ((f.op == Op::Call || f.op == Op::TailCall) && f.args.at(0).kind == TemplateArg::Kind::Primitive) {
          if (core::Method* m = primitive_ ? primitive_(f.args[0].text) : nullptr) sig = &m->sig;
        }
        if (!sig) {
          flat.resize(n);
          break;
        }
        for (core::Kind k : sig->params) pops += core::kindLetter(k);
        if (sig->ret != core::Kind::Void) pushes += core::kindLetter(sig->ret);
      } else {
        auto sep = info.effect.find('>');
        pops = info.effect.substr(0, sep);
        pushes = info.effect.substr(sep + 1);
      }
      std::map<char, core::Kind> vars;
      for (size_t i = pops.size(); i-- > 0;) {
        char c = pops[i];
        core::Kind k;
        if (!stack.empty()) {
          k = stack.back();
          stack.pop_back();
        } else {
          k = c >= 'A' && c <= 'D' ? core::Kind::I32 : *core::kindFromLetter(c);
          if (c >= 'A' && c <= 'D' && vars.count(c)) k = vars[c];
          inputs.insert(inputs.begin(), k);
        }
        if (c >= 'A' && c <= 'D') vars[c] = k;
      }
      for (char c : pushes) stack.push_back(c >= 'A' && c <= 'D' ? vars[c] : *core::kindFromLetter(c));
      if (core::hasFlag(f.op, core::Returns)) ret = core::suffixKind(f.op);
    }
    core::Method* m = scratch_.addMethod(fmt::format("template {}#{}", what, scratch_.methods().size()));
    m->sig.ret = ret;
    m->locals = {};
    core::Builder b(*m);
    // Locals: every index a template names, declared with the kind its instruction moves.
    std::map<int64_t, core::Kind> localKinds;
    for (const Flat& f : flat) {
      std::string_view letters = core::info(f.op).operands;
      for (size_t i = 0; i < letters.size(); ++i)
        if (letters[i] == 'L') localKinds[sampleInteger(f.args[i])] = core::suffixKind(f.op);
    }
    int64_t maxLocal = localKinds.empty() ? -1 : localKinds.rbegin()->first;
    if (maxLocal > 4096)
      throw LoadError{pos, fmt::format("{}: local {} is beyond what a method may have", what, maxLocal)};
    for (int64_t i = 0; i <= maxLocal; ++i) b.addLocal(localKinds.count(i) ? localKinds[i] : core::Kind::I32);
    for (int64_t i = 0; i <= maxLocal; ++i) { // the verifier wants locals stored before they are loaded
      core::Kind k = localKinds.count(i) ? localKinds[i] : core::Kind::I32;
      pushZero(b, k);
      b.emit(core::typedOp("store", k), i);
    }
    for (core::Kind k : inputs) pushZero(b, k);
    core::Label end = b.newLabel();
    Site site;
    site.operands.assign(op.operands.size(), 0);
    site.target = [&](int64_t) { return std::optional<core::Label>(end); };
    site.method = [](int64_t) -> core::Method* { return nullptr; };
    site.primitive = primitive_;
    Instantiator inst(b, scratch_, rt_);
    try {
      for (const Flat& f : flat) inst.emitOne(f.op, f.args, site);
    } catch (const TemplateError& e) { throw LoadError{pos, fmt::format("{}: {}", what, e.message)}; }
    b.bind(end);
    for (size_t i = 0; i < stack.size(); ++i) b.emit(Op::Pop);
    switch (ret) {
    case core::Kind::Void: b.emit(Op::Ret); break;
    default:
      pushZero(b, ret);
      b.emit(core::typedOp("ret", ret));
      break;
    }
    std::string error;
    if (!b.finish(error)) throw LoadError{pos, what + ": " + error};
    Diagnostics diags;
    if (!core::verify(*m, diags, file)) {
      std::string msg = diags.all().empty() ? "does not verify" : diags.all()[0].message;
      throw LoadError{pos, fmt::format("{} does not verify: {}", what, msg)};
    }
  }

private:
  struct Flat {
    Op op;
    std::vector<TemplateArg> args;
  };

  void flatten(const std::vector<TemplateInsn>& body, const std::vector<TemplateArg>& params, std::vector<Flat>& out,
               int depth, SourcePos pos) {
    if (depth > kMaxTemplateDepth) throw LoadError{pos, "derived instructions nest too deeply"};
    for (const TemplateInsn& insn : body) {
      std::vector<TemplateArg> args;
      for (const TemplateArg& a : insn.args)
        args.push_back(a.kind == TemplateArg::Kind::Param ? params.at(a.index) : a);
      if (insn.derived) {
        flatten(insn.derived->body, args, out, depth + 1, pos);
      } else {
        out.push_back({*insn.op, std::move(args)});
      }
    }
  }

  static int64_t sampleInteger(const TemplateArg& a) { return a.kind == TemplateArg::Kind::Integer ? a.integer : 0; }

  static void pushZero(core::Builder& b, core::Kind k) {
    switch (k) {
    case core::Kind::I32: b.constI32(0); break;
    case core::Kind::I64: b.constI64(0); break;
    case core::Kind::F32: b.constF32(0); break;
    case core::Kind::F64: b.constF64(0); break;
    default: b.emit(Op::ConstNull); break;
    }
  }
  core::Runtime& rt_;
  core::Module& scratch_;
  std::function<core::Method*(std::string_view)> primitive_;
};

// ---- the builtins a VMlet's console code uses to make VP code

struct LoadContext {
  Vmlet* vmlet;
  core::Module* app;
  core::Shape* methodShape; ///< VpMethod {method: i64}: a handle on a VP method
};

LoadContext* context(console::Values& v) { return static_cast<LoadContext*>(v.vmletContext); }

std::optional<core::Kind> kindArg(const Object* o) {
  if (!o || o->shape->name != "Symbol") return std::nullopt;
  return core::kindFromName(console::Values::symbolName(o));
}

bool kindList(core::Thread& t, console::Values& v, std::string_view who, Object* list, std::vector<core::Kind>& out) {
  for (Object* p = list; p != v.nil; p = console::Values::cdr(p)) {
    if (!v.isPair(p)) return v.typeError(t, who, "a list of kinds (i32 i64 f32 f64 ref)", list);
    auto k = kindArg(console::Values::car(p));
    if (!k || *k == core::Kind::Void)
      return v.typeError(t, who, "a kind (i32 i64 f32 f64 ref)", console::Values::car(p));
    out.push_back(*k);
  }
  return true;
}

core::Method* handleMethod(LoadContext* c, Object* o) {
  if (!o || o->shape != c->methodShape) return nullptr;
  return reinterpret_cast<core::Method*>(core::slotsOf(o)[0].i64);
}

bool vpDeclare(core::Thread& t, core::Value* args) {
  console::Values& v = console::Values::of(t);
  LoadContext* c = context(v);
  if (!c) return v.raise(t, "vp-declare: no application is being loaded");
  Object* name = args[0].ref;
  std::string text;
  if (v.isString(name))
    text = console::Values::stringBytes(name);
  else if (v.isSymbol(name))
    text = console::Values::symbolName(name);
  else
    return v.typeError(t, "vp-declare", "a name (string or symbol)", name);
  if (text.empty() || text.size() > 1024) return v.raise(t, "vp-declare: a method name is 1 to 1024 bytes");
  std::vector<core::Kind> params;
  if (!kindList(t, v, "vp-declare", args[1].ref, params)) return false;
  auto ret = kindArg(args[2].ref);
  if (!ret) return v.typeError(t, "vp-declare", "a result kind (void i32 i64 f32 f64 ref)", args[2].ref);
  if (params.size() > 255) return v.raise(t, "vp-declare: at most 255 parameters");
  if (c->app->methods().size() >= 65536) return v.raise(t, "vp-declare: too many methods");
  core::Method* m = c->app->addMethod(text);
  if (!m) return v.raise(t, fmt::format("vp-declare: method {} is declared twice", text));
  m->sig.params = params;
  m->sig.ret = *ret;
  m->locals = params;
  Object* h = v.rt.newObject(c->methodShape);
  if (!h) return v.outOfMemory(t);
  core::slotsOf(h)[0].i64 = reinterpret_cast<int64_t>(m);
  args[0].ref = h;
  return true;
}

bool vpTranslate(core::Thread& t, core::Value* args) {
  console::Values& v = console::Values::of(t);
  LoadContext* c = context(v);
  if (!c) return v.raise(t, "vp-translate!: no application is being loaded");
  core::Method* m = handleMethod(c, args[0].ref);
  if (!m) return v.typeError(t, "vp-translate!", "a method from vp-declare", args[0].ref);
  if (m->verified || !m->code.empty())
    return v.raise(t, fmt::format("vp-translate!: method {} is translated twice", m->name));
  std::vector<core::Kind> locals;
  if (!kindList(t, v, "vp-translate!", args[1].ref, locals)) return false;
  if (!v.isBytevector(args[2].ref)) return v.typeError(t, "vp-translate!", "a byte vector of code", args[2].ref);
  std::string bytes(*core::bytesOf(args[2].ref)); // a copy: the collector may not move it, but keep it simple
  std::vector<core::Method*> table;
  Object* methods = args[3].ref;
  if (v.isVector(methods)) {
    auto* a = static_cast<core::Array*>(methods);
    for (int64_t i = 0; i < a->length; ++i) {
      core::Method* callee = handleMethod(c, a->data<Object*>()[i]);
      if (!callee) return v.typeError(t, "vp-translate!", "a vector of methods from vp-declare", a->data<Object*>()[i]);
      table.push_back(callee);
    }
  } else if (methods != v.nil) {
    return v.typeError(t, "vp-translate!", "a vector of methods", methods);
  }
  if (m->locals.size() + locals.size() > core::kMaxLocals) return v.raise(t, "vp-translate!: too many locals");
  for (core::Kind k : locals) m->locals.push_back(k);

  const Vmlet& vm = *c->vmlet;
  const auto* code = reinterpret_cast<const uint8_t*>(bytes.data());
  auto size = static_cast<uint32_t>(bytes.size());
  if (bytes.size() > (64u << 20)) return v.raise(t, fmt::format("{}: the code is too large", m->name));
  // Pass 1: instruction boundaries.
  std::vector<int32_t> labelAt(size + 1, -1);
  std::vector<uint32_t> starts;
  for (uint32_t pc = 0; pc < size;) {
    const OpcodeDef& op = vm.opcodes[code[pc]];
    if (!op.defined) return v.raise(t, fmt::format("{}: byte {}: undefined opcode {:#04x}", m->name, pc, code[pc]));
    uint32_t len = op.length();
    if (size - pc < len)
      return v.raise(t, fmt::format("{}: byte {}: {} needs {} bytes, the code ends after {}", m->name, pc, op.name, len,
                                    size - pc));
    starts.push_back(pc);
    labelAt[pc] = 0;
    pc += len;
  }
  core::Builder b(*m);
  std::vector<core::Label> labels(size + 1);
  for (uint32_t pc : starts) labels[pc] = b.newLabel();
  Instantiator inst(b, *c->app, v.rt);
  Site site;
  site.code = code;
  site.target = [&](int64_t offset) -> std::optional<core::Label> {
    if (offset < 0 || offset >= static_cast<int64_t>(size) || labelAt[static_cast<size_t>(offset)] < 0)
      return std::nullopt;
    return labels[static_cast<size_t>(offset)];
  };
  site.method = [&](int64_t index) -> core::Method* {
    return index >= 0 && index < static_cast<int64_t>(table.size()) ? table[static_cast<size_t>(index)] : nullptr;
  };
  site.primitive = [&](std::string_view name) -> core::Method* {
    auto it = vm.primitives.find(name);
    return it == vm.primitives.end() ? nullptr : it->second.method;
  };
  // Pass 2: each opcode's template, at its offset (the offset is the line walkbacks show).
  for (uint32_t pc : starts) {
    const OpcodeDef& op = vm.opcodes[code[pc]];
    b.bind(labels[pc]);
    b.setPosition(pc, 0);
    site.pc = pc;
    site.operands.clear();
    uint32_t at = pc + 1;
    for (Encoding e : op.operands) {
      site.operands.push_back(decode(e, code + at, vm.bigEndian));
      at += encodingBytes(e);
    }
    if (m->code.size() > core::kMaxInsns) {
      m->code.clear();
      return v.raise(
          t, fmt::format("{}: byte {}: the method's code grows past {} VP instructions", m->name, pc, core::kMaxInsns));
    }
    try {
      inst.emit(op.body, site, {}, 0);
    } catch (const TemplateError& e) {
      m->code.clear();
      return v.raise(t, fmt::format("{}: byte {}: {}: {}", m->name, pc, op.name, e.message));
    }
  }
  std::string error;
  if (!b.finish(error)) return v.raise(t, fmt::format("{}: {}", m->name, error));
  Diagnostics diags;
  if (!core::verify(*m, diags, c->app->name())) {
    std::string msg = diags.all().empty() ? "does not verify" : diags.all()[0].message;
    uint32_t line = diags.all().empty() ? 0 : diags.all()[0].line;
    m->code.clear();
    return v.raise(t, fmt::format("{}: byte {}: the code does not verify: {}", m->name, line, msg));
  }
  core::prepare(*m);
  args[0].ref = v.unspecified;
  return true;
}

bool vpMethodName(core::Thread& t, core::Value* args) {
  console::Values& v = console::Values::of(t);
  LoadContext* c = context(v);
  core::Method* m = c ? handleMethod(c, args[0].ref) : nullptr;
  if (!m) return v.typeError(t, "vp-method-name", "a method from vp-declare", args[0].ref);
  Object* s = v.makeString(m->name);
  if (!s) return v.outOfMemory(t);
  args[0].ref = s;
  return true;
}

constexpr console::Builtin kVmletBuiltins[] = {
    {"vp-declare", vpDeclare, 3, 3, "",
     "(vp-declare NAME (PARAM-KIND...) RESULT-KIND): a new VP method of the application, to translate later"},
    {"vp-translate!", vpTranslate, 4, 4, "",
     "(vp-translate! METHOD (LOCAL-KIND...) CODE METHODS): CODE's bytecode through the opcode table, verified"},
    {"vp-method-name", vpMethodName, 1, 1, "", "the name of a method from vp-declare"},
};

/// The builtins a VMlet may name: the pure ones, output and the clock if its manifest asks.
std::set<std::string, std::less<>> sandboxAllowed(const Manifest& m) {
  std::set<std::string, std::less<>> allowed;
  for (const console::Builtin& b : console::allBuiltins()) {
    if (b.name.starts_with("%")) continue;
    bool ok = b.capability.empty();
    for (const std::string& c : m.capabilities) ok = ok || c == b.capability;
    if (ok) allowed.emplace(b.name);
  }
  return allowed;
}

/// A definition's value must not run code when the VMlet loads: a lambda, or a constant.
bool isInertValue(const Datum& d) {
  switch (d.kind) {
  case Datum::Kind::Symbol: return false;
  case Datum::Kind::List:
    if (d.items.empty()) return false;
    return d.isList() && (d.items[0].isSymbol("lambda") || d.items[0].isSymbol("quote"));
  default: return true;
  }
}

/// An exception that left the application's main method: what it is, and where it went, in the
/// application's methods (at bytecode offsets) and any console code of the VMlet.
std::string describeUncaught(core::Thread& thread, console::Values& values, const core::Module& app,
                             const std::string& appFile) {
  Object* exc = thread.pending;
  thread.pending = nullptr;
  std::string what;
  if (exc && values.isError(exc)) {
    Object* msg = core::slotsOf(exc)[0].ref;
    std::string text = msg && values.isString(msg) ? std::string(console::Values::stringBytes(msg)) : "";
    what = exc->shape == values.errorShape ? text : exc->shape->name + (text.empty() ? "" : ": " + text);
  } else {
    what = "raised " + (exc ? values.describe(exc) : std::string("#<null>"));
  }
  std::string out = fmt::format("vvm: {}: uncaught error: {}\n", appFile, what);
  if (const core::Trace* trace = exc ? thread.traceOf(exc) : nullptr)
    out += core::formatWalkback(*trace, [&](const core::TraceEntry& e) -> std::optional<core::WalkbackFrame> {
      if (e.method->module == &app)
        return core::WalkbackFrame{e.method->name, fmt::format("{}, byte {}", appFile, e.line)};
      if (std::string_view file = console::methodFile(e.method); !file.empty())
        return core::WalkbackFrame{e.method->name, fmt::format("{}:{}", file, e.line)};
      return std::nullopt; // the console's own helpers
    });
  return out;
}

/// The VP method of a def-primitive: box the typed arguments, call the console procedure (a
/// global of the VMlet), unbox the result.
core::Method* makePrimitiveMethod(console::Environment& env, const PrimitiveDef& p) {
  console::Values& v = env.values;
  core::Module& m = env.module();
  core::Method* method = m.addMethod(env.uniqueName("primitive:" + p.name));
  method->sig.params = p.params;
  method->sig.ret = p.result;
  method->locals = p.params;
  method->line = p.pos.line;
  auto prim = [&](const std::string& name) {
    const core::Primitive* found = v.rt.primitives().find("console/" + name);
    VVM_ASSERT(found);
    return reinterpret_cast<int64_t>(found);
  };
  core::Builder b(*method);
  b.setPosition(p.pos.line, static_cast<uint16_t>(std::min<uint32_t>(p.pos.col, 0xffff)));
  b.emit(Op::GetStaticRef, reinterpret_cast<int64_t>(env.global(p.procedure)->cell));
  for (size_t i = 0; i < p.params.size(); ++i) {
    core::Kind k = p.params[i];
    b.emit(core::typedOp("load", k), static_cast<int64_t>(i));
    if (k != core::Kind::Ref) b.emit(Op::CallPrim, prim(fmt::format("%box.{}", core::kindName(k))));
  }
  b.emit(Op::CallVirt, reinterpret_cast<int64_t>(v.procedureShape),
         console::Values::callSlot(static_cast<uint32_t>(p.params.size())));
  switch (p.result) {
  case core::Kind::Void: b.emit(Op::Pop).emit(Op::Ret); break;
  case core::Kind::Ref: b.emit(Op::RetRef); break;
  default: {
    Object* who = m.internString(p.name);
    VVM_ASSERT(who);
    b.emit(Op::ConstStr, reinterpret_cast<int64_t>(who));
    b.emit(Op::CallPrim, prim(fmt::format("%unbox.{}", core::kindName(p.result))));
    b.emit(core::typedOp("ret", p.result));
  }
  }
  std::string error;
  VVM_ASSERT(b.finish(error));
  Diagnostics diags;
  VVM_ASSERT(core::verify(*method, diags, env.name()));
  core::prepare(*method);
  return method;
}

/// Runs the VMlet's rules on the application's bytes: "" when every one accepts them, else why
/// the first that refuses does.
std::string applyRules(Vmlet& vm, core::Thread& thread, Object* bytes, console::Evaluator& ev) {
  console::Values& v = console::Values::of(thread);
  for (const RuleDef& r : vm.rules) {
    Object* verdict = nullptr;
    if (!v.apply(thread, vm.env->globalValue(r.procedure), std::span<Object* const>(&bytes, 1), verdict))
      return fmt::format("rule {} raised an error: {}", r.name, ev.takeError(true));
    if (verdict == v.trueObj) continue;
    if (verdict && v.isString(verdict))
      return fmt::format("rule {}: {}", r.name, console::Values::stringBytes(verdict));
    return fmt::format("rule {} returned {} (a rule returns #t, or a string saying what is wrong)", r.name,
                       v.describe(verdict));
  }
  return {};
}

} // namespace

uint32_t OpcodeDef::length() const {
  uint32_t n = 1;
  for (Encoding e : operands) n += encodingBytes(e);
  return n;
}

Vmlet::~Vmlet() = default;

Object* Vmlet::entry() const { return env && !entryName.empty() ? env->globalValue(entryName) : nullptr; }

std::unique_ptr<Vmlet> loadVmlet(const std::string& path, std::string_view text, core::Thread& thread,
                                 Diagnostics& diags) {
  auto vm = std::make_unique<Vmlet>();
  vm->path = path;
  if (!readManifest(text, path, vm->manifest, diags)) return nullptr;
  std::vector<Datum> forms = console::readAll(text, path, diags);
  if (diags.hasErrors()) return nullptr;
  console::Values& values = console::installConsole(thread.rt);
  vm->env = std::make_unique<console::Environment>(values, "vmlet " + vm->manifest.name, sandboxAllowed(vm->manifest));
  vm->env->addBuiltins(kVmletBuiltins);
  BodyReader reader(*vm, thread.rt);
  core::Module scratch(thread.rt, "templates of " + path);
  auto primitiveLookup = [vmlet = vm.get()](std::string_view name) -> core::Method* {
    auto it = vmlet->primitives.find(name);
    return it == vmlet->primitives.end() ? nullptr : it->second.method;
  };
  TemplateChecker checker(thread.rt, scratch, primitiveLookup);
  try {
    for (size_t i = 1; i < forms.size(); ++i) reader.form(forms[i]);
    for (auto& [name, p] : vm->primitives) p.method = makePrimitiveMethod(*vm->env, p);
    for (auto& [name, def] : vm->derived) {
      // A derived instruction alone: each parameter is an operand of a sample opcode.
      OpcodeDef sample;
      sample.name = name;
      sample.operands.assign(def->params.size(), Encoding::S32);
      std::vector<TemplateInsn> use(1);
      use[0].pos = def->pos;
      use[0].derived = def.get();
      for (size_t p = 0; p < def->params.size(); ++p) {
        TemplateArg a;
        a.index = static_cast<uint32_t>(p);
        switch (needClass(def->paramNeeds[p])) {
        case 'B': a.kind = TemplateArg::Kind::Target; break;
        case 'M': a.kind = TemplateArg::Kind::Method; break;
        case 'E': a.kind = TemplateArg::Kind::Symbol, a.text = "i32"; break;
        case 's': a.kind = TemplateArg::Kind::String; break;
        case 'f': a.kind = TemplateArg::Kind::Real; break;
        default: a.kind = TemplateArg::Kind::Operand; break; // integers; a primitive's name stops the check
        }
        use[0].args.push_back(a);
      }
      checker.check(sample, use, def->pos, path, "derived instruction " + name);
    }
    for (size_t code = 0; code < vm->opcodes.size(); ++code) {
      const OpcodeDef& op = vm->opcodes[code];
      if (op.defined) checker.check(op, op.body, op.pos, path, fmt::format("opcode {:#04x} {}", code, op.name));
    }
  } catch (const LoadError& e) {
    diags.error(path, e.pos.line, e.pos.col, e.message);
    return nullptr;
  }
  // The console definitions, compiled in the sandbox: only procedures and constants.
  console::Evaluator ev(*vm->env, thread);
  for (size_t i = 1; i < forms.size(); ++i) {
    const Datum& f = forms[i];
    if (!f.isList() || f.items.empty() || !(f.items[0].isSymbol("define") || f.items[0].isSymbol("define-record-type")))
      continue;
    if (f.items[0].isSymbol("define") && f.items.size() >= 2 && f.items[1].kind == Datum::Kind::Symbol &&
        (f.items.size() != 3 || !isInertValue(f.items[2]))) {
      diags.error(path, f.pos.line, f.pos.col,
                  "a VMlet's top-level definitions are procedures or constants (nothing runs when it loads)");
      return nullptr;
    }
    console::Outcome o = ev.evalDatum(f, path, diags);
    if (o == console::Outcome::CompileError) return nullptr;
    if (o != console::Outcome::Ok) {
      diags.error(path, f.pos.line, f.pos.col, "defining this raised: " + ev.takeError(true));
      return nullptr;
    }
    ++vm->definitions;
  }
  // Primitives and rules name procedures of the VMlet, with the right number of parameters.
  auto procedureOf = [&](const std::string& name, SourcePos pos, size_t params, const std::string& what) {
    Object* proc = vm->env->globalValue(name);
    const console::ProcInfo* info = proc && values.isProcedure(proc) ? values.procInfo(proc->shape) : nullptr;
    if (!info) {
      diags.error(path, pos.line, pos.col, fmt::format("{}: {} is not a procedure defined in this VMlet", what, name));
    } else if (info->required > params || (!info->rest && info->required != params)) {
      diags.error(path, pos.line, pos.col,
                  fmt::format("{}: {} takes {}{} argument{}, but is given {}", what, name,
                              info->rest ? "at least " : "", info->required, info->required == 1 ? "" : "s", params));
    }
  };
  for (const auto& [name, p] : vm->primitives) procedureOf(p.procedure, p.pos, p.params.size(), "primitive " + name);
  for (const RuleDef& r : vm->rules) procedureOf(r.procedure, r.pos, 1, "rule " + r.name);
  // Every global the body names must be defined in it (or be a builtin its sandbox has): a name
  // from elsewhere (the console's own builtins, another VMlet) is refused now, not when an
  // application happens to reach it.
  for (const auto& [name, use] : vm->env->uses()) {
    if (vm->env->globalValue(name) || vm->env->visibleBuiltin(name)) continue;
    diags.error(use.first, use.second.line, use.second.col,
                fmt::format("{} is not defined in this VMlet, and its sandbox has no builtin of that name", name));
  }
  if (diags.hasErrors()) return nullptr;
  if (vm->entryName.empty()) {
    diags.error(path, vm->manifest.pos.line, vm->manifest.pos.col, "the VMlet has no (entry PROCEDURE) form");
    return nullptr;
  }
  core::Object* entry = vm->entry();
  if (!entry || !values.isProcedure(entry)) {
    diags.error(path, vm->entryPos.line, vm->entryPos.col,
                fmt::format("entry {} is not a procedure defined in this VMlet", vm->entryName));
    return nullptr;
  }
  return vm;
}

AppRun runApplication(Vmlet& vm, const std::string& appFile, std::string_view bytes, core::Module& app,
                      core::Thread& thread, bool runMain, const std::function<void(const core::Module&)>& loaded) {
  AppRun out;
  console::Values& values = console::installConsole(thread.rt);
  core::Shape* handleShape = values.module().findShape("VpMethod");
  if (!handleShape) {
    handleShape = values.module().addShape("VpMethod");
    handleShape->fields.push_back({"method", core::Kind::I64});
    handleShape->finish();
  }
  LoadContext ctx{&vm, &app, handleShape};
  values.vmletContext = &ctx;
  core::Array* data = thread.rt.newArray(core::Elem::I8, static_cast<int64_t>(bytes.size()));
  Object* main = nullptr;
  bool ok = data != nullptr;
  console::Evaluator ev(*vm.env, thread);
  if (ok) {
    std::memcpy(data->data<char>(), bytes.data(), bytes.size());
    Object* arg = data;
    if (std::string refused = applyRules(vm, thread, arg, ev); !refused.empty()) {
      values.vmletContext = nullptr;
      out.stage = AppRun::Stage::LoadFailed;
      out.message = fmt::format("{}: {} refuses it: {}", appFile, vm.manifest.name, refused);
      return out;
    }
    ok = values.apply(thread, vm.entry(), std::span<Object* const>(&arg, 1), main);
  }
  values.vmletContext = nullptr;
  if (!ok) {
    out.stage = AppRun::Stage::LoadFailed;
    out.message = data ? fmt::format("{}: {} could not load it: {}", appFile, vm.manifest.name, ev.takeError(true))
                       : fmt::format("{}: out of memory", appFile);
    return out;
  }
  core::Method* m =
      main && main->shape == handleShape ? reinterpret_cast<core::Method*>(core::slotsOf(main)[0].i64) : nullptr;
  if (!m) {
    out.stage = AppRun::Stage::LoadFailed;
    out.message = fmt::format("{}: {}'s entry {} returned {}, not a method from vp-declare", appFile, vm.manifest.name,
                              vm.entryName, values.describe(main));
    return out;
  }
  if (!m->verified) {
    out.stage = AppRun::Stage::LoadFailed;
    out.message = fmt::format("{}: the main method {} was never translated", appFile, m->name);
    return out;
  }
  for (const auto& method : app.methods()) {
    if (!method->verified) {
      out.stage = AppRun::Stage::LoadFailed;
      out.message = fmt::format("{}: method {} was declared but never translated", appFile, method->name);
      return out;
    }
  }
  if (!m->sig.params.empty() || (m->sig.ret != core::Kind::Void && m->sig.ret != core::Kind::I32)) {
    out.stage = AppRun::Stage::LoadFailed;
    out.message =
        fmt::format("{}: the main method {} must take no parameters and return void or i32", appFile, m->name);
    return out;
  }
  if (loaded) loaded(app);
  if (!runMain) return out;
  core::Value result{};
  if (core::invoke(thread, m, nullptr, &result) != core::Status::Ok) {
    if (thread.exiting) {
      out.stage = AppRun::Stage::Exited;
      out.exitStatus = thread.exitStatus;
      return out;
    }
    out.stage = AppRun::Stage::Raised;
    out.message = describeUncaught(thread, values, app, appFile);
    return out;
  }
  out.exitStatus = m->sig.ret == core::Kind::I32 ? result.i32 : 0;
  return out;
}

} // namespace vvm::vmlets
