// Finding the install tree, and its hash list.
#include "vmlets/InstallTree.h"

#include "security/Keys.h"
#include "security/SmallFile.h"

#include <sodium.h>

#include <cctype>
#include <filesystem>
#include <system_error>

namespace vvm::vmlets {
namespace fs = std::filesystem;

namespace {
/// A hash list names a handful of files; anything near this size is not one.
constexpr size_t kMaxHashListBytes = 1u << 20;
} // namespace

std::string shareDirectory() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  fs::path bin = exe.parent_path();
#ifdef VVM_BUILD_DIR
  // The build puts vvm in the build directory itself, not in a bin/ beside share/ (the tests
  // and scripts run it there), and lays out share/vvm in that directory.
  if (fs::equivalent(bin, fs::path(VVM_BUILD_DIR), ec)) return (fs::path(VVM_BUILD_DIR) / "share" / "vvm").string();
#endif
  return (bin.parent_path() / "share" / "vvm").string();
}

std::string installVmletsDirectory() {
  std::string share = shareDirectory();
  return share.empty() ? share : share + "/vmlets";
}

std::string defaultRulesFile() {
  std::string share = shareDirectory();
  return share.empty() ? share : share + "/rules.vc";
}

std::string sha256Hex(std::string_view bytes) {
  if (!security::sodiumReady()) return {};
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : hash) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}

bool HashList::parse(std::string_view text, const std::string& file, HashList& out, std::string& error) {
  out.hashes_.clear();
  uint32_t number = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](const std::string& why) {
      error = file + ":" + std::to_string(number) + ": " + why;
      return false;
    };
    bool hex = line.size() > 66;
    for (size_t i = 0; hex && i < 64; ++i) hex = std::isxdigit(static_cast<unsigned char>(line[i]));
    if (!hex || line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
      return bad("expected \"SHA256  NAME\" (64 hexadecimal digits, two spaces, a file name)");
    std::string name(line.substr(66));
    if (name.find('/') != std::string::npos || name.find('\0') != std::string::npos || name == "." || name == "..")
      return bad("\"" + name + "\" is not a file name of this directory");
    std::string hash(line.substr(0, 64));
    for (char& c : hash) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!out.hashes_.emplace(name, hash).second) return bad("\"" + name + "\" is listed twice");
  }
  return true;
}

bool HashList::load(const std::string& dir, HashList& out, std::string& error) {
  std::string path = dir + "/" + kHashListName;
  auto file = security::readSmallFile(path, kMaxHashListBytes);
  if (!file) {
    error = path + ": " + file.failure().message();
    return false;
  }
  return parse(file->data, path, out, error);
}

HashList::Match HashList::match(const std::string& name, std::string_view bytes) const {
  auto it = hashes_.find(name);
  if (it == hashes_.end()) return Match::NotListed;
  std::string hash = sha256Hex(bytes);
  return !hash.empty() && hash == it->second ? Match::Matches : Match::Differs;
}

} // namespace vvm::vmlets
