// Console values on the VP heap: shapes, singletons, construction, equality, printing, and the
// conversion between reader data and heap values.
#include "console/Values.h"

#include "console/Builtins.h"
#include "core/interp/Interpreter.h"
#include "core/ir/Builder.h"
#include "core/support/Assert.h"
#include "core/support/NumberText.h"
#include "core/support/Utf8.h"
#include "core/verify/Verifier.h"
#include "gc/Heap.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

namespace vvm::console {
namespace {

constexpr int64_t kSmallMin = -512;
constexpr int64_t kSmallMax = 1023;
constexpr size_t kWriteCap = 1u << 20; ///< bytes of one printed value before "..."
constexpr int kMaxDataDepth = 1000;    ///< nesting that write/equal?/toDatum follow

using core::Kind;

Shape* makeShape(core::Module& m, std::string name, Shape* parent, std::initializer_list<core::FieldInfo> fields) {
  Shape* s = m.addShape(std::move(name));
  VVM_ASSERT(s);
  s->parent = parent;
  if (parent) {
    s->fields = parent->fields;
    s->vtable = parent->vtable;
    s->vslotNames = parent->vslotNames;
  }
  for (const auto& f : fields) s->fields.push_back(f);
  s->finish();
  return s;
}

/// Finishes a method made in code: builder labels, verification, preparation for calls.
void finishMethod(core::Method& m, core::Builder& b) {
  std::string error;
  VVM_ASSERT(b.finish(error));
  Diagnostics diags;
  if (!core::verify(m, diags, "console")) {
    std::fputs(diags.format().c_str(), stderr);
    VVM_UNREACHABLE("a console runtime method does not verify");
  }
  core::prepare(m);
}

const char* charName(uint32_t c) {
  switch (c) {
  case ' ': return "space";
  case '\n': return "newline";
  case '\t': return "tab";
  case '\r': return "return";
  case 0: return "nul";
  case 7: return "alarm";
  case 8: return "backspace";
  case 0x7f: return "delete";
  case 0x1b: return "escape";
  default: return nullptr;
  }
}

struct Writer {
  const Values& v;
  bool display;
  std::string out;
  bool full() const { return out.size() >= kWriteCap; }

  void number(double d) {
    if (std::isnan(d))
      out += "+nan.0";
    else if (std::isinf(d))
      out += d < 0 ? "-inf.0" : "+inf.0";
    else
      out += floatText(d);
  }

  void string(std::string_view s) {
    if (display) {
      out += s;
      return;
    }
    out += '"';
    for (char c : s) {
      switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          out += fmt::format("\\x{:x};", static_cast<unsigned char>(c));
        else
          out += c;
      }
    }
    out += '"';
  }

  /// A symbol as the reader reads it back: between bars when its name would read as something
  /// else (empty, a number, or holding delimiters, whitespace, quotes or bars).
  void symbol(std::string_view name) {
    bool plain = !name.empty() && !display;
    for (char c : name)
      if (std::string_view(" \t\n\r()[]\";'`,|").find(c) != std::string_view::npos ||
          static_cast<unsigned char>(c) < 0x20)
        plain = false;
    if (plain && (name[0] == '#' || name == ".")) plain = false;
    if (plain) {
      Diagnostics d;
      auto back = readAll(name, "", d);
      plain = !d.hasErrors() && back.size() == 1 && back[0].kind == Datum::Kind::Symbol && back[0].text == name;
    }
    if (plain || display) {
      out += name;
      return;
    }
    out += '|';
    for (char c : name) {
      if (c == '|' || c == '\\') out += '\\';
      out += c;
    }
    out += '|';
  }

  void value(const Object* o, int depth) {
    if (full()) return;
    if (!o) {
      out += "#<null>";
      return;
    }
    if (depth > kMaxDataDepth) {
      out += "...";
      return;
    }
    const Shape* s = o->shape;
    if (s == v.intShape) {
      out += std::to_string(Values::intValue(o));
    } else if (s == v.floatShape) {
      number(Values::floatValue(o));
    } else if (o == v.trueObj) {
      out += "#t";
    } else if (o == v.falseObj) {
      out += "#f";
    } else if (o == v.nil) {
      out += "()";
    } else if (s == v.symbolShape) {
      symbol(Values::symbolName(o));
    } else if (v.isString(o)) {
      string(Values::stringBytes(o));
    } else if (s == v.charShape) {
      uint32_t c = Values::charValue(o);
      if (display) {
        utf8Append(out, c);
      } else if (const char* name = charName(c)) {
        out += "#\\";
        out += name;
      } else if (c < 0x20) {
        out += fmt::format("#\\x{:x}", c);
      } else {
        out += "#\\";
        utf8Append(out, c);
      }
    } else if (s == v.pairShape) {
      out += '(';
      value(Values::car(o), depth + 1);
      const Object* rest = Values::cdr(o);
      while (rest && rest->shape == v.pairShape && !full()) {
        out += ' ';
        value(Values::car(rest), depth + 1);
        rest = Values::cdr(rest);
      }
      if (rest != v.nil) {
        out += " . ";
        value(rest, depth + 1);
      }
      out += ')';
    } else if (v.isVector(o)) {
      auto* a = static_cast<const Array*>(o);
      out += "#(";
      for (int64_t i = 0; i < a->length && !full(); ++i) {
        if (i) out += ' ';
        value(const_cast<Array*>(a)->data<Object*>()[i], depth + 1);
      }
      out += ')';
    } else if (v.isBytevector(o)) {
      auto* a = static_cast<const Array*>(o);
      out += "#u8(";
      for (int64_t i = 0; i < a->length && !full(); ++i) {
        if (i) out += ' ';
        out += std::to_string(const_cast<Array*>(a)->data<uint8_t>()[i]);
      }
      out += ')';
    } else if (v.isProcedure(o)) {
      const ProcInfo* info = v.procInfo(s);
      out += "#<procedure " + (info ? info->name : s->name) + ">";
    } else if (v.isRecord(o)) {
      out += "#<" + s->name.substr(0, s->name.find('#'));
      for (size_t i = 0; i < s->fields.size() && !full(); ++i) {
        out += ' ' + s->fields[i].name + ": ";
        value(core::slotsOf(const_cast<Object*>(o))[i].ref, depth + 1);
      }
      out += '>';
    } else if (s == v.hashTableShape) {
      out += fmt::format("#<hash-table {}>", core::slotsOf(const_cast<Object*>(o))[1].i64);
    } else if (v.isError(o)) {
      Object* msg = core::slotsOf(const_cast<Object*>(o))[0].ref;
      if (s == v.errorShape) {
        out += "#<error ";
      } else {
        out += "#<" + s->name + " ";
      }
      bool was = display;
      display = false;
      if (msg && v.isString(msg))
        string(Values::stringBytes(msg));
      else
        out += "#f";
      if (s == v.errorShape) {
        for (const Object* i = core::slotsOf(const_cast<Object*>(o))[1].ref; i && i->shape == v.pairShape;
             i = Values::cdr(i)) {
          out += ' ';
          value(Values::car(i), depth + 1);
        }
      }
      display = was;
      out += '>';
    } else if (o == v.unspecified) {
      out += "#<unspecified>";
    } else if (o == v.eof) {
      out += "#<eof>";
    } else if (s == v.boxShape) {
      out += "#<box ";
      value(core::slotsOf(const_cast<Object*>(o))[0].ref, depth + 1);
      out += '>';
    } else {
      out += "#<" + core::Runtime::describeObject(const_cast<Object*>(o)) + ">";
    }
    if (full() && out.size() > kWriteCap) {
      out.resize(kWriteCap);
      out += "...";
    }
  }
};

} // namespace

Values::Values(core::Runtime& runtime) : rt(runtime), module_(runtime, "console") {
  auto& m = module_;
  intShape = makeShape(m, "Int", nullptr, {{"value", Kind::I64}});
  floatShape = makeShape(m, "Float", nullptr, {{"value", Kind::F64}});
  charShape = makeShape(m, "Char", nullptr, {{"code", Kind::I32}});
  booleanShape = makeShape(m, "Boolean", nullptr, {});
  nilShape = makeShape(m, "Nil", nullptr, {});
  unspecifiedShape = makeShape(m, "Unspecified", nullptr, {});
  eofShape = makeShape(m, "Eof", nullptr, {});
  pairShape = makeShape(m, "Pair", nullptr, {{"car", Kind::Ref}, {"cdr", Kind::Ref}});
  symbolShape = makeShape(m, "Symbol", nullptr, {{"name", Kind::Ref}});
  boxShape = makeShape(m, "Box", nullptr, {{"value", Kind::Ref}});
  recordShape = makeShape(m, "Record", nullptr, {});
  hashTableShape =
      makeShape(m, "HashTable", nullptr, {{"buckets", Kind::Ref}, {"count", Kind::I64}, {"kind", Kind::I64}});
  entryShape = makeShape(m, "Entry", nullptr, {{"key", Kind::Ref}, {"value", Kind::Ref}, {"next", Kind::Ref}});
  errorShape = makeShape(m, "ConsoleError", rt.errorShape(), {{"irritants", Kind::Ref}});

  // Procedure and its dispatch slots (see the header): call0..call6 pack their arguments and go
  // to callv; callv raises the arity error. Lambda shapes override what they accept.
  procedureShape = m.addShape("Procedure");
  procedureShape->finish();
  const core::Primitive* arityError = rt.primitives().find("console/%arity-error");
  auto makeSlotMethod = [&](uint32_t params, bool isCallv) {
    std::string name = isCallv ? "Procedure.callv" : fmt::format("Procedure.call{}", params);
    core::Method* method = m.addMethod(name);
    method->sig.params.assign(isCallv ? 2 : params + 1, Kind::Ref);
    method->sig.ret = Kind::Ref;
    method->locals = method->sig.params;
    core::Builder b(*method);
    if (isCallv) {
      b.emit(core::Op::LoadRef, 0).emit(core::Op::LoadRef, 1);
      b.emit(core::Op::CallPrim, reinterpret_cast<int64_t>(arityError)).emit(core::Op::RetRef);
    } else {
      b.emit(core::Op::LoadRef, 0).constI32(static_cast<int32_t>(params));
      b.emit(core::Op::NewArray, static_cast<int64_t>(core::Elem::Ref));
      for (uint32_t i = 0; i < params; ++i) {
        b.emit(core::Op::Dup).constI32(static_cast<int32_t>(i)).emit(core::Op::LoadRef, i + 1);
        b.emit(core::Op::AStoreRef);
      }
      b.emit(core::Op::TailCallVirt, reinterpret_cast<int64_t>(procedureShape), kCallvSlot);
    }
    procedureShape->vslotNames.push_back(isCallv ? "callv" : fmt::format("call{}", params));
    procedureShape->vtable.push_back(method);
    return std::pair{method, std::move(b)};
  };
  // The slots must all exist before the code that calls through callv is verified.
  std::vector<std::pair<core::Method*, core::Builder>> pending;
  for (uint32_t n = 0; n <= kMaxDirectArgs; ++n) pending.push_back(makeSlotMethod(n, false));
  pending.push_back(makeSlotMethod(0, true));
  for (auto& [method, builder] : pending) finishMethod(*method, builder);

  auto single = [&](Shape* shape, const char* cellName, const core::StaticInfo*& cell) {
    Object* o = rt.newObject(shape);
    VVM_ASSERT(o);
    cell = m.addStatic(cellName, Kind::Ref);
    cell->cell->ref = o;
    return o;
  };
  trueObj = single(booleanShape, "#t", trueCell);
  falseObj = single(booleanShape, "#f", falseCell);
  nil = single(nilShape, "()", nilCell);
  unspecified = single(unspecifiedShape, "#<unspecified>", unspecifiedCell);
  const core::StaticInfo* eofCell = nullptr;
  eof = single(eofShape, "#<eof>", eofCell);

  smallInts_ = static_cast<Object**>(gc::allocRoot((kSmallMax - kSmallMin + 1) * sizeof(Object*)));
  for (int64_t i = kSmallMin; i <= kSmallMax; ++i) {
    Object* o = rt.newObject(intShape);
    VVM_ASSERT(o);
    core::slotsOf(o)[0].i64 = i;
    smallInts_[i - kSmallMin] = o;
  }
}

Values::~Values() {
  gc::freeRoot(smallInts_);
  if (rt.consoleState == this) rt.consoleState = nullptr;
}

Object* Values::makeInt(int64_t v) {
  if (v >= kSmallMin && v <= kSmallMax) return smallInts_[v - kSmallMin];
  Object* o = rt.newObject(intShape);
  if (o) core::slotsOf(o)[0].i64 = v;
  return o;
}

Object* Values::makeFloat(double v) {
  Object* o = rt.newObject(floatShape);
  if (o) core::slotsOf(o)[0].f64 = v;
  return o;
}

Object* Values::makeChar(uint32_t code) {
  Object* o = rt.newObject(charShape);
  if (o) core::slotsOf(o)[0].setI32(static_cast<int32_t>(code));
  return o;
}

Object* Values::cons(Object* car, Object* cdr) {
  Object* o = rt.newObject(pairShape);
  if (o) {
    core::slotsOf(o)[0].ref = car;
    core::slotsOf(o)[1].ref = cdr;
  }
  return o;
}

Object* Values::intern(std::string_view name) {
  auto it = symbols_.find(std::string(name));
  if (it != symbols_.end()) return it->second;
  Object* text = rt.newString(name);
  if (!text) return nullptr;
  Object* sym = rt.newObject(symbolShape);
  if (!sym) return nullptr;
  core::slotsOf(sym)[0].ref = text;
  module_.pin(sym);
  symbols_.emplace(std::string(name), sym);
  return sym;
}

std::string_view Values::symbolName(const Object* sym) {
  return *core::bytesOf(core::slotsOf(const_cast<Object*>(sym))[0].ref);
}

Object* Values::list(std::span<Object* const> items) {
  Object* out = nil;
  for (size_t i = items.size(); i-- > 0;) {
    out = cons(items[i], out);
    if (!out) return nullptr;
  }
  return out;
}

Object* Values::makeError(std::string_view message, Object* irritants) {
  Object* text = rt.newString(message);
  if (!text) return nullptr;
  Object* e = rt.newObject(errorShape);
  if (!e) return nullptr;
  core::slotsOf(e)[0].ref = text;
  core::slotsOf(e)[1].ref = irritants ? irritants : nil;
  return e;
}

bool Values::eqv(const Object* a, const Object* b) const {
  if (a == b) return true;
  if (!a || !b || a->shape != b->shape) return false;
  if (a->shape == intShape) return intValue(a) == intValue(b);
  if (a->shape == floatShape) {
    double x = floatValue(a), y = floatValue(b);
    return std::memcmp(&x, &y, sizeof x) == 0; // eqv? tells -0.0 from 0.0; NaN is eqv? to itself
  }
  if (a->shape == charShape) return charValue(a) == charValue(b);
  if (isString(a)) return stringBytes(a).empty() && stringBytes(b).empty();
  return false;
}

bool Values::equal(const Object* a, const Object* b) const {
  // Iterative along cdrs (long lists), recursive into cars and vector elements (bounded depth).
  struct Rec {
    const Values& v;
    size_t budget = 10'000'000; // bounds the work on cyclic structures
    bool eq(const Object* x, const Object* y, int depth) {
      while (true) {
        if (--budget == 0 || depth > kMaxDataDepth) return x == y;
        if (v.eqv(x, y)) return true;
        if (!x || !y || x->shape != y->shape) return false;
        if (x->shape == v.pairShape) {
          if (!eq(Values::car(x), Values::car(y), depth + 1)) return false;
          x = Values::cdr(x);
          y = Values::cdr(y);
          continue;
        }
        if (v.isString(x) || v.isBytevector(x)) return *core::bytesOf(x) == *core::bytesOf(y);
        if (v.isVector(x)) {
          auto* p = const_cast<Array*>(static_cast<const Array*>(x));
          auto* q = const_cast<Array*>(static_cast<const Array*>(y));
          if (p->length != q->length) return false;
          for (int64_t i = 0; i < p->length; ++i)
            if (!eq(p->data<Object*>()[i], q->data<Object*>()[i], depth + 1)) return false;
          return true;
        }
        return false;
      }
    }
  } rec{*this};
  return rec.eq(a, b, 0);
}

std::string Values::write(const Object* o, bool display) const {
  Writer w{*this, display, {}};
  w.value(o, 0);
  return std::move(w.out);
}

std::string Values::describe(const Object* o) const {
  std::string s = write(o, false);
  if (s.size() > 60) {
    size_t cut = 57;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

Object* Values::fromDatum(const Datum& d) {
  switch (d.kind) {
  case Datum::Kind::Integer: return makeInt(d.integer);
  case Datum::Kind::Real: return makeFloat(d.real);
  case Datum::Kind::Boolean: return makeBool(d.integer != 0);
  case Datum::Kind::Char: return makeChar(static_cast<uint32_t>(d.integer));
  case Datum::Kind::String: return rt.newString(d.text);
  case Datum::Kind::Symbol: return intern(d.text);
  case Datum::Kind::Bytes: {
    Array* a = rt.newArray(core::Elem::I8, static_cast<int64_t>(d.text.size()));
    if (a) std::memcpy(a->data<char>(), d.text.data(), d.text.size());
    return a;
  }
  case Datum::Kind::Vector: {
    Array* a = rt.newArray(core::Elem::Ref, static_cast<int64_t>(d.items.size()));
    if (!a) return nullptr;
    for (size_t i = 0; i < d.items.size(); ++i) {
      Object* item = fromDatum(d.items[i]);
      if (!item) return nullptr;
      a->data<Object*>()[i] = item;
    }
    return a;
  }
  case Datum::Kind::List: {
    size_t n = d.items.size();
    Object* out = nil;
    if (d.dotted) {
      out = fromDatum(d.items[--n]);
      if (!out) return nullptr;
    }
    while (n-- > 0) {
      Object* item = fromDatum(d.items[n]);
      if (!item || !(out = cons(item, out))) return nullptr;
    }
    return out;
  }
  }
  return nullptr;
}

std::optional<Datum> Values::toDatum(const Object* o, SourcePos pos, std::string& error) const {
  struct Conv {
    const Values& v;
    SourcePos pos;
    std::string& error;
    size_t budget = 1u << 22;
    bool go(const Object* o, Datum& d, int depth) {
      d.pos = pos;
      if (--budget == 0 || depth > kMaxDataDepth) {
        error = "the expansion is too large or cyclic";
        return false;
      }
      if (!o) {
        error = "the expansion holds a VP null";
        return false;
      }
      if (v.isInt(o)) {
        d.kind = Datum::Kind::Integer;
        d.integer = intValue(o);
      } else if (v.isFloat(o)) {
        d.kind = Datum::Kind::Real;
        d.real = floatValue(o);
      } else if (o == v.trueObj || o == v.falseObj) {
        d.kind = Datum::Kind::Boolean;
        d.integer = o == v.trueObj;
      } else if (v.isChar(o)) {
        d.kind = Datum::Kind::Char;
        d.integer = charValue(o);
      } else if (v.isString(o)) {
        d.kind = Datum::Kind::String;
        d.text = stringBytes(o);
      } else if (v.isSymbol(o)) {
        d.kind = Datum::Kind::Symbol;
        d.text = symbolName(o);
      } else if (v.isBytevector(o)) {
        d.kind = Datum::Kind::Bytes;
        d.text = *core::bytesOf(o);
      } else if (o == v.nil) {
        d.kind = Datum::Kind::List;
      } else if (v.isPair(o)) {
        d.kind = Datum::Kind::List;
        const Object* p = o;
        for (; p && v.isPair(p); p = cdr(p)) {
          if (--budget == 0) {
            error = "the expansion is too large or cyclic";
            return false;
          }
          d.items.emplace_back();
          if (!go(car(p), d.items.back(), depth + 1)) return false;
        }
        if (p != v.nil) {
          d.dotted = true;
          d.items.emplace_back();
          if (!go(p, d.items.back(), depth + 1)) return false;
        }
      } else if (v.isVector(o)) {
        d.kind = Datum::Kind::Vector;
        auto* a = const_cast<Array*>(static_cast<const Array*>(o));
        d.items.resize(static_cast<size_t>(a->length));
        for (int64_t i = 0; i < a->length; ++i)
          if (!go(a->data<Object*>()[i], d.items[i], depth + 1)) return false;
      } else {
        error = "the expansion holds " + v.describe(o) + ", which is not source code";
        return false;
      }
      return true;
    }
  } conv{*this, pos, error};
  Datum d;
  if (!conv.go(o, d, 0)) return std::nullopt;
  return d;
}

const ProcInfo* Values::procInfo(const Shape* s) const {
  auto it = procs_.find(s);
  return it == procs_.end() ? nullptr : &it->second;
}

void Values::setProcInfo(const Shape* s, ProcInfo info) { procs_[s] = std::move(info); }

bool Values::apply(Thread& t, Object* proc, std::span<Object* const> args, Object*& result) {
  if (!proc || !isProcedure(proc)) {
    return raise(t, "not a procedure: " + (proc ? describe(proc) : std::string("#<null>")));
  }
  Value vals[kMaxDirectArgs + 1];
  core::Method* m = nullptr;
  vals[0].ref = proc;
  size_t count = 1;
  if (args.size() <= kMaxDirectArgs) {
    m = proc->shape->vtable[callSlot(static_cast<uint32_t>(args.size()))];
    for (Object* a : args) vals[count++].ref = a;
  } else {
    Array* vec = rt.newArray(core::Elem::Ref, static_cast<int64_t>(args.size()));
    if (!vec) return outOfMemory(t);
    std::copy(args.begin(), args.end(), vec->data<Object*>());
    m = proc->shape->vtable[kCallvSlot];
    vals[count++].ref = vec;
  }
  Value r{};
  if (core::invoke(t, m, vals, &r) != core::Status::Ok) return false;
  result = r.ref;
  return true;
}

bool Values::raise(Thread& t, std::string_view message, Object* irritants) {
  Object* e = makeError(message, irritants);
  if (!e) return outOfMemory(t);
  t.throwObject(e);
  return false;
}

bool Values::typeError(Thread& t, std::string_view who, std::string_view what, const Object* got) {
  return raise(t, fmt::format("{}: expected {}, got {}", who, what, got ? describe(got) : "#<null>"));
}

bool Values::outOfMemory(Thread& t) {
  t.rt.raise(t, core::VpMessage::HeapLimit, "a console value");
  return false;
}

} // namespace vvm::console
