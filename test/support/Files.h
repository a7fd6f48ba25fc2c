// Reading back what a test made on disk: a file's bytes and its permission bits.
#pragma once

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

namespace vvm::test {

/// The whole file (the test fails if it cannot be opened).
inline std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The file's permission bits (07777).
inline mode_t modeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace vvm::test
