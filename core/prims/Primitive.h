// The primitive registry: natives bound by name, with typed signatures, that VP code calls with
// `callprim`. Toolkits and VMlets register theirs; the VOS registers the host services.
#pragma once

#include "core/ir/Method.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::core {

class Thread;
union Value;

/// A primitive reads its arguments from args[0..n) and writes its result (if any) to args[0].
/// It returns false after setting the thread's pending exception.
using PrimFn = bool (*)(Thread& t, Value* args);

struct Primitive {
  std::string name;
  Signature sig;
  PrimFn fn = nullptr;
  std::string doc;
  uint32_t paramCount = 0;
  bool returnsValue = false;
};

class PrimitiveRegistry {
public:
  /// Registers a primitive; a second registration of the same name is an internal error.
  const Primitive* add(std::string name, Signature sig, PrimFn fn, std::string doc);
  const Primitive* find(std::string_view name) const;
  /// All primitives, sorted by name.
  std::vector<const Primitive*> all() const;

private:
  std::map<std::string, std::unique_ptr<Primitive>, std::less<>> byName_;
};

} // namespace vvm::core
