// The native toolkit table and version matching.
#include "vmlets/Toolkits.h"

#include <charconv>
#include <vector>

namespace vvm::vmlets {

namespace {
// A vector, not an array: the table may be empty (it is, today).
const std::vector<Toolkit> kToolkits = {
#define VVM_TOOLKIT(Name, Text, Version, Doc) {Text, Version, Doc},
#include "vmlets/Toolkits.def"
};
} // namespace

std::span<const Toolkit> nativeToolkits() { return kToolkits; }

std::optional<Version> parseVersion(std::string_view text) {
  uint32_t parts[3] = {0, 0, 0};
  size_t count = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (;;) {
    if (count == 3 || p == end || *p < '0' || *p > '9') return std::nullopt;
    auto [next, ec] = std::from_chars(p, end, parts[count]);
    if (ec != std::errc() || parts[count] >= (1u << 31)) return std::nullopt;
    ++count;
    p = next;
    if (p == end) break;
    if (*p++ != '.') return std::nullopt;
  }
  return Version{parts[0], parts[1], parts[2]};
}

bool meets(const Version& have, const Version& want) {
  if (have.major != want.major) return false;
  if (have.minor != want.minor) return have.minor > want.minor;
  return have.patch >= want.patch;
}

std::string toolkitProblem(const ToolkitNeed& need, std::span<const Toolkit> toolkits) {
  auto want = parseVersion(need.version);
  if (!want)
    return "toolkit " + need.name + ": version \"" + need.version +
           "\" is not MAJOR, MAJOR.MINOR or MAJOR.MINOR.PATCH (decimal numbers)";
  std::string versions;
  for (const Toolkit& t : toolkits) {
    if (t.name != need.name) continue;
    auto have = parseVersion(t.version);
    if (have && meets(*have, *want)) return {};
    versions += (versions.empty() ? "" : ", ") + std::string(t.version);
  }
  if (!versions.empty())
    return "needs toolkit " + need.name + " " + need.version + "; this vvm has version " + versions +
           " (a toolkit meets a request of the same major version and at least its minor version)";
  std::string names;
  for (const Toolkit& t : toolkits) names += (names.empty() ? "" : " ") + std::string(t.name);
  return "needs toolkit " + need.name + " " + need.version + ", which this vvm does not have (" +
         (names.empty() ? std::string("it has no toolkits") : "it has: " + names) + ")";
}

} // namespace vvm::vmlets
