// A VMlet's manifest (DESIGN §5): the first form of every `.vml` file, read as data (never
// evaluated), so that vvm can list, type and verify VMlets without running any of their code.
//
//   (vmlet NAME
//     (version "1.2.0")
//     (type "application/x-vvm-stack"           ; one clause per application type it runs
//       (magic OFFSET #u8(...))                  ;   any number: bytes at an offset
//       (suffix ".stk")                          ;   any number
//       (interpreter "vvm-stack"))               ;   any number: #! program names
//     (toolkit NAME "VERSION")                   ; native toolkits it needs, any number
//     (capability NAME)                          ; host services its primitives may use
//     (doc "one line for vvm vmlets"))
//
// Names are symbols: letters, digits and - _ . starting with a letter. Every clause but
// `version` and at least one `type` is optional; a clause may not appear twice unless it says
// "any number". What follows the manifest in the file (def-opcode, primitives, rules, entry)
// is the console language's business.
#pragma once

#include "console/Reader.h"
#include "vos/Typing.h"

#include <string>
#include <vector>

namespace vvm::vmlets {

struct ToolkitNeed {
  std::string name;
  std::string version;
  console::SourcePos pos; ///< where the (toolkit ...) clause is
};

struct Manifest {
  std::string name;
  std::string version;
  std::vector<vos::TypeEntry> types;
  std::vector<ToolkitNeed> toolkits;
  std::vector<std::string> capabilities;
  std::vector<console::SourcePos> capabilityPos; ///< where each of `capabilities` was asked for, in the same order
  std::string doc;
  console::SourcePos pos; ///< where the (vmlet ...) form starts
};

/// True when `text` is a name as manifests and the global rules spell them: letters, digits and
/// - _ . starting with a letter.
bool isName(std::string_view text);

/// Reads the manifest from the first datum of a .vml file's text. On failure returns false
/// with located diagnostics (for `file`) in `diags`.
bool readManifest(std::string_view text, const std::string& file, Manifest& out, Diagnostics& diags);
/// Reads a manifest from a (vmlet ...) datum read elsewhere: a repository's index holds one per
/// VMlet it lists (vmlets/Repository.h). Failures as for readManifest.
bool readManifestForm(const console::Datum& form, const std::string& file, Manifest& out, Diagnostics& diags);

} // namespace vvm::vmlets
