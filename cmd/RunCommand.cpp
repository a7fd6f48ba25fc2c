// `vvm run FILE [ARGS...]`. Today vvm runs VP assembly (.vp); typing by magic bytes and
// VMlets arrive with the VMlet issue.
#include "cmd/RunCommand.h"

#include "cmd/ConsoleCommand.h"
#include "cmd/ExitStatus.h"
#include "cmd/Launchers.h"
#include "cmd/VmletRun.h"
#include "core/interp/Interpreter.h"
#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/ir/Module.h"
#include "core/text/Assembler.h"
#include "gc/Heap.h"
#include "vos/Host.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>

namespace vvm::cmd {
namespace {

// A .vp file is source text a person or a translator wrote; 16 MiB bounds what assembling it may
// cost (the assembler holds every line and token: about 60 bytes a token).
constexpr size_t kMaxProgramBytes = 16u << 20;

/// Prints an uncaught exception as a VP walkback.
void printUncaught(core::Thread& t, const std::string& file) {
  core::Object* exc = t.pending;
  std::string what = exc->shape->name;
  if (exc->shape->isSubshapeOf(t.rt.errorShape())) {
    core::Object* msg = core::slotsOf(exc)[0].ref;
    if (msg) what += ": " + core::Runtime::stringText(msg);
  }
  std::string out = fmt::format("vvm: uncaught {}\n", what);
  if (const core::Trace* trace = t.traceOf(exc))
    out += core::formatWalkback(*trace, [&](const core::TraceEntry& e) {
      return std::optional<core::WalkbackFrame>({e.method->name, fmt::format("{}:{}", file, e.line)});
    });
  std::fputs(out.c_str(), stderr);
}

void printGcStats(double seconds) {
  gc::Stats s = gc::stats();
  std::fprintf(stderr,
               "gc: %llu collections, heap %.1f MiB (%.1f MiB free), %.1f MiB allocated, %llu ms collecting, "
               "%.3f s total\n",
               static_cast<unsigned long long>(s.collections), s.heapBytes / 1048576.0, s.freeBytes / 1048576.0,
               s.bytesAllocated / 1048576.0, static_cast<unsigned long long>(s.gcMillis), seconds);
}

int listPrimitives(core::Runtime& rt) {
  for (const core::Primitive* p : rt.primitives().all()) {
    std::string params;
    for (core::Kind k : p->sig.params) params += (params.empty() ? "" : " ") + std::string(core::kindName(k));
    vos::writeOut(fmt::format("{:<14} ({}) {:<5} {}\n", p->name, params, core::kindName(p->sig.ret), p->doc));
  }
  vos::flushOut();
  return 0;
}

} // namespace

// Runs `body` on a new thread with a native stack big enough for `frames` VP frames of
// compiled code (which recurses on the native stack, unlike the interpreter), registered with
// the collector. The stack is reserved address space; only the pages used are touched.
void runOnLargeStack(uint32_t frames, const std::function<void()>& body) {
  constexpr size_t kBytesPerFrame = 1024; // generous: compiled frames are ~50-200 bytes
  size_t bytes = std::clamp<size_t>(size_t{frames} * kBytesPerFrame, 64u << 20, size_t{8} << 30);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_t thread;
  struct Job {
    const std::function<void()>* body;
  } job{&body};
  auto start = [](void* p) -> void* {
    gc::ThreadRegistration registration;
    (*static_cast<Job*>(p)->body)();
    return nullptr;
  };
  if (pthread_attr_setstacksize(&attr, bytes) == 0 && pthread_create(&thread, &attr, start, &job) == 0) {
    pthread_join(thread, nullptr);
  } else {
    spdlog::debug("cannot start a thread with a {} MiB stack; running on the main thread", bytes >> 20);
    body();
  }
  pthread_attr_destroy(&attr);
}

void leaveIfCompiling(const std::optional<jit::Tier>& tier, int status) {
  if (!tier || !tier->busy()) return;
  // A compile is still running (loading LLVM takes tens of ms): the program is done and nothing
  // waits for that code, so leave without joining the compile thread. _Exit skips static
  // destructors, which must not run under a thread still inside LLVM.
  vos::flushOut();
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(status);
}

void startTier(std::optional<jit::Tier>& tier, core::Runtime& rt, const std::string& modeName, uint32_t threshold,
               const std::string& dumpDir) {
  jit::Mode mode = jit::modeFromName(modeName).value_or(jit::Mode::On);
  if (mode == jit::Mode::Off) return;
  jit::Options jo;
  jo.mode = mode;
  jo.threshold = mode == jit::Mode::Eager ? 1 : threshold;
  jo.dumpDir = dumpDir;
  rt.setTierThreshold(jo.threshold);
  tier.emplace(rt, jo);
}

CLI::App* addRunCommand(CLI::App& app, RunOptions& o) {
  CLI::App* run = app.add_subcommand("run", "Run a program: vvm run [OPTIONS] FILE [ARGS...]");
  run->footer("Everything after FILE is passed to the program.");
  run->add_option("file", o.file, "Program to run (VP assembly: .vp)");
  run->add_option("--type", o.type, "The program's type, instead of detecting it (see vvm inspect)");
  run->add_option("--max-heap", o.maxHeap, "Heap limit (e.g. 64m, 2g); exhausting it raises OutOfMemoryError")
      ->transform(CLI::AsSizeValue(false));
  run->add_option("--max-stack-depth", o.maxStackDepth, "VP call depth limit; beyond it StackOverflowError")
      ->capture_default_str()
      ->check(CLI::Range(16u, 10000000u));
  run->add_flag("--gc-stats", o.gcStats, "Print collections, heap size and time spent collecting at exit");
  run->add_flag("--dump-vp", o.dumpVp, "Print the program's verified VP IR (as .vp text) to stderr");
  run->add_flag("--list-primitives", o.listPrimitives, "List the primitives VP code can call, and exit");
  run->add_option("--jit", o.jit,
                  "Native code tier: off (interpret only), on (compile hot methods in the background), eager "
                  "(compile every method before it first runs)")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "on", "eager"}));
  run->add_option("--jit-threshold", o.jitThreshold, "Calls plus loop iterations before a method is compiled")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000000u));
  run->add_flag("--jit-stats", o.jitStats, "Print methods compiled, compile time, code size and queue waits at exit");
  run->add_option("--dump-llvm", o.dumpLlvm, "Write each compiled method's LLVM IR (NAME.ll, NAME.opt.ll) to DIR")
      ->type_name("DIR");
  return run;
}

int runCommand(const RunOptions& o) {
  auto started = std::chrono::steady_clock::now();
  gc::init({.maxHeapBytes = o.maxHeap});
  core::RuntimeConfig config;
  config.maxFrames = o.maxStackDepth;
  core::Runtime rt(config);
  vos::registerBasePrimitives(rt);
  if (o.listPrimitives) return listPrimitives(rt);
  if (o.file.empty()) {
    std::fputs("vvm run: missing FILE (try: vvm run prog.vp)\n", stderr);
    return static_cast<int>(Exit::Usage);
  }

  std::string error;
  Untyped why = Untyped::Unknown;
  auto detection = detectFile(o.file, o.type, error, why);
  if (!detection) {
    if (why == Untyped::Unknown)
      std::fprintf(stderr,
                   "vvm: %s: no VMlet can run this file: %s (vvm vmlets lists the VMlets found and what they run)\n",
                   o.file.c_str(), error.c_str());
    else
      std::fprintf(stderr, "vvm: %s: %s\n", o.file.c_str(), error.c_str());
    return exitStatusFor(why);
  }
  auto launcher = launcherFor(detection->type);
  if (!launcher) {
    std::fprintf(stderr, "vvm: %s: no VMlet can run %s (decided by %s)\n", o.file.c_str(), detection->type.c_str(),
                 std::string(vos::typedByName(detection->by)).c_str());
    return static_cast<int>(Exit::NotFound);
  }
  if (launcher->type == kConsoleScriptType) {
    ConsoleOptions script;
    script.file = o.file;
    script.args = o.args;
    script.maxHeap = o.maxHeap;
    script.maxStackDepth = o.maxStackDepth;
    script.jit = o.jit;
    return runConsole(script, rt);
  }
  // What runs on the program's thread: the VMlet's application or the VP assembly's main.
  std::function<int(core::Thread&)> program;
  std::string vmletText;
  VmletPolicy policy;
  if (launcher->isVmlet()) {
    std::optional<vmlets::VmletTrust> remote;
    if (launcher->remote) {
      // A repository's VMlet is fetched (or taken from the cache) and verified before anything
      // else: the loader is given its verified text, never unverified bytes.
      int status = 0;
      auto vmlet = obtainRemoteVmlet(*launcher, error, status);
      if (!vmlet) {
        std::fprintf(stderr, "vvm: %s: %s runs %s, but it cannot be used: %s\n", o.file.c_str(), launcher->runs.c_str(),
                     detection->type.c_str(), error.c_str());
        return status;
      }
      spdlog::info("{}: {} from {}, verified, {}", o.file, launcher->runs, vmlet->url,
                   vmlet->fromCache           ? "from the cache"
                   : vmlet->cachePath.empty() ? "not cached"
                                              : "now cached");
      vmletText = vmlet->text;
      remote.emplace();
      remote->level = vmlets::TrustLevel::Trusted;
      remote->reason = fmt::format("signed by a trusted key, fetched from {}", vmlet->url);
      remote->signature = vmlet->signature;
    }
    if (int status = prepareVmlet(o, *launcher, vmletText, remote, policy); status != 0) return status;
    program = [&](core::Thread& thread) { return runThroughVmlet(o, *launcher, vmletText, policy, thread); };
  }
  core::Module module(rt, o.file);
  if (!program) {
    bool notFound = false;
    auto text = vos::readFile(o.file, kMaxProgramBytes, error, notFound);
    if (!text) {
      std::fprintf(stderr, "vvm: %s: %s\n", o.file.c_str(), error.c_str());
      return static_cast<int>(notFound ? Exit::NotFound : Exit::LoadFailed);
    }

    Diagnostics diags;
    auto loadStart = std::chrono::steady_clock::now();
    if (!core::assemble(*text, o.file, module, diags)) {
      std::fputs(diags.format().c_str(), stderr);
      return static_cast<int>(Exit::LoadFailed);
    }
    spdlog::info("{}: {} methods, {} shapes assembled and verified in {:.2f} ms", o.file, module.methods().size(),
                 module.shapes().size(),
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - loadStart).count());
    if (o.dumpVp) std::fputs(core::disassemble(module).c_str(), stderr);
    core::Method* main = module.findMethod("main");
    if (!main) {
      std::fprintf(stderr, "%s: error: no method 'main' (define .method main () void)\n", o.file.c_str());
      return static_cast<int>(Exit::LoadFailed);
    }
    if (!main->sig.params.empty() || (main->sig.ret != core::Kind::Void && main->sig.ret != core::Kind::I32)) {
      std::fprintf(stderr, "%s:%u: error: 'main' must take no parameters and return void or i32\n", o.file.c_str(),
                   main->line);
      return static_cast<int>(Exit::LoadFailed);
    }
    program = [&, main](core::Thread& thread) {
      core::Value result{};
      core::Status status = core::invoke(thread, main, nullptr, &result);
      vos::flushOut();
      if (status == core::Status::Exception) {
        if (thread.exiting) return thread.exitStatus;
        printUncaught(thread, o.file);
        return static_cast<int>(Exit::AppFailed);
      }
      return main->sig.ret == core::Kind::I32 ? result.i32 : 0;
    };
  }

  vos::setArguments(o.args);
  std::optional<jit::Tier> tier;
  startTier(tier, rt, o.jit, o.jitThreshold, o.dumpLlvm);
  int exitStatus = 0;
  runOnLargeStack(config.maxFrames, [&] {
    core::Thread thread(rt);
    exitStatus = program(thread);
    vos::flushOut();
  });
  if (tier && o.jitStats) tier->printStats(stderr);
  if (tier && tier->busy() && o.gcStats)
    printGcStats(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  leaveIfCompiling(tier, exitStatus);
  tier.reset();
  if (o.gcStats) printGcStats(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return exitStatus;
}

} // namespace vvm::cmd
