// Host access and introspection for the console's user (see ConsoleBuiltins.h).
#include "cmd/ConsoleBuiltins.h"

#include "console/Compiler.h"
#include "core/interp/Interpreter.h"
#include "core/text/Assembler.h"
#include "core/verify/Verifier.h"
#include "gc/Heap.h"
#include "jit/Tier.h"
#include "vmlets/Catalog.h"
#include "vmlets/Toolkits.h"
#include "vos/Host.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace vvm::cmd {
namespace {

using console::Values;
using core::Object;
using core::Thread;
using core::Value;

constexpr size_t kMaxFileBytes = 256u << 20;

const jit::Tier* gTier = nullptr;

/// A string argument's text, or a type error.
bool text(Thread& t, std::string_view who, Object* o, std::string& out) {
  Values& v = Values::of(t);
  if (!v.isString(o)) return v.typeError(t, who, "a string", o);
  out = Values::stringBytes(o);
  return true;
}

bool result(Thread& t, Value* args, Object* o) {
  if (!o) return Values::of(t).outOfMemory(t);
  args[0].ref = o;
  return true;
}

/// A list of strings.
Object* stringList(Values& v, const std::vector<std::string>& items) {
  Object* out = v.nil;
  for (size_t i = items.size(); i-- > 0;) {
    Object* s = v.makeString(items[i]);
    if (!s || !(out = v.cons(s, out))) return nullptr;
  }
  return out;
}

/// ((key . value) ...) of integers.
Object* numberAlist(Values& v, const std::vector<std::pair<std::string, int64_t>>& items) {
  Object* out = v.nil;
  for (size_t i = items.size(); i-- > 0;) {
    Object* key = v.intern(items[i].first);
    Object* value = v.makeInt(items[i].second);
    Object* pair = key && value ? v.cons(key, value) : nullptr;
    if (!pair || !(out = v.cons(pair, out))) return nullptr;
  }
  return out;
}

// ---- host access

bool commandLine(Thread& t, Value* args) { return result(t, args, stringList(Values::of(t), vos::arguments())); }

bool readFileAs(Thread& t, Value* args, std::string_view who, bool bytes) {
  Values& v = Values::of(t);
  std::string path;
  if (!text(t, who, args[0].ref, path)) return false;
  std::string error;
  bool notFound = false;
  auto data = vos::readFile(path, kMaxFileBytes, error, notFound);
  if (!data) return v.raise(t, fmt::format("{}: {}: {}", who, path, error));
  if (!bytes) return result(t, args, v.makeString(*data));
  core::Array* a = v.rt.newArray(core::Elem::I8, static_cast<int64_t>(data->size()));
  if (a) std::memcpy(a->data<char>(), data->data(), data->size());
  return result(t, args, a);
}

bool readFile(Thread& t, Value* args) { return readFileAs(t, args, "read-file", false); }
bool readFileBytes(Thread& t, Value* args) { return readFileAs(t, args, "read-file-bytes", true); }

bool writeFile(Thread& t, Value* args) {
  Values& v = Values::of(t);
  std::string path;
  if (!text(t, "write-file", args[0].ref, path)) return false;
  Object* data = args[1].ref;
  if (!v.isString(data) && !v.isBytevector(data)) return v.typeError(t, "write-file", "a string or byte vector", data);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return v.raise(t, fmt::format("write-file: {}: {}", path, std::strerror(errno)));
  int err = vos::writeAll(fd, *core::bytesOf(data));
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err) return v.raise(t, fmt::format("write-file: {}: {}", path, std::strerror(err)));
  return result(t, args, v.unspecified);
}

bool fileExists(Thread& t, Value* args) {
  std::string path;
  if (!text(t, "file-exists?", args[0].ref, path)) return false;
  return result(t, args, Values::of(t).makeBool(::access(path.c_str(), F_OK) == 0));
}

bool getEnv(Thread& t, Value* args) {
  Values& v = Values::of(t);
  std::string name;
  if (!text(t, "getenv", args[0].ref, name)) return false;
  const char* value = std::getenv(name.c_str());
  return result(t, args, value ? v.makeString(value) : v.falseObj);
}

// ---- introspection

bool help(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto rest = console::restArgs(args);
  std::string out;
  auto describe = [&](const console::Builtin& b) {
    std::string arity = b.fixed()                     ? std::to_string(b.min)
                        : b.max == console::kAnyCount ? fmt::format("{}+", b.min)
                                                      : fmt::format("{}-{}", b.min, b.max);
    return fmt::format("  {:<28} {:>4}  {}\n", b.name, arity, b.doc);
  };
  if (rest.empty()) {
    out += "Special forms: quote quasiquote lambda define set! if cond case and or when unless let let* letrec\n"
           "  letrec* begin do define-record-type define-macro guard (named let too)\n"
           "Procedures (name, arguments, what it does):\n";
    for (const console::Builtin& b : console::allBuiltins())
      if (!b.name.starts_with("%")) out += describe(b);
    out += "The console's own (files, arguments, introspection):\n";
    for (const console::Builtin& b : consoleBuiltins()) out += describe(b);
  } else {
    std::string name = v.isSymbol(rest[0]) ? std::string(Values::symbolName(rest[0])) : v.write(rest[0], true);
    const console::Builtin* b = console::findBuiltin(name);
    for (const console::Builtin& c : consoleBuiltins())
      if (c.name == name) b = &c;
    out = b ? describe(*b) : fmt::format("  {}: no such builtin\n", name);
  }
  vos::writeOut(out);
  return result(t, args, v.unspecified);
}

bool disassembleProc(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* p = args[0].ref;
  if (!v.isProcedure(p)) return v.typeError(t, "disassemble", "a procedure", p);
  const console::ProcInfo* info = v.procInfo(p->shape);
  if (!info || !info->body) return v.raise(t, "disassemble: no code to show for " + v.describe(p));
  std::string out = fmt::format(";; {} ({})\n", info->name, info->where);
  out += core::disassemble(*info->body);
  if (p->shape->vtable.size() > Values::kCallvSlot) {
    core::Method* callv = p->shape->vtable[Values::kCallvSlot];
    if (callv != info->body) out += core::disassemble(*callv);
  }
  return result(t, args, v.makeString(out));
}

bool globals(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto* env = static_cast<console::Environment*>(v.consoleEnvironment);
  if (!env) return result(t, args, v.nil);
  console::ListBuilder names(v);
  for (const std::string& n : env->definedGlobals())
    if (!names.add(v.intern(n))) return v.outOfMemory(t);
  return result(t, args, names.list());
}

bool gcStats(Thread& t, Value* args) {
  gc::Stats s = gc::stats();
  return result(t, args,
                numberAlist(Values::of(t), {{"collections", static_cast<int64_t>(s.collections)},
                                            {"heap-bytes", static_cast<int64_t>(s.heapBytes)},
                                            {"free-bytes", static_cast<int64_t>(s.freeBytes)},
                                            {"allocated-bytes", static_cast<int64_t>(s.bytesAllocated)},
                                            {"gc-milliseconds", static_cast<int64_t>(s.gcMillis)}}));
}

bool gcCollect(Thread& t, Value* args) {
  gc::collect();
  gc::runFinalizers();
  return result(t, args, Values::of(t).unspecified);
}

bool jitStats(Thread& t, Value* args) {
  Values& v = Values::of(t);
  if (!gTier) return result(t, args, v.falseObj);
  jit::Stats s = gTier->stats();
  return result(
      t, args,
      numberAlist(v, {{"queued", static_cast<int64_t>(s.queued)},
                      {"compiled", static_cast<int64_t>(s.compiled)},
                      {"failed", static_cast<int64_t>(s.failed)},
                      {"dropped", static_cast<int64_t>(s.dropped)},
                      {"osr-entries", static_cast<int64_t>(s.osrEntries)},
                      {"code-bytes", static_cast<int64_t>(s.codeBytes)},
                      {"compile-milliseconds", static_cast<int64_t>(s.lowerMillis + s.optMillis + s.emitMillis)}}));
}

bool instructions(Thread& t, Value* args) {
  std::vector<std::string> names;
  for (size_t i = 0; i < core::kOpCount; ++i) {
    const core::OpInfo& info = core::kOpInfo[i];
    if (!(info.flags & core::Internal)) names.emplace_back(info.name);
  }
  return result(t, args, stringList(Values::of(t), names));
}

bool vmletsList(Thread& t, Value* args) {
  Values& v = Values::of(t);
  console::ListBuilder rows(v);
  for (const vmlets::Found& f : vmlets::findVmlets(vmlets::standardSearchDirs(), nullptr)) {
    console::ListBuilder row(v);
    bool ok = row.add(f.manifest ? v.intern(f.manifest->name) : v.falseObj) &&
              row.add(f.manifest ? v.makeString(f.manifest->version) : v.falseObj) && row.add(v.makeString(f.path)) &&
              row.add(v.makeString(vmlets::originName(f.origin))) && rows.add(row.list());
    if (!ok) return v.outOfMemory(t);
  }
  return result(t, args, rows.list());
}

bool toolkits(Thread& t, Value* args) {
  Values& v = Values::of(t);
  console::ListBuilder rows(v);
  for (const vmlets::Toolkit& k : vmlets::nativeToolkits()) {
    console::ListBuilder row(v);
    if (!row.add(v.intern(k.name)) || !row.add(v.makeString(k.version)) || !rows.add(row.list()))
      return v.outOfMemory(t);
  }
  return result(t, args, rows.list());
}

/// True when `m` has a frame on the thread's stack (its code may not be replaced then).
bool active(Thread& t, const core::Method* m) {
  for (core::Frame* f = t.frameBase; f <= t.fp; ++f)
    if (f->method == m) return true;
  return false;
}

bool replaceMethod(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* target = args[0].ref;
  Object* replacement = args[1].ref;
  if (!v.isProcedure(target)) return v.typeError(t, "replace-method!", "a procedure", target);
  if (!v.isProcedure(replacement)) return v.typeError(t, "replace-method!", "a procedure", replacement);
  const console::ProcInfo* to = v.procInfo(target->shape);
  const console::ProcInfo* from = v.procInfo(replacement->shape);
  if (!to || !from || !to->body || !from->body || to->where == "built in")
    return v.raise(t, "replace-method!: only procedures compiled from console code can be replaced");
  if (to->required != from->required || to->rest != from->rest || to->body->sig != from->body->sig)
    return v.raise(t, fmt::format("replace-method!: {} and {} take different arguments", to->name, from->name));
  if (!replacement->shape->fields.empty())
    return v.raise(t, fmt::format("replace-method!: {} captures variables; the new code must not", from->name));
  core::Method* m = to->body;
  if (active(t, m))
    return v.raise(t, fmt::format("replace-method!: {} is running; replace it when it is not", to->name));
  // The new code runs on the target's own frame layout: copy the IR, verify it, and relink.
  // Compiled code for the old body is abandoned: compiled callers see no fast entry and call
  // through the interpreter, and the method stays interpreted from now on.
  core::Method candidate;
  candidate.name = m->name;
  candidate.module = m->module;
  candidate.sig = from->body->sig;
  candidate.locals = from->body->locals;
  candidate.code = from->body->code;
  candidate.handlers = from->body->handlers;
  candidate.switches = from->body->switches;
  Diagnostics diags;
  if (!core::verify(candidate, diags, "replace-method!")) return v.raise(t, "replace-method!: " + diags.format());
  m->tier.store(core::Method::Tier::Failed);
  m->fastEntry.store(nullptr);
  m->locals = candidate.locals;
  m->code = std::move(candidate.code);
  m->handlers = std::move(candidate.handlers);
  m->switches = std::move(candidate.switches);
  m->maxStack = candidate.maxStack;
  m->verified = true;
  m->linked.clear();
  m->insnOffset.clear();
  core::prepare(*m);
  return result(t, args, v.unspecified);
}

constexpr console::Builtin kConsoleBuiltins[] = {
    {"command-line", commandLine, 0, 0, "args", "the script's arguments, as a list of strings"},
    {"read-file", readFile, 1, 1, "read", "a file's contents as a string"},
    {"read-file-bytes", readFileBytes, 1, 1, "read", "a file's contents as a byte vector"},
    {"write-file", writeFile, 2, 2, "write", "(write-file PATH STRING-OR-BYTES): create or replace a file"},
    {"file-exists?", fileExists, 1, 1, "read", "#t when the path exists"},
    {"getenv", getEnv, 1, 1, "env", "an environment variable's value, or #f"},
    {"help", help, 0, 1, "", "this list, or (help 'NAME) for one builtin"},
    {"globals", globals, 0, 0, "", "the names this session has defined"},
    {"disassemble", disassembleProc, 1, 1, "", "the VP IR of a procedure, as text"},
    {"gc-stats", gcStats, 0, 0, "", "heap and collector statistics, as an association list"},
    {"gc-collect", gcCollect, 0, 0, "", "run a full collection"},
    {"jit-stats", jitStats, 0, 0, "", "JIT statistics (an association list), or #f when the JIT is off"},
    {"vp-instructions", instructions, 0, 0, "", "the VP instruction set's mnemonics"},
    {"vmlets", vmletsList, 0, 0, "", "the VMlets found: (name version path origin) each"},
    {"toolkits", toolkits, 0, 0, "", "the native toolkits of this vvm: (name version) each"},
    {"replace-method!", replaceMethod, 2, 2, "", "(replace-method! F G): F runs G's code from now on"},
};

} // namespace

std::span<const console::Builtin> consoleBuiltins() { return kConsoleBuiltins; }

void setConsoleTier(const jit::Tier* tier) { gTier = tier; }

} // namespace vvm::cmd
