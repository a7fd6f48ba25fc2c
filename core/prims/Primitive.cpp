// The primitive registry.
#include "core/prims/Primitive.h"

#include "core/support/Assert.h"

namespace vvm::core {

const Primitive* PrimitiveRegistry::add(std::string name, Signature sig, PrimFn fn, std::string doc) {
  VVM_ASSERT(!byName_.count(name));
  auto p = std::make_unique<Primitive>();
  p->name = name;
  p->paramCount = static_cast<uint32_t>(sig.params.size());
  p->returnsValue = sig.ret != Kind::Void;
  p->sig = std::move(sig);
  p->fn = fn;
  p->doc = std::move(doc);
  const Primitive* raw = p.get();
  byName_.emplace(std::move(name), std::move(p));
  return raw;
}

const Primitive* PrimitiveRegistry::find(std::string_view name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second.get();
}

std::vector<const Primitive*> PrimitiveRegistry::all() const {
  std::vector<const Primitive*> out;
  for (const auto& [_, p] : byName_) out.push_back(p.get());
  return out;
}

} // namespace vvm::core
