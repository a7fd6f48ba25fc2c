// The boundary between vvm and its code generator. The tier (Tier.cpp, in the vvm executable)
// loads the backend (libvvm-jit.so, which alone links LLVM) with dlopen on its compile
// thread, hands it a HostInfo once, then methods to compile. Both sides are built from this
// tree by the same compiler, so the interface is plain C++; only the factory is extern "C".
#pragma once

#include "core/ir/Method.h"
#include "core/object/Object.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace vvm::jit {

/// Bumped whenever anything in this header or in Helpers.def changes meaning.
constexpr uint32_t kBackendAbiVersion = 3;

/// A runtime helper compiled code calls (Helpers.def): its symbol, its address in vvm, and
/// its signature as letters, result first (v void, i i32, l i64, p pointer).
struct HelperSymbol {
  const char* name;
  void* address;
  const char* signature;
};

/// A polymorphic inline cache for one callvirt site: up to kEntries receiver shapes and the
/// typed native entries of their targets. Compiled code reads it; vvm_rt_vlookup fills it
/// (free entries first, then round robin).
struct InlineCache {
  static constexpr unsigned kEntries = 4;
  const core::Shape* shape[kEntries] = {};
  void* fast[kEntries] = {};
  unsigned next = 0; ///< the entry the next miss replaces once all are used
};

/// What the backend needs to know about the running vvm: the helpers and the layout facts
/// compiled code uses in place of calls.
struct HostInfo {
  uint32_t abiVersion = kBackendAbiVersion;
  const HelperSymbol* helpers = nullptr;
  size_t helperCount = 0;
  const core::Object* exitToken = nullptr; ///< no handler catches it, not even cleanups
  size_t shapeElemOffset = 0;              ///< offsetof(Shape, elem), measured by vvm
  /// Makes a new inline cache that lives as long as the process.
  InlineCache* (*newInlineCache)() = nullptr;
};

struct CompileOptions {
  std::string dumpDir; ///< when set: write NAME.ll (as lowered) and NAME.opt.ll (after O2) here
};

struct CompileResult {
  bool ok = false;
  std::string error;      ///< why not, when !ok
  core::NativeCode code;  ///< the entries, when ok
  double lowerMillis = 0; ///< VP IR -> LLVM IR
  double optMillis = 0;   ///< O2 pipeline
  double emitMillis = 0;  ///< machine code, linking
};

/// A code generator. compile() is called from one thread at a time.
class Backend {
public:
  virtual ~Backend() = default;
  /// Compiles a verified, linked method. On success the entries stay valid for the life of
  /// the backend.
  virtual CompileResult compile(core::Method& m, const CompileOptions& options) = 0;
  /// What the backend is ("LLVM 16.0.6 ORC, x86_64-pc-linux-gnu, znver3").
  virtual std::string description() const = 0;
};

} // namespace vvm::jit

extern "C" {
/// The backend library's one exported symbol. Returns null and sets *error on failure.
using VvmJitCreateFn = vvm::jit::Backend* (*)(const vvm::jit::HostInfo* host, std::string* error);
vvm::jit::Backend* vvm_jit_create(const vvm::jit::HostInfo* host, std::string* error);
}
