// Signing files on disk: embedded and detached signatures, what happens to a signature already
// there, symbolic links, permission bits, and the files that are refused.
#include "test/support/Files.h"
#include "test/support/TempDir.h"

#include "security/SignFile.h"
#include "security/SmallFile.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace vvm;
using namespace vvm::security;
using namespace std::string_literals;

namespace {

using test::contents;
using test::modeOf;

KeyPair newPair() {
  auto pair = generateKeyPair();
  REQUIRE(pair.ok());
  return *pair;
}

/// True when the embedded signature of the file at `path` is `key`'s over the rest of the file.
bool embeddedVerifies(const std::string& path, const PublicKey& key) {
  std::string text = contents(path);
  auto split = splitSignedText(text);
  REQUIRE(split.ok());
  REQUIRE(split->signatureLine);
  auto sig = parseSignatureLine(*split->signatureLine);
  REQUIRE(sig.ok());
  return verify(key, split->content, *sig);
}

size_t filesIn(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

} // namespace

TEST_CASE("signing a text file embeds a signature on its last line, and re-signing replaces it") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair(), bob = newPair();
  std::string original = "(define-vmlet demo)\n(version 1)\n";
  std::string path = dir.write("demo.vml", original);

  auto first = signFile(alice.secretKey, path, {});
  REQUIRE(first.ok());
  CHECK(first->written == path);
  CHECK(first->line == 3);
  CHECK_FALSE(first->replaced);
  CHECK(first->signature.keyId == alice.publicKey.id());
  std::string signedText = contents(path);
  CHECK(signedText == original + ";; " + formatSignatureLine(first->signature) + "\n");
  CHECK(embeddedVerifies(path, alice.publicKey));

  auto second = signFile(bob.secretKey, path, {});
  REQUIRE(second.ok());
  CHECK(second->replaced);
  REQUIRE(second->replacedKey);
  CHECK(*second->replacedKey == alice.publicKey.id());
  CHECK(second->line == 3);
  CHECK(contents(path) == original + ";; " + formatSignatureLine(second->signature) + "\n");
  CHECK(embeddedVerifies(path, bob.publicKey));
  CHECK(filesIn(dir.path()) == 1); // no temporary file left behind
}

TEST_CASE("an embedded signature is added on a line of its own") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair();
  std::string path = dir.write("a.vml", "no final newline");
  auto s = signFile(alice.secretKey, path, {});
  REQUIRE(s.ok());
  CHECK(s->line == 2);
  CHECK(contents(path).starts_with("no final newline\n;; vvm-signature v1 ed25519 "));
  CHECK(embeddedVerifies(path, alice.publicKey));

  std::string empty = dir.write("empty.vml", "");
  auto e = signFile(alice.secretKey, empty, {});
  REQUIRE(e.ok());
  CHECK(e->line == 1);
  CHECK(embeddedVerifies(empty, alice.publicKey));
}

TEST_CASE("signing keeps a file's permission bits and a symbolic link to it") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair();
  std::string path = dir.write("private.vml", "(secret)\n");
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  REQUIRE(signFile(alice.secretKey, path, {}).ok());
  CHECK(modeOf(path) == 0600);

  std::string link = dir.file("link.vml");
  REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
  auto viaLink = signFile(alice.secretKey, link, {});
  REQUIRE(viaLink.ok());
  CHECK(viaLink->written == link);
  CHECK(std::filesystem::is_symlink(link));
  CHECK(embeddedVerifies(path, alice.publicKey));
}

TEST_CASE("a signature line that cannot be read is replaced only when asked") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair();
  std::string text = "(vmlet)\n;; vvm-signature v1 ed448 0123456789abcdef AAAA\n";
  std::string path = dir.write("x.vml", text);

  auto refused = signFile(alice.secretKey, path, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().code == SecurityError::UnreadableSignatureKept);
  CHECK(refused.failure().format() ==
        path + ":2: error: signature algorithm \"ed448\" is not supported (this vvm checks ed25519); an existing "
               "signature that cannot be read is replaced only when asked (vvm sign --force)\n");
  CHECK(contents(path) == text);

  SignFileOptions force;
  force.replaceUnreadable = true;
  auto forced = signFile(alice.secretKey, path, force);
  REQUIRE(forced.ok());
  CHECK(forced->replaced);
  CHECK_FALSE(forced->replacedKey);
  CHECK(contents(path).starts_with("(vmlet)\n;; vvm-signature v1 ed25519 "));
  CHECK(embeddedVerifies(path, alice.publicKey));
}

TEST_CASE("files that cannot carry an embedded signature are refused and left alone") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair();

  std::string misplacedText = "(a)\n;; vvm-signature v1 ed25519 0123456789abcdef AAAA\n(added later)\n";
  std::string misplaced = dir.write("misplaced.vml", misplacedText);
  auto m = signFile(alice.secretKey, misplaced, {});
  REQUIRE_FALSE(m.ok());
  CHECK(m.failure().code == SecurityError::MisplacedSignature);
  CHECK(m.failure().where.file == misplaced);
  CHECK(m.failure().where.line == 2);
  CHECK(contents(misplaced) == misplacedText);

  std::string binaryText("\xca\xfe\xba\xbe\0\0\0\x3d", 8);
  std::string binary = dir.write("App.class", binaryText);
  auto b = signFile(alice.secretKey, binary, {});
  REQUIRE_FALSE(b.ok());
  CHECK(b.failure().code == SecurityError::NotText);
  CHECK(b.failure().message().starts_with("has a NUL byte (offset 4)"));
  CHECK(contents(binary) == binaryText);

  auto missing = signFile(alice.secretKey, dir.file("none.vml"), {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.failure().code == SecurityError::FileNotFound);
  CHECK(missing.failure().where.file == dir.file("none.vml"));

  auto directory = signFile(alice.secretKey, dir.path(), {});
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.failure().code == SecurityError::NotAFile);

  // Too big to read into memory: refused from its size alone (a sparse file costs nothing).
  std::string huge = dir.write("huge.vml", "");
  REQUIRE(::truncate(huge.c_str(), static_cast<off_t>(kMaxSignedFileBytes + 1)) == 0);
  for (bool detached : {false, true}) {
    SignFileOptions options;
    options.detached = detached;
    auto h = signFile(alice.secretKey, huge, options);
    REQUIRE_FALSE(h.ok());
    CHECK(h.failure().code == SecurityError::TooBigToSign);
    CHECK(h.failure().where.file == huge);
  }
  CHECK_FALSE(std::filesystem::exists(huge + ".sig"));
}

TEST_CASE("a detached signature goes to FILE.sig and signs every byte of FILE") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair(), bob = newPair();
  std::string bytes = "PK\x03\x04\0binary\n;; vvm-signature looks like one but is content"s;
  std::string path = dir.write("app.jar", bytes);
  SignFileOptions detached;
  detached.detached = true;

  auto first = signFile(alice.secretKey, path, detached);
  REQUIRE(first.ok());
  CHECK(first->written == path + ".sig");
  CHECK_FALSE(first->replaced);
  CHECK(contents(path) == bytes); // FILE itself is untouched
  CHECK(contents(path + ".sig") == formatSignatureLine(first->signature) + "\n");
  auto sig = readSignatureFile(path + ".sig");
  REQUIRE(sig.ok());
  CHECK(verify(alice.publicKey, bytes, *sig));

  // Re-signing replaces a signature file that holds a signature.
  auto second = signFile(bob.secretKey, path, detached);
  REQUIRE(second.ok());
  CHECK(second->replaced);
  REQUIRE(second->replacedKey);
  CHECK(*second->replacedKey == alice.publicKey.id());
  CHECK(verify(bob.publicKey, bytes, *readSignatureFile(path + ".sig")));
  CHECK(filesIn(dir.path()) == 2);
}

TEST_CASE("a FILE.sig that is not a vvm signature is replaced only when asked") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair();
  std::string path = dir.write("release.tar.gz", "data");
  std::string gpg = "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n";
  std::string sigPath = dir.write("release.tar.gz.sig", gpg);
  SignFileOptions detached;
  detached.detached = true;

  auto refused = signFile(alice.secretKey, path, detached);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().code == SecurityError::UnreadableSignatureKept);
  CHECK(refused.failure().where.file == sigPath);
  CHECK(refused.failure().message().starts_with("a signature file holds one signature line and nothing else; "));
  CHECK(contents(sigPath) == gpg);

  detached.replaceUnreadable = true;
  auto forced = signFile(alice.secretKey, path, detached);
  REQUIRE(forced.ok());
  CHECK(forced->replaced);
  CHECK_FALSE(forced->replacedKey);
  CHECK(verify(alice.publicKey, "data", *readSignatureFile(sigPath)));

  // A directory in the way is not replaced, asked or not.
  std::string other = dir.write("other", "x");
  REQUIRE(std::filesystem::create_directory(other + ".sig"));
  auto blocked = signFile(alice.secretKey, other, detached);
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.failure().code == SecurityError::NotAFile);
  CHECK(blocked.failure().where.file == other + ".sig");
}
