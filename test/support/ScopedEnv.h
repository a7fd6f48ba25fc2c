// Sets an environment variable for one scope, then restores it: for tests of code that reads
// XDG_*, HOME and proxy settings.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace vvm::test {

/// Sets `name` to `value` (nullptr: unsets it) until destroyed, then restores the old value.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

} // namespace vvm::test
