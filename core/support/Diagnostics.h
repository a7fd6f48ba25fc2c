// User diagnostics: `file:line:col: error: message`, the source line and a caret. Parsers and
// verifiers collect several errors and keep going where they can; the caller decides what to
// print and which exit status to use. Library code never exits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vvm {

/// One located message about a user's input.
struct Diagnostic {
  std::string file;
  uint32_t line = 0; ///< 1-based; 0 when the message is about the whole file
  uint32_t col = 0;  ///< 1-based; 0 when unknown
  std::string message;
  std::string sourceLine; ///< the offending line's text, for the caret display
};

/// Collects diagnostics, bounded so a hostile input cannot make vvm print forever.
class Diagnostics {
public:
  static constexpr size_t kMaxErrors = 20;

  /// Records an error; past kMaxErrors only counts it.
  void error(std::string file, uint32_t line, uint32_t col, std::string message, std::string sourceLine = {});
  /// True once further errors are only counted: a caller may then skip composing the message
  /// (and copying the source line) and call countOnly() instead.
  bool full() const { return count_ >= kMaxErrors; }
  void countOnly() { ++count_; }
  bool hasErrors() const { return count_ > 0; }
  size_t count() const { return count_; }
  const std::vector<Diagnostic>& all() const { return list_; }
  /// Formats every diagnostic as a reader wants to see it (with caret lines).
  std::string format() const;

private:
  std::vector<Diagnostic> list_;
  size_t count_ = 0;
};

/// Formats one diagnostic: "file:line:col: error: message" plus source line and caret.
std::string formatDiagnostic(const Diagnostic& d);

} // namespace vvm
