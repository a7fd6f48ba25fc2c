// A world for tests of remote VMlet repositories (vmlets/Repository.h): a private HOME whose
// XDG directories (config, cache, data) are all inside one temporary directory, a key pair whose
// public key is in that HOME's trust store, and the text of a small VMlet, its index entry and
// signed and tampered copies of it. Everything it sets in the environment is restored when it
// goes, so vvm run as a child process (RunVvm.h) sees the same world as the test.
#pragma once

#include "test/support/ScopedEnv.h"
#include "test/support/TempDir.h"

#include "security/KeyFile.h"
#include "security/Signature.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace vvm::test {

class RepositoryFixture {
public:
  /// The manifest of the VMlet served: it runs `*.xyz` files.
  static std::string manifest(const std::string& version = "0.1.0") {
    return "(vmlet xyz (version \"" + version +
           "\") (doc \"a test VMlet\")\n  (type \"application/x-vvm-xyz\" "
           "(suffix \".xyz\")))";
  }
  /// The VMlet's text, unsigned: its manifest and a body that follows it.
  static std::string vmlet(const std::string& version = "0.1.0") {
    return ";; xyz.vml\n" + manifest(version) +
           "\n;; the body: opcodes, primitives, rules\n(define (load-program bytes) #f)\n(entry load-program)\n";
  }
  /// An index listing `file` with `manifest`.
  static std::string indexEntry(const std::string& file = "xyz.vml", const std::string& m = manifest()) {
    return "(entry \"" + file + "\"\n  " + m + ")\n";
  }

  RepositoryFixture()
      : home_("HOME", dir_.path().c_str()), config_("XDG_CONFIG_HOME", dir_.file("config").c_str()),
        cache_("XDG_CACHE_HOME", dir_.file("cache").c_str()), data_("XDG_DATA_HOME", dir_.file("data").c_str()),
        path_("VVM_VMLET_PATH", nullptr), repos_("VVM_VMLET_REPOS", nullptr), offline_("VVM_OFFLINE", nullptr),
        timeout_("VVM_FETCH_TIMEOUT", nullptr),
        // libcurl would send requests for 127.0.0.1 to a proxy named in http_proxy.
        noProxy_("no_proxy", "*"), noProxyUpper_("NO_PROXY", "*") {
    REQUIRE(dir_.ok());
    auto pair = security::generateKeyPair();
    REQUIRE(pair.ok());
    keys_ = *pair;
    std::filesystem::create_directories(dir_.file("config/vvm/trusted"));
    // A trust directory others may write is not used (docs/security.md), whatever the umask.
    std::filesystem::permissions(dir_.file("config/vvm/trusted"), std::filesystem::perms::owner_all);
    REQUIRE(security::savePublicKey(dir_.file("config/vvm/trusted/me.pub"), keys_.publicKey).ok());
  }

  const TempDir& dir() const { return dir_; }
  /// The fetch cache's directory in this world.
  std::string cacheDir() const { return dir_.file("cache/vvm/vmlets"); }
  /// The files in the cache directory (none when it does not exist).
  std::vector<std::string> cacheFiles() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(cacheDir(), ec)) names.push_back(e.path().string());
    return names;
  }

  /// `text` with an embedded signature by the trusted key.
  std::string sign(const std::string& text) const { return signWith(keys_.secretKey, text); }
  /// `text` with an embedded signature by a key nobody trusts.
  static std::string signByStranger(const std::string& text) {
    auto stranger = security::generateKeyPair();
    REQUIRE(stranger.ok());
    return signWith(stranger->secretKey, text);
  }
  /// The detached signature file's text of `bytes`, by the trusted key.
  std::string detachedSignature(const std::string& bytes) const {
    auto sig = security::sign(keys_.secretKey, bytes);
    REQUIRE(sig.ok());
    return security::formatSignatureLine(*sig) + "\n";
  }
  /// A signed VMlet with one byte of its body changed after signing.
  std::string tampered(const std::string& signedText) const {
    std::string t = signedText;
    size_t at = t.find("the body");
    REQUIRE(at != std::string::npos);
    t[at + 4] = 'B';
    return t;
  }
  /// Writes a file of the type the VMlet runs and returns its path.
  std::string program() const { return dir_.write("prog.xyz", "xyz program\n"); }

private:
  static std::string signWith(const security::SecretKey& key, const std::string& text) {
    auto s = security::signText(key, text);
    REQUIRE(s.ok());
    return *s;
  }

  TempDir dir_;
  ScopedEnv home_, config_, cache_, data_, path_, repos_, offline_, timeout_, noProxy_, noProxyUpper_;
  security::KeyPair keys_;
};

} // namespace vvm::test
