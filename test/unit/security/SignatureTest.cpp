// Detached signatures: signing and checking, the signature line, embedded signatures (which
// bytes are signed) and signature files.
#include "test/support/TempDir.h"

#include "security/Base64.h"
#include "security/Signature.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace vvm;
using namespace vvm::security;

namespace {

KeyPair newPair() {
  auto pair = generateKeyPair();
  REQUIRE(pair.ok());
  return *pair;
}

Signature signOrFail(const SecretKey& key, std::string_view bytes) {
  auto sig = sign(key, bytes);
  REQUIRE(sig.ok());
  return *sig;
}

} // namespace

TEST_CASE("a signature verifies over exactly the bytes signed, with the signer's key") {
  KeyPair alice = newPair(), mallory = newPair();
  std::string content = "(define-vmlet java\n  (version 1))\n";
  Signature sig = signOrFail(alice.secretKey, content);
  CHECK(sig.keyId == alice.publicKey.id());
  CHECK(verify(alice.publicKey, content, sig));

  // Each single flipped byte, anywhere, breaks it.
  for (size_t i = 0; i < content.size(); ++i) {
    std::string tampered = content;
    tampered[i] ^= 0x01;
    CHECK_FALSE(verify(alice.publicKey, tampered, sig));
  }
  CHECK_FALSE(verify(alice.publicKey, content + "\n", sig));
  CHECK_FALSE(verify(alice.publicKey, content.substr(1), sig));
  // Another key does not verify it, even one that claims alice's id.
  CHECK_FALSE(verify(mallory.publicKey, content, sig));
  Signature forged = signOrFail(mallory.secretKey, content);
  forged.keyId = alice.publicKey.id();
  CHECK_FALSE(verify(alice.publicKey, content, forged));
  // A flipped signature bit fails too.
  Signature damaged = sig;
  damaged.bytes[10] ^= 0x80;
  CHECK_FALSE(verify(alice.publicKey, content, damaged));
  // The empty string can be signed.
  CHECK(verify(alice.publicKey, "", signOrFail(alice.secretKey, "")));
}

TEST_CASE("threads may generate keys, sign and verify at once") {
  // Whichever thread comes first initialises libsodium; none may see it half-done.
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&good, i] {
      auto pair = generateKeyPair();
      if (!pair) return;
      std::string message(static_cast<size_t>(i) * 100, 'x');
      auto sig = sign(pair->secretKey, message);
      if (sig && verify(pair->publicKey, message, *sig)) ++good;
    });
  for (auto& t : threads) t.join();
  CHECK(good == 8);
}

TEST_CASE("signature lines round-trip") {
  KeyPair alice = newPair();
  Signature sig = signOrFail(alice.secretKey, "hello");
  std::string line = formatSignatureLine(sig);
  CHECK(line.starts_with("vvm-signature v1 ed25519 " + sig.keyId.hex() + " "));
  CHECK(line.size() == std::string("vvm-signature v1 ed25519 ").size() + 16 + 1 + 88);
  for (const std::string& variant :
       {line, line + "\n", line + "\r\n", line + "  ",
        "vvm-signature\tv1  ed25519 " + sig.keyId.hex() + "\t" + line.substr(line.rfind(' ') + 1)}) {
    auto parsed = parseSignatureLine(variant);
    REQUIRE(parsed.ok());
    CHECK(parsed->keyId == sig.keyId);
    CHECK(parsed->bytes == sig.bytes);
  }
}

TEST_CASE("malformed signature lines give the documented errors") {
  KeyPair alice = newPair();
  Signature sig = signOrFail(alice.secretKey, "hello");
  std::string id = sig.keyId.hex();
  std::string b64 = toBase64(sig.bytes.data(), sig.bytes.size());
  uint8_t shortSig[63] = {};
  struct Case {
    std::string line;
    SecurityError code;
  };
  std::vector<Case> cases = {
      {"", SecurityError::NotASignature},
      {"vvm-signatures v1 ed25519 " + id + " " + b64, SecurityError::NotASignature},
      {";; vvm-signature v1 ed25519 " + id + " " + b64, SecurityError::NotASignature},
      {"vvm-signature v2 ed25519 " + id + " " + b64, SecurityError::UnsupportedVersion},
      {"vvm-signature v2", SecurityError::UnsupportedVersion},
      {"vvm-signature v1 rsa " + id + " " + b64, SecurityError::UnsupportedAlgorithm},
      {"vvm-signature v1 ed25519 " + id, SecurityError::SignatureFields},
      {"vvm-signature v1 ed25519 " + id + " " + b64 + " extra", SecurityError::SignatureFields},
      {"vvm-signature v1 ed25519 " + id.substr(1) + " " + b64, SecurityError::BadKeyId},
      {"vvm-signature v1 ed25519 " + id + " " + b64.substr(1), SecurityError::BadBase64},
      {"vvm-signature v1 ed25519 " + id + " " + b64 + "=", SecurityError::BadBase64},
      {"vvm-signature v1 ed25519 " + id + " " + toBase64(shortSig, sizeof shortSig), SecurityError::WrongLength},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto parsed = parseSignatureLine(c.line);
    REQUIRE_FALSE(parsed.ok());
    CHECK(errorName(parsed.failure().code) == errorName(c.code));
  }
  CHECK(parseSignatureLine("vvm-signature v1 ed25519 x").failure().message() ==
        "a signature line is \"vvm-signature v1 ed25519 KEY-ID SIGNATURE\"; this one has 4 fields");
}

TEST_CASE("an embedded signature signs every byte before its line") {
  std::string sigLine = ";; vvm-signature v1 ed25519 0123456789abcdef AAAA";
  struct Case {
    std::string text;
    std::string content;
    uint32_t line;
  };
  std::vector<Case> cases = {
      {"a\nb\n" + sigLine + "\n", "a\nb\n", 3},
      {"a\nb\n" + sigLine, "a\nb\n", 3},                  // no final newline
      {"a\r\nb\r\n" + sigLine + "\r\n", "a\r\nb\r\n", 3}, // CRLF: the '\r's before are content
      {sigLine + "\n", "", 1},                            // the only line
      {"\n\n" + sigLine + "\n", "\n\n", 3},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto split = splitSignedText(c.text);
    REQUIRE(split.ok());
    CHECK(split->content == c.content);
    REQUIRE(split->signatureLine);
    CHECK(*split->signatureLine == sigLine.substr(3));
    CHECK(split->line == c.line);
  }

  for (std::string_view text : {"", "\n", "a\nb\n", "a\nb", ";; vvm-signature", ";; a comment\n"}) {
    INFO(text);
    auto split = splitSignedText(text);
    REQUIRE(split.ok());
    CHECK(split->content == text);
    CHECK_FALSE(split->signatureLine);
    CHECK(split->line == 0);
  }
}

TEST_CASE("a signature line that is not the last line is an error") {
  std::string sigLine = ";; vvm-signature v1 ed25519 0123456789abcdef AAAA";
  for (const std::string& text : {"a\n" + sigLine + "\nadded later\n", "a\n" + sigLine + "\n\n"}) {
    INFO(text);
    auto split = splitSignedText(text);
    REQUIRE_FALSE(split.ok());
    CHECK(split.failure().code == SecurityError::MisplacedSignature);
    CHECK(split.failure().where.line == 2);
  }
  CHECK(splitSignedText("x\n" + sigLine + "\ny").failure().message() ==
        "a signature line must be the last line of the file (line 2 of 3)");
}

TEST_CASE("signText embeds a signature that checks, and replaces an old one") {
  KeyPair alice = newPair(), bob = newPair();
  std::string original = "(vmlet smalltalk)\n";
  auto signedText = signText(alice.secretKey, original);
  REQUIRE(signedText.ok());
  CHECK(signedText->starts_with(original + ";; vvm-signature v1 ed25519 " + alice.publicKey.id().hex() + " "));
  CHECK(signedText->ends_with("\n"));

  auto split = splitSignedText(*signedText);
  REQUIRE(split.ok());
  CHECK(split->content == original);
  auto sig = parseSignatureLine(*split->signatureLine);
  REQUIRE(sig.ok());
  CHECK(verify(alice.publicKey, split->content, *sig));

  // Re-signing replaces the signature: one signature line, bob's.
  auto resigned = signText(bob.secretKey, *signedText);
  REQUIRE(resigned.ok());
  CHECK(resigned->find(alice.publicKey.id().hex()) == std::string::npos);
  auto split2 = splitSignedText(*resigned);
  REQUIRE(split2.ok());
  CHECK(split2->content == original);
  CHECK(verify(bob.publicKey, split2->content, *parseSignatureLine(*split2->signatureLine)));

  // A text without a final newline is signed with one added, and says so.
  CHECK(*signedContent("no newline") == "no newline\n");
  auto noNewline = signText(alice.secretKey, "no newline");
  REQUIRE(noNewline.ok());
  auto split3 = splitSignedText(*noNewline);
  REQUIRE(split3.ok());
  CHECK(split3->content == "no newline\n");
  CHECK(verify(alice.publicKey, split3->content, *parseSignatureLine(*split3->signatureLine)));

  // attachSignature is the low-level half of signText.
  Signature direct = signOrFail(alice.secretKey, original);
  CHECK(attachSignature(original, direct) == original + ";; " + formatSignatureLine(direct) + "\n");

  // A misplaced signature line is not silently kept inside newly signed content.
  std::string appended = *signedText + "more\n";
  auto refused = signText(alice.secretKey, appended);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().code == SecurityError::MisplacedSignature);
}

TEST_CASE("detached signature files") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  KeyPair alice = newPair();
  std::string program = dir.write("app.bin", std::string("\xca\xfe\xba\xbe\0\0\0\x3d", 8));
  std::string sigPath = signatureFileFor(program);
  CHECK(sigPath == program + ".sig");

  Signature sig = signOrFail(alice.secretKey, std::string("\xca\xfe\xba\xbe\0\0\0\x3d", 8));
  REQUIRE(writeSignatureFile(sigPath, sig, false).ok());
  auto read = readSignatureFile(sigPath);
  REQUIRE(read.ok());
  CHECK(read->bytes == sig.bytes);
  CHECK(read->keyId == sig.keyId);
  CHECK(writeSignatureFile(sigPath, sig, false).failure().code == SecurityError::FileExists);
  CHECK(writeSignatureFile(sigPath, sig, true).ok());

  auto missing = readSignatureFile(dir.file("none.sig"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.failure().code == SecurityError::FileNotFound);

  std::string extra = dir.write("extra.sig", formatSignatureLine(sig) + "\n# a comment\n");
  auto extraRead = readSignatureFile(extra);
  REQUIRE_FALSE(extraRead.ok());
  CHECK(extraRead.failure().code == SecurityError::SignatureFileExtra);
  CHECK(extraRead.failure().where.line == 2);

  std::string garbage = dir.write("garbage.sig", "vvm-signature v1 ed25519 nothex!! AAAA\n");
  auto garbageRead = readSignatureFile(garbage);
  REQUIRE_FALSE(garbageRead.ok());
  CHECK(garbageRead.failure().code == SecurityError::BadKeyId);
  CHECK(garbageRead.failure().format() == garbage + ":1: error: key id \"nothex!!\" is not 16 hexadecimal digits\n");
}
