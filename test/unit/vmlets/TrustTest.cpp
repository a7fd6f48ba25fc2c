// Judging a VMlet file: by its signature (embedded or FILE.sig) outside the install tree, by the
// hash list inside it.
#include "vmlets/Trust.h"

#include "security/Signature.h"
#include "test/support/TempDir.h"

#include <catch2/catch.hpp>

using namespace vvm;
using namespace vvm::vmlets;

namespace {

struct Signer {
  security::KeyPair pair;
  security::TrustStore trust;
  Signer() {
    auto p = security::generateKeyPair();
    REQUIRE(p.ok());
    pair = *p;
    trust.addKey(pair.publicKey, "me.pub");
  }
  std::string sign(const std::string& text) const {
    auto s = security::signText(pair.secretKey, text);
    REQUIRE(s.ok());
    return *s;
  }
};

const std::string kText = "(vmlet a (version \"1\") (type \"application/x-a\"))\n";

} // namespace

TEST_CASE("trust levels are ordered, and named as the rules name them") {
  CHECK(trustLevelName(TrustLevel::Trusted) == "trusted");
  CHECK(trustLevelFromName("shipped") == TrustLevel::Shipped);
  CHECK_FALSE(trustLevelFromName("everyone"));
  CHECK(admits(TrustLevel::Any, TrustLevel::Any));
  CHECK(admits(TrustLevel::Trusted, TrustLevel::Shipped));
  CHECK_FALSE(admits(TrustLevel::Trusted, TrustLevel::Any));
}

TEST_CASE("outside the install tree, a trusted signature makes a VMlet trusted, embedded or in FILE.sig") {
  Signer me;
  vvm::test::TempDir dir;
  REQUIRE(dir.ok());
  std::string path = dir.file("a.vml");

  VmletTrust t = judgeSigned(path, me.sign(kText), me.trust);
  CHECK(t.level == TrustLevel::Trusted);
  CHECK(t.reason.find("signed by trusted key ") == 0);
  CHECK(t.advice.empty());

  t = judgeSigned(path, kText, me.trust);
  CHECK(t.level == TrustLevel::Any);
  CHECK(t.reason == "not signed");
  CHECK(t.advice.find("needs a signature by a key in the trust store") != std::string::npos);

  auto sig = security::sign(me.pair.secretKey, kText);
  REQUIRE(sig.ok());
  REQUIRE(security::writeSignatureFile(security::signatureFileFor(path), *sig, false).ok());
  CHECK(judgeSigned(path, kText, me.trust).level == TrustLevel::Trusted);
  CHECK(judgeSigned(path, kText + " ", me.trust).reason.find("does not match the content") != std::string::npos);

  Signer stranger;
  t = judgeSigned(dir.file("b.vml"), stranger.sign(kText), me.trust);
  CHECK(t.level == TrustLevel::Any);
  CHECK(t.reason.find("which is not in the trust store") != std::string::npos);
  CHECK(t.advice.find("--trust KEYFILE") != std::string::npos);

  t = judgeSigned(dir.file("b.vml"), ";; vvm-signature v1 ed25519 nonsense\n" + kText, me.trust);
  CHECK(t.level == TrustLevel::Any);
  CHECK(t.reason.find("malformed signature: ") == 0);
  CHECK(t.line == 1);
}

TEST_CASE("in the install tree, the hash list alone decides") {
  HashList list;
  std::string error;
  REQUIRE(HashList::parse(sha256Hex(kText) + "  a.vml\n", "HASHES", list, error));
  VmletTrust t = judgeShipped("/usr/share/vvm/vmlets/a.vml", kText, &list, "");
  CHECK(t.level == TrustLevel::Shipped);
  CHECK(t.reason == "shipped with vvm (matches the install tree's hash list)");
  t = judgeShipped("/usr/share/vvm/vmlets/a.vml", kText + ";\n", &list, "");
  CHECK(t.level == TrustLevel::Any);
  CHECK(t.reason == "install tree file does not match the hash list (changed since vvm was built)");
  Signer me;
  t = judgeShipped("/usr/share/vvm/vmlets/b.vml", me.sign(kText), &list, "");
  CHECK(t.level == TrustLevel::Any); // signed, but not vvm's own
  CHECK(t.reason == "install tree file is not in the hash list");
  t = judgeShipped("/usr/share/vvm/vmlets/a.vml", kText, nullptr, "HASHES: no such file");
  CHECK(t.level == TrustLevel::Any);
  CHECK(t.reason == "install tree file, but the install tree's hash list cannot be read: HASHES: no such file");
}

TEST_CASE("a file is in a directory when its parent is that directory, through symbolic links") {
  vvm::test::TempDir dir;
  REQUIRE(dir.ok());
  std::filesystem::create_directory(dir.file("tree"));
  std::filesystem::create_directory_symlink(dir.file("tree"), dir.file("link"));
  CHECK(isDirectlyIn(dir.file("tree/a.vml"), dir.file("tree")));
  CHECK(isDirectlyIn(dir.file("link/a.vml"), dir.file("tree")));
  CHECK(isDirectlyIn(dir.file("tree/../tree/a.vml"), dir.file("link")));
  CHECK_FALSE(isDirectlyIn(dir.file("a.vml"), dir.file("tree")));
  CHECK_FALSE(isDirectlyIn(dir.file("tree/sub/a.vml"), dir.file("tree")));
  CHECK_FALSE(isDirectlyIn(dir.file("tree/a.vml"), ""));
}
