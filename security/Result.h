// Errors of the security layer as values. A Failure says which error it is (a name from
// SecurityErrors.def, so callers and tests tell cases apart without matching text), where (the
// file and line, when the trouble is in a file) and a message a person can act on. Result<T>
// holds a T or a Failure, Status a Failure or nothing; nothing in security/ throws.
#pragma once

#include "core/support/Assert.h"
#include "core/support/Diagnostics.h"

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace vvm::security {

/// Every way a security operation can fail.
enum class SecurityError : uint8_t {
#define VVM_SECURITY_ERROR(Name, Format) Name,
#include "security/SecurityErrors.def"
};

/// The message format (fmt syntax) of an error.
std::string_view errorFormat(SecurityError code);
/// The error's name in SecurityErrors.def ("WrongHeader"), for logs and tests.
std::string_view errorName(SecurityError code);

/// A failed operation.
struct Failure {
  SecurityError code{};
  Diagnostic where; ///< file ("" if none), line (0: the whole file), message

  const std::string& message() const { return where.message; }
  /// "file:line: error: message\n", or "error: message\n" when no file is involved.
  std::string format() const;
};

/// Makes a Failure about `file` (may be empty) at `line` (0 when not about one line), its
/// message formatted from the error's table entry and `args`.
template <typename... Args> Failure fail(SecurityError code, std::string file, uint32_t line, const Args&... args) {
  Failure f;
  f.code = code;
  f.where.file = std::move(file);
  f.where.line = line;
  f.where.message = fmt::vformat(errorFormat(code), fmt::make_format_args(args...));
  return f;
}

/// `f` placed in `file` at `line` (for failures of functions that only see text).
inline Failure locate(Failure f, std::string file, uint32_t line) {
  f.where.file = std::move(file);
  f.where.line = line;
  return f;
}

/// Up to 40 characters of user input for a message, control bytes shown as '?'. Input that
/// failed to parse may be anything; it must not reach a terminal raw.
std::string excerpt(std::string_view text);

/// A T, or the Failure that prevented it.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Failure failure) : v_(std::in_place_index<1>, std::move(failure)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() {
    VVM_ASSERT(ok());
    return std::get<0>(v_);
  }
  const T& value() const {
    VVM_ASSERT(ok());
    return std::get<0>(v_);
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Failure& failure() const {
    VVM_ASSERT(!ok());
    return std::get<1>(v_);
  }

private:
  std::variant<T, Failure> v_;
};

/// Success, or the Failure of an operation that returns nothing.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Failure failure) : failure_(std::move(failure)) {}

  bool ok() const { return !failure_; }
  explicit operator bool() const { return ok(); }
  const Failure& failure() const {
    VVM_ASSERT(!ok());
    return *failure_;
  }

private:
  std::optional<Failure> failure_;
};

} // namespace vvm::security
