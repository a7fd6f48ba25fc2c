// The security error table and the formatting of failures.
#include "security/Result.h"

namespace vvm::security {

namespace {
constexpr std::string_view kFormats[] = {
#define VVM_SECURITY_ERROR(Name, Format) Format,
#include "security/SecurityErrors.def"
};
constexpr std::string_view kNames[] = {
#define VVM_SECURITY_ERROR(Name, Format) #Name,
#include "security/SecurityErrors.def"
};
} // namespace

std::string_view errorFormat(SecurityError code) { return kFormats[static_cast<size_t>(code)]; }
std::string_view errorName(SecurityError code) { return kNames[static_cast<size_t>(code)]; }

std::string Failure::format() const {
  if (where.file.empty()) return fmt::format("error: {}\n", where.message);
  return formatDiagnostic(where);
}

std::string excerpt(std::string_view text) {
  constexpr size_t kMax = 40;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  }
  if (text.size() > kMax) out += "...";
  return out;
}

} // namespace vvm::security
