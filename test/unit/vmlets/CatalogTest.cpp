// Finding VMlets: what `vvm vmlets` shows as a found VMlet's signature, the same verdict as
// vvm verify's signature check (the install tree by its hash list, the rest by signatures).
#include "vmlets/Catalog.h"

#include "security/Signature.h"
#include "test/support/TempDir.h"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace vvm;
using namespace vvm::vmlets;

TEST_CASE("found VMlets are judged by the hash list in the install tree, by signature elsewhere") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  std::filesystem::create_directory(dir.file("install"));
  std::filesystem::create_directory(dir.file("path"));
  const std::string a = "(vmlet a (version \"1\") (type \"application/x-a\"))\n";
  const std::string b = "(vmlet b (version \"1\") (type \"application/x-b\"))\n";
  dir.write("install/a.vml", a);
  dir.write("install/b.vml", b + ";; edited\n");
  dir.write("install/HASHES", sha256Hex(a) + "  a.vml\n" + sha256Hex(b) + "  b.vml\n");
  auto pair = security::generateKeyPair();
  REQUIRE(pair.ok());
  security::TrustStore trust;
  trust.addKey(pair->publicKey, "me.pub");
  auto signedText = security::signText(pair->secretKey, a);
  REQUIRE(signedText.ok());
  dir.write("path/a.vml", *signedText);
  dir.write("path/c.vml", b);

  std::vector<SearchDir> dirs = {{dir.file("install"), Origin::InstallTree}, {dir.file("path"), Origin::SearchPath}};
  std::vector<Found> found = findVmlets(dirs, &trust);
  REQUIRE(found.size() == 4);
  CHECK(describeSignature(found[0]) == "shipped with vvm (matches the install tree's hash list)");
  CHECK(describeSignature(found[1]) == "install tree file does not match the hash list (changed since vvm was built)");
  CHECK(describeSignature(found[2]).find("signed by trusted key ") == 0);
  CHECK(describeSignature(found[3]) == "not signed");

  // Typing needs no trust store, and checks nothing.
  found = findVmlets(dirs, nullptr);
  CHECK(describeSignature(found[0]) == "not checked");

  std::filesystem::remove(dir.file("install/HASHES"));
  found = findVmlets(dirs, &trust);
  CHECK(describeSignature(found[0]) == "install tree file, but the install tree's hash list cannot be read: " +
                                           dir.file("install/HASHES") + ": no such file");
}
