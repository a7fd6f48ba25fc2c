// The install tree's hash list: its format, SHA-256, and where the build tree's vvm finds share/vvm.
#include "vmlets/InstallTree.h"

#include "test/support/TempDir.h"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace vvm::vmlets;

TEST_CASE("SHA-256 as hexadecimal digits") {
  // FIPS 180-2, appendix B.1.
  CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("a hash list pins file names to contents") {
  std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  HashList list;
  std::string error;
  REQUIRE(HashList::parse("# generated\n\n" + abc + "  abc.vml\r\n" +
                              "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 *empty.vml",
                          "HASHES", list, error));
  CHECK(list.size() == 2);
  CHECK(list.match("abc.vml", "abc") == HashList::Match::Matches);
  CHECK(list.match("abc.vml", "abd") == HashList::Match::Differs);
  CHECK(list.match("empty.vml", "") == HashList::Match::Matches); // upper-case digits, sha256sum's '*'
  CHECK(list.match("other.vml", "abc") == HashList::Match::NotListed);

  auto bad = [](const std::string& text) {
    HashList l;
    std::string e;
    REQUIRE_FALSE(HashList::parse(text, "HASHES", l, e));
    return e;
  };
  CHECK(bad("# ok\nabc  abc.vml\n") ==
        "HASHES:2: expected \"SHA256  NAME\" (64 hexadecimal digits, two spaces, a file name)");
  CHECK(bad(abc + " abc.vml") ==
        "HASHES:1: expected \"SHA256  NAME\" (64 hexadecimal digits, two spaces, a file name)");
  CHECK(bad(abc + "  ") == "HASHES:1: expected \"SHA256  NAME\" (64 hexadecimal digits, two spaces, a file name)");
  CHECK(bad(abc + "  ../x.vml") == "HASHES:1: \"../x.vml\" is not a file name of this directory");
  CHECK(bad(abc + "  a.vml\n" + abc + "  a.vml\n") == "HASHES:2: \"a.vml\" is listed twice");
}

TEST_CASE("a hash list is read from its directory; a missing one is an error") {
  vvm::test::TempDir dir;
  REQUIRE(dir.ok());
  HashList list;
  std::string error;
  CHECK_FALSE(HashList::load(dir.path(), list, error));
  CHECK(error == dir.file("HASHES") + ": no such file");
  dir.write("HASHES", "# nothing ships\n");
  CHECK(HashList::load(dir.path(), list, error));
  CHECK(list.size() == 0);
}

TEST_CASE("the build tree lays out share/vvm as the install does") {
  // The tests run from the build tree, whose share/vvm the build made (vmlets/ShareTree.cmake).
  std::filesystem::path share = std::filesystem::path(VVM_BINARY).parent_path() / "share" / "vvm";
  CHECK(std::filesystem::is_regular_file(share / "rules.vc"));
  HashList list;
  std::string error;
  CHECK(HashList::load((share / "vmlets").string(), list, error));
  INFO(error);
  for (const auto& e : std::filesystem::directory_iterator(std::string(VVM_SOURCE_DIR) + "/vmlets/shipped"))
    if (e.path().extension() == ".vml")
      CHECK(list.match(e.path().filename().string(), "") != HashList::Match::NotListed);
}
