// libFuzzer target for the console reader (console/Reader.h), which reads console scripts,
// REPL input, VMlets (.vml) and the global rules (rules.vc), and for the VMlet manifest and
// rules readers behind it: whatever the bytes, the reader must return the data it read or one
// located diagnostic, without crashing, hanging or tripping a sanitizer; what it reads must
// print back to text that reads as the same data (the printed form is a fixpoint); and the
// manifest and rules readers must accept or give located errors.
#include "console/Reader.h"
#include "vmlets/Manifest.h"
#include "vmlets/Rules.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "FuzzConsoleReader: %s\n", what);
  std::abort();
}

std::string printed(const std::vector<vvm::console::Datum>& data) {
  std::string out;
  for (const auto& d : data) out += d.write() + "\n";
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = "fuzz.vc";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  vvm::Diagnostics diags;
  auto read = vvm::console::readAll(text, file, diags);
  (void)vvm::console::needsMoreInput(text);
  if (diags.hasErrors()) {
    if (diags.count() != 1) fail("more than one diagnostic for one read");
    const auto& d = diags.all()[0];
    if (d.file != file || d.line == 0 || d.col == 0 || d.message.empty()) fail("diagnostic without a place");
    return 0;
  }
  vvm::vmlets::Manifest manifest;
  vvm::Diagnostics manifestDiags;
  bool ok = vvm::vmlets::readManifest(text, file, manifest, manifestDiags);
  if (ok == manifestDiags.hasErrors()) fail("readManifest's result disagrees with its diagnostics");
  for (const auto& d : manifestDiags.all())
    if (d.file != file || d.message.empty()) fail("manifest diagnostic without a file or a message");
  // The text reads, so every rules error is about a datum: it has a line and a column.
  vvm::vmlets::Rules rules;
  vvm::Diagnostics rulesDiags;
  bool rulesOk = vvm::vmlets::readRules(text, file, rules, rulesDiags);
  if (rulesOk == rulesDiags.hasErrors()) fail("readRules' result disagrees with its diagnostics");
  for (const auto& d : rulesDiags.all())
    if (d.file != file || d.line == 0 || d.col == 0 || d.message.empty()) fail("rules diagnostic without a place");
  std::string first = printed(read);
  vvm::Diagnostics again;
  auto reread = vvm::console::readAll(first, file, again);
  if (again.hasErrors()) {
    std::fputs(again.format().c_str(), stderr);
    fail("the printed form of accepted data does not read back");
  }
  if (printed(reread) != first) fail("printing twice gives different text");
  return 0;
}
