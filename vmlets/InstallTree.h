// vvm's install tree (DESIGN §5, "Where VMlets come from"): the share/vvm directory that holds
// the global rules (rules.vc) and the VMlets that ship with vvm (vmlets/*.vml), pinned by a hash
// list made when vvm was built (vmlets/HASHES).
//
// An installed vvm finds it beside its bin/ directory: PREFIX/bin/vvm uses PREFIX/share/vvm. A
// vvm run from its build directory uses BUILD/share/vvm, which the build lays out as the install
// will (vmlets/ShareTree.cmake). Each vvm uses its own tree and never falls back to another, so
// an installed vvm is not swayed by a build tree left on the machine, nor the reverse.
//
// The hash list has sha256sum's format, so `sha256sum -c HASHES` also checks it:
//   # comment lines and blank lines are ignored
//   <64 hexadecimal digits of the SHA-256 of the file>  <file name>
// (two spaces, or a space and '*', between them; a name is a file of the same directory).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace vvm::vmlets {

/// This vvm's share/vvm directory; "" when the executable's own path is unknown.
std::string shareDirectory();
/// Where the shipped VMlets are: shareDirectory() + "/vmlets" ("" if unknown).
std::string installVmletsDirectory();
/// The global rules file: shareDirectory() + "/rules.vc" ("" if unknown).
std::string defaultRulesFile();

/// The name of the hash list in the install tree's VMlet directory.
inline constexpr const char* kHashListName = "HASHES";

/// SHA-256 of `bytes` (libsodium) as 64 lower-case hexadecimal digits.
std::string sha256Hex(std::string_view bytes);

/// The install tree's hash list: file name to SHA-256.
class HashList {
public:
  /// Reads a hash list's text. On a malformed line, returns false with "FILE:LINE: why" in `error`.
  static bool parse(std::string_view text, const std::string& file, HashList& out, std::string& error);
  /// Reads `dir`/HASHES; false with the reason in `error` (a missing list is an error: the install
  /// tree always has one, empty when nothing ships).
  static bool load(const std::string& dir, HashList& out, std::string& error);

  enum class Match : uint8_t { Matches, Differs, NotListed };
  /// Whether `bytes` are what the list pins for the file `name` (a name in the directory).
  Match match(const std::string& name, std::string_view bytes) const;
  size_t size() const { return hashes_.size(); }

private:
  std::map<std::string, std::string> hashes_; ///< name -> lower-case hex SHA-256
};

} // namespace vvm::vmlets
