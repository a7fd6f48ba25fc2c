// `vvm vmlets`: the VMlets vvm can find, with their versions, types, origin and signature, and
// those the configured repositories list (with the signature of the copy cached, if there is one).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace vvm::cmd {

struct VmletsOptions {
  std::vector<std::string> trust; ///< --trust KEYFILE: public keys trusted besides the trust store
};

CLI::App* addVmletsCommand(CLI::App& app, VmletsOptions& options);
/// 0, or 3 when a --trust key file cannot be loaded. Broken VMlets are listed, with what is wrong.
int vmletsCommand(const VmletsOptions& options);

} // namespace vvm::cmd
