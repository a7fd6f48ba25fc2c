// `vvm console`: REPL, scripts and -e. The console language runs on the VP like every language:
// each form is compiled to VP IR and run by the interpreter, and hot code by the JIT.
#include "cmd/ConsoleCommand.h"

#include "cmd/ConsoleBuiltins.h"
#include "cmd/ExitStatus.h"
#include "cmd/RunCommand.h"
#include "console/Compiler.h"
#include "core/interp/Thread.h"
#include "gc/Heap.h"
#include "jit/Tier.h"
#include "vos/Host.h"

#include <editline/readline.h>
#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

namespace vvm::cmd {
namespace {

// A console script is source text; 16 MiB bounds what reading and compiling it may cost.
constexpr size_t kMaxScriptBytes = 16u << 20;

/// Where the REPL keeps its history: $XDG_STATE_HOME/vvm/console-history, else
/// ~/.local/state/vvm/console-history (empty when there is no home).
std::string historyPath() {
  namespace fs = std::filesystem;
  fs::path dir;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state)
    dir = fs::path(state) / "vvm";
  else if (const char* home = std::getenv("HOME"); home && *home)
    dir = fs::path(home) / ".local" / "state" / "vvm";
  else
    return {};
  std::error_code ec;
  fs::create_directories(dir, ec);
  return ec ? std::string() : (dir / "console-history").string();
}

/// Prints what went wrong with an evaluation and returns the exit status it means.
int report(console::Evaluator& ev, console::Outcome o, const Diagnostics& diags) {
  vos::flushOut();
  switch (o) {
  case console::Outcome::Ok: return 0;
  case console::Outcome::CompileError:
    std::fputs(diags.format().c_str(), stderr);
    return static_cast<int>(Exit::LoadFailed);
  case console::Outcome::RuntimeError:
    std::fputs(ev.takeError().c_str(), stderr);
    return static_cast<int>(Exit::AppFailed);
  case console::Outcome::Exit: return ev.thread().exitStatus;
  }
  return static_cast<int>(Exit::Internal);
}

/// Prints a REPL or -e result (nothing for unspecified values).
void printResult(console::Values& v, core::Object* result) {
  if (!result || result == v.unspecified) return;
  vos::writeOut(v.write(result) + "\n");
}

/// A script's text with a `#!` first line blanked (so line numbers stay right).
std::string withoutShebang(std::string text) {
  if (text.starts_with("#!")) {
    size_t end = text.find('\n');
    text.erase(0, end == std::string::npos ? text.size() : end);
  }
  return text;
}

int repl(console::Evaluator& ev, bool quiet) {
  console::Values& v = ev.env().values;
  bool interactive = isatty(STDIN_FILENO);
  std::string history = interactive ? historyPath() : std::string();
  if (interactive) {
    if (!quiet) std::printf("vvm console %s: (help) lists what there is; Ctrl-D leaves.\n", VVM_VERSION);
    using_history();
    if (!history.empty()) read_history(history.c_str());
  }
  int entry = 0;
  int failed = 0; // piped input: the status of the last entry that failed
  std::string pending;
  while (true) {
    std::optional<std::string> line;
    if (interactive) {
      std::fflush(stdout);
      char* raw = readline(pending.empty() ? "vvm> " : "...> ");
      if (raw) {
        line = raw;
        std::free(raw);
      }
    } else {
      std::string l;
      if (std::getline(std::cin, l)) line = std::move(l);
    }
    if (!line) break;
    pending += *line;
    pending += '\n';
    if (console::needsMoreInput(pending)) continue;
    if (interactive && pending.find_first_not_of(" \t\n") != std::string::npos) {
      std::string h = pending.substr(0, pending.size() - 1);
      add_history(h.c_str());
    }
    Diagnostics diags;
    core::Object* result = nullptr;
    std::string source = interactive ? fmt::format("<console {}>", ++entry) : std::string("<stdin>");
    std::string text = std::move(pending);
    pending.clear();
    // Every form's value is printed as it is made, so `1 2 3` on one line prints three lines.
    console::Outcome o = ev.evalText(text, source, diags, &result, [&](core::Object* value) {
      printResult(v, value);
      vos::flushOut();
    });
    if (o == console::Outcome::Ok) {
    } else if (o == console::Outcome::Exit) {
      vos::flushOut();
      if (!history.empty()) write_history(history.c_str());
      return ev.thread().exitStatus;
    } else {
      failed = report(ev, o, diags); // the REPL keeps going
    }
  }
  if (!pending.empty() && pending.find_first_not_of(" \t\n") != std::string::npos) {
    std::fprintf(stderr, "<stdin>: error: the input ends inside an expression\n");
    failed = static_cast<int>(Exit::LoadFailed);
  }
  if (!history.empty()) write_history(history.c_str());
  if (interactive) {
    std::printf("\n");
    return 0;
  }
  return failed;
}

} // namespace

CLI::App* addConsoleCommand(CLI::App& app, ConsoleOptions& o) {
  CLI::App* c = app.add_subcommand("console", "The console language: REPL, scripts (FILE.vc), -e EXPR");
  c->footer("Without FILE or -e: a REPL with line editing and history (kept in $XDG_STATE_HOME/vvm); fed from a\n"
            "pipe, it reads every form, reports errors and goes on, and exits with the status of the last error.\n"
            "Exit status: 0, or 1 for an uncaught error, 3 for a compile error, or the script's own (exit n).");
  c->add_option("file", o.file, "A console script to run (.vc)");
  c->add_option("args", o.args, "Arguments for the script ((command-line) returns them)");
  c->add_option("-e,--eval", o.eval, "Evaluate EXPR and print its value (repeatable; runs before FILE)")
      ->type_name("EXPR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--max-heap", o.maxHeap, "Heap limit (e.g. 64m, 2g)")->transform(CLI::AsSizeValue(false));
  c->add_option("--max-stack-depth", o.maxStackDepth, "VP call depth limit")
      ->capture_default_str()
      ->check(CLI::Range(16u, 10000000u));
  c->add_option("--jit", o.jit, "Native code tier: off, on, eager")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "on", "eager"}));
  c->add_flag("--quiet", o.quiet, "No banner in the REPL");
  return c;
}

int consoleCommand(const ConsoleOptions& o) {
  gc::init({.maxHeapBytes = o.maxHeap});
  core::RuntimeConfig config;
  config.maxFrames = o.maxStackDepth;
  core::Runtime rt(config);
  vos::registerBasePrimitives(rt);
  return runConsole(o, rt);
}

int runConsole(const ConsoleOptions& o, core::Runtime& rt) {
  std::string script;
  if (!o.file.empty()) {
    std::string error;
    bool notFound = false;
    auto text = vos::readFile(o.file, kMaxScriptBytes, error, notFound);
    if (!text) {
      std::fprintf(stderr, "vvm console: %s: %s\n", o.file.c_str(), error.c_str());
      return static_cast<int>(notFound ? Exit::NotFound : Exit::LoadFailed);
    }
    script = withoutShebang(std::move(*text));
  }
  vos::setArguments(o.args);
  std::optional<jit::Tier> tier;
  startTier(tier, rt, o.jit, jit::Options{}.threshold);
  if (tier) setConsoleTier(&*tier);
  int status = 0;
  runOnLargeStack(rt.config().maxFrames, [&] {
    core::Thread thread(rt);
    console::Values& values = console::installConsole(rt);
    {
      console::Environment env(values, o.file.empty() ? "console" : o.file);
      env.addBuiltins(consoleBuiltins());
      values.consoleEnvironment = &env;
      console::Evaluator ev(env, thread);
      bool failed = false;
      for (const std::string& expr : o.eval) {
        Diagnostics diags;
        core::Object* result = nullptr;
        console::Outcome out = ev.evalText(expr, "<-e>", diags, &result);
        if (out != console::Outcome::Ok) {
          status = report(ev, out, diags);
          failed = true;
          break;
        }
        printResult(values, result);
      }
      if (failed) {
      } else if (!o.file.empty()) {
        Diagnostics diags;
        status = report(ev, ev.evalText(script, o.file, diags), diags);
      } else if (o.eval.empty()) {
        status = repl(ev, o.quiet);
      }
      vos::flushOut();
    }
    values.consoleEnvironment = nullptr;
    console::releaseConsole(rt);
  });
  vos::flushOut();
  leaveIfCompiling(tier, status);
  return status;
}

} // namespace vvm::cmd
