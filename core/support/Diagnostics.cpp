// Formatting of user diagnostics in the style of compilers people already read every day.
#include "core/support/Diagnostics.h"

#include <fmt/format.h>

namespace vvm {

void Diagnostics::error(std::string file, uint32_t line, uint32_t col, std::string message, std::string sourceLine) {
  ++count_;
  if (list_.size() < kMaxErrors)
    list_.push_back({std::move(file), line, col, std::move(message), std::move(sourceLine)});
}

std::string formatDiagnostic(const Diagnostic& d) {
  std::string out = d.file;
  if (d.line) {
    out += fmt::format(":{}", d.line);
    if (d.col) out += fmt::format(":{}", d.col);
  }
  out += fmt::format(": error: {}\n", d.message);
  if (!d.sourceLine.empty() && d.col) {
    // Keep control characters out of the terminal: show them as '?'.
    std::string shown;
    for (char c : d.sourceLine) shown += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? '?' : c;
    if (shown.size() > 200) shown = shown.substr(0, 200) + "...";
    out += fmt::format("  {}\n  ", shown);
    for (uint32_t i = 1; i < d.col && i <= 200; ++i) out += d.sourceLine[i - 1] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  return out;
}

std::string Diagnostics::format() const {
  std::string out;
  for (const auto& d : list_) out += formatDiagnostic(d);
  if (count_ > list_.size()) out += fmt::format("({} more errors not shown)\n", count_ - list_.size());
  return out;
}

} // namespace vvm
