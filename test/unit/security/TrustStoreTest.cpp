// The trust store: where it lives, loading keys from a directory and from files, look-up by key
// id, and the verdict of every kind of signed, unsigned and damaged file.
#include "test/support/ScopedEnv.h"
#include "test/support/TempDir.h"

#include "security/KeyFile.h"
#include "security/TrustStore.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <sys/stat.h>

using namespace vvm;
using namespace vvm::security;

namespace {

KeyPair newPair() {
  auto pair = generateKeyPair();
  REQUIRE(pair.ok());
  return *pair;
}

using test::ScopedEnv;

} // namespace

TEST_CASE("the default trust directory follows XDG_CONFIG_HOME, then HOME") {
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "/cfg");
    ScopedEnv home("HOME", "/home/alice");
    CHECK(TrustStore::defaultDirectory() == "/cfg/vvm/trusted");
  }
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "relative/is/ignored");
    ScopedEnv home("HOME", "/home/alice");
    CHECK(TrustStore::defaultDirectory() == "/home/alice/.config/vvm/trusted");
  }
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
    ScopedEnv home("HOME", nullptr);
    CHECK(TrustStore::defaultDirectory().empty());
  }
}

TEST_CASE("a trust directory's .pub files are loaded and bad ones are skipped with a reason") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair(), bob = newPair(), carol = newPair(), dave = newPair();
  REQUIRE(savePublicKey(dir.file("alice.pub"), alice.publicKey).ok());
  REQUIRE(savePublicKey(dir.file("bob.pub"), bob.publicKey).ok());
  REQUIRE(savePublicKey(dir.file(".hidden.pub"), carol.publicKey).ok()); // hidden: ignored
  REQUIRE(savePublicKey(dir.file("carol.txt"), carol.publicKey).ok());   // not *.pub: ignored
  REQUIRE(saveSecretKey(dir.file("oops.pub"), dave.secretKey).ok());     // a secret key: skipped
  dir.write("broken.pub", "vvm-ed25519-public-key v1\nkey: ???\n");      // malformed: skipped
  REQUIRE(savePublicKey(dir.file("writable.pub"), dave.publicKey).ok()); // others may write it: skipped
  REQUIRE(::chmod(dir.file("writable.pub").c_str(), 0666) == 0);
  REQUIRE(::mkdir(dir.file("sub.pub").c_str(), 0700) == 0); // a directory: ignored silently
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);

  TrustStore store;
  std::vector<Failure> skipped;
  REQUIRE(store.addDirectory(dir.path(), skipped).ok());
  CHECK(store.size() == 2);
  REQUIRE(store.find(alice.publicKey.id()));
  CHECK(store.find(alice.publicKey.id())->source == dir.file("alice.pub"));
  CHECK(store.find(bob.publicKey.id()));
  CHECK_FALSE(store.find(carol.publicKey.id()));
  CHECK_FALSE(store.find(dave.publicKey.id()));

  REQUIRE(skipped.size() == 3); // in name order
  CHECK(skipped[0].code == SecurityError::BadBase64);
  CHECK(skipped[0].where.file == dir.file("broken.pub"));
  CHECK(skipped[0].where.line == 2);
  CHECK(skipped[1].code == SecurityError::WrongKeyKind);
  CHECK(skipped[2].code == SecurityError::TrustedKeyExposed);
}

TEST_CASE("a missing trust directory is empty and an exposed one is refused") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  TrustStore store;
  std::vector<Failure> skipped;
  CHECK(store.addDirectory(dir.file("no-such-dir"), skipped).ok());
  CHECK(store.size() == 0);

  KeyPair alice = newPair();
  REQUIRE(savePublicKey(dir.file("alice.pub"), alice.publicKey).ok());
  REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
  Status exposed = store.addDirectory(dir.path(), skipped);
  REQUIRE_FALSE(exposed.ok());
  CHECK(exposed.failure().code == SecurityError::TrustDirExposed);
  CHECK(store.size() == 0);

  Status notDir = store.addDirectory(dir.file("alice.pub"), skipped);
  REQUIRE_FALSE(notDir.ok());
  CHECK(notDir.failure().code == SecurityError::TrustDirUnreadable);
  CHECK(skipped.empty());
}

TEST_CASE("explicit trusted keys, and keys added twice") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair();
  TrustStore store;
  REQUIRE(savePublicKey(dir.file("alice.pub"), alice.publicKey).ok());
  REQUIRE(store.addKeyFile(dir.file("alice.pub")).ok());
  CHECK_FALSE(store.addKey(alice.publicKey, "again"));
  CHECK(store.size() == 1);
  CHECK(store.keys()[0].source == dir.file("alice.pub"));

  Status missing = store.addKeyFile(dir.file("bob.pub"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.failure().code == SecurityError::FileNotFound);
}

TEST_CASE("every verdict of an embedded signature") {
  KeyPair alice = newPair(), stranger = newPair();
  TrustStore store;
  store.addKey(alice.publicKey, "alice.pub");
  std::string vmlet = "(define-vmlet java)\n(def-opcode iadd ...)\n";

  auto bySigner = [&](const KeyPair& k) {
    auto text = signText(k.secretKey, vmlet);
    REQUIRE(text.ok());
    return *text;
  };

  SignatureCheck trusted = store.checkEmbedded(bySigner(alice), "java.vml");
  CHECK(trusted.verdict == Verdict::Trusted);
  CHECK(trusted.signer == "alice.pub");
  CHECK(trusted.keyId == alice.publicKey.id());
  CHECK(trusted.describe() == "signed by trusted key " + alice.publicKey.id().hex() + " (alice.pub)");

  SignatureCheck unknown = store.checkEmbedded(bySigner(stranger), "java.vml");
  CHECK(unknown.verdict == Verdict::UnknownKey);
  CHECK(unknown.keyId == stranger.publicKey.id());
  CHECK(unknown.signer.empty());

  std::string tampered = bySigner(alice);
  tampered[5] ^= 0x20; // one byte of content changed after signing
  SignatureCheck bad = store.checkEmbedded(tampered, "java.vml");
  CHECK(bad.verdict == Verdict::BadSignature);
  CHECK(bad.keyId == alice.publicKey.id());

  CHECK(store.checkEmbedded(vmlet, "java.vml").verdict == Verdict::Unsigned);
  CHECK(store.checkEmbedded("", "empty.vml").verdict == Verdict::Unsigned);

  SignatureCheck malformed = store.checkEmbedded(vmlet + ";; vvm-signature v1 ed25519 zz\n", "java.vml");
  CHECK(malformed.verdict == Verdict::Malformed);
  REQUIRE(malformed.problem);
  CHECK(malformed.problem->where.file == "java.vml");
  CHECK(malformed.problem->where.line == 3);
  CHECK(malformed.problem->code == SecurityError::SignatureFields);

  SignatureCheck misplaced = store.checkEmbedded(bySigner(alice) + "(extra)\n", "java.vml");
  CHECK(misplaced.verdict == Verdict::Malformed);
  REQUIRE(misplaced.problem);
  CHECK(misplaced.problem->code == SecurityError::MisplacedSignature);
  CHECK(misplaced.problem->format().starts_with("java.vml:3: error: "));

  CHECK(verdictName(Verdict::Trusted) == "trusted");
  CHECK(verdictName(Verdict::UnknownKey) == "unknown-key");
  CHECK(verdictName(Verdict::BadSignature) == "bad-signature");
  CHECK(verdictName(Verdict::Unsigned) == "unsigned");
  CHECK(verdictName(Verdict::Malformed) == "malformed");
}

TEST_CASE("every verdict of a detached signature") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair(), stranger = newPair();
  TrustStore store;
  store.addKey(alice.publicKey, "alice.pub");
  std::string bytes("\xca\xfe\xba\xbe\0\0\0\x3d", 8);
  std::string sigPath = dir.file("Hello.class.sig");

  CHECK(store.checkDetached(bytes, sigPath).verdict == Verdict::Unsigned);

  auto sig = sign(alice.secretKey, bytes);
  REQUIRE(sig.ok());
  REQUIRE(writeSignatureFile(sigPath, *sig, false).ok());
  CHECK(store.checkDetached(bytes, sigPath).verdict == Verdict::Trusted);
  std::string changed = bytes;
  changed[7] = 0x3e;
  CHECK(store.checkDetached(changed, sigPath).verdict == Verdict::BadSignature);

  auto strangers = sign(stranger.secretKey, bytes);
  REQUIRE(strangers.ok());
  REQUIRE(writeSignatureFile(sigPath, *strangers, true).ok());
  CHECK(store.checkDetached(bytes, sigPath).verdict == Verdict::UnknownKey);

  dir.write("Hello.class.sig", "not a signature\n");
  SignatureCheck garbage = store.checkDetached(bytes, sigPath);
  CHECK(garbage.verdict == Verdict::Malformed);
  REQUIRE(garbage.problem);
  CHECK(garbage.problem->code == SecurityError::NotASignature);
  CHECK(garbage.problem->where.file == sigPath);
  CHECK(garbage.describe() == "malformed signature: not a signature line: it should start with \"vvm-signature\"");
}
