// VMlet verification (DESIGN §7): the checks `vvm verify FILE.vml` runs and prints, one line
// each, and that loading a VMlet will run. Each check is named and looks at what the earlier
// ones established (the file's bytes, its data, its manifest):
//
//   read          the file exists and can be read
//   size          it keeps to the rules' vmlet-bytes limit
//   syntax        it reads as console-language data (console/Reader.h)
//   manifest      its first form is a manifest (Manifest.h) within the rules' limits
//   capabilities  each capability asked for exists in the rules and is allowed at its trust level
//   toolkits      vvm has each toolkit it needs, at a version that meets the request
//   names         no other VMlet found in the search directories has its name
//   body          def-opcode entries and derived instructions (each template verified), the
//                 console definitions compiled in the sandbox, limits, reserved instructions
//   signature     it is trusted: signed by a key in the trust store, or shipped (hash list)
//
// A check whose prerequisite failed is skipped, not failed: there is nothing for it to look
// at. Every other check runs whatever failed before it, so one run reports every problem it
// can (an unsigned VMlet that asks for an unknown capability fails both checks).
//
// DESIGN §2 places the VMlet verifier with security/; it lives here because it reads VMlets and
// rules with the console reader, and security/ sits below console/. The signature checks
// themselves are security/'s (TrustStore.h).
#pragma once

#include "security/TrustStore.h"
#include "vmlets/Catalog.h"
#include "vmlets/Rules.h"
#include "vmlets/Toolkits.h"
#include "vmlets/Trust.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vvm::vmlets {

class Vmlet;

enum class CheckState : uint8_t { Pass, Fail, Skip };
/// "PASS", "FAIL", "SKIP".
std::string_view checkStateName(CheckState s);

/// The outcome of one check.
struct CheckResult {
  std::string name;
  CheckState state = CheckState::Pass;
  /// Fail: every problem found, "; "-separated, each led by FILE:LINE:COL when it has a place.
  /// Skip: why the check could not run. Pass: a note, or "" (signature: who vouches for it).
  std::string message;
  uint32_t line = 0, col = 0; ///< where the first problem is in the VMlet (0: no one place)

  /// Records a problem (`line` 0: not about one place in `file`).
  void fail(const std::string& file, uint32_t line, uint32_t col, const std::string& why);
};

/// What the checks are given.
struct VerifyOptions {
  const Rules* rules = nullptr;                ///< required
  const security::TrustStore* trust = nullptr; ///< required
  std::span<const Toolkit> toolkits = nativeToolkits();
  std::vector<SearchDir> searchDirs; ///< where other VMlets are (names check)
  std::string installDirectory;      ///< the install tree's VMlets (judged by their hash list)
  /// The VMlet's bytes, when they are in hand already (a repository's VMlet, fetched and
  /// verified): checked instead of reading `path`, which then only names it.
  const std::string* bytes = nullptr;
  /// The verdict on those bytes' signature, when it was reached elsewhere (a repository's
  /// VMlet may be signed in a detached FILE.sig that was fetched with it).
  std::optional<VmletTrust> verdict;
};

/// What the checks know of the VMlet under verification, filled in as they pass.
struct Subject {
  std::string path;
  const VerifyOptions* options = nullptr;
  std::optional<std::string> bytes; ///< read: the whole file, if it is within the size limit
  bool notFound = false;            ///< read: there is no such file
  bool readable = false;            ///< read: the file exists and could be read
  uint64_t size = 0;                ///< read: its size in bytes
  std::vector<console::Datum> data; ///< syntax: every datum of the file
  bool parsed = false;              ///< syntax: it read without error
  std::optional<Manifest> manifest; ///< manifest: the manifest, if it is valid

  /// The verdict on the file's signature (or hash list), worked out on first use: the
  /// capabilities check needs the trust level, the signature check reports it. Needs `bytes`.
  const VmletTrust& trust();

private:
  std::optional<VmletTrust> trust_;
};

/// What a check needs the earlier checks to have established.
/// Each need includes the ones before it.
enum class Needs : uint8_t {
  Nothing,
  Readable, ///< the file was read (it may be over the size limit)
  Bytes,    ///< its bytes are in hand: read, and within the size limit
  Data,     ///< it reads as data
  Manifest, ///< its manifest is valid
};

/// One named check.
struct Check {
  std::string name;
  Needs needs = Needs::Nothing;
  std::function<void(Subject&, CheckResult&)> run;
};

/// The checks vvm verify runs, in order. Without `body`, the body check is left out: vvm run
/// checks the body as it loads the VMlet (checkLoadedBody), instead of compiling it twice.
std::vector<Check> standardChecks(bool body = true);

/// The checks of a loaded VMlet's body against the rules: def-opcode and derived-instruction
/// limits, instructions reserved above the VMlet's trust level. Records failures in `r` (or, on
/// success, a summary as its message).
void checkLoadedBody(const Vmlet& vm, const Rules& rules, TrustLevel level, const std::string& path, CheckResult& r);

/// The report on one VMlet.
struct VerifyReport {
  std::string file;
  std::vector<CheckResult> checks;
  bool notFound = false;              ///< the file does not exist (vvm verify exits 4)
  TrustLevel trust = TrustLevel::Any; ///< the VMlet's trust level, when its bytes could be read

  size_t failures() const;
  bool valid() const { return failures() == 0; }
};

/// Runs `checks` on the file at `path`.
VerifyReport runChecks(const std::string& path, const VerifyOptions& options, const std::vector<Check>& checks);
/// Runs the standard checks.
inline VerifyReport verifyVmlet(const std::string& path, const VerifyOptions& options) {
  return runChecks(path, options, standardChecks());
}

} // namespace vvm::vmlets
