// Host services: reading files with limits and clear reasons, arguments, the clock.
#include "../TestSupport.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

using namespace vvm;

TEST_CASE("readFile tells a missing file from other failures") {
  std::string err;
  bool notFound = false;
  CHECK_FALSE(vos::readFile("/nonexistent/dir/file.vp", 1024, err, notFound));
  CHECK(notFound);
  CHECK_FALSE(vos::readFile("/tmp", 1024, err, notFound));
  CHECK_FALSE(notFound);
  CHECK(err == "is a directory");
}

TEST_CASE("readFile enforces its size limit") {
  std::string path = std::string(P_tmpdir) + "/vvm-readfile-test.txt";
  {
    std::ofstream out(path);
    out << std::string(5000, 'x');
  }
  std::string err;
  bool notFound = false;
  CHECK_FALSE(vos::readFile(path, 4096, err, notFound));
  CHECK(err.find("larger than the limit") != std::string::npos);
  auto data = vos::readFile(path, 8192, err, notFound);
  REQUIRE(data);
  CHECK(data->size() == 5000);
  std::remove(path.c_str());
}

TEST_CASE("the base primitives are registered with their signatures") {
  auto& prims = test::runtime().primitives();
  const core::Primitive* p = prims.find("args.get");
  REQUIRE(p);
  CHECK(p->sig.params == std::vector<core::Kind>{core::Kind::I32});
  CHECK(p->sig.ret == core::Kind::Ref);
  CHECK(prims.find("println.i32"));
  CHECK(prims.find("exit"));
  CHECK_FALSE(prims.find("no.such.primitive"));
}

TEST_CASE("the monotonic clock moves forward") {
  int64_t a = vos::monotonicNanos();
  int64_t b = vos::monotonicNanos();
  CHECK(b >= a);
}
