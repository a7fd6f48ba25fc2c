// Runs the built vvm binary as a user would, from a shell, and captures what it prints.
#pragma once

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace vvm::test {

/// How a run of vvm ended.
struct VvmRun {
  int status;      ///< exit status, or 128 + signal
  std::string out; ///< stdout, and stderr too unless asked for apart
  std::string err; ///< stderr, when asked for apart
};

/// Runs vvm with `args` (shell words), in directory `cwd` if one is given. stdout and stderr are
/// captured together in `out`, or apart when `errFile` names a file to collect stderr in.
inline VvmRun runVvm(const std::string& args, const std::string& cwd = "", const std::string& errFile = "") {
  std::string cmd = std::string(VVM_BINARY) + " " + args + (errFile.empty() ? " 2>&1" : " 2>" + errFile);
  if (!cwd.empty()) cmd = "cd " + cwd + " && " + cmd;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = pclose(p);
  VvmRun run{WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), out, ""};
  if (!errFile.empty()) {
    std::stringstream ss;
    ss << std::ifstream(errFile).rdbuf();
    run.err = ss.str();
  }
  return run;
}

} // namespace vvm::test
