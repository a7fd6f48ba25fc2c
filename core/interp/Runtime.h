// The Runtime: what one vvm process shares among its modules and threads: the VP's built-in
// shapes (strings, arrays, errors), the primitive registry, allocation, error raising, and the
// hooks a language or the JIT installs.
#pragma once

#include "core/object/Object.h"
#include "core/prims/Primitive.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>

namespace vvm::core {

class Thread;
struct Method;

/// The VP's error shapes (VpErrors.def).
enum class VpError : uint8_t {
#define VVM_VP_ERROR(Name, Doc) Name,
#include "core/interp/VpErrors.def"
  Count
};

/// Situations that raise a VP error, each with its message format (VpErrors.def).
enum class VpMessage : uint8_t {
#define VVM_VP_MESSAGE(Name, Error, Format) Name,
#include "core/interp/VpErrors.def"
};

/// Process-wide limits and tiering settings.
struct RuntimeConfig {
  uint32_t maxFrames = 100000;    ///< VP call depth limit
  size_t stackSlots = 16u << 20;  ///< VP value stack size, in slots
  uint32_t tierThreshold = 10000; ///< invocations + back edges before tier-up is requested
};

/// Makes a language-level exception for a VP error. The default makes VP error objects.
using ErrorFactory = Object* (*)(Thread&, VpError, std::string_view message);
/// Called once when a method crosses the tier-up threshold (the JIT installs it).
using TierUpHook = void (*)(Method*);

class Runtime {
public:
  explicit Runtime(RuntimeConfig config = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const RuntimeConfig& config() const { return config_; }
  /// Invocations plus back edges before the tier-up hook is called (set before code runs).
  void setTierThreshold(uint32_t n) { config_.tierThreshold = n; }

  // ---- built-in shapes
  Shape* stringShape() const { return stringShape_; }
  Shape* arrayShape(Elem e) const { return arrayShapes_[static_cast<size_t>(e)]; }
  Shape* errorShape() const { return errorBase_; }
  Shape* errorShape(VpError e) const { return errorShapes_[static_cast<size_t>(e)]; }
  /// Finds a built-in shape by name ("String", "Error", "ArithmeticError", ...).
  Shape* findBuiltinShape(std::string_view name) const;

  // ---- allocation: nullptr when the heap limit is reached
  Object* newObject(const Shape* shape);
  Array* newArray(Elem elem, int64_t length);
  Array* newString(std::string_view utf8);

  // ---- errors
  /// Sets the thread's pending exception to a new VP error for `msg`.
  template <typename... Args> void raise(Thread& t, VpMessage msg, Args&&... args) {
    raiseFormatted(t, msg, fmt::vformat(messageFormat(msg), fmt::make_format_args(args...)));
  }
  void raiseFormatted(Thread& t, VpMessage msg, std::string text);
  static std::string_view messageFormat(VpMessage msg);
  static VpError messageError(VpMessage msg);
  /// Text of a VP string object (or "<not a string>").
  static std::string stringText(Object* s);
  /// An object as error messages name it ("null", "an object of shape Point", "an array i32[]").
  static std::string describeObject(Object* o);

  ErrorFactory errorFactory = nullptr;
  TierUpHook tierUpHook = nullptr;
  /// The console language's per-runtime state (console/Values.h), once it is loaded: its
  /// primitives reach it from the thread they run on.
  void* consoleState = nullptr;
  /// The token that `exit` unwinds with: no handler catches it, not even cleanups.
  Object* exitToken() const { return exitToken_; }

  PrimitiveRegistry& primitives() { return primitives_; }

private:
  RuntimeConfig config_;
  std::vector<std::unique_ptr<Shape>> shapes_;
  Shape* stringShape_ = nullptr;
  Shape* arrayShapes_[static_cast<size_t>(Elem::None)] = {};
  Shape* errorBase_ = nullptr;
  Shape* errorShapes_[static_cast<size_t>(VpError::Count)] = {};
  Object* exitToken_ = nullptr;
  Object* outOfMemory_ = nullptr; ///< preallocated: raising OOM must not allocate
  void** roots_ = nullptr;
  PrimitiveRegistry primitives_;
};

} // namespace vvm::core
