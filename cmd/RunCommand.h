// `vvm run`: type the program, load it, run its entry point, report the outcome.
#pragma once

#include "core/interp/Runtime.h"
#include "jit/Tier.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace vvm::cmd {

struct RunOptions {
  std::string file;
  std::string type; ///< --type: overrides detection
  std::vector<std::string> args;
  size_t maxHeap = 0;
  uint32_t maxStackDepth = core::RuntimeConfig{}.maxFrames;
  bool gcStats = false;
  bool dumpVp = false;
  bool listPrimitives = false;
  std::string jit = "on"; ///< off | on | eager
  uint32_t jitThreshold = jit::Options{}.threshold;
  bool jitStats = false;
  std::string dumpLlvm; ///< directory
};

/// Declares `run` and its options on `app`.
CLI::App* addRunCommand(CLI::App& app, RunOptions& options);
/// Runs it; returns the process exit status.
int runCommand(const RunOptions& options);

} // namespace vvm::cmd
