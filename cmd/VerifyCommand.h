// `vvm verify FILE.vml`: runs VMlet verification (vmlets/Verifier.h) and prints one line per
// check, or one JSON object with --json. Wiring and output only.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace vvm::cmd {

struct VerifyOptions {
  std::string file;
  std::vector<std::string> trust; ///< --trust KEYFILE: public keys trusted besides the trust store
  std::string rules;              ///< --rules FILE: global rules other than the install tree's
  bool json = false;
};

CLI::App* addVerifyCommand(CLI::App& app, VerifyOptions& options);
/// 0 when the VMlet is valid, 3 when it is not (or the rules or a --trust key cannot be
/// loaded), 4 when FILE does not exist.
int verifyCommand(const VerifyOptions& options);

} // namespace vvm::cmd
