// `vvm inspect FILE`: the file's detected type, how it was decided, and what would run it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace vvm::cmd {

struct InspectOptions {
  std::string file;
  std::string type; ///< --type: overrides detection
};

CLI::App* addInspectCommand(CLI::App& app, InspectOptions& options);
/// Exit status: 0 when something can run the file, 4 when the file or a runner is missing (or a
/// repository's VMlet cannot be fetched), 3 when the file cannot be read or a repository's VMlet
/// is refused (its signature, or a manifest that disagrees with the repository's index).
int inspectCommand(const InspectOptions& options);

} // namespace vvm::cmd
