// Judging a VMlet file: by the install tree's hash list, or by its signature.
#include "vmlets/Trust.h"

#include <filesystem>
#include <system_error>

namespace vvm::vmlets {
namespace fs = std::filesystem;

namespace {
constexpr std::string_view kTrustLevelNames[] = {
#define VVM_TRUST_LEVEL(Name, Text, Doc) Text,
#include "vmlets/TrustLevels.def"
};
constexpr std::string_view kTrustLevelDocs[] = {
#define VVM_TRUST_LEVEL(Name, Text, Doc) Doc,
#include "vmlets/TrustLevels.def"
};

/// What to do about a signature that does not make the file trusted.
std::string advice(security::Verdict v) {
  switch (v) {
  case security::Verdict::Unsigned:
    return "a VMlet from outside vvm's install tree needs a signature by a key in the trust store (vvm sign FILE "
           "--key KEYFILE)";
  case security::Verdict::UnknownKey:
    return "trust the key with --trust KEYFILE, or by putting its .pub file in the trust directory";
  default: return {};
  }
}
} // namespace

std::string_view trustLevelName(TrustLevel level) { return kTrustLevelNames[static_cast<size_t>(level)]; }
std::string_view trustLevelDoc(TrustLevel level) { return kTrustLevelDocs[static_cast<size_t>(level)]; }

std::optional<TrustLevel> trustLevelFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kTrustLevelNames); ++i)
    if (kTrustLevelNames[i] == name) return static_cast<TrustLevel>(i);
  return std::nullopt;
}

VmletTrust judgeSigned(const std::string& path, std::string_view bytes, const security::TrustStore& trust) {
  VmletTrust t;
  security::SignatureCheck embedded = trust.checkEmbedded(bytes, path);
  security::SignatureCheck chosen = embedded;
  // FILE.sig counts when the text has no embedded signature that makes it trusted: a detached
  // signature covers every byte, so it vouches for the file whatever its last line holds.
  if (embedded.verdict != security::Verdict::Trusted) {
    security::SignatureCheck detached = trust.checkDetached(bytes, security::signatureFileFor(path));
    if (detached.verdict == security::Verdict::Trusted || embedded.verdict == security::Verdict::Unsigned)
      chosen = detached;
  }
  t.level = chosen.verdict == security::Verdict::Trusted ? TrustLevel::Trusted : TrustLevel::Any;
  t.reason = chosen.describe();
  if (!t.trusted()) t.advice = advice(chosen.verdict);
  if (chosen.problem) t.line = chosen.problem->where.line;
  t.signature = std::move(chosen);
  return t;
}

VmletTrust judgeShipped(const std::string& path, std::string_view bytes, const HashList* hashes,
                        const std::string& hashError) {
  VmletTrust t;
  if (!hashes) {
    t.reason = "install tree file, but the install tree's hash list cannot be read: " + hashError;
    return t;
  }
  switch (hashes->match(fs::path(path).filename().string(), bytes)) {
  case HashList::Match::Matches:
    t.level = TrustLevel::Shipped;
    t.reason = "shipped with vvm (matches the install tree's hash list)";
    break;
  case HashList::Match::Differs:
    t.reason = "install tree file does not match the hash list (changed since vvm was built)";
    break;
  case HashList::Match::NotListed:
    t.reason = "install tree file is not in the hash list";
    t.advice = "only the VMlets built with vvm belong there; put others in VVM_VMLET_PATH or the user data "
               "directory, signed";
    break;
  }
  return t;
}

bool isDirectlyIn(const std::string& path, const std::string& dir) {
  if (dir.empty()) return false;
  std::error_code ec;
  fs::path parent = fs::absolute(fs::path(path), ec).parent_path();
  if (ec) return false;
  return fs::equivalent(parent, fs::path(dir), ec) && !ec;
}

} // namespace vvm::vmlets
