// Ed25519 keys and key files: generation, saving and loading, file modes, and the located
// errors of malformed key files.
#include "test/support/Files.h"
#include "test/support/TempDir.h"

#include "security/Base64.h"
#include "security/KeyFile.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

using namespace vvm;
using namespace vvm::security;

namespace {

using test::modeOf;

KeyPair newPair() {
  auto pair = generateKeyPair();
  REQUIRE(pair.ok());
  return *pair;
}

/// A public key file's text with `edit` applied to the line starting with `prefix`.
std::string editLine(std::string text, const std::string& prefix, const std::string& replacement) {
  size_t at = text.find(prefix);
  REQUIRE(at != std::string::npos);
  size_t end = text.find('\n', at);
  return text.replace(at, end - at, replacement);
}

} // namespace

TEST_CASE("key ids are the first 8 bytes of BLAKE2b-256 of the public key, in hex") {
  PublicKey zero; // all zero bytes; the expected id was computed with Python's hashlib.blake2b
  CHECK(zero.id().hex() == "89eb0d6a8a691dae");
  auto id = KeyId::fromHex("89EB0D6A8A691DAE");
  REQUIRE(id);
  CHECK(*id == zero.id());
  CHECK_FALSE(KeyId::fromHex("89eb0d6a8a691da"));
  CHECK_FALSE(KeyId::fromHex("89eb0d6a8a691daeff"));
  CHECK_FALSE(KeyId::fromHex("89eb0d6a8a691dag"));
  CHECK_FALSE(KeyId::fromHex(""));
}

TEST_CASE("generated key pairs are distinct and consistent") {
  REQUIRE(sodiumReady());
  KeyPair a = newPair(), b = newPair();
  CHECK_FALSE(a.publicKey == b.publicKey);
  CHECK(a.secretKey.publicKey() == a.publicKey);
  CHECK(a.secretKey.id() == a.publicKey.id());
}

TEST_CASE("key files round-trip through save and load") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair pair = newPair();
  std::string pub = dir.file("alice.pub"), sec = dir.file("alice.key");
  REQUIRE(savePublicKey(pub, pair.publicKey).ok());
  REQUIRE(saveSecretKey(sec, pair.secretKey).ok());

  auto loadedPub = loadPublicKey(pub);
  REQUIRE(loadedPub.ok());
  CHECK(*loadedPub == pair.publicKey);
  auto loadedSec = loadSecretKey(sec);
  REQUIRE(loadedSec.ok());
  CHECK(loadedSec->bytes == pair.secretKey.bytes);

  std::string text = formatPublicKeyFile(pair.publicKey);
  CHECK(text.starts_with("vvm-ed25519-public-key v1\n"));
  CHECK(text.find("\nkey-id: " + pair.publicKey.id().hex() + "\n") != std::string::npos);
  CHECK(formatSecretKeyFile(pair.secretKey).starts_with("vvm-ed25519-secret-key v1\n"));
}

TEST_CASE("secret key files are written with mode 0600, public ones readable by all") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair pair = newPair();
  REQUIRE(saveSecretKey(dir.file("k.key"), pair.secretKey).ok());
  REQUIRE(savePublicKey(dir.file("k.pub"), pair.publicKey).ok());
  CHECK(modeOf(dir.file("k.key")) == 0600);
  mode_t mask = ::umask(0); // read the umask: setting it is the only way
  ::umask(mask);
  CHECK(modeOf(dir.file("k.pub")) == (0644 & ~mask));
  // Replacing a secret key file keeps the mode, even over a file that was readable by all.
  REQUIRE(::chmod(dir.file("k.key").c_str(), 0644) == 0);
  REQUIRE(saveSecretKey(dir.file("k.key"), pair.secretKey, true).ok());
  CHECK(modeOf(dir.file("k.key")) == 0600);
}

TEST_CASE("saving refuses to overwrite unless asked") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair first = newPair(), second = newPair();
  std::string path = dir.file("k.key");
  REQUIRE(saveSecretKey(path, first.secretKey).ok());
  Status again = saveSecretKey(path, second.secretKey);
  REQUIRE_FALSE(again.ok());
  CHECK(again.failure().code == SecurityError::FileExists);
  CHECK(again.failure().format() == path + ": error: already exists; refusing to overwrite it\n");
  CHECK(loadSecretKey(path)->bytes == first.secretKey.bytes);

  REQUIRE(saveSecretKey(path, second.secretKey, true).ok());
  CHECK(loadSecretKey(path)->bytes == second.secretKey.bytes);
  // No temporary file is left behind.
  size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);

  // Nothing is written through a symbolic link, dangling or not.
  REQUIRE(::symlink(dir.file("elsewhere").c_str(), dir.file("link.pub").c_str()) == 0);
  Status viaLink = savePublicKey(dir.file("link.pub"), first.publicKey);
  REQUIRE_FALSE(viaLink.ok());
  CHECK(viaLink.failure().code == SecurityError::FileExists);
  CHECK_FALSE(std::filesystem::exists(dir.file("elsewhere")));
}

TEST_CASE("a key pair is saved as PREFIX.pub and PREFIX.key, both or neither") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair first = newPair(), second = newPair();
  std::string prefix = dir.file("signer");
  KeyPairFiles files = keyPairFiles(prefix);
  CHECK(files.publicKey == prefix + ".pub");
  CHECK(files.secretKey == prefix + ".key");

  REQUIRE(saveKeyPair(prefix, first).ok());
  CHECK(modeOf(files.secretKey) == 0600);
  CHECK(*loadPublicKey(files.publicKey) == first.publicKey);
  CHECK(loadSecretKey(files.secretKey)->bytes == first.secretKey.bytes);

  // An existing pair is kept, and so is a lone file of either name: nothing is written.
  Status again = saveKeyPair(prefix, second);
  REQUIRE_FALSE(again.ok());
  CHECK(again.failure().code == SecurityError::FileExists);
  CHECK(again.failure().where.file == files.secretKey);
  CHECK(loadSecretKey(files.secretKey)->bytes == first.secretKey.bytes);
  std::string lone = dir.write("lone.pub", "mine\n");
  Status besideLone = saveKeyPair(dir.file("lone"), second);
  REQUIRE_FALSE(besideLone.ok());
  CHECK(besideLone.failure().code == SecurityError::FileExists);
  CHECK(besideLone.failure().where.file == lone);
  CHECK_FALSE(std::filesystem::exists(dir.file("lone.key")));

  // Asked to, both are replaced, with no temporary file left behind.
  REQUIRE(::chmod(files.secretKey.c_str(), 0644) == 0);
  REQUIRE(saveKeyPair(prefix, second, true).ok());
  CHECK(*loadPublicKey(files.publicKey) == second.publicKey);
  CHECK(loadSecretKey(files.secretKey)->bytes == second.secretKey.bytes);
  CHECK(modeOf(files.secretKey) == 0600);
  size_t count = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++count;
  CHECK(count == 3); // signer.pub, signer.key, lone.pub

  // A directory in the way is refused before anything is written, even when asked to replace.
  REQUIRE(std::filesystem::create_directory(dir.file("blocked.pub")));
  Status blocked = saveKeyPair(dir.file("blocked"), first, true);
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.failure().code == SecurityError::NotAFile);
  CHECK(blocked.failure().where.file == dir.file("blocked.pub"));
  CHECK_FALSE(std::filesystem::exists(dir.file("blocked.key")));

  // A directory that does not exist: the write fails, naming the file, and leaves nothing.
  Status nowhere = saveKeyPair(dir.file("no-such-dir/signer"), first);
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.failure().code == SecurityError::FileUnwritable);
  CHECK(nowhere.failure().format() ==
        dir.file("no-such-dir/signer.key") + ": error: cannot write: No such file or directory\n");
}

TEST_CASE("key files accept comments, blank lines, CRLF and either field order") {
  KeyPair pair = newPair();
  std::string b64 = toBase64(pair.publicKey.bytes.data(), pair.publicKey.bytes.size());
  std::string text = "vvm-ed25519-public-key v1\r\n\r\n# Alice's key\r\nkey: " + b64 +
                     "\r\n  key-id:   " + pair.publicKey.id().hex() + "  \r\n";
  auto key = parsePublicKeyFile(text, "alice.pub");
  REQUIRE(key.ok());
  CHECK(*key == pair.publicKey);
}

TEST_CASE("malformed key files are refused with the documented error and line") {
  KeyPair pair = newPair();
  std::string good = formatPublicKeyFile(pair.publicKey);
  std::string goodSecret = formatSecretKeyFile(pair.secretKey);
  std::string id = pair.publicKey.id().hex();
  uint8_t shortKey[31] = {};

  struct Case {
    std::string text;
    SecurityError code;
    uint32_t line;
  };
  // formatPublicKeyFile writes: header, comment, key-id, key.
  std::vector<Case> cases = {
      {"", SecurityError::WrongHeader, 1},
      {"hello world\n", SecurityError::WrongHeader, 1},
      {goodSecret, SecurityError::WrongKeyKind, 1},
      {"vvm-ed25519-public-key v2\nkey-id: " + id + "\n", SecurityError::UnsupportedVersion, 1},
      {good + "owner: alice\n", SecurityError::UnknownField, 5},
      {good + "just some words\n", SecurityError::UnknownField, 5},
      {good + "key-id: " + id + "\n", SecurityError::DuplicateField, 5},
      {editLine(good, "key: ", "# no key"), SecurityError::MissingField, 0},
      {editLine(good, "key-id: ", ""), SecurityError::MissingField, 0},
      {editLine(good, "key: ", "key: not*base64"), SecurityError::BadBase64, 4},
      {editLine(good, "key: ", "key: " + toBase64(pair.publicKey.bytes.data(), 32) + " x"), SecurityError::BadBase64,
       4},
      {editLine(good, "key: ", "key: " + toBase64(shortKey, sizeof shortKey)), SecurityError::WrongLength, 4},
      {editLine(good, "key-id: ", "key-id: 12345"), SecurityError::BadKeyId, 3},
      {editLine(good, "key-id: ", "key-id: 0123456789abcdef"), SecurityError::KeyIdMismatch, 3},
      {std::string("vvm-ed25519-public-key v1\nkey: \x01\x02\x7f\n"), SecurityError::BadBase64, 2},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto key = parsePublicKeyFile(c.text, "some.pub");
    REQUIRE_FALSE(key.ok());
    CHECK(errorName(key.failure().code) == errorName(c.code));
    CHECK(key.failure().where.line == c.line);
    CHECK(key.failure().where.file == "some.pub");
  }

  auto wrongKind = parseSecretKeyFile(good, "alice.pub");
  REQUIRE_FALSE(wrongKind.ok());
  CHECK(wrongKind.failure().format() ==
        "alice.pub:1: error: this is a public key file, but a secret key is needed here\n");
  CHECK(parsePublicKeyFile(good + "owner: alice\n", "k.pub").failure().message() ==
        "expected \"key-id: HEX\" or \"key: BASE64\", found \"owner\"");
  // A mangled line of a secret key file may hold the key: it is not repeated in the message.
  std::string mangled = editLine(goodSecret, "key: ", "key = " + goodSecret.substr(goodSecret.rfind(' ') + 1, 20));
  auto secretError = parseSecretKeyFile(mangled, "k.key");
  REQUIRE_FALSE(secretError.ok());
  CHECK(secretError.failure().code == SecurityError::UnknownField);
  CHECK(secretError.failure().message() == "expected \"key-id: HEX\" or \"key: BASE64\"");
  auto badLength = parsePublicKeyFile(editLine(good, "key: ", "key: " + toBase64(shortKey, 31)), "k.pub");
  CHECK(badLength.failure().message() == "the public key is 31 bytes long; an Ed25519 public key is 32 bytes");
}

TEST_CASE("a secret key whose halves do not belong together is refused") {
  KeyPair a = newPair(), b = newPair();
  // a's seed with b's public half, and b's key id so the id check passes.
  SecretKey mixed = a.secretKey;
  std::copy(b.publicKey.bytes.begin(), b.publicKey.bytes.end(), mixed.bytes.begin() + 32);
  auto key = parseSecretKeyFile(formatSecretKeyFile(mixed), "mixed.key");
  REQUIRE_FALSE(key.ok());
  CHECK(key.failure().code == SecurityError::CorruptSecretKey);
  CHECK(key.failure().where.line == 4);
}

TEST_CASE("loading reports missing, unreadable, oversized and exposed key files") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  auto missing = loadPublicKey(dir.file("none.pub"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.failure().code == SecurityError::FileNotFound);
  CHECK(missing.failure().format() == dir.file("none.pub") + ": error: no such file\n");

  auto directory = loadPublicKey(dir.path());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.failure().code == SecurityError::NotAFile);

  std::string fifo = dir.file("fifo.pub");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto pipe = loadPublicKey(fifo); // must not wait for a writer
  REQUIRE_FALSE(pipe.ok());
  CHECK(pipe.failure().code == SecurityError::NotAFile);

  std::string big = dir.write("big.pub", "vvm-ed25519-public-key v1\n" + std::string(kMaxKeyFileBytes, '#'));
  auto tooBig = loadPublicKey(big);
  REQUIRE_FALSE(tooBig.ok());
  CHECK(tooBig.failure().code == SecurityError::FileTooBig);

  KeyPair pair = newPair();
  std::string sec = dir.file("exposed.key");
  REQUIRE(saveSecretKey(sec, pair.secretKey).ok());
  REQUIRE(::chmod(sec.c_str(), 0640) == 0);
  auto exposed = loadSecretKey(sec);
  REQUIRE_FALSE(exposed.ok());
  CHECK(exposed.failure().code == SecurityError::SecretKeyExposed);
  CHECK(exposed.failure().message() ==
        "secret key file is accessible to other users (mode 0640); run: chmod 600 " + sec);
  // A public key file given where a secret key is needed is named as such, not as exposed.
  std::string pub = dir.file("given-by-mistake.pub");
  REQUIRE(savePublicKey(pub, pair.publicKey).ok());
  auto wrongKind = loadSecretKey(pub);
  REQUIRE_FALSE(wrongKind.ok());
  CHECK(wrongKind.failure().code == SecurityError::WrongKeyKind);
  CHECK(wrongKind.failure().format() ==
        pub + ":1: error: this is a public key file, but a secret key is needed here\n");

  if (::geteuid() != 0) { // root reads anything
    std::string locked = dir.write("locked.pub", formatPublicKeyFile(pair.publicKey));
    REQUIRE(::chmod(locked.c_str(), 0) == 0);
    auto unreadable = loadPublicKey(locked);
    REQUIRE_FALSE(unreadable.ok());
    CHECK(unreadable.failure().code == SecurityError::FileUnreadable);
    CHECK(unreadable.failure().message() == "cannot read: Permission denied");
  }
}
