// `vvm keygen` and `vvm sign` as a user meets them: the files they write, what they print, their
// messages and exit statuses. Runs the built binary; checks its work with the security library.
#include "RunVvm.h"
#include "test/support/Files.h"
#include "test/support/TempDir.h"

#include "security/KeyFile.h"
#include "security/Signature.h"
#include "security/SmallFile.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <sys/stat.h>

using namespace vvm;
using namespace vvm::security;
using vvm::test::runVvm;
using vvm::test::VvmRun;

namespace {

using test::contents;
using test::modeOf;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

/// A temporary directory with a key pair made by `vvm keygen --out DIR/me`.
struct Signer {
  test::TempDir dir;
  std::string keyFile, pubFile;
  PublicKey key;

  Signer() {
    REQUIRE(dir.ok());
    VvmRun r = runVvm("keygen --out " + dir.file("me"));
    REQUIRE(r.status == 0);
    keyFile = dir.file("me.key");
    pubFile = dir.file("me.pub");
    auto pub = loadPublicKey(pubFile);
    REQUIRE(pub.ok());
    key = *pub;
  }

  /// True when the file at `path` ends with an embedded signature by this signer's key.
  bool embeddedVerifies(const std::string& path) const {
    std::string text = contents(path);
    auto split = splitSignedText(text);
    REQUIRE(split.ok());
    REQUIRE(split->signatureLine);
    auto sig = parseSignatureLine(*split->signatureLine);
    REQUIRE(sig.ok());
    return verify(key, split->content, *sig);
  }
};

} // namespace

TEST_CASE("keygen writes a key pair, the secret key with mode 0600, and prints its id and paths") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  std::string prefix = dir.file("alice");
  VvmRun r = runVvm("keygen --out " + prefix, "", dir.file("stderr"));
  CHECK(r.status == 0);
  CHECK(r.err.empty());

  auto pub = loadPublicKey(prefix + ".pub");
  REQUIRE(pub.ok());
  auto sec = loadSecretKey(prefix + ".key"); // which refuses a key file others can read
  REQUIRE(sec.ok());
  CHECK(sec->publicKey() == *pub);
  CHECK(modeOf(prefix + ".key") == 0600);
  CHECK(r.out == "key id:     " + pub->id().hex() + "\npublic key: " + prefix +
                     ".pub (give it to whoever should trust what you sign)\nsecret key: " + prefix +
                     ".key (mode 0600; keep it private)\n");
}

TEST_CASE("keygen writes vvm-signing.pub and .key in the current directory by default") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  VvmRun r = runVvm("keygen", dir.path());
  CHECK(r.status == 0);
  CHECK(r.out.find("public key: vvm-signing.pub ") != std::string::npos);
  CHECK(loadPublicKey(dir.file("vvm-signing.pub")).ok());
  CHECK(loadSecretKey(dir.file("vvm-signing.key")).ok());
}

TEST_CASE("keygen refuses to overwrite a key pair unless --force") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  std::string prefix = dir.file("k");
  REQUIRE(runVvm("keygen -o " + prefix).status == 0);
  std::string pub = contents(prefix + ".pub"), sec = contents(prefix + ".key");

  VvmRun again = runVvm("keygen --out " + prefix, "", dir.file("stderr"));
  CHECK(again.status == 73);
  CHECK(again.out.empty());
  CHECK(again.err.starts_with(prefix + ".key: error: already exists; refusing to overwrite it\n"));
  CHECK(again.err.find("--force") != std::string::npos);
  CHECK(contents(prefix + ".pub") == pub);
  CHECK(contents(prefix + ".key") == sec);

  // A lone public key of that name is kept too, and no secret key is left beside it.
  std::string lone = dir.write("lone.pub", pub);
  VvmRun besideLone = runVvm("keygen --out " + dir.file("lone"));
  CHECK(besideLone.status == 73);
  CHECK(besideLone.out.find(lone + ": error: already exists") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("lone.key")));

  VvmRun forced = runVvm("keygen --out " + prefix + " --force");
  CHECK(forced.status == 0);
  CHECK(contents(prefix + ".pub") != pub);
  CHECK(modeOf(prefix + ".key") == 0600);
  auto newSec = loadSecretKey(prefix + ".key");
  REQUIRE(newSec.ok());
  CHECK(newSec->publicKey() == *loadPublicKey(prefix + ".pub"));
  CHECK(forced.out.find(newSec->id().hex()) != std::string::npos);
}

TEST_CASE("keygen reports a directory it cannot write to") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  VvmRun r = runVvm("keygen --out " + dir.file("missing/k"));
  CHECK(r.status == 73);
  CHECK(r.out == dir.file("missing/k.key") + ": error: cannot write: No such file or directory\n");
}

TEST_CASE("sign embeds a signature the library verifies, and re-signing replaces the line") {
  Signer me;
  std::string original = "(define-vmlet demo)\n(version 1)\n";
  std::string file = me.dir.write("demo.vml", original);

  VvmRun r = runVvm("sign " + file + " --key " + me.keyFile, "", me.dir.file("stderr"));
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(r.out == "signed " + file + " with key " + me.key.id().hex() + ": signature on line 3\n");
  std::string signedText = contents(file);
  CHECK(signedText.starts_with(original + ";; vvm-signature v1 ed25519 " + me.key.id().hex() + " "));
  CHECK(me.embeddedVerifies(file));

  // Signing again (here with a new key) replaces the signature line: still one, and it checks.
  Signer other;
  VvmRun again = runVvm("sign " + file + " -k " + other.keyFile);
  CHECK(again.status == 0);
  CHECK(again.out.find(", replacing one by key " + me.key.id().hex()) != std::string::npos);
  std::string resigned = contents(file);
  CHECK(count(resigned, "vvm-signature") == 1);
  CHECK(resigned.starts_with(original));
  CHECK(other.embeddedVerifies(file));
}

TEST_CASE("sign --detached writes FILE.sig and leaves FILE alone") {
  Signer me;
  std::string bytes = std::string("\xca\xfe\xba\xbe\0\0\0\x3d", 8) + "class bytes";
  std::string file = me.dir.write("App.class", bytes);

  VvmRun r = runVvm("sign --detached " + file + " --key " + me.keyFile);
  CHECK(r.status == 0);
  CHECK(r.out == "signed " + file + " with key " + me.key.id().hex() + ": signature in " + file + ".sig\n");
  CHECK(contents(file) == bytes);
  auto sig = readSignatureFile(file + ".sig");
  REQUIRE(sig.ok());
  CHECK(verify(me.key, bytes, *sig));

  // Re-signing replaces a signature file; a file there that is not one is kept unless --force.
  CHECK(runVvm("sign --detached " + file + " --key " + me.keyFile).status == 0);
  std::string gpg = "-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----\n";
  me.dir.write("App.class.sig", gpg);
  VvmRun kept = runVvm("sign --detached " + file + " --key " + me.keyFile);
  CHECK(kept.status == 3);
  CHECK(kept.out.starts_with(file + ".sig:2: error: a signature file holds one signature line and nothing else; "));
  CHECK(kept.out.find("--force") != std::string::npos);
  CHECK(contents(file + ".sig") == gpg);
  VvmRun forced = runVvm("sign --detached --force " + file + " --key " + me.keyFile);
  CHECK(forced.status == 0);
  CHECK(verify(me.key, bytes, *readSignatureFile(file + ".sig")));

  // Embedding a signature in a file that is not text would damage it.
  VvmRun embedded = runVvm("sign " + file + " --key " + me.keyFile);
  CHECK(embedded.status == 3);
  CHECK(embedded.out.starts_with(file + ": error: has a NUL byte (offset 4), so it is not text"));
  CHECK(contents(file) == bytes);
}

TEST_CASE("a damaged or malformed key file gives exit 3 and names the file and line") {
  Signer me;
  std::string file = me.dir.write("x.vml", "(x)\n");
  std::string keyText = contents(me.keyFile);

  // One character of the seed changed: the key's halves no longer belong together.
  size_t at = keyText.find("\nkey: ") + 6;
  std::string tampered = keyText;
  tampered[at + 2] = tampered[at + 2] == 'A' ? 'B' : 'A';
  std::string tamperedKey = me.dir.write("tampered.key", tampered);
  REQUIRE(::chmod(tamperedKey.c_str(), 0600) == 0);
  VvmRun t = runVvm("sign " + file + " --key " + tamperedKey);
  CHECK(t.status == 3);
  CHECK(t.out ==
        tamperedKey + ":4: error: the secret key's public half does not match its seed (the file is corrupt)\n");

  std::string malformed = keyText;
  malformed.insert(at, "!!");
  std::string malformedKey = me.dir.write("malformed.key", malformed);
  REQUIRE(::chmod(malformedKey.c_str(), 0600) == 0);
  VvmRun m = runVvm("sign " + file + " --key " + malformedKey);
  CHECK(m.status == 3);
  CHECK(m.out == malformedKey + ":4: error: the secret key is not valid base64\n");

  VvmRun wrongKind = runVvm("sign " + file + " --key " + me.pubFile);
  CHECK(wrongKind.status == 3);
  CHECK(wrongKind.out == me.pubFile + ":1: error: this is a public key file, but a secret key is needed here\n");

  REQUIRE(::chmod(me.keyFile.c_str(), 0644) == 0);
  VvmRun exposed = runVvm("sign " + file + " --key " + me.keyFile);
  CHECK(exposed.status == 3);
  std::string chmodHint = "secret key file is accessible to other users (mode 0644); run: chmod 600 " + me.keyFile;
  CHECK(exposed.out == me.keyFile + ": error: " + chmodHint + "\n");
  CHECK(contents(file) == "(x)\n"); // nothing was signed
}

TEST_CASE("sign: a malformed existing signature gives exit 3, missing files exit 4, bad arguments exit 2") {
  Signer me;
  std::string misplacedText = "(a)\n;; vvm-signature v1 ed25519 0123456789abcdef AAAA\n(added later)\n";
  std::string misplaced = me.dir.write("misplaced.vml", misplacedText);
  VvmRun m = runVvm("sign " + misplaced + " --key " + me.keyFile);
  CHECK(m.status == 3);
  CHECK(m.out == misplaced + ":2: error: a signature line must be the last line of the file (line 2 of 3)\n");
  CHECK(contents(misplaced) == misplacedText);

  std::string damaged = me.dir.write("damaged.vml", "(a)\n;; vvm-signature v1 ed25519 0123456789abcdef AAAA\n");
  VvmRun d = runVvm("sign " + damaged + " --key " + me.keyFile);
  CHECK(d.status == 3);
  CHECK(d.out.starts_with(damaged + ":2: error: the signature is 3 bytes long; an Ed25519 signature is 64 bytes; "));
  VvmRun forced = runVvm("sign " + damaged + " --key " + me.keyFile + " --force");
  CHECK(forced.status == 0);
  CHECK(forced.out.find("replacing an unreadable one") != std::string::npos);
  CHECK(me.embeddedVerifies(damaged));

  VvmRun noFile = runVvm("sign " + me.dir.file("none.vml") + " --key " + me.keyFile);
  CHECK(noFile.status == 4);
  CHECK(noFile.out == me.dir.file("none.vml") + ": error: no such file\n");
  VvmRun noKey = runVvm("sign " + misplaced + " --key " + me.dir.file("none.key"));
  CHECK(noKey.status == 4);
  CHECK(noKey.out == me.dir.file("none.key") + ": error: no such file\n");

  CHECK(runVvm("sign " + misplaced).status == 2); // --key is required
  CHECK(runVvm("sign --key " + me.keyFile).status == 2);
  CHECK(runVvm("keygen extra-word").status == 2);
  VvmRun dirOnly = runVvm("keygen --out " + me.dir.path() + "/");
  CHECK(dirOnly.status == 2);
  CHECK(dirOnly.out.find("try " + me.dir.path() + "/vvm-signing") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(me.dir.file(".key")));
}

TEST_CASE("keygen and sign explain themselves with --help") {
  VvmRun k = runVvm("keygen --help");
  CHECK(k.status == 0);
  CHECK(k.out.find("--out") != std::string::npos);
  CHECK(k.out.find("--force") != std::string::npos);
  VvmRun s = runVvm("sign --help");
  CHECK(s.status == 0);
  for (const char* option : {"--key", "--detached", "--force", ";; vvm-signature v1 ed25519"})
    CHECK(s.out.find(option) != std::string::npos);
}
