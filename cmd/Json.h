// Writing JSON for --json output (RFC 8259). vvm prints JSON, never reads it, so this is only
// a string escaper: objects are put together by the commands that print them.
#pragma once

#include <string>
#include <string_view>

namespace vvm::cmd {

/// `text` as a JSON string, with its quotes. Quotes, backslashes and control characters are
/// escaped; valid UTF-8 passes through; each byte of `text` that is not part of valid UTF-8
/// (a file name may be anything) becomes U+FFFD, so the output is always valid JSON.
std::string jsonString(std::string_view text);

} // namespace vvm::cmd
