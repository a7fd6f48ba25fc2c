// Toolkit versions and the toolkits check, against lists of toolkits made up by the tests (the
// native table is empty until the first toolkit arrives).
#include "vmlets/Toolkits.h"

#include <catch2/catch.hpp>

using namespace vvm::vmlets;

namespace {
const Toolkit kFake[] = {{"jvm", "1.4.2", "a JVM family toolkit"}, {"smalltalk", "2.0", "message sends"}};

std::string problem(const std::string& name, const std::string& version) {
  ToolkitNeed need{name, version, {}};
  return toolkitProblem(need, kFake);
}
} // namespace

TEST_CASE("toolkit versions are one to three decimal numbers") {
  auto v = parseVersion("1.4.2");
  REQUIRE(v);
  CHECK((v->major == 1 && v->minor == 4 && v->patch == 2));
  v = parseVersion("3");
  REQUIRE(v);
  CHECK((v->major == 3 && v->minor == 0 && v->patch == 0));
  for (const char* bad : {"", "1.", ".1", "1..2", "1.2.3.4", "v1", "1.2-beta", " 1", "-1", "1.x", "99999999999"}) {
    INFO(bad);
    CHECK_FALSE(parseVersion(bad));
  }
}

TEST_CASE("a toolkit meets a request of its major version and at most its minor version") {
  auto v = [](const char* text) { return *parseVersion(text); };
  CHECK(meets(v("1.4.2"), v("1.4.2")));
  CHECK(meets(v("1.4.2"), v("1.4")));
  CHECK(meets(v("1.4.2"), v("1.3.9")));
  CHECK(meets(v("1.4.2"), v("1")));
  CHECK_FALSE(meets(v("1.4.2"), v("1.4.3")));
  CHECK_FALSE(meets(v("1.4.2"), v("1.5")));
  CHECK_FALSE(meets(v("1.4.2"), v("2.0")));
  CHECK_FALSE(meets(v("2.0"), v("1.0"))); // a new major version may break what 1.x offered
  CHECK(meets(v("0.3"), v("0.2")));       // 0.x is not special
}

TEST_CASE("the toolkits check says what is missing and what vvm has") {
  CHECK(problem("jvm", "1.2").empty());
  CHECK(problem("smalltalk", "2").empty());
  CHECK(problem("jvm", "1.5") == "needs toolkit jvm 1.5; this vvm has version 1.4.2 (a toolkit meets a request of "
                                 "the same major version and at least its minor version)");
  CHECK(problem("lisp", "1.0") == "needs toolkit lisp 1.0, which this vvm does not have (it has: jvm smalltalk)");
  CHECK(problem("jvm", "one") ==
        "toolkit jvm: version \"one\" is not MAJOR, MAJOR.MINOR or MAJOR.MINOR.PATCH (decimal numbers)");
  ToolkitNeed need{"jvm", "1.0", {}};
  CHECK(toolkitProblem(need, {}) == "needs toolkit jvm 1.0, which this vvm does not have (it has no toolkits)");
}

TEST_CASE("every native toolkit has a name and a well-formed version") {
  for (const Toolkit& t : nativeToolkits()) {
    INFO(t.name);
    CHECK(isName(t.name));
    CHECK(parseVersion(t.version));
    CHECK(!t.doc.empty());
  }
}
