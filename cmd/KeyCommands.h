// `vvm keygen` and `vvm sign`: making a signer's key pair and signing files with it. Wiring
// only: the keys, key files and signatures are security/'s (docs/security.md).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace vvm::cmd {

/// The prefix `vvm keygen` writes to without --out: vvm-signing.pub and vvm-signing.key in the
/// current directory, where the user sees them (and the paths are printed).
inline constexpr const char* kDefaultKeyPrefix = "vvm-signing";

struct KeygenOptions {
  std::string prefix = kDefaultKeyPrefix; ///< writes PREFIX.pub and PREFIX.key
  bool force = false;                     ///< replace an existing pair
};

struct SignOptions {
  std::string file;
  std::string key;       ///< secret key file
  bool detached = false; ///< write FILE.sig rather than embedding the signature
  bool force = false;    ///< replace an existing signature even when it cannot be read
};

/// Declares `keygen` and its options on `app`.
CLI::App* addKeygenCommand(CLI::App& app, KeygenOptions& options);
/// Makes and saves a key pair; returns the process exit status.
int keygenCommand(const KeygenOptions& options);

/// Declares `sign` and its options on `app`.
CLI::App* addSignCommand(CLI::App& app, SignOptions& options);
/// Signs the file; returns the process exit status.
int signCommand(const SignOptions& options);

} // namespace vvm::cmd
