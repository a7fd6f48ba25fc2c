// The console language's compiler and evaluator (DESIGN §8): reader data to VP IR, run by the
// VP's interpreter (and its JIT) like every other language.
//
// Each top-level form is expanded (macros, derived forms) into a small tree, its variables are
// resolved (captured ones become closure fields; captured and assigned ones live in boxes),
// and each lambda becomes a VP shape derived from Procedure plus one or two methods (see
// Values.h). The form itself becomes a method of no parameters that the evaluator runs at once,
// so a definition or a macro is in effect for the next form. Calls in tail position are VP tail
// calls; calls to let-bound loops (named let, do, internal defines) are direct calls.
#pragma once

#include "console/Reader.h"
#include "console/Values.h"
#include "core/support/Diagnostics.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::console {

struct Builtin;

/// A namespace of global variables, macros and record types. A REPL or script session has one;
/// each VMlet has its own, sandboxed (DESIGN §5).
class Environment {
public:
  /// `allowed`, when given, is the only builtins code in this environment may name (a sandbox).
  Environment(Values& values, std::string name,
              std::optional<std::set<std::string, std::less<>>> allowed = std::nullopt);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  Values& values;
  core::Module& module() { return module_; }
  const std::string& name() const { return module_.name(); }

  /// The cell of global `name`, made on first mention (VP null until defined). A builtin's cell
  /// starts out holding the builtin as a procedure.
  const core::StaticInfo* global(std::string_view name);
  /// The value of a defined global, or null.
  Object* globalValue(std::string_view name) const;
  /// Every global that has a value, sorted.
  std::vector<std::string> definedGlobals() const;
  /// A builtin visible here (not hidden by the sandbox), or null.
  const Builtin* visibleBuiltin(std::string_view name) const;
  bool sandboxed() const { return allowed_.has_value(); }
  /// Makes more builtins visible here (VMlets' VP-building procedures, introspection): they
  /// are core names in this environment like those of Builtins.def.
  void addBuiltins(std::span<const Builtin> extra);
  /// A builtin's name (which no definition may take).
  bool isCoreName(std::string_view name) const;

  /// A static cell holding the constant `o` (kept alive with the environment).
  const core::StaticInfo* constant(Object* o);
  /// The macro called `name`, or null.
  Object* macro(std::string_view name) const;
  void defineMacro(const std::string& name, Object* expander);

  /// Records where a global is first named (for checks that every global a VMlet names is
  /// defined in it). `uses()` lists them: name -> (file, position).
  void noteUse(const std::string& name, const std::string& file, SourcePos pos) { uses_.try_emplace(name, file, pos); }
  const std::map<std::string, std::pair<std::string, SourcePos>, std::less<>>& uses() const { return uses_; }

  /// A fresh name for a method or shape of this environment ("fact", "fact#2", ...).
  std::string uniqueName(std::string_view base);

private:
  core::Module module_;
  std::optional<std::set<std::string, std::less<>>> allowed_;
  std::map<std::string, const core::StaticInfo*, std::less<>> globals_;
  std::map<const Object*, const core::StaticInfo*> constants_;
  std::map<std::string, Object*, std::less<>> macros_;
  std::map<std::string, int, std::less<>> nameCounts_;
  std::map<std::string, const Builtin*, std::less<>> extra_;
  std::map<std::string, std::pair<std::string, SourcePos>, std::less<>> uses_;
};

/// What evaluating input came to.
enum class Outcome : uint8_t {
  Ok,           ///< every form ran
  CompileError, ///< a form could not be read or compiled (diagnostics say where)
  RuntimeError, ///< a form raised and nothing caught it (the thread's exception is pending)
  Exit,         ///< the program called exit (Thread::exitStatus)
};

/// Compiles and runs console code in an environment, on a VP thread.
class Evaluator {
public:
  Evaluator(Environment& env, Thread& thread);

  /// Reads and runs every form of `text`, stopping at the first error. `last` is the value of
  /// the last form run; `each`, when given, sees every form's value as it is made (the REPL
  /// prints them all).
  Outcome evalText(std::string_view text, const std::string& file, Diagnostics& diags, Object** last = nullptr,
                   const std::function<void(Object*)>& each = {});
  /// Runs one datum (a top-level form).
  Outcome evalDatum(const Datum& form, const std::string& file, Diagnostics& diags, Object** result = nullptr);

  /// Compiles each form without running it (for fuzzing and checking): definitions and record
  /// types are compiled, macros are compiled but not defined, nothing runs.
  void setCompileOnly(bool on) { compileOnly_ = on; }
  bool compileOnly() const { return compileOnly_; }

  /// The uncaught exception pending in the thread, as the user should read it: "file:line:
  /// error: message" and a walkback, or (`brief`) "message (file:line)". Clears it.
  std::string takeError(bool brief = false);

  Environment& env() { return env_; }
  Thread& thread() { return thread_; }

private:
  /// Line `line` of the text being evaluated, for diagnostics (empty if unknown).
  std::string sourceLine(uint32_t line) const;

  Environment& env_;
  Thread& thread_;
  std::string_view text_; ///< during evalText
  bool compileOnly_ = false;
};

/// The source file a console method was compiled from ("" for the console's own methods).
std::string_view methodFile(const core::Method* m);

} // namespace vvm::console
