// The `vvm` executable: CLI11 sub-commands, spdlog set-up, exit statuses. Wiring only.
#include "cmd/ConsoleCommand.h"
#include "cmd/ExitStatus.h"
#include "cmd/InspectCommand.h"
#include "cmd/KeyCommands.h"
#include "cmd/RunCommand.h"
#include "cmd/VerifyCommand.h"
#include "cmd/VmletsCommand.h"
#include "vmlets/Repository.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <exception>

namespace vvm::cmd {

std::string exitStatusHelp() {
  std::string out = "Exit status:\n";
#define VVM_EXIT(Name, Code, Meaning) out += fmt::format("  {:>3}  {}\n", Code, Meaning);
#include "cmd/ExitStatus.def"
  out += "  An application's own exit(n) passes through unchanged.\n";
  return out;
}

namespace {

void setUpLogging(int verbosity, bool quiet, const std::string& level) {
  auto logger = spdlog::stderr_color_mt("vvm");
  logger->set_pattern("vvm: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum lvl = spdlog::level::warn;
  if (verbosity == 1) lvl = spdlog::level::info;
  if (verbosity == 2) lvl = spdlog::level::debug;
  if (verbosity >= 3) lvl = spdlog::level::trace;
  if (quiet) lvl = spdlog::level::err;
  if (!level.empty()) lvl = spdlog::level::from_str(level);
  spdlog::set_level(lvl);
}

/// True when `word` is an option of `app` that takes a separate value ("--max-heap 64m").
bool takesValue(CLI::App& app, const std::string& word) {
  if (word.size() < 2 || word[0] != '-' || word.find('=') != std::string::npos) return false;
  try {
    return app.get_option(word)->get_expected_min() > 0; // flags expect no value
  } catch (const CLI::Error&) { return false; }
}

/// Returns how many leading words of argv are vvm's own: up to and including `run`'s FILE.
int splitProgramArguments(CLI::App& app, CLI::App& run, int argc, char** argv) {
  CLI::App* level = &app;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (level == &app) {
      if (word == "run")
        level = &run;
      else if (word[0] != '-')
        return argc; // another sub-command: CLI11 parses it all
      else if (takesValue(app, word))
        ++i;
      continue;
    }
    if (word == "--") return std::min(i + 2, argc);
    if (word.size() > 1 && word[0] == '-') {
      if (takesValue(run, word)) ++i;
      continue;
    }
    return i + 1; // FILE
  }
  return argc;
}

int main(int argc, char** argv) {
  CLI::App app{"vvm: a virtual virtual machine. One small core (the VP) runs the VM of any\n"
               "bytecoded language, described by a VMlet.",
               "vvm"};
  app.footer(exitStatusHelp());
  app.set_version_flag("--version", std::string("vvm ") + VVM_VERSION);
  app.require_subcommand(0, 1);
  int verbosity = 0;
  bool quiet = false;
  std::string logLevel;
  app.add_flag("-v,--verbose", verbosity, "More diagnostics on stderr (repeat for more)");
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");
  app.add_option("--log-level", logLevel, "Diagnostics level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  bool offline = false;
  app.add_flag("--offline", offline,
               "Fetch nothing: use only the VMlet repositories' indexes and VMlets in the cache (as VVM_OFFLINE=1)");

  RunOptions run;
  CLI::App* runCmd = addRunCommand(app, run);
  CLI::App* versionCmd = app.add_subcommand("version", "Print vvm's version and build configuration");
  SignOptions sign;
  CLI::App* signCmd = addSignCommand(app, sign);
  KeygenOptions keygen;
  CLI::App* keygenCmd = addKeygenCommand(app, keygen);
  InspectOptions inspect;
  CLI::App* inspectCmd = addInspectCommand(app, inspect);
  VmletsOptions vmletsOptions;
  CLI::App* vmletsCmd = addVmletsCommand(app, vmletsOptions);
  VerifyOptions verify;
  CLI::App* verifyCmd = addVerifyCommand(app, verify);
  ConsoleOptions consoleOptions;
  CLI::App* consoleCmd = addConsoleCommand(app, consoleOptions);

  // Everything after `run FILE` belongs to the program, even words that look like options, so
  // CLI11 only sees the words before it.
  int cliArgc = splitProgramArguments(app, *runCmd, argc, argv);
  for (int i = cliArgc; i < argc; ++i) run.args.emplace_back(argv[i]);
  try {
    app.parse(cliArgc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(Exit::Usage);
  }
  setUpLogging(verbosity, quiet, logLevel);
  if (offline) vmlets::forceOffline();

  if (runCmd->parsed()) { return runCommand(run); }
  if (consoleCmd->parsed()) return consoleCommand(consoleOptions);
  if (signCmd->parsed()) return signCommand(sign);
  if (keygenCmd->parsed()) return keygenCommand(keygen);
  if (inspectCmd->parsed()) return inspectCommand(inspect);
  if (vmletsCmd->parsed()) return vmletsCommand(vmletsOptions);
  if (verifyCmd->parsed()) return verifyCommand(verify);
  if (versionCmd->parsed()) {
    std::printf("vvm %s\n", VVM_VERSION);
#if VVM_COMPUTED_GOTO
    std::printf("interpreter: direct-threaded (computed goto)\n");
#else
    std::printf("interpreter: switch dispatch\n");
#endif
    std::printf("jit: LLVM 16 ORC (libvvm-jit.so, loaded when a method gets hot; --jit=off|on|eager)\n");
    return 0;
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}

} // namespace
} // namespace vvm::cmd

int main(int argc, char** argv) {
  try {
    return vvm::cmd::main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vvm: internal error: %s\n", e.what());
    return static_cast<int>(vvm::cmd::Exit::Internal);
  }
}
