// `vvm run`: type the program, load it, run its entry point, report the outcome.
#pragma once

#include "core/interp/Runtime.h"
#include "jit/Tier.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
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

/// Starts the JIT tier for `rt` in `tier` unless `mode` is "off" (eager: threshold 1).
void startTier(std::optional<jit::Tier>& tier, core::Runtime& rt, const std::string& mode, uint32_t threshold,
               const std::string& dumpDir = {});

/// Ends the process at once with `status` when the tier is still compiling (see RunCommand.cpp);
/// returns otherwise.
void leaveIfCompiling(const std::optional<jit::Tier>& tier, int status);

/// Runs `body` on a new thread (registered with the collector) whose native stack is big
/// enough for `frames` VP frames of compiled code, which recurses on the native stack.
void runOnLargeStack(uint32_t frames, const std::function<void()>& body);

} // namespace vvm::cmd
