// The .vp assembler and disassembler: round trips, and located errors.
#include "../TestSupport.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace vvm;
namespace fs = std::filesystem;

namespace {
std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
} // namespace

TEST_CASE("disassembly assembles back to the same IR, for every golden program and example") {
  std::vector<fs::path> files;
  for (const char* dir : {"/test/programs/vp", "/examples/vp", "/bench/vp"}) {
    fs::path d = fs::path(VVM_SOURCE_DIR) / (std::string(dir).substr(1));
    if (!fs::exists(d)) continue;
    for (auto& e : fs::directory_iterator(d))
      if (e.path().extension() == ".vp") files.push_back(e.path());
  }
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    INFO(f.string());
    std::string errors;
    auto first = test::assemble(readAll(f), &errors, f.filename().string());
    REQUIRE(first);
    std::string text1 = core::disassemble(*first);
    auto second = test::assemble(text1, &errors, "roundtrip.vp");
    INFO(errors);
    REQUIRE(second);
    std::string text2 = core::disassemble(*second);
    // The module names differ; everything else must be identical.
    CHECK(text1.substr(text1.find('\n')) == text2.substr(text2.find('\n')));
  }
}

TEST_CASE("errors are located at line and column with a caret") {
  std::string errors;
  auto m = test::assemble(".method main () void\n  const.i32 1\n  ad.i32\n  ret\n.end\n", &errors);
  CHECK_FALSE(m);
  CHECK(errors.find("test.vp:3:3: error: unknown instruction 'ad.i32' (did you mean 'add.i32'?)") != std::string::npos);
  CHECK(errors.find("  ad.i32\n    ^") != std::string::npos);
}

TEST_CASE("several errors in one file are all reported") {
  std::string errors;
  auto m = test::assemble(".method main () void\n  const.i32 x\n  jmp nowhere\n  call nobody\n  ret\n.end\n", &errors);
  CHECK_FALSE(m);
  CHECK(errors.find(":2:13: error:") != std::string::npos);
  CHECK(errors.find("label 'nowhere' is not defined") != std::string::npos);
  CHECK(errors.find("method 'nobody' is not defined") != std::string::npos);
}

TEST_CASE("verifier errors name the method and the instruction's position") {
  std::string errors;
  auto m = test::assemble(".method f () i32\n  const.f64 1.5\n  ret.i32\n.end\n", &errors);
  CHECK_FALSE(m);
  CHECK(errors.find("test.vp:3:3: error: in method 'f': ret.i32 expects i32 but the stack has f64") !=
        std::string::npos);
}

TEST_CASE("immediates are range-checked") {
  std::string errors;
  CHECK_FALSE(test::assemble(".method f () void\n  const.i32 2147483648\n  pop\n  ret\n.end\n", &errors));
  CHECK(errors.find("out of range for an i32") != std::string::npos);
  CHECK(test::assemble(".method f () void\n  const.i32 -2147483648\n  pop\n  ret\n.end\n", &errors));
  CHECK(test::assemble(".method f () void\n  const.i64 -9223372036854775808\n  pop\n  ret\n.end\n", &errors));
  CHECK_FALSE(test::assemble(".method f () void\n  const.i64 9223372036854775808\n  pop\n  ret\n.end\n", &errors));
}

TEST_CASE("floats print in a form that reads back exactly") {
  auto m = test::assemble(".method f () void\n  const.f64 0.1\n  pop\n  const.f32 nan\n  pop\n  const.f64 -inf\n  pop\n"
                          "  const.f64 1e300\n  pop\n  const.f32 3\n  pop\n  ret\n.end\n");
  REQUIRE(m);
  std::string text = core::disassemble(*m);
  CHECK(text.find("const.f64 0.1\n") != std::string::npos);
  CHECK(text.find("const.f32 nan\n") != std::string::npos);
  CHECK(text.find("const.f64 -inf\n") != std::string::npos);
  CHECK(text.find("const.f64 1e+300\n") != std::string::npos);
  CHECK(text.find("const.f32 3.0\n") != std::string::npos);
}
