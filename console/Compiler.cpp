// The console compiler: expansion (macros and derived forms to a small tree), variable
// resolution (locals, closure fields, boxes), and code generation to VP IR; and the evaluator
// that runs each top-level form as it is compiled.
#include "console/Compiler.h"

#include "console/Builtins.h"
#include "core/interp/Interpreter.h"
#include "core/ir/Builder.h"
#include "core/support/Assert.h"
#include "core/verify/Verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace vvm::console {

using core::Builder;
using core::Kind;
using core::Label;
using core::Method;
using core::Op;

namespace {

/// Nesting of macro expansions before the compiler assumes a macro expands forever.
constexpr int kMaxExpansionDepth = 1000;
/// Nesting of expressions the compiler follows (it recurses).
constexpr int kMaxNesting = 2000;

/// Which file each console method came from, for walkbacks.
std::unordered_map<const Method*, std::string>& methodFiles() {
  static std::unordered_map<const Method*, std::string> files;
  return files;
}

struct CompileError {
  SourcePos pos;
  std::string message;
};

[[noreturn]] void fail(const Datum& at, std::string message) { throw CompileError{at.pos, std::move(message)}; }
[[noreturn]] void fail(SourcePos at, std::string message) { throw CompileError{at, std::move(message)}; }

struct Lambda;
struct Node;

/// A lexical variable.
struct Var {
  std::string name;
  Lambda* owner = nullptr;
  bool captured = false;         ///< named inside a lambda other than its owner
  bool assigned = false;         ///< the target of set! (or of a general letrec*)
  Lambda* knownLambda = nullptr; ///< bound once, by letrec, to this lambda: calls may be direct
  bool boxed() const { return captured && assigned; }
  int local = -1; ///< its local in the owner's method
};

/// The expanded program: a tree of these.
struct Node {
  enum class K : uint8_t {
    Const,     ///< value (a heap constant)
    Str,       ///< text: a string literal
    Local,     ///< var
    Global,    ///< text: name
    SetLocal,  ///< var, kids[0]
    SetGlobal, ///< text, kids[0]
    Define,    ///< text, kids[0]: defines a global
    If,        ///< kids: test, then, else
    Fn,        ///< lambda: makes a closure
    Seq,       ///< kids (at least one)
    Call,      ///< kids: procedure, arguments...
    Prim,      ///< builtin, kids: arguments
    Let,       ///< vars, kids: inits..., body
    Letrec,    ///< vars, kids: lambdas (Fn nodes)..., body
    Try,       ///< var (the exception), kids: body, handler (only as a guard lambda's body)
    RecNew,    ///< shape, kids: field values (all fields, in order)
    RecGet,    ///< shape, index, text: accessor name, kids: record
    RecSet,    ///< shape, index, text, kids: record, value
    RecIs,     ///< shape, kids: value
  };
  K k;
  SourcePos pos;
  Object* value = nullptr;
  std::string text;
  Var* var = nullptr;
  Lambda* lambda = nullptr;
  const Builtin* builtin = nullptr;
  Shape* shape = nullptr;
  int index = 0;
  std::vector<Var*> vars;
  std::vector<Node*> kids;
};

struct Lambda {
  std::string name = "lambda";
  SourcePos pos;
  Lambda* parent = nullptr;
  std::vector<Var*> params;
  Var* rest = nullptr;
  Node* body = nullptr;
  std::vector<Var*> free; ///< captured variables of enclosing lambdas, in field order
  bool toplevel = false;
  bool guard = false; ///< the body is a Try node
  // ---- code generation
  Shape* shape = nullptr;
  Method* main = nullptr;
  Method* adapter = nullptr; ///< callv -> main, for fixed-arity lambdas
  Object* constantClosure = nullptr;
  bool directArity() const { return !rest && params.size() <= kMaxDirectArgs; }
  int fieldOf(const Var* v) const {
    auto it = std::find(free.begin(), free.end(), v);
    return it == free.end() ? -1 : static_cast<int>(it - free.begin());
  }
};

/// Owns the nodes, variables and lambdas of one top-level form.
struct Arena {
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::unique_ptr<Var>> vars;
  std::vector<std::unique_ptr<Lambda>> lambdas;
  Node* node(Node::K k, SourcePos pos) {
    nodes.push_back(std::make_unique<Node>());
    nodes.back()->k = k;
    nodes.back()->pos = pos;
    return nodes.back().get();
  }
  Var* var(std::string name, Lambda* owner) {
    vars.push_back(std::make_unique<Var>());
    vars.back()->name = std::move(name);
    vars.back()->owner = owner;
    return vars.back().get();
  }
  Lambda* lambda(Lambda* parent, SourcePos pos) {
    lambdas.push_back(std::make_unique<Lambda>());
    lambdas.back()->parent = parent;
    lambdas.back()->pos = pos;
    return lambdas.back().get();
  }
};

/// Lexical scope: one frame per binding form.
struct Scope {
  const Scope* up = nullptr;
  std::vector<Var*> vars;
  Var* find(std::string_view name) const {
    for (const Scope* s = this; s; s = s->up)
      for (auto it = s->vars.rbegin(); it != s->vars.rend(); ++it)
        if ((*it)->name == name) return *it;
    return nullptr;
  }
};

/// The special forms, in one table: the expander dispatches on it and `(help)` lists it.
#define VVM_SPECIAL_FORMS(X)                                                                                           \
  X(Quote, "quote")                                                                                                    \
  X(Quasiquote, "quasiquote")                                                                                          \
  X(Unquote, "unquote")                                                                                                \
  X(UnquoteSplicing, "unquote-splicing")                                                                               \
  X(Lambda, "lambda")                                                                                                  \
  X(Define, "define")                                                                                                  \
  X(Set, "set!")                                                                                                       \
  X(If, "if")                                                                                                          \
  X(Cond, "cond")                                                                                                      \
  X(Case, "case")                                                                                                      \
  X(And, "and")                                                                                                        \
  X(Or, "or")                                                                                                          \
  X(When, "when")                                                                                                      \
  X(Unless, "unless")                                                                                                  \
  X(Let, "let")                                                                                                        \
  X(LetStar, "let*")                                                                                                   \
  X(Letrec, "letrec")                                                                                                  \
  X(LetrecStar, "letrec*")                                                                                             \
  X(Begin, "begin")                                                                                                    \
  X(Do, "do")                                                                                                          \
  X(DefineRecordType, "define-record-type")                                                                            \
  X(DefineMacro, "define-macro")                                                                                       \
  X(Guard, "guard")                                                                                                    \
  X(Else, "else")                                                                                                      \
  X(Arrow, "=>")

enum class Special : uint8_t {
#define VVM_X(Name, Text) Name,
  VVM_SPECIAL_FORMS(VVM_X)
#undef VVM_X
      None
};

Special specialForm(std::string_view name) {
  static const std::map<std::string_view, Special> table = {
#define VVM_X(Name, Text) {Text, Special::Name},
      VVM_SPECIAL_FORMS(VVM_X)
#undef VVM_X
  };
  auto it = table.find(name);
  return it == table.end() ? Special::None : it->second;
}

// ============================================================================================
// Expansion: data to nodes.

class Expander {
public:
  Expander(Evaluator& ev, Arena& arena, const std::string& file)
      : ev_(ev), env_(ev.env()), v_(env_.values), a_(arena), file_(file) {}

  /// A top-level expression as a lambda of no parameters.
  Lambda* toplevel(const Datum& form) {
    Lambda* top = newToplevel(form.pos);
    Scope scope;
    top->body = expr(form, scope, true);
    return top;
  }

  /// The macro named by a form's head, if it is one (and not shadowed).
  Object* macroAt(const Datum& form, const Scope* scope) const {
    if (form.kind != Datum::Kind::List || form.items.empty() || form.items[0].kind != Datum::Kind::Symbol)
      return nullptr;
    if (scope && scope->find(form.items[0].text)) return nullptr;
    return env_.macro(form.items[0].text);
  }

  /// Expands macro uses at the head of `form` until it is not one.
  Datum expandHead(const Datum& form, const Scope* scope) {
    Datum d = form;
    for (int depth = 0; Object* m = macroAt(d, scope); ++depth) {
      if (depth > kMaxExpansionDepth)
        fail(form,
             fmt::format("macro {} keeps expanding (more than {} steps)", form.items[0].text, kMaxExpansionDepth));
      d = expandMacro(m, d);
    }
    return d;
  }

  Node* expr(const Datum& d, const Scope& scope, bool tail) {
    (void)tail;
    if (++nesting_ > kMaxNesting) fail(d, "expression nested too deeply");
    Node* n = exprInner(d, scope);
    --nesting_;
    return n;
  }

  /// A top-level lambda whose body the caller sets.
  Lambda* newToplevel(SourcePos pos) {
    Lambda* top = a_.lambda(nullptr, pos);
    top->toplevel = true;
    top->name = "toplevel";
    current_ = top;
    return top;
  }

  Node* constantNode(Object* o, SourcePos pos) { return constant(o, pos); }

private:
  Node* constant(Object* o, SourcePos pos) {
    if (!o) fail(pos, "out of memory making a constant");
    Node* n = a_.node(Node::K::Const, pos);
    n->value = o;
    env_.module().pin(o);
    return n;
  }
  Node* unspecified(SourcePos pos) { return constant(v_.unspecified, pos); }
  Node* falseNode(SourcePos pos) { return constant(v_.falseObj, pos); }

  Node* prim(std::string_view name, SourcePos pos, std::vector<Node*> args) {
    const Builtin* b = findBuiltin(name);
    VVM_ASSERT(b);
    Node* n = a_.node(Node::K::Prim, pos);
    n->builtin = b;
    n->kids = std::move(args);
    return n;
  }

  Node* localRef(Var* v, SourcePos pos) {
    // A variable named inside a lambda other than its owner is captured by every lambda
    // between here and its owner.
    if (v->owner != current_) {
      v->captured = true;
      for (Lambda* l = current_; l && l != v->owner; l = l->parent)
        if (l->fieldOf(v) < 0) l->free.push_back(v);
    }
    Node* n = a_.node(Node::K::Local, pos);
    n->var = v;
    return n;
  }

  Node* exprInner(const Datum& d, const Scope& scope) {
    switch (d.kind) {
    case Datum::Kind::Symbol: return symbolRef(d, scope);
    case Datum::Kind::String: {
      Node* n = a_.node(Node::K::Str, d.pos);
      n->text = d.text;
      return n;
    }
    case Datum::Kind::Integer:
    case Datum::Kind::Real:
    case Datum::Kind::Boolean:
    case Datum::Kind::Char:
    case Datum::Kind::Bytes:
    case Datum::Kind::Vector: return constant(v_.fromDatum(d), d.pos);
    case Datum::Kind::List: break;
    }
    if (d.items.empty()) fail(d, "() is not an expression (quote it: '())");
    if (d.dotted) fail(d, "a call cannot have a dotted argument list: " + d.write());
    const Datum& head = d.items[0];
    if (head.kind == Datum::Kind::Symbol && !scope.find(head.text)) {
      Special sf = specialForm(head.text);
      if (sf != Special::None) return special(sf, d, scope);
      if (Object* m = env_.macro(head.text)) return expr(expandMacro(m, d), scope, false);
      if (const Builtin* b = env_.visibleBuiltin(head.text)) {
        int32_t argc = static_cast<int32_t>(d.items.size() - 1);
        if (argc < b->min || (b->max != kAnyCount && argc > b->max))
          fail(d, fmt::format("{} takes {}, given {}", b->name, arityText(*b), argc));
        Node* n = a_.node(Node::K::Prim, d.pos);
        n->builtin = b;
        for (size_t i = 1; i < d.items.size(); ++i) n->kids.push_back(expr(d.items[i], scope, false));
        return n;
      }
    }
    Node* call = a_.node(Node::K::Call, d.pos);
    for (const Datum& item : d.items) call->kids.push_back(expr(item, scope, false));
    if (call->kids.size() - 1 > 0xffff) fail(d, "too many arguments in one call");
    return call;
  }

  static std::string arityText(const Builtin& b) {
    if (b.fixed()) return fmt::format("{} argument{}", b.min, b.min == 1 ? "" : "s");
    if (b.max == kAnyCount) return fmt::format("at least {} argument{}", b.min, b.min == 1 ? "" : "s");
    return fmt::format("{} to {} arguments", b.min, b.max);
  }

  Node* symbolRef(const Datum& d, const Scope& scope) {
    if (Var* v = scope.find(d.text)) return localRef(v, d.pos);
    if (specialForm(d.text) != Special::None) fail(d, fmt::format("{} is syntax, not a value", d.text));
    if (env_.macro(d.text)) fail(d, fmt::format("{} is a macro, not a value", d.text));
    checkGlobalName(d);
    env_.noteUse(d.text, file_, d.pos);
    Node* n = a_.node(Node::K::Global, d.pos);
    n->text = d.text;
    return n;
  }

  /// Names starting with % are the compiler's own; a sandbox hides builtins it does not allow.
  void checkGlobalName(const Datum& d) {
    if (!d.text.empty() && d.text[0] == '%' && findBuiltin(d.text))
      fail(d, fmt::format("{} is internal to the console compiler", d.text));
    if (env_.sandboxed() && findBuiltin(d.text) && !env_.visibleBuiltin(d.text))
      fail(d, fmt::format("{} is not available in a VMlet's sandbox", d.text));
  }

  Datum expandMacro(Object* m, const Datum& form) {
    if (++expansions_ > 100000) fail(form, "too many macro expansions in one form");
    if (form.dotted) fail(form, "a macro use cannot be a dotted list");
    // The arguments live in a VP array (on the heap the collector scans) while more are made.
    auto count = static_cast<int64_t>(form.items.size() - 1);
    core::Array* args = v_.rt.newArray(core::Elem::Ref, count);
    if (!args) fail(form, "out of memory converting macro arguments");
    for (int64_t i = 0; i < count; ++i) {
      Object* a = v_.fromDatum(form.items[static_cast<size_t>(i) + 1]);
      if (!a) fail(form, "out of memory converting macro arguments");
      args->data<Object*>()[i] = a;
    }
    Object* result = nullptr;
    if (!v_.apply(ev_.thread(), m, std::span<Object* const>(args->data<Object*>(), static_cast<size_t>(count)),
                  result)) {
      std::string why = ev_.takeError(true);
      fail(form, fmt::format("macro {} raised an error: {}", form.items[0].text, why));
    }
    std::string error;
    auto out = v_.toDatum(result, form.pos, error);
    if (!out) fail(form, fmt::format("macro {}: {}", form.items[0].text, error));
    return std::move(*out);
  }

  // ---- special forms

  void needs(const Datum& d, size_t min, size_t max, std::string_view shape) {
    if (!d.isList() || d.items.size() < min || d.items.size() > max)
      fail(d, fmt::format("bad {}: expected {}", d.items[0].text, shape));
  }

  Node* special(Special sf, const Datum& d, const Scope& scope) {
    switch (sf) {
    case Special::Quote: needs(d, 2, 2, "(quote DATUM)"); return constant(v_.fromDatum(d.items[1]), d.pos);
    case Special::Quasiquote: needs(d, 2, 2, "(quasiquote TEMPLATE)"); return quasi(d.items[1], 1, scope);
    case Special::Unquote:
    case Special::UnquoteSplicing: fail(d, fmt::format("{} outside quasiquote", d.items[0].text));
    case Special::Lambda: {
      needs(d, 3, SIZE_MAX, "(lambda PARAMS BODY...)");
      return fn(d, d.items[1], std::span(d.items).subspan(2), scope, "lambda");
    }
    case Special::Define: fail(d, "define is only allowed at the top level or at the start of a body");
    case Special::DefineMacro: fail(d, "define-macro is only allowed at the top level");
    case Special::DefineRecordType: fail(d, "define-record-type is only allowed at the top level");
    case Special::Set: {
      needs(d, 3, 3, "(set! NAME EXPR)");
      const Datum& name = d.items[1];
      if (name.kind != Datum::Kind::Symbol) fail(name, "set! needs a variable name");
      Node* value = expr(d.items[2], scope, false);
      if (Var* v = scope.find(name.text)) {
        v->assigned = true;
        v->knownLambda = nullptr;
        localRef(v, name.pos); // marks the capture, if it is one
        Node* n = a_.node(Node::K::SetLocal, d.pos);
        n->var = v;
        n->kids = {value};
        return n;
      }
      if (env_.isCoreName(name.text)) fail(name, fmt::format("{} is a core name and cannot be assigned", name.text));
      checkGlobalName(name);
      env_.noteUse(name.text, file_, name.pos);
      Node* n = a_.node(Node::K::SetGlobal, d.pos);
      n->text = name.text;
      n->kids = {value};
      return n;
    }
    case Special::If: {
      needs(d, 3, 4, "(if TEST THEN [ELSE])");
      Node* n = a_.node(Node::K::If, d.pos);
      n->kids = {expr(d.items[1], scope, false), expr(d.items[2], scope, false),
                 d.items.size() == 4 ? expr(d.items[3], scope, false) : unspecified(d.pos)};
      return n;
    }
    case Special::Cond: return cond(d, 1, scope, nullptr);
    case Special::Case: return caseForm(d, scope);
    case Special::And: {
      needs(d, 1, SIZE_MAX, "(and EXPR...)");
      if (d.items.size() == 1) return constant(v_.trueObj, d.pos);
      return andFrom(d, 1, scope);
    }
    case Special::Or: {
      needs(d, 1, SIZE_MAX, "(or EXPR...)");
      if (d.items.size() == 1) return falseNode(d.pos);
      return orFrom(d, 1, scope);
    }
    case Special::When:
    case Special::Unless: {
      needs(d, 3, SIZE_MAX, "(when|unless TEST BODY...)");
      Node* n = a_.node(Node::K::If, d.pos);
      Node* body = sequence(std::span(d.items).subspan(2), scope, d.pos);
      Node* test = expr(d.items[1], scope, false);
      n->kids = sf == Special::When ? std::vector<Node*>{test, body, unspecified(d.pos)}
                                    : std::vector<Node*>{test, unspecified(d.pos), body};
      return n;
    }
    case Special::Let: return let(d, scope);
    case Special::LetStar: return letStar(d, 0, scope);
    case Special::Letrec:
    case Special::LetrecStar: {
      needs(d, 3, SIZE_MAX, "(letrec ((NAME INIT)...) BODY...)");
      std::vector<std::pair<const Datum*, const Datum*>> bindings;
      for (const Datum& b : bindingList(d.items[1])) bindings.emplace_back(&b.items[0], &b.items[1]);
      return letrec(d.pos, bindings, std::span(d.items).subspan(2), scope);
    }
    case Special::Begin:
      if (d.items.size() == 1) return unspecified(d.pos);
      return sequence(std::span(d.items).subspan(1), scope, d.pos);
    case Special::Do: return doLoop(d, scope);
    case Special::Guard: return guard(d, scope);
    case Special::Else:
    case Special::Arrow: fail(d, fmt::format("{} outside cond or case", d.items[0].text));
    case Special::None: break;
    }
    VVM_UNREACHABLE("special form");
  }

  const std::vector<Datum>& bindingList(const Datum& list) {
    if (!list.isList()) fail(list, "expected a list of bindings ((NAME EXPR) ...)");
    for (const Datum& b : list.items)
      if (!b.isList() || b.items.size() != 2 || b.items[0].kind != Datum::Kind::Symbol)
        fail(b, "a binding is (NAME EXPR)");
    return list.items;
  }

  /// A sequence of expressions (no definitions).
  Node* sequence(std::span<const Datum> items, const Scope& scope, SourcePos pos) {
    if (items.size() == 1) return expr(items[0], scope, false);
    Node* n = a_.node(Node::K::Seq, pos);
    for (const Datum& item : items) n->kids.push_back(expr(item, scope, false));
    if (n->kids.empty()) n->kids.push_back(unspecified(pos));
    return n;
  }

  /// A body: internal definitions (at its start, or anywhere: they are letrec*) then expressions.
  Node* body(std::span<const Datum> items, const Scope& scope, SourcePos pos) {
    std::vector<Datum> forms;
    std::function<void(const Datum&)> flatten = [&](const Datum& item) {
      Datum e = expandHead(item, &scope);
      if (e.isList() && !e.items.empty() && e.items[0].isSymbol("begin") && !scope.find("begin")) {
        for (size_t i = 1; i < e.items.size(); ++i) flatten(e.items[i]);
      } else {
        forms.push_back(std::move(e));
      }
    };
    for (const Datum& item : items) flatten(item);
    if (forms.empty()) fail(pos, "a body needs at least one expression");
    std::vector<std::pair<const Datum*, const Datum*>> defines; // name, value (or the whole define)
    std::vector<Datum> synthesized;
    synthesized.reserve(forms.size());
    bool definesFirst = true, sawExpr = false;
    for (const Datum& f : forms) {
      if (isDefine(f, scope)) {
        if (sawExpr) definesFirst = false;
        defines.push_back(defineParts(f, synthesized));
      } else {
        sawExpr = true;
      }
    }
    if (defines.empty()) return sequence(forms, scope, pos);
    if (!sawExpr) fail(forms.back(), "a body must end with an expression, not a definition");
    if (definesFirst) {
      std::vector<Datum> rest;
      for (const Datum& f : forms)
        if (!isDefine(f, scope)) rest.push_back(f);
      return letrec(pos, defines, rest, scope);
    }
    // Definitions among expressions: letrec* in order, each define becoming an assignment.
    Node* let = a_.node(Node::K::Let, pos);
    Scope inner{&scope, {}};
    for (auto [name, value] : defines) {
      Var* v = a_.var(name->text, current_);
      let->vars.push_back(v);
      inner.vars.push_back(v);
      let->kids.push_back(unspecified(name->pos));
    }
    Node* seq = a_.node(Node::K::Seq, pos);
    size_t k = 0;
    for (const Datum& f : forms) {
      if (isDefine(f, scope)) {
        auto [name, value] = defines[k];
        Var* v = let->vars[k++];
        v->assigned = true;
        Node* set = a_.node(Node::K::SetLocal, f.pos);
        set->var = v;
        set->kids = {namedExpr(*value, inner, name->text)};
        seq->kids.push_back(set);
      } else {
        seq->kids.push_back(expr(f, inner, false));
      }
    }
    let->kids.push_back(seq);
    return let;
  }

public:
  bool isDefine(const Datum& f, const Scope& scope) const {
    return f.isList() && !f.items.empty() && f.items[0].isSymbol("define") && !scope.find("define");
  }

  /// (define NAME EXPR) or (define (NAME . PARAMS) BODY...) -> name and value datum (a lambda
  /// datum is made for the second form and kept in `store`).
  std::pair<const Datum*, const Datum*> defineParts(const Datum& f, std::vector<Datum>& store) {
    if (f.items.size() < 2) fail(f, "bad define: expected (define NAME EXPR) or (define (NAME PARAM...) BODY...)");
    const Datum& target = f.items[1];
    if (target.kind == Datum::Kind::Symbol) {
      if (f.items.size() != 3) fail(f, "bad define: expected (define NAME EXPR)");
      return {&target, &f.items[2]};
    }
    if (target.kind != Datum::Kind::List || target.items.empty() || target.items[0].kind != Datum::Kind::Symbol)
      fail(target, "bad define: expected a name or (NAME PARAM...)");
    if (f.items.size() < 3) fail(f, "bad define: the procedure needs a body");
    Datum lambda;
    lambda.kind = Datum::Kind::List;
    lambda.pos = f.pos;
    Datum kw;
    kw.kind = Datum::Kind::Symbol;
    kw.text = "lambda";
    kw.pos = f.pos;
    lambda.items.push_back(kw);
    Datum params = target;
    params.items.erase(params.items.begin());
    if (params.dotted && params.items.size() == 1) params = params.items[0]; // (define (f . args) ...)
    lambda.items.push_back(params);
    for (size_t i = 2; i < f.items.size(); ++i) lambda.items.push_back(f.items[i]);
    store.push_back(std::move(lambda));
    return {&target.items[0], &store.back()};
  }

  /// An expression whose value is bound to `name`: a lambda gets the name.
  Node* namedExpr(const Datum& value, const Scope& scope, const std::string& name) {
    if (isLambdaDatum(value, scope)) return fn(value, value.items[1], std::span(value.items).subspan(2), scope, name);
    return expr(value, scope, false);
  }

private:
  bool isLambdaDatum(const Datum& d, const Scope& scope) const {
    return d.isList() && d.items.size() >= 3 && d.items[0].isSymbol("lambda") && !scope.find("lambda");
  }

  Node* fn(const Datum& at, const Datum& params, std::span<const Datum> bodyItems, const Scope& scope,
           const std::string& name) {
    Lambda* l = a_.lambda(current_, at.pos);
    l->name = name;
    Scope inner{&scope, {}};
    auto param = [&](const Datum& p) {
      if (p.kind != Datum::Kind::Symbol) fail(p, "a parameter must be a name, not " + p.write());
      for (Var* v : inner.vars)
        if (v->name == p.text) fail(p, fmt::format("parameter {} appears twice", p.text));
      Var* v = a_.var(p.text, l);
      inner.vars.push_back(v);
      return v;
    };
    if (params.kind == Datum::Kind::Symbol) {
      l->rest = param(params);
    } else if (params.kind == Datum::Kind::List) {
      size_t n = params.items.size() - (params.dotted ? 1 : 0);
      for (size_t i = 0; i < n; ++i) l->params.push_back(param(params.items[i]));
      if (params.dotted) l->rest = param(params.items.back());
    } else {
      fail(params, "expected a parameter list");
    }
    if (l->params.size() > 250) fail(params, "too many parameters (at most 250)");
    Lambda* saved = current_;
    current_ = l;
    l->body = body(bodyItems, inner, at.pos);
    return closeLambda(l, saved, at.pos);
  }

  /// Ends the expansion of lambda `l` (back in `saved`) and makes the node that creates its
  /// closure. Variables `l` captured from further out are captured by `saved` too.
  Node* closeLambda(Lambda* l, Lambda* saved, SourcePos pos) {
    current_ = saved;
    for (Var* v : l->free)
      if (v->owner != current_) localRef(v, pos);
    Node* n = a_.node(Node::K::Fn, pos);
    n->lambda = l;
    return n;
  }

  Node* letrec(SourcePos pos, const std::vector<std::pair<const Datum*, const Datum*>>& bindings,
               std::span<const Datum> bodyItems, const Scope& scope) {
    Scope inner{&scope, {}};
    bool allLambdas = true;
    for (auto [name, value] : bindings) {
      for (Var* v : inner.vars)
        if (v->name == name->text) fail(*name, fmt::format("{} is bound twice", name->text));
      inner.vars.push_back(a_.var(name->text, current_));
      if (!isLambdaDatum(*value, scope)) allLambdas = false;
    }
    if (allLambdas) {
      Node* n = a_.node(Node::K::Letrec, pos);
      n->vars = inner.vars;
      for (size_t i = 0; i < bindings.size(); ++i) {
        Node* f = namedExpr(*bindings[i].second, inner, bindings[i].first->text);
        n->kids.push_back(f);
        n->vars[i]->knownLambda = f->lambda;
      }
      n->kids.push_back(body(bodyItems, inner, pos));
      // A set! in the body may have made a variable ordinary after all.
      for (Var* v : n->vars)
        if (v->assigned) v->knownLambda = nullptr;
      return n;
    }
    Node* let = a_.node(Node::K::Let, pos);
    let->vars = inner.vars;
    for (auto [name, value] : bindings) let->kids.push_back(unspecified(name->pos));
    Node* seq = a_.node(Node::K::Seq, pos);
    for (size_t i = 0; i < bindings.size(); ++i) {
      Var* v = let->vars[i];
      v->assigned = true;
      Node* set = a_.node(Node::K::SetLocal, bindings[i].second->pos);
      set->var = v;
      set->kids = {namedExpr(*bindings[i].second, inner, v->name)};
      seq->kids.push_back(set);
    }
    seq->kids.push_back(body(bodyItems, inner, pos));
    let->kids.push_back(seq);
    return let;
  }

  Node* let(const Datum& d, const Scope& scope) {
    needs(d, 3, SIZE_MAX, "(let ((NAME EXPR)...) BODY...) or (let NAME ((VAR INIT)...) BODY...)");
    if (d.items[1].kind == Datum::Kind::Symbol) return namedLet(d, scope);
    const auto& bindings = bindingList(d.items[1]);
    Node* n = a_.node(Node::K::Let, d.pos);
    Scope inner{&scope, {}};
    for (const Datum& b : bindings) {
      for (Var* v : inner.vars)
        if (v->name == b.items[0].text) fail(b.items[0], fmt::format("{} is bound twice", b.items[0].text));
      n->kids.push_back(namedExpr(b.items[1], scope, b.items[0].text));
      Var* v = a_.var(b.items[0].text, current_);
      n->vars.push_back(v);
      inner.vars.push_back(v);
    }
    n->kids.push_back(body(std::span(d.items).subspan(2), inner, d.pos));
    return n;
  }

  /// (let loop ((v init)...) body) = ((letrec ((loop (lambda (v...) body))) loop) init...),
  /// with the call to loop made directly.
  Node* namedLet(const Datum& d, const Scope& scope) {
    needs(d, 4, SIZE_MAX, "(let NAME ((VAR INIT)...) BODY...)");
    const auto& bindings = bindingList(d.items[2]);
    Datum params;
    params.kind = Datum::Kind::List;
    params.pos = d.items[2].pos;
    for (const Datum& b : bindings) params.items.push_back(b.items[0]);
    // The inits are evaluated outside the loop's scope.
    std::vector<Node*> inits;
    for (const Datum& b : bindings) inits.push_back(expr(b.items[1], scope, false));
    Scope inner{&scope, {}};
    Var* loop = a_.var(d.items[1].text, current_);
    inner.vars.push_back(loop);
    Node* f = fn(d, params, std::span(d.items).subspan(3), inner, d.items[1].text);
    loop->knownLambda = loop->assigned ? nullptr : f->lambda;
    return startLoop(d.pos, loop, f, inits);
  }

  /// (letrec ((LOOP FN)) (LOOP INIT...)): a named let's or a do loop's first call.
  Node* startLoop(SourcePos pos, Var* loop, Node* fn, const std::vector<Node*>& inits) {
    Node* call = a_.node(Node::K::Call, pos);
    call->kids.push_back(localRef(loop, pos));
    for (Node* i : inits) call->kids.push_back(i);
    Node* n = a_.node(Node::K::Letrec, pos);
    n->vars = {loop};
    n->kids = {fn, call};
    return n;
  }

  /// Forms whose parts become nested nodes (cond clauses, and/or operands, let* bindings, case
  /// data, quasiquoted list elements) are bounded like nesting: the compiler recurses on them.
  void boundParts(const Datum& d, size_t parts) {
    if (parts > static_cast<size_t>(kMaxNesting))
      fail(d,
           fmt::format("{} has too many parts for one form (at most {}): split it", d.items[0].write(), kMaxNesting));
  }

  Node* letStar(const Datum& d, size_t from, const Scope& scope) {
    needs(d, 3, SIZE_MAX, "(let* ((NAME EXPR)...) BODY...)");
    const auto& bindings = bindingList(d.items[1]);
    if (from == 0) boundParts(d, bindings.size());
    if (from == bindings.size()) {
      if (bindings.empty()) return body(std::span(d.items).subspan(2), scope, d.pos);
      return body(std::span(d.items).subspan(2), scope, d.pos);
    }
    Node* n = a_.node(Node::K::Let, bindings[from].pos);
    n->kids.push_back(namedExpr(bindings[from].items[1], scope, bindings[from].items[0].text));
    Var* v = a_.var(bindings[from].items[0].text, current_);
    n->vars.push_back(v);
    Scope inner{&scope, {v}};
    n->kids.push_back(letStar(d, from + 1, inner));
    return n;
  }

  /// A temporary bound by a Let the expander makes (named so no program can refer to it).
  std::pair<Node*, Var*> temp(Node* init, SourcePos pos) {
    Node* let = a_.node(Node::K::Let, pos);
    Var* v = a_.var(" t", current_);
    let->vars = {v};
    let->kids = {init};
    return {let, v};
  }

  Node* andFrom(const Datum& d, size_t i, const Scope& scope) {
    if (i == 1) boundParts(d, d.items.size());
    Node* first = expr(d.items[i], scope, false);
    if (i + 1 == d.items.size()) return first;
    Node* n = a_.node(Node::K::If, d.items[i].pos);
    n->kids = {first, andFrom(d, i + 1, scope), falseNode(d.items[i].pos)};
    return n;
  }

  Node* orFrom(const Datum& d, size_t i, const Scope& scope) {
    if (i == 1) boundParts(d, d.items.size());
    Node* first = expr(d.items[i], scope, false);
    if (i + 1 == d.items.size()) return first;
    auto [let, t] = temp(first, d.items[i].pos);
    Node* n = a_.node(Node::K::If, d.items[i].pos);
    n->kids = {localRef(t, d.pos), localRef(t, d.pos), orFrom(d, i + 1, scope)};
    let->kids.push_back(n);
    return let;
  }

  /// cond clauses from index i; `fallback` is what no clause matching gives (unspecified).
  Node* cond(const Datum& d, size_t i, const Scope& scope, Node* fallback) {
    if (i == 1) boundParts(d, d.items.size());
    if (i == d.items.size()) return fallback ? fallback : unspecified(d.pos);
    const Datum& c = d.items[i];
    if (!c.isList() || c.items.empty()) fail(c, "a cond clause is (TEST EXPR...)");
    if (c.items[0].isSymbol("else") && !scope.find("else")) {
      if (i + 1 != d.items.size()) fail(c, "else must be the last cond clause");
      if (c.items.size() < 2) fail(c, "else needs an expression");
      return sequence(std::span(c.items).subspan(1), scope, c.pos);
    }
    Node* test = expr(c.items[0], scope, false);
    if (c.items.size() == 1) { // (test): its value if true
      auto [let, t] = temp(test, c.pos);
      Node* n = a_.node(Node::K::If, c.pos);
      n->kids = {localRef(t, c.pos), localRef(t, c.pos), cond(d, i + 1, scope, fallback)};
      let->kids.push_back(n);
      return let;
    }
    if (c.items[1].isSymbol("=>") && !scope.find("=>")) {
      if (c.items.size() != 3) fail(c, "a => clause is (TEST => PROCEDURE)");
      auto [let, t] = temp(test, c.pos);
      Node* call = a_.node(Node::K::Call, c.pos);
      call->kids = {expr(c.items[2], scope, false), localRef(t, c.pos)};
      Node* n = a_.node(Node::K::If, c.pos);
      n->kids = {localRef(t, c.pos), call, cond(d, i + 1, scope, fallback)};
      let->kids.push_back(n);
      return let;
    }
    Node* n = a_.node(Node::K::If, c.pos);
    n->kids = {test, sequence(std::span(c.items).subspan(1), scope, c.pos), cond(d, i + 1, scope, fallback)};
    return n;
  }

  Node* caseForm(const Datum& d, const Scope& scope) {
    needs(d, 2, SIZE_MAX, "(case KEY ((DATUM...) EXPR...)... [(else EXPR...)])");
    size_t parts = 0;
    for (size_t i = 2; i < d.items.size(); ++i)
      parts += 1 + (d.items[i].isList() && !d.items[i].items.empty() ? d.items[i].items[0].items.size() : 0);
    boundParts(d, parts);
    auto [let, key] = temp(expr(d.items[1], scope, false), d.pos);
    Node* result = unspecified(d.pos);
    for (size_t i = d.items.size(); i-- > 2;) {
      const Datum& c = d.items[i];
      if (!c.isList() || c.items.size() < 2) fail(c, "a case clause is ((DATUM...) EXPR...)");
      Node* body = nullptr;
      if (c.items[1].isSymbol("=>") && !scope.find("=>")) {
        if (c.items.size() != 3) fail(c, "a => clause is ((DATUM...) => PROCEDURE)");
        body = a_.node(Node::K::Call, c.pos);
        body->kids = {expr(c.items[2], scope, false), localRef(key, c.pos)};
      } else {
        body = sequence(std::span(c.items).subspan(1), scope, c.pos);
      }
      if (c.items[0].isSymbol("else")) {
        if (i + 1 != d.items.size()) fail(c, "else must be the last case clause");
        result = body;
        continue;
      }
      if (!c.items[0].isList()) fail(c.items[0], "case data must be a list: ((DATUM...) EXPR...)");
      Node* test = falseNode(c.pos);
      for (size_t k = c.items[0].items.size(); k-- > 0;) {
        Node* eqv = prim("eqv?", c.pos, {localRef(key, c.pos), constant(v_.fromDatum(c.items[0].items[k]), c.pos)});
        Node* either = a_.node(Node::K::If, c.pos);
        either->kids = {eqv, constant(v_.trueObj, c.pos), test};
        test = either;
      }
      Node* n = a_.node(Node::K::If, c.pos);
      n->kids = {test, body, result};
      result = n;
    }
    let->kids.push_back(result);
    return let;
  }

  /// (do ((var init step)...) (test expr...) body...) as a named-let loop.
  Node* doLoop(const Datum& d, const Scope& scope) {
    needs(d, 3, SIZE_MAX, "(do ((VAR INIT [STEP])...) (TEST EXPR...) BODY...)");
    if (!d.items[1].isList()) fail(d.items[1], "do needs a list of ((VAR INIT [STEP])...)");
    if (!d.items[2].isList() || d.items[2].items.empty()) fail(d.items[2], "do needs (TEST EXPR...)");
    std::vector<Node*> inits;
    Lambda* l = a_.lambda(current_, d.pos);
    l->name = "do-loop";
    Scope inner{&scope, {}};
    Var* loop = a_.var(" do-loop", current_);
    Scope loopScope{&scope, {loop}};
    Scope params{&loopScope, {}};
    for (const Datum& b : d.items[1].items) {
      if (!b.isList() || b.items.size() < 2 || b.items.size() > 3 || b.items[0].kind != Datum::Kind::Symbol)
        fail(b, "a do variable is (VAR INIT [STEP])");
      inits.push_back(expr(b.items[1], scope, false));
      Var* v = a_.var(b.items[0].text, l);
      params.vars.push_back(v);
      l->params.push_back(v);
    }
    if (l->params.size() > 250) fail(d, "too many do variables");
    Lambda* saved = current_;
    current_ = l;
    // if test (begin exprs) (begin body... (loop steps...))
    Node* again = a_.node(Node::K::Call, d.pos);
    again->kids.push_back(localRef(loop, d.pos));
    std::vector<Node*> steps;
    for (size_t i = 0; i < d.items[1].items.size(); ++i) {
      const Datum& b = d.items[1].items[i];
      steps.push_back(b.items.size() == 3 ? expr(b.items[2], params, false) : localRef(params.vars[i], b.pos));
    }
    Node* loopBody = a_.node(Node::K::Seq, d.pos);
    for (size_t i = 3; i < d.items.size(); ++i) loopBody->kids.push_back(expr(d.items[i], params, false));
    for (Node* s : steps) again->kids.push_back(s);
    loopBody->kids.push_back(again);
    const Datum& exit = d.items[2];
    Node* done =
        exit.items.size() == 1 ? unspecified(exit.pos) : sequence(std::span(exit.items).subspan(1), params, exit.pos);
    Node* test = a_.node(Node::K::If, exit.pos);
    test->kids = {expr(exit.items[0], params, false), done, loopBody};
    l->body = test;
    Node* f = closeLambda(l, saved, d.pos);
    loop->knownLambda = l;
    return startLoop(d.pos, loop, f, inits);
  }

  /// (guard (VAR CLAUSE...) BODY...): the body runs in a lambda of its own whose whole code is
  /// protected (a VP handler starts with an empty stack, so the protected code must too); the
  /// clauses are cond clauses over VAR, and when none matches the exception is raised again.
  Node* guard(const Datum& d, const Scope& scope) {
    needs(d, 3, SIZE_MAX, "(guard (VAR CLAUSE...) BODY...)");
    const Datum& spec = d.items[1];
    if (!spec.isList() || spec.items.empty() || spec.items[0].kind != Datum::Kind::Symbol)
      fail(spec, "guard needs (VAR CLAUSE...)");
    Lambda* l = a_.lambda(current_, d.pos);
    l->name = "guard";
    l->guard = true;
    Lambda* saved = current_;
    current_ = l;
    Node* tryNode = a_.node(Node::K::Try, d.pos);
    Node* protectedBody = body(std::span(d.items).subspan(2), scope, d.pos);
    Var* e = a_.var(spec.items[0].text, l);
    Scope handlerScope{&scope, {e}};
    Node* reraise = prim("raise", d.pos, {localRef(e, d.pos)});
    Node* handler = cond(spec, 1, handlerScope, reraise);
    tryNode->var = e;
    tryNode->kids = {protectedBody, handler};
    l->body = tryNode;
    Node* call = a_.node(Node::K::Call, d.pos);
    call->kids = {closeLambda(l, saved, d.pos)};
    return call;
  }

  Node* quasi(const Datum& d, int depth, const Scope& scope) {
    if (!hasUnquote(d, depth)) return constant(v_.fromDatum(d), d.pos);
    if (d.kind == Datum::Kind::Vector) {
      Datum asList = d;
      asList.kind = Datum::Kind::List;
      return prim("list->vector", d.pos, {quasi(asList, depth, scope)});
    }
    // d is a list here
    if (d.isList() && d.items.size() == 2 && d.items[0].kind == Datum::Kind::Symbol) {
      const std::string& h = d.items[0].text;
      if (h == "unquote") {
        if (depth == 1) return expr(d.items[1], scope, false);
        return listOf(d.pos, {constant(v_.intern("unquote"), d.pos), quasi(d.items[1], depth - 1, scope)});
      }
      if (h == "quasiquote")
        return listOf(d.pos, {constant(v_.intern("quasiquote"), d.pos), quasi(d.items[1], depth + 1, scope)});
    }
    size_t n = d.items.size();
    if (n > static_cast<size_t>(kMaxNesting))
      fail(d, fmt::format("a quasiquoted list with unquotes has at most {} elements", kMaxNesting));
    Node* tail = nullptr;
    if (d.dotted)
      tail = quasi(d.items[--n], depth, scope);
    else
      tail = constant(v_.nil, d.pos);
    for (size_t i = n; i-- > 0;) {
      const Datum& item = d.items[i];
      if (item.isList() && item.items.size() == 2 && item.items[0].isSymbol("unquote-splicing") && depth == 1) {
        tail = prim("append", item.pos, {expr(item.items[1], scope, false), tail});
      } else {
        tail = prim("cons", item.pos, {quasi(item, depth, scope), tail});
      }
    }
    return tail;
  }

  Node* listOf(SourcePos pos, std::vector<Node*> items) { return prim("list", pos, std::move(items)); }

  static bool hasUnquote(const Datum& d, int depth) {
    if (d.kind != Datum::Kind::List && d.kind != Datum::Kind::Vector) return false;
    if (d.kind == Datum::Kind::List && !d.items.empty() && d.items[0].kind == Datum::Kind::Symbol) {
      const std::string& h = d.items[0].text;
      if (h == "unquote" || h == "unquote-splicing") return true;
      if (h == "quasiquote") ++depth;
    }
    for (const Datum& i : d.items)
      if (hasUnquote(i, depth)) return true;
    return false;
  }

  Evaluator& ev_;
  Environment& env_;
  Values& v_;
  Arena& a_;
  const std::string& file_;
  Lambda* current_ = nullptr;
  int nesting_ = 0;
  int expansions_ = 0;
};

// ============================================================================================
// Code generation: nodes to VP methods.

class CodeGen {
public:
  CodeGen(Environment& env, const std::string& file) : env_(env), v_(env.values), file_(file) {}

  /// Makes the methods of `top` and everything in it; returns the top-level method.
  Method* generate(Lambda* top) {
    declare(top);
    body(top);
    for (Method* m : methods_) {
      Diagnostics diags;
      if (!core::verify(*m, diags, file_)) {
        std::fputs(diags.format().c_str(), stderr);
        VVM_UNREACHABLE("the console compiler made VP code that does not verify");
      }
    }
    for (Method* m : methods_) core::prepare(*m);
    for (Method* m : shown_) methodFiles()[m] = file_; // adapters stay out of walkbacks
    return top->main;
  }

  /// The procedure object of a builtin (for builtins used as values), made once per runtime.
  static Object* builtinProcedure(Environment& env, const Builtin& b);

private:
  struct Ctx {
    Lambda* lambda;
    Builder* b;
    Method* m;
    int tryDepth = 0;
  };

  Method* newMethod(std::string_view base, std::vector<Kind> params) {
    Method* m = env_.module().addMethod(env_.uniqueName(base));
    VVM_ASSERT(m);
    m->sig.params = std::move(params);
    m->sig.ret = Kind::Ref;
    m->locals = m->sig.params;
    methods_.push_back(m);
    return m;
  }

  /// Makes the shape and methods of a lambda (before any code that refers to them).
  void declare(Lambda* l) {
    if (l->toplevel) {
      l->main = newMethod("toplevel", {});
      l->main->line = l->pos.line;
      shown_.push_back(l->main);
      return;
    }
    Values& v = v_;
    l->shape = env_.module().addShape(env_.uniqueName("proc:" + l->name));
    VVM_ASSERT(l->shape);
    Shape* s = l->shape;
    s->parent = v.procedureShape;
    s->vtable = v.procedureShape->vtable;
    s->vslotNames = v.procedureShape->vslotNames;
    for (Var* f : l->free) s->fields.push_back({f->name, Kind::Ref});
    s->finish();
    if (l->directArity()) {
      l->main = newMethod(l->name, std::vector<Kind>(l->params.size() + 1, Kind::Ref));
      s->vtable[Values::callSlot(static_cast<uint32_t>(l->params.size()))] = l->main;
      l->adapter = newMethod(l->name + ".callv", {Kind::Ref, Kind::Ref});
      s->vtable[Values::kCallvSlot] = l->adapter;
    } else {
      l->main = newMethod(l->name, {Kind::Ref, Kind::Ref});
      s->vtable[Values::kCallvSlot] = l->main;
    }
    l->main->line = l->pos.line;
    shown_.push_back(l->main);
    ProcInfo info;
    info.name = l->name;
    info.required = static_cast<uint32_t>(l->params.size());
    info.rest = l->rest != nullptr;
    info.where = fmt::format("{}:{}", file_, l->pos.line);
    info.body = l->main;
    v.setProcInfo(s, std::move(info));
    if (l->free.empty()) {
      l->constantClosure = v.rt.newObject(s);
      if (!l->constantClosure) throw CompileError{l->pos, "out of memory making a procedure"};
      env_.module().pin(l->constantClosure);
    }
  }

  /// Generates a lambda's methods.
  void body(Lambda* l) {
    Builder b(*l->main);
    Ctx c{l, &b, l->main};
    b.setPosition(l->pos.line, static_cast<uint16_t>(std::min<uint32_t>(l->pos.col, 0xffff)));
    if (!l->toplevel) {
      if (l->directArity()) {
        for (size_t i = 0; i < l->params.size(); ++i) l->params[i]->local = static_cast<int>(i + 1);
      } else {
        unpackArguments(c);
      }
      for (Var* p : l->params) boxOnEntry(c, p);
      if (l->rest) boxOnEntry(c, l->rest);
    }
    if (l->guard) {
      tryBody(c, l->body);
    } else {
      gen(c, l->body, true);
    }
    finish(b, l->pos);
    if (l->adapter) adapter(l);
  }

  /// callv of a fixed-arity lambda: checks the count, spreads the vector, calls main.
  void adapter(Lambda* l) {
    Builder b(*l->adapter);
    b.setPosition(l->pos.line, 0);
    Label ok = b.newLabel();
    b.emit(Op::LoadRef, 1).emit(Op::ArrayLength).constI32(static_cast<int32_t>(l->params.size()));
    b.branch(Op::IfEqI32, ok);
    b.emit(Op::LoadRef, 0).emit(Op::LoadRef, 1).emit(Op::CallPrim, prim("%arity-error")).emit(Op::RetRef);
    b.bind(ok);
    b.emit(Op::LoadRef, 0);
    for (size_t i = 0; i < l->params.size(); ++i)
      b.emit(Op::LoadRef, 1).constI32(static_cast<int32_t>(i)).emit(Op::ALoadRef);
    b.emit(Op::TailCall, reinterpret_cast<int64_t>(l->main));
    finish(b, l->pos);
  }

  /// A lambda entered through callv (rest parameter or many parameters): count check, then
  /// each parameter from the vector into a local.
  void unpackArguments(Ctx& c) {
    Lambda* l = c.lambda;
    Builder& b = *c.b;
    Label ok = b.newLabel();
    Label bad = b.newLabel();
    auto required = static_cast<int32_t>(l->params.size());
    b.emit(Op::LoadRef, 1).emit(Op::ArrayLength).constI32(required);
    b.branch(l->rest ? Op::IfGeI32 : Op::IfEqI32, ok);
    b.bind(bad);
    b.emit(Op::LoadRef, 0).emit(Op::LoadRef, 1).emit(Op::CallPrim, prim("%arity-error")).emit(Op::RetRef);
    b.bind(ok);
    for (size_t i = 0; i < l->params.size(); ++i) {
      l->params[i]->local = static_cast<int>(b.addLocal(Kind::Ref));
      b.emit(Op::LoadRef, 1).constI32(static_cast<int32_t>(i)).emit(Op::ALoadRef);
      b.emit(Op::StoreRef, l->params[i]->local);
    }
    if (l->rest) {
      l->rest->local = static_cast<int>(b.addLocal(Kind::Ref));
      b.emit(Op::LoadRef, 1);
      pushConstant(c, v_.makeInt(required));
      b.emit(Op::CallPrim, prim("%rest-list")).emit(Op::StoreRef, l->rest->local);
    }
  }

  void boxOnEntry(Ctx& c, Var* v) {
    if (!v->boxed()) return;
    c.b->emit(Op::LoadRef, v->local);
    box(c);
    c.b->emit(Op::StoreRef, v->local);
  }

  /// [value] -> [box holding value]
  void box(Ctx& c) {
    c.b->emit(Op::New, reinterpret_cast<int64_t>(v_.boxShape));
    c.b->emit(Op::DupX1).emit(Op::Swap);
    c.b->emit(Op::PutFieldRef, reinterpret_cast<int64_t>(v_.boxShape), 0);
  }

  void finish(Builder& b, SourcePos pos) {
    std::string error;
    if (!b.finish(error)) throw CompileError{pos, "internal: " + error};
  }

  int64_t prim(std::string_view builtin) {
    const core::Primitive* p = v_.rt.primitives().find("console/" + std::string(builtin));
    VVM_ASSERT(p);
    return reinterpret_cast<int64_t>(p);
  }

  void pushConstant(Ctx& c, Object* o) {
    if (!o) throw CompileError{{}, "out of memory making a constant"};
    c.b->emit(Op::GetStaticRef, reinterpret_cast<int64_t>(env_.constant(o)->cell));
  }

  void position(Ctx& c, const Node* n) {
    if (n->pos.line) c.b->setPosition(n->pos.line, static_cast<uint16_t>(std::min<uint32_t>(n->pos.col, 0xffff)));
  }

  // ---- variables

  /// Pushes what holds v: its value, or its box when it is boxed.
  void loadStorage(Ctx& c, Var* v) {
    Builder& b = *c.b;
    if (v->owner == c.lambda) {
      VVM_ASSERT(v->local >= 0);
      b.emit(Op::LoadRef, v->local);
      return;
    }
    if (v->knownLambda && v->knownLambda == c.lambda && !v->boxed()) {
      b.emit(Op::LoadRef, 0); // a loop naming itself: the closure is the receiver
      return;
    }
    int field = c.lambda->fieldOf(v);
    VVM_ASSERT(field >= 0);
    b.emit(Op::LoadRef, 0).emit(Op::GetFieldRef, reinterpret_cast<int64_t>(c.lambda->shape), field);
  }

  void loadVar(Ctx& c, Var* v) {
    loadStorage(c, v);
    if (v->boxed()) c.b->emit(Op::GetFieldRef, reinterpret_cast<int64_t>(v_.boxShape), 0);
  }

  /// Binds a new local variable of this lambda to the value on the stack.
  void bindLocal(Ctx& c, Var* v) {
    v->local = static_cast<int>(c.b->addLocal(Kind::Ref));
    if (v->boxed()) box(c);
    c.b->emit(Op::StoreRef, v->local);
  }

  void global(Ctx& c, const std::string& name, bool checked) {
    const core::StaticInfo* cell = env_.global(name);
    Builder& b = *c.b;
    b.emit(Op::GetStaticRef, reinterpret_cast<int64_t>(cell->cell));
    if (!checked || env_.visibleBuiltin(name)) return;
    Label ok = b.newLabel();
    b.emit(Op::Dup).branch(Op::IfNonNull, ok);
    b.emit(Op::Pop);
    pushConstant(c, v_.intern(name));
    b.emit(Op::CallPrim, prim("%unbound"));
    b.bind(ok);
  }

  // ---- expressions: each leaves one value on the stack, or returns it when `tail`

  void ret(Ctx& c, bool tail) {
    if (tail) c.b->emit(Op::RetRef);
  }

  void gen(Ctx& c, Node* n, bool tail) {
    // The expander bounds nesting; this is the last line against deep recursion here.
    struct Depth {
      int& d;
      explicit Depth(int& depth) : d(depth) { ++d; }
      ~Depth() { --d; }
    } depth(depth_);
    if (depth_ > 4 * kMaxNesting) throw CompileError{n->pos, "expression nested too deeply to compile"};
    position(c, n);
    Builder& b = *c.b;
    switch (n->k) {
    case Node::K::Const: pushConstant(c, n->value); return ret(c, tail);
    case Node::K::Str: {
      Object* s = env_.module().internString(n->text);
      if (!s) throw CompileError{n->pos, "out of memory making a string"};
      b.emit(Op::ConstStr, reinterpret_cast<int64_t>(s));
      return ret(c, tail);
    }
    case Node::K::Local: loadVar(c, n->var); return ret(c, tail);
    case Node::K::Global: global(c, n->text, true); return ret(c, tail);
    case Node::K::SetLocal: {
      Var* v = n->var;
      if (v->boxed()) {
        loadStorage(c, v);
        gen(c, n->kids[0], false);
        b.emit(Op::PutFieldRef, reinterpret_cast<int64_t>(v_.boxShape), 0);
      } else {
        VVM_ASSERT(v->owner == c.lambda);
        gen(c, n->kids[0], false);
        b.emit(Op::StoreRef, v->local);
      }
      pushConstant(c, v_.unspecified);
      return ret(c, tail);
    }
    case Node::K::SetGlobal: {
      global(c, n->text, true); // set! of an undefined global is an error
      b.emit(Op::Pop);
      gen(c, n->kids[0], false);
      b.emit(Op::PutStaticRef, reinterpret_cast<int64_t>(env_.global(n->text)->cell));
      pushConstant(c, v_.unspecified);
      return ret(c, tail);
    }
    case Node::K::Define: {
      gen(c, n->kids[0], false);
      b.emit(Op::PutStaticRef, reinterpret_cast<int64_t>(env_.global(n->text)->cell));
      pushConstant(c, v_.unspecified);
      return ret(c, tail);
    }
    case Node::K::If: {
      Label otherwise = b.newLabel();
      branchIfFalse(c, n->kids[0], otherwise);
      gen(c, n->kids[1], tail);
      if (tail) {
        b.bind(otherwise);
        gen(c, n->kids[2], true);
      } else {
        Label done = b.newLabel();
        b.branch(Op::Jmp, done);
        b.bind(otherwise);
        gen(c, n->kids[2], false);
        b.bind(done);
      }
      return;
    }
    case Node::K::Fn: closure(c, n->lambda); return ret(c, tail);
    case Node::K::Seq:
      for (size_t i = 0; i + 1 < n->kids.size(); ++i) {
        gen(c, n->kids[i], false);
        b.emit(Op::Pop);
      }
      return gen(c, n->kids.back(), tail);
    case Node::K::Call: return call(c, n, tail);
    case Node::K::Prim: return primCall(c, n, tail);
    case Node::K::Let:
      for (size_t i = 0; i < n->vars.size(); ++i) {
        gen(c, n->kids[i], false);
        bindLocal(c, n->vars[i]);
      }
      return gen(c, n->kids.back(), tail);
    case Node::K::Letrec: return letrec(c, n, tail);
    case Node::K::Try: VVM_UNREACHABLE("a Try node outside its guard lambda");
    case Node::K::RecNew:
      b.emit(Op::New, reinterpret_cast<int64_t>(n->shape));
      for (size_t i = 0; i < n->kids.size(); ++i) {
        b.emit(Op::Dup);
        gen(c, n->kids[i], false);
        b.emit(Op::PutFieldRef, reinterpret_cast<int64_t>(n->shape), static_cast<int64_t>(i));
      }
      return ret(c, tail);
    case Node::K::RecGet:
      gen(c, n->kids[0], false);
      checkShape(c, n->shape, n->text);
      b.emit(Op::GetFieldRef, reinterpret_cast<int64_t>(n->shape), n->index);
      return ret(c, tail);
    case Node::K::RecSet:
      gen(c, n->kids[0], false);
      checkShape(c, n->shape, n->text);
      gen(c, n->kids[1], false);
      b.emit(Op::PutFieldRef, reinterpret_cast<int64_t>(n->shape), n->index);
      pushConstant(c, v_.unspecified);
      return ret(c, tail);
    case Node::K::RecIs:
      pushBoolean(c, [&](Label no) {
        gen(c, n->kids[0], false);
        b.emit(Op::InstanceOf, reinterpret_cast<int64_t>(n->shape));
        b.branch(Op::IfzEq, no);
      });
      return ret(c, tail);
    }
  }

  /// Pushes #t, or #f when the code `test` emits jumps to the label it is given.
  void pushBoolean(Ctx& c, const std::function<void(Label)>& test) {
    Builder& b = *c.b;
    Label no = b.newLabel(), done = b.newLabel();
    test(no);
    pushConstant(c, v_.trueObj);
    b.branch(Op::Jmp, done);
    b.bind(no);
    pushConstant(c, v_.falseObj);
    b.bind(done);
  }

  /// [obj] -> [obj], raising "WHO: expected a NAME, got ..." unless obj has the record shape.
  void checkShape(Ctx& c, Shape* s, const std::string& who, std::string what = {}) {
    Builder& b = *c.b;
    Label ok = b.newLabel();
    b.emit(Op::Dup).emit(Op::InstanceOf, reinterpret_cast<int64_t>(s)).branch(Op::IfzNe, ok);
    pushConstant(c, v_.intern(who));
    if (what.empty()) {
      std::string type = s->name.substr(0, s->name.find('#'));
      bool vowel = !type.empty() && std::string_view("aeiouAEIOU").find(type[0]) != std::string_view::npos;
      what = (vowel ? "an " : "a ") + type;
    }
    pushConstant(c, env_.module().internString(what));
    b.emit(Op::CallPrim, prim("%type-error"));
    b.bind(ok);
  }

  /// Jumps to `target` when the test is #f. Predicates the compiler knows branch directly;
  /// comparisons of two integers compare the unboxed values.
  void branchIfFalse(Ctx& c, Node* test, Label target) {
    Builder& b = *c.b;
    if (isPredicate(test)) {
      position(c, test);
      std::string_view name = test->builtin->name;
      if (name == "not") {
        gen(c, test->kids[0], false);
        pushConstant(c, v_.falseObj);
        b.branch(Op::IfNeRef, target);
      } else if (name == "null?") {
        gen(c, test->kids[0], false);
        pushConstant(c, v_.nil);
        b.branch(Op::IfNeRef, target);
      } else if (name == "pair?") {
        gen(c, test->kids[0], false);
        b.emit(Op::InstanceOf, reinterpret_cast<int64_t>(v_.pairShape));
        b.branch(Op::IfzEq, target);
      } else if (name == "eq?") {
        gen(c, test->kids[0], false);
        gen(c, test->kids[1], false);
        b.branch(Op::IfNeRef, target);
      } else {
        integerCompare(c, test, *integerCompareFalse(name), target);
      }
      return;
    }
    gen(c, test, false);
    pushConstant(c, v_.falseObj);
    b.branch(Op::IfEqRef, target);
  }

  /// (< a b) and friends: when both are integers, cmp.i64 on their values; otherwise the
  /// binary helper (floats, mixed kinds, errors).
  void integerCompare(Ctx& c, Node* test, Op whenFalse, Label target) {
    Builder& b = *c.b;
    auto x = static_cast<int64_t>(b.addLocal(Kind::Ref));
    auto y = static_cast<int64_t>(b.addLocal(Kind::Ref));
    gen(c, test->kids[0], false);
    b.emit(Op::StoreRef, x);
    gen(c, test->kids[1], false);
    b.emit(Op::StoreRef, y);
    position(c, test);
    Label slow = b.newLabel(), done = b.newLabel();
    auto intShape = reinterpret_cast<int64_t>(v_.intShape);
    b.emit(Op::LoadRef, x).emit(Op::InstanceOf, intShape).branch(Op::IfzEq, slow);
    b.emit(Op::LoadRef, y).emit(Op::InstanceOf, intShape).branch(Op::IfzEq, slow);
    b.emit(Op::LoadRef, x).emit(Op::GetFieldI64, intShape, 0);
    b.emit(Op::LoadRef, y).emit(Op::GetFieldI64, intShape, 0);
    b.emit(Op::CmpI64).branch(whenFalse, target);
    b.branch(Op::Jmp, done);
    b.bind(slow);
    b.emit(Op::LoadRef, x).emit(Op::LoadRef, y).emit(Op::CallPrim, prim(binaryHelper(test)));
    pushConstant(c, v_.falseObj);
    b.branch(Op::IfEqRef, target);
    b.bind(done);
  }

  void closure(Ctx& c, Lambda* l) {
    declare(l);
    body(l);
    if (l->constantClosure) {
      pushConstant(c, l->constantClosure);
      return;
    }
    Builder& b = *c.b;
    b.emit(Op::New, reinterpret_cast<int64_t>(l->shape));
    for (size_t i = 0; i < l->free.size(); ++i) {
      b.emit(Op::Dup);
      loadStorage(c, l->free[i]);
      b.emit(Op::PutFieldRef, reinterpret_cast<int64_t>(l->shape), static_cast<int64_t>(i));
    }
  }

  void letrec(Ctx& c, Node* n, bool tail) {
    Builder& b = *c.b;
    size_t count = n->vars.size();
    bool anyBoxed = std::any_of(n->vars.begin(), n->vars.end(), [](Var* v) { return v->boxed(); });
    for (size_t i = 0; i < count; ++i) {
      Lambda* l = n->kids[i]->lambda;
      Var* v = n->vars[i];
      v->local = static_cast<int>(b.addLocal(Kind::Ref));
      declare(l);
      if (anyBoxed) {
        pushConstant(c, v_.unspecified);
        if (v->boxed()) box(c);
      } else if (l->constantClosure) {
        pushConstant(c, l->constantClosure);
      } else {
        b.emit(Op::New, reinterpret_cast<int64_t>(l->shape));
      }
      b.emit(Op::StoreRef, v->local);
    }
    for (size_t i = 0; i < count; ++i) body(n->kids[i]->lambda);
    for (size_t i = 0; i < count; ++i) {
      Lambda* l = n->kids[i]->lambda;
      Var* v = n->vars[i];
      if (anyBoxed) {
        // General letrec*: the closures are made in order and assigned.
        if (v->boxed()) loadStorage(c, v);
        if (l->constantClosure) {
          pushConstant(c, l->constantClosure);
        } else {
          b.emit(Op::New, reinterpret_cast<int64_t>(l->shape));
          for (size_t f = 0; f < l->free.size(); ++f) {
            b.emit(Op::Dup);
            loadStorage(c, l->free[f]);
            b.emit(Op::PutFieldRef, reinterpret_cast<int64_t>(l->shape), static_cast<int64_t>(f));
          }
        }
        if (v->boxed())
          b.emit(Op::PutFieldRef, reinterpret_cast<int64_t>(v_.boxShape), 0);
        else
          b.emit(Op::StoreRef, v->local);
        continue;
      }
      // All closures exist: fill in what each captured (they may refer to one another).
      for (size_t f = 0; f < l->free.size(); ++f) {
        b.emit(Op::LoadRef, v->local);
        loadStorage(c, l->free[f]);
        b.emit(Op::PutFieldRef, reinterpret_cast<int64_t>(l->shape), static_cast<int64_t>(f));
      }
    }
    gen(c, n->kids.back(), tail);
  }

  void tryBody(Ctx& c, Node* t) {
    Builder& b = *c.b;
    Label start = b.newLabel(), end = b.newLabel(), handler = b.newLabel();
    b.bind(start);
    ++c.tryDepth;
    gen(c, t->kids[0], false);
    --c.tryDepth;
    b.bind(end);
    b.emit(Op::RetRef);
    b.addHandler(start, end, handler, nullptr);
    b.bind(handler);
    bindLocal(c, t->var);
    gen(c, t->kids[1], true);
  }

  void call(Ctx& c, Node* n, bool tail) {
    Builder& b = *c.b;
    Node* fn = n->kids[0];
    auto argc = static_cast<uint32_t>(n->kids.size() - 1);
    // Top-level forms do not tail-call: they return at once anyway, and their frame keeps the
    // place of the call for error messages.
    bool asTail = tail && c.tryDepth == 0 && !c.lambda->toplevel;
    // A let-bound loop or local procedure called with its own arity: a direct call.
    if (fn->k == Node::K::Local && fn->var->knownLambda && !fn->var->boxed()) {
      Lambda* target = fn->var->knownLambda;
      if (target->directArity() && target->params.size() == argc) {
        loadStorage(c, fn->var);
        for (uint32_t i = 1; i <= argc; ++i) gen(c, n->kids[i], false);
        position(c, n);
        b.emit(asTail ? Op::TailCall : Op::Call, reinterpret_cast<int64_t>(target->main));
        if (tail && !asTail) b.emit(Op::RetRef);
        return;
      }
    }
    if (fn->k == Node::K::Global) {
      global(c, fn->text, false);
    } else {
      gen(c, fn, false);
    }
    Label ok = b.newLabel();
    b.emit(Op::Dup).emit(Op::InstanceOf, reinterpret_cast<int64_t>(v_.procedureShape)).branch(Op::IfzNe, ok);
    if (fn->k == Node::K::Global)
      pushConstant(c, v_.intern(fn->text));
    else
      pushConstant(c, v_.falseObj);
    b.emit(Op::CallPrim, prim("%not-procedure"));
    b.bind(ok);
    uint32_t slot = argc <= kMaxDirectArgs ? Values::callSlot(argc) : Values::kCallvSlot;
    if (argc <= kMaxDirectArgs) {
      for (uint32_t i = 1; i <= argc; ++i) gen(c, n->kids[i], false);
    } else {
      argumentVector(c, std::span(n->kids).subspan(1));
    }
    position(c, n);
    b.emit(asTail ? Op::TailCallVirt : Op::CallVirt, reinterpret_cast<int64_t>(v_.procedureShape), slot);
    if (tail && !asTail) b.emit(Op::RetRef);
  }

  void argumentVector(Ctx& c, std::span<Node* const> args) {
    Builder& b = *c.b;
    b.constI32(static_cast<int32_t>(args.size())).emit(Op::NewArray, static_cast<int64_t>(core::Elem::Ref));
    for (size_t i = 0; i < args.size(); ++i) {
      b.emit(Op::Dup).constI32(static_cast<int32_t>(i));
      gen(c, args[i], false);
      b.emit(Op::AStoreRef);
    }
  }

  /// The binary helper for a two-argument arithmetic or comparison builtin, or "".
  static std::string_view binaryHelper(const Node* n) {
    if (n->k != Node::K::Prim || n->kids.size() != 2) return {};
    static const std::map<std::string_view, std::string_view> helpers = {
        {"+", "%add2"},  {"-", "%sub2"},  {"*", "%mul2"},    {"=", "%num=2"},
        {"<", "%num<2"}, {">", "%num>2"}, {"<=", "%num<=2"}, {">=", "%num>=2"}};
    auto it = helpers.find(n->builtin->name);
    return it == helpers.end() ? std::string_view() : it->second;
  }

  /// The branch that leaves a comparison of two integers (cmp.i64's -1/0/1) when it is false.
  static std::optional<Op> integerCompareFalse(std::string_view name) {
    if (name == "<") return Op::IfzGe;
    if (name == ">") return Op::IfzLe;
    if (name == "<=") return Op::IfzGt;
    if (name == ">=") return Op::IfzLt;
    if (name == "=") return Op::IfzNe;
    return std::nullopt;
  }

  void primCall(Ctx& c, Node* n, bool tail) {
    Builder& b = *c.b;
    const Builtin& bi = *n->builtin;
    std::string_view name = bi.name;
    // The commonest list operations are VP instructions: field loads with a shape check.
    if ((name == "car" || name == "cdr") && n->kids.size() == 1) {
      gen(c, n->kids[0], false);
      checkShape(c, v_.pairShape, std::string(name), "a pair");
      b.emit(Op::GetFieldRef, reinterpret_cast<int64_t>(v_.pairShape), name == "car" ? 0 : 1);
      return ret(c, tail);
    }
    if (name == "cons" && n->kids.size() == 2) {
      b.emit(Op::New, reinterpret_cast<int64_t>(v_.pairShape));
      for (int64_t i = 0; i < 2; ++i) {
        b.emit(Op::Dup);
        gen(c, n->kids[static_cast<size_t>(i)], false);
        b.emit(Op::PutFieldRef, reinterpret_cast<int64_t>(v_.pairShape), i);
      }
      return ret(c, tail);
    }
    if (isPredicate(n)) {
      pushBoolean(c, [&](Label no) { branchIfFalse(c, n, no); });
      return ret(c, tail);
    }
    std::string_view helper = binaryHelper(n);
    if (!helper.empty()) {
      gen(c, n->kids[0], false);
      gen(c, n->kids[1], false);
      position(c, n);
      b.emit(Op::CallPrim, prim(helper));
      return ret(c, tail);
    }
    if (bi.fixed()) {
      for (Node* a : n->kids) gen(c, a, false);
    } else {
      argumentVector(c, n->kids);
    }
    position(c, n);
    b.emit(Op::CallPrim, prim(bi.name));
    ret(c, tail);
  }

  /// Tests the compiler turns into branches without making a boolean.
  bool isPredicate(const Node* n) const {
    if (n->k != Node::K::Prim) return false;
    std::string_view name = n->builtin->name;
    if (n->kids.size() == 1) return name == "null?" || name == "pair?" || name == "not";
    return n->kids.size() == 2 && (name == "eq?" || integerCompareFalse(name));
  }

  Environment& env_;
  Values& v_;
  const std::string& file_;
  std::vector<Method*> methods_;
  std::vector<Method*> shown_; ///< the methods walkbacks show: those with the program's code
  int depth_ = 0;
};

Object* CodeGen::builtinProcedure(Environment& env, const Builtin& bi) {
  Values& v = env.values;
  core::Module& m = v.module();
  std::string shapeName = "builtin:" + std::string(bi.name);
  if (Shape* s = m.findShape(shapeName)) {
    const ProcInfo* info = v.procInfo(s);
    VVM_ASSERT(info);
    return info->closure;
  }
  Shape* s = m.addShape(shapeName);
  s->parent = v.procedureShape;
  s->vtable = v.procedureShape->vtable;
  s->vslotNames = v.procedureShape->vslotNames;
  s->finish();
  auto* primitive = v.rt.primitives().find("console/" + std::string(bi.name));
  auto arityError = reinterpret_cast<int64_t>(v.rt.primitives().find("console/%arity-error"));
  std::vector<Method*> made;
  auto method = [&](std::string name, size_t params) {
    Method* meth = m.addMethod(std::move(name));
    meth->sig.params.assign(params, Kind::Ref);
    meth->sig.ret = Kind::Ref;
    meth->locals = meth->sig.params;
    made.push_back(meth);
    return meth;
  };
  auto finishIt = [](Method* meth, Builder& b) {
    std::string error;
    VVM_ASSERT(b.finish(error));
    Diagnostics diags;
    VVM_ASSERT(core::verify(*meth, diags, "console"));
    core::prepare(*meth);
  };
  // callv: check the count, then either spread the vector (fixed) or pass it (variable).
  Method* callv = method(shapeName + ".callv", 2);
  {
    Builder b(*callv);
    Label bad = b.newLabel();
    b.emit(Op::LoadRef, 1).emit(Op::ArrayLength).constI32(bi.min).branch(Op::IfLtI32, bad);
    if (bi.max != kAnyCount) b.emit(Op::LoadRef, 1).emit(Op::ArrayLength).constI32(bi.max).branch(Op::IfGtI32, bad);
    if (bi.fixed()) {
      for (int32_t i = 0; i < bi.min; ++i) b.emit(Op::LoadRef, 1).constI32(i).emit(Op::ALoadRef);
    } else {
      b.emit(Op::LoadRef, 1);
    }
    b.emit(Op::CallPrim, reinterpret_cast<int64_t>(primitive)).emit(Op::RetRef);
    b.bind(bad);
    b.emit(Op::LoadRef, 0).emit(Op::LoadRef, 1).emit(Op::CallPrim, arityError).emit(Op::RetRef);
    finishIt(callv, b);
  }
  s->vtable[Values::kCallvSlot] = callv;
  if (bi.fixed() && bi.min <= static_cast<int32_t>(kMaxDirectArgs)) {
    Method* direct = method(shapeName + fmt::format(".call{}", bi.min), static_cast<size_t>(bi.min) + 1);
    Builder b(*direct);
    for (int32_t i = 1; i <= bi.min; ++i) b.emit(Op::LoadRef, i);
    b.emit(Op::CallPrim, reinterpret_cast<int64_t>(primitive)).emit(Op::RetRef);
    finishIt(direct, b);
    s->vtable[Values::callSlot(static_cast<uint32_t>(bi.min))] = direct;
  }
  Object* proc = v.rt.newObject(s);
  if (!proc) return nullptr;
  m.pin(proc);
  ProcInfo info;
  info.name = std::string(bi.name);
  info.required = static_cast<uint32_t>(bi.min);
  info.rest = !bi.fixed();
  info.where = "built in";
  info.body = callv;
  info.closure = proc;
  v.setProcInfo(s, std::move(info));
  return proc;
}

} // namespace

// ============================================================================================
// Environment

Environment::Environment(Values& v, std::string name, std::optional<std::set<std::string, std::less<>>> allowed)
    : values(v), module_(v.rt, std::move(name)), allowed_(std::move(allowed)) {}

Environment::~Environment() = default;

void Environment::addBuiltins(std::span<const Builtin> extra) {
  for (const Builtin& b : extra) {
    std::string primName = "console/" + std::string(b.name);
    if (!values.rt.primitives().find(primName)) {
      core::Signature sig;
      sig.params.assign(b.fixed() ? static_cast<size_t>(b.min) : 1, Kind::Ref);
      sig.ret = Kind::Ref;
      values.rt.primitives().add(primName, std::move(sig), b.fn, std::string(b.doc));
    }
    extra_.emplace(std::string(b.name), &b);
  }
}

bool Environment::isCoreName(std::string_view name) const { return findBuiltin(name) || extra_.count(name); }

const Builtin* Environment::visibleBuiltin(std::string_view name) const {
  if (auto it = extra_.find(name); it != extra_.end()) return it->second;
  const Builtin* b = findBuiltin(name);
  if (!b || name[0] == '%') return nullptr;
  if (allowed_ && !allowed_->count(name)) return nullptr;
  return b;
}

const core::StaticInfo* Environment::global(std::string_view name) {
  auto it = globals_.find(name);
  if (it != globals_.end()) return it->second;
  // The cell is named after the global (disassembly shows it), unless a constant's cell took
  // that name first (a program may spell any name, 'const#3 too, between bars).
  const core::StaticInfo* cell = module_.addStatic(std::string(name), Kind::Ref);
  while (!cell) cell = module_.addStatic(uniqueName(std::string(name) + "#global"), Kind::Ref);
  globals_.emplace(std::string(name), cell);
  if (const Builtin* b = visibleBuiltin(name)) cell->cell->ref = CodeGen::builtinProcedure(*this, *b);
  return cell;
}

Object* Environment::globalValue(std::string_view name) const {
  auto it = globals_.find(name);
  return it == globals_.end() ? nullptr : it->second->cell->ref;
}

std::vector<std::string> Environment::definedGlobals() const {
  std::vector<std::string> out;
  for (const auto& [name, cell] : globals_)
    if (cell->cell->ref && !isCoreName(name)) out.push_back(name);
  return out;
}

const core::StaticInfo* Environment::constant(Object* o) {
  auto it = constants_.find(o);
  if (it != constants_.end()) return it->second;
  const core::StaticInfo* cell = nullptr;
  while (!cell) cell = module_.addStatic(uniqueName("'const"), Kind::Ref); // a global may have the name

  cell->cell->ref = o;
  constants_.emplace(o, cell);
  return cell;
}

Object* Environment::macro(std::string_view name) const {
  auto it = macros_.find(name);
  return it == macros_.end() ? nullptr : it->second;
}

void Environment::defineMacro(const std::string& name, Object* expander) {
  module_.pin(expander);
  macros_[name] = expander;
}

std::string Environment::uniqueName(std::string_view base) {
  int& n = nameCounts_[std::string(base)];
  ++n;
  return n == 1 ? std::string(base) : fmt::format("{}#{}", base, n);
}

std::string_view methodFile(const Method* m) {
  auto it = methodFiles().find(m);
  return it == methodFiles().end() ? std::string_view() : std::string_view(it->second);
}

// ============================================================================================
// Evaluator

Evaluator::Evaluator(Environment& env, Thread& thread) : env_(env), thread_(thread) {}

namespace {

/// The top-level forms that change the environment itself (define, define-macro,
/// define-record-type, and begin, whose forms are each top-level), and the rest.
class TopLevel {
public:
  TopLevel(Evaluator& ev, const std::string& file) : ev_(ev), env_(ev.env()), v_(env_.values), file_(file) {}

  Outcome run(const Datum& form, Object** result) {
    Arena arena;
    Expander ex(ev_, arena, file_);
    Datum d = ex.expandHead(form, nullptr);
    if (d.isList() && !d.items.empty() && d.items[0].kind == Datum::Kind::Symbol) {
      const std::string& head = d.items[0].text;
      if (head == "begin") {
        Object* last = v_.unspecified;
        for (size_t i = 1; i < d.items.size(); ++i) {
          Outcome o = run(d.items[i], &last);
          if (o != Outcome::Ok) return o;
        }
        if (result) *result = last;
        return Outcome::Ok;
      }
      if (head == "define") return define(d, arena, ex, result);
      if (head == "define-macro") return defineMacro(d, ex);
      if (head == "define-record-type") return defineRecord(d, arena, ex, result);
    }
    return execute(ex.toplevel(d), result);
  }

private:
  Outcome execute(Lambda* top, Object** result) {
    CodeGen gen(env_, file_);
    Method* m = gen.generate(top);
    if (ev_.compileOnly()) {
      if (result) *result = v_.unspecified;
      return Outcome::Ok;
    }
    Value r{};
    if (core::invoke(ev_.thread(), m, nullptr, &r) != core::Status::Ok)
      return ev_.thread().exiting ? Outcome::Exit : Outcome::RuntimeError;
    if (result) *result = r.ref;
    return Outcome::Ok;
  }

  void checkDefinable(const Datum& name) {
    if (name.kind != Datum::Kind::Symbol) fail(name, "expected a name");
    if (env_.isCoreName(name.text)) fail(name, fmt::format("{} is a core name and cannot be redefined", name.text));
    if (specialForm(name.text) != Special::None)
      fail(name, fmt::format("{} is syntax and cannot be redefined", name.text));
  }

  /// (define NAME VALUE): a top-level method evaluates VALUE (naming it, if it is a lambda) and
  /// stores it in the global's cell.
  Outcome define(const Datum& d, Arena& arena, Expander& ex, Object** result) {
    std::vector<Datum> keep;
    auto [name, value] = ex.defineParts(d, keep);
    checkDefinable(*name);
    if (env_.macro(name->text))
      fail(*name, fmt::format("{} is a macro and cannot be redefined as a variable", name->text));
    env_.global(name->text);
    Lambda* top = ex.newToplevel(d.pos);
    Scope scope;
    Node* def = arena.node(Node::K::Define, d.pos);
    def->text = name->text;
    def->kids = {ex.namedExpr(*value, scope, name->text)};
    top->body = def;
    return execute(top, result);
  }

  /// (define-macro (NAME . PARAMS) BODY...) or (define-macro NAME EXPR): the expander procedure
  /// is made now, and later forms' uses of NAME are expanded by calling it.
  Outcome defineMacro(const Datum& d, Expander& ex) {
    std::vector<Datum> keep;
    if (d.items.size() < 3) fail(d, "bad define-macro: expected (define-macro (NAME PARAM...) BODY...)");
    auto [name, value] = ex.defineParts(d, keep);
    checkDefinable(*name);
    Lambda* top = ex.newToplevel(d.pos);
    Scope scope;
    top->body = ex.namedExpr(*value, scope, name->text);
    Object* expander = nullptr;
    Outcome o = execute(top, &expander);
    if (o != Outcome::Ok || ev_.compileOnly()) return o;
    if (!expander || !v_.isProcedure(expander))
      fail(d, fmt::format("define-macro {}: the expander is not a procedure", name->text));
    env_.defineMacro(name->text, expander);
    return Outcome::Ok;
  }

  /// (define-record-type NAME (CONSTRUCTOR FIELD...) PREDICATE (FIELD ACCESSOR [MODIFIER])...):
  /// a VP shape derived from Record with one ref field per FIELD, and procedures that use
  /// new / instanceof / getfield / putfield on it directly.
  Outcome defineRecord(const Datum& d, Arena& arena, Expander& ex, Object** result) {
    if (!d.isList() || d.items.size() < 4)
      fail(d, "bad define-record-type: expected (define-record-type NAME (CONSTRUCTOR FIELD...) PREDICATE "
              "(FIELD ACCESSOR [MODIFIER])...)");
    const Datum& typeName = d.items[1];
    if (typeName.kind != Datum::Kind::Symbol) fail(typeName, "a record type name must be a name");
    std::string name = typeName.text;
    if (name.size() > 2 && name.front() == '<' && name.back() == '>') name = name.substr(1, name.size() - 2);
    struct Field {
      const Datum* name;
      const Datum* accessor = nullptr;
      const Datum* modifier = nullptr;
    };
    std::vector<Field> fields;
    for (size_t i = 4; i < d.items.size(); ++i) {
      const Datum& spec = d.items[i];
      if (spec.kind == Datum::Kind::Symbol) {
        fields.push_back({&spec});
        continue;
      }
      if (!spec.isList() || spec.items.empty() || spec.items.size() > 3)
        fail(spec, "a field is NAME or (NAME [ACCESSOR [MODIFIER]])");
      for (const Datum& part : spec.items)
        if (part.kind != Datum::Kind::Symbol) fail(part, "field names, accessors and modifiers are names");
      fields.push_back({&spec.items[0], spec.items.size() > 1 ? &spec.items[1] : nullptr,
                        spec.items.size() > 2 ? &spec.items[2] : nullptr});
    }
    for (size_t i = 0; i < fields.size(); ++i)
      for (size_t k = 0; k < i; ++k)
        if (fields[k].name->text == fields[i].name->text)
          fail(*fields[i].name, fmt::format("field {} appears twice", fields[i].name->text));
    auto fieldIndex = [&](const Datum& n) -> int {
      for (size_t i = 0; i < fields.size(); ++i)
        if (fields[i].name->text == n.text) return static_cast<int>(i);
      fail(n, fmt::format("{} is not a field of {}", n.text, name));
    };
    // Check every name before anything is defined, so a bad form defines nothing.
    const Datum& ctor = d.items[2];
    const Datum* ctorName = nullptr;
    std::vector<int> order; // constructor parameter -> field
    if (ctor.kind == Datum::Kind::Symbol) {
      ctorName = &ctor;
      for (size_t i = 0; i < fields.size(); ++i) order.push_back(static_cast<int>(i));
    } else if (ctor.isList() && !ctor.items.empty() && ctor.items[0].kind == Datum::Kind::Symbol) {
      ctorName = &ctor.items[0];
      for (size_t i = 1; i < ctor.items.size(); ++i) {
        if (ctor.items[i].kind != Datum::Kind::Symbol) fail(ctor.items[i], "constructor fields are names");
        order.push_back(fieldIndex(ctor.items[i]));
      }
    } else if (!(ctor.kind == Datum::Kind::Boolean && ctor.integer == 0)) {
      fail(ctor, "a constructor is NAME, (NAME FIELD...) or #f");
    }
    const Datum& pred = d.items[3];
    if (pred.kind != Datum::Kind::Symbol && !(pred.kind == Datum::Kind::Boolean && pred.integer == 0))
      fail(pred, "a predicate is a NAME or #f");
    if (ctorName) checkDefinable(*ctorName);
    if (pred.kind == Datum::Kind::Symbol) checkDefinable(pred);
    for (const Field& f : fields) {
      if (f.accessor) checkDefinable(*f.accessor);
      if (f.modifier) checkDefinable(*f.modifier);
    }

    Shape* shape = env_.module().addShape(env_.uniqueName(name));
    VVM_ASSERT(shape);
    shape->parent = v_.recordShape;
    for (const Field& f : fields) shape->fields.push_back({f.name->text, Kind::Ref});
    shape->finish();

    // Each procedure is a named lambda over the record operations, defined as a global, all in
    // one top-level method.
    Lambda* top = ex.newToplevel(d.pos);
    Node* seq = arena.node(Node::K::Seq, d.pos);
    auto defineProc = [&](const Datum& procName, size_t params, auto makeBody) {
      env_.global(procName.text);
      Lambda* l = arena.lambda(top, procName.pos);
      l->name = procName.text;
      for (size_t i = 0; i < params; ++i) l->params.push_back(arena.var(fmt::format("arg{}", i), l));
      l->body = makeBody(l);
      Node* fn = arena.node(Node::K::Fn, procName.pos);
      fn->lambda = l;
      Node* def = arena.node(Node::K::Define, procName.pos);
      def->text = procName.text;
      def->kids = {fn};
      seq->kids.push_back(def);
    };
    auto param = [&](Lambda* l, size_t i) {
      Node* n = arena.node(Node::K::Local, l->pos);
      n->var = l->params[i];
      return n;
    };
    if (ctorName) {
      defineProc(*ctorName, order.size(), [&](Lambda* l) {
        Node* n = arena.node(Node::K::RecNew, ctor.pos);
        n->shape = shape;
        for (size_t f = 0; f < fields.size(); ++f) {
          auto at = std::find(order.begin(), order.end(), static_cast<int>(f));
          n->kids.push_back(at == order.end() ? ex.constantNode(v_.falseObj, ctor.pos)
                                              : param(l, static_cast<size_t>(at - order.begin())));
        }
        return n;
      });
    }
    if (pred.kind == Datum::Kind::Symbol) {
      defineProc(pred, 1, [&](Lambda* l) {
        Node* n = arena.node(Node::K::RecIs, pred.pos);
        n->shape = shape;
        n->kids = {param(l, 0)};
        return n;
      });
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      if (const Datum* acc = fields[i].accessor) {
        defineProc(*acc, 1, [&](Lambda* l) {
          Node* n = arena.node(Node::K::RecGet, acc->pos);
          n->shape = shape;
          n->index = static_cast<int>(i);
          n->text = acc->text;
          n->kids = {param(l, 0)};
          return n;
        });
      }
      if (const Datum* mod = fields[i].modifier) {
        defineProc(*mod, 2, [&](Lambda* l) {
          Node* n = arena.node(Node::K::RecSet, mod->pos);
          n->shape = shape;
          n->index = static_cast<int>(i);
          n->text = mod->text;
          n->kids = {param(l, 0), param(l, 1)};
          return n;
        });
      }
    }
    seq->kids.push_back(ex.constantNode(v_.intern(name), d.pos));
    top->body = seq;
    return execute(top, result);
  }

  Evaluator& ev_;
  Environment& env_;
  Values& v_;
  const std::string& file_;
};

} // namespace

Outcome Evaluator::evalDatum(const Datum& form, const std::string& file, Diagnostics& diags, Object** result) {
  try {
    return TopLevel(*this, file).run(form, result);
  } catch (const CompileError& e) {
    diags.error(file, e.pos.line, e.pos.col, e.message, sourceLine(e.pos.line));
    return Outcome::CompileError;
  }
}

std::string Evaluator::takeError(bool brief) {
  Object* exc = thread_.pending;
  thread_.pending = nullptr;
  if (!exc) return "no error";
  Values& v = env_.values;
  std::string what;
  if (exc->shape == v.errorShape) {
    what = std::string(Values::stringBytes(core::slotsOf(exc)[0].ref));
    for (Object* i = core::slotsOf(exc)[1].ref; i && v.isPair(i); i = Values::cdr(i))
      what += " " + v.describe(Values::car(i));
  } else if (v.isError(exc)) {
    Object* msg = core::slotsOf(exc)[0].ref;
    what = exc->shape->name + (msg && v.isString(msg) ? ": " + std::string(Values::stringBytes(msg)) : "");
  } else {
    what = "raised " + v.describe(exc);
  }
  std::string out;
  const core::Trace* trace = thread_.traceOf(exc);
  std::string where;
  std::string walkback;
  if (trace) {
    walkback = core::formatWalkback(*trace, [&](const core::TraceEntry& e) -> std::optional<core::WalkbackFrame> {
      std::string_view file = methodFile(e.method);
      if (file.empty()) return std::nullopt; // the console's own helpers and adapters
      if (where.empty()) where = fmt::format("{}:{}: ", file, e.line);
      return core::WalkbackFrame{e.method->name.substr(0, e.method->name.find('#')),
                                 fmt::format("{}:{}", file, e.line)};
    });
  }
  if (brief) return where.empty() ? what : fmt::format("{} ({})", what, where.substr(0, where.size() - 2));
  return where + "error: " + what + "\n" + walkback;
}

Outcome Evaluator::evalText(std::string_view text, const std::string& file, Diagnostics& diags, Object** last,
                            const std::function<void(Object*)>& each) {
  std::vector<Datum> forms = readAll(text, file, diags);
  if (diags.hasErrors()) return Outcome::CompileError;
  text_ = text;
  Outcome o = Outcome::Ok;
  for (const Datum& form : forms) {
    Object* value = nullptr;
    o = evalDatum(form, file, diags, &value);
    if (o != Outcome::Ok) break;
    if (last) *last = value;
    if (each) each(value);
  }
  text_ = {};
  return o;
}

std::string Evaluator::sourceLine(uint32_t line) const {
  std::string_view t = text_;
  for (uint32_t l = 1; l < line && !t.empty(); ++l) {
    size_t nl = t.find('\n');
    t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
  }
  if (line == 0 || t.empty()) return {};
  return std::string(t.substr(0, t.find('\n')));
}

} // namespace vvm::console
