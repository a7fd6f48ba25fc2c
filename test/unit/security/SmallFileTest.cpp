// Staged writes: a file written beside its destination is put in place by commit() alone, and
// removed when it is dropped uncommitted.
#include "test/support/Files.h"
#include "test/support/TempDir.h"

#include "security/SmallFile.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>

using namespace vvm;
using namespace vvm::security;

namespace {

using test::contents;

size_t filesIn(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

} // namespace

TEST_CASE("a staged file replaces its destination only when committed") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  std::string path = dir.write("f.txt", "old\n");

  {
    auto staged = stageSmallFile(path, "dropped\n", 0644);
    REQUIRE(staged.ok());
    CHECK(staged->path() == path);
    CHECK(filesIn(dir.path()) == 2); // the destination and the temporary beside it
    CHECK(contents(path) == "old\n");
  }
  CHECK(filesIn(dir.path()) == 1); // dropped uncommitted: the temporary is gone
  CHECK(contents(path) == "old\n");

  auto staged = stageSmallFile(path, "new\n", 0644);
  REQUIRE(staged.ok());
  // Moving it hands over the temporary: only the new owner commits or removes it.
  std::optional<StagedFile> moved(std::move(*staged));
  REQUIRE(moved->commit().ok());
  CHECK(contents(path) == "new\n");
  CHECK(filesIn(dir.path()) == 1);

  // A destination in a missing directory fails at staging, naming the destination.
  auto nowhere = stageSmallFile(dir.file("none/f.txt"), "x", 0644);
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.failure().code == SecurityError::FileUnwritable);
  CHECK(nowhere.failure().where.file == dir.file("none/f.txt"));
}
