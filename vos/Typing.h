// Typing of applications (DESIGN §5, "Typing an application"): every application has a
// MIME-style type ("application/java-vm"), and the type picks the VMlet that runs it. The
// registry holds what each type is recognised by, as the VMlets' manifests declare it: magic
// bytes, file-name suffixes, #! interpreter names. detect() decides a file's type in this order,
// the first rule that applies winning:
//
// 1. An explicit type from the caller (the future `--type`) wins over everything.
// 2. Magic bytes: every pattern (some bytes at an offset) is tried against the file's first
//    bytes; the longest matching pattern wins. Two types' patterns of the same length that some
//    file could match both (they do not overlap, or agree where they do) are refused when the
//    second is registered, so there is never a tie.
// 3. The file name's suffix (".class"), case-sensitive; the longest matching suffix wins. A
//    suffix belongs to one type: registering it twice is refused.
// 4. A #! first line: "#!/usr/bin/vvm-java", "#!/usr/bin/env vvm-java" (env's options and
//    NAME=VALUE arguments skipped, -S understood) names an interpreter that a type registered;
//    "#!/usr/bin/vvm run --type=TYPE" (or "--type TYPE", directly or through env) names the
//    type itself. An interpreter name belongs to one type; "vvm" and "env" are reserved.
//
// Type names are compared without regard to case (RFC 6838) and kept in lower case.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::vos {

/// How a type was decided.
enum class TypedBy : uint8_t {
#define VVM_TYPED_BY(Name, Text, Doc) Name,
#include "vos/TypedBy.def"
};

/// "explicit", "magic", "suffix", "shebang".
std::string_view typedByName(TypedBy by);

/// Bytes that a file of a type has at a fixed offset.
struct MagicPattern {
  uint32_t offset = 0;
  std::string bytes; ///< raw bytes, not text; never empty
};

/// One application type and what recognises it.
struct TypeEntry {
  std::string name;                      ///< "application/java-vm"
  std::vector<MagicPattern> magic;       ///< any one matching is enough
  std::vector<std::string> suffixes;     ///< ".class" (a missing leading '.' is added)
  std::vector<std::string> interpreters; ///< #! program names: "vvm-java"
};

/// A decided type, and how it was decided (for `vvm inspect`).
struct Detection {
  std::string type;
  TypedBy by = TypedBy::Explicit;
  std::string evidence; ///< what matched: "bytes ca fe ba be at offset 0", "suffix .class", ...
};

class TypeRegistry {
public:
  /// Magic patterns must end within this many bytes of the start of a file.
  static constexpr uint32_t kMaxMagicEnd = 64 * 1024;
  /// How much of a #! line is read (Linux reads at most 255 bytes of it too).
  static constexpr size_t kMaxShebangBytes = 256;

  /// Registers a type. On failure nothing is registered and `error` says why: a malformed
  /// name, a name already registered, an empty or out-of-range magic pattern, a magic pattern
  /// that ties with another type's, a suffix or interpreter name that is empty, malformed,
  /// reserved or another type's.
  bool add(TypeEntry entry, std::string& error);

  /// The entry for a type name (any case), or null.
  const TypeEntry* find(std::string_view name) const;
  const std::vector<TypeEntry>& entries() const { return entries_; }

  /// How many leading bytes of a file detect() may look at: pass at least this many (or the
  /// whole file, if shorter).
  size_t bytesNeeded() const;

  /// Decides the type of the file at `path` (only its name is used) whose first bytes are
  /// `firstBytes`; `explicitType`, when not empty, wins (see the order above). On failure
  /// returns nullopt and `error` says why: an explicit or #! type that is not registered, or
  /// nothing that matched.
  std::optional<Detection> detect(std::string_view path, std::string_view firstBytes, std::string_view explicitType,
                                  std::string& error) const;

private:
  std::optional<Detection> byMagic(std::string_view firstBytes) const;
  std::optional<Detection> bySuffix(std::string_view path) const;
  std::optional<Detection> byShebang(std::string_view firstBytes, std::string& error) const;
  /// "application/a, application/b" for messages.
  std::string knownTypes() const;

  std::vector<TypeEntry> entries_;
};

} // namespace vvm::vos
