// `vvm console`: the console language's REPL (libedit line editing and history), scripts
// (`vvm console FILE.vc [ARGS...]`) and one-off expressions (`vvm console -e EXPR`).
#pragma once

#include "core/interp/Runtime.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace vvm::cmd {

struct ConsoleOptions {
  std::string file;
  std::vector<std::string> args;
  std::vector<std::string> eval; ///< -e EXPR, in order
  size_t maxHeap = 0;
  uint32_t maxStackDepth = core::RuntimeConfig{}.maxFrames;
  std::string jit = "on";
  bool quiet = false; ///< REPL without the banner
};

CLI::App* addConsoleCommand(CLI::App& app, ConsoleOptions& options);
int consoleCommand(const ConsoleOptions& options);
/// The same in a runtime already made (with the base primitives): `vvm run FILE.vc`.
int runConsole(const ConsoleOptions& options, core::Runtime& rt);

} // namespace vvm::cmd
