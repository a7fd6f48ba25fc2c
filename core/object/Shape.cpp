// Shape layout finishing: display for subtype tests, reference map for precise marking.
#include "core/object/Object.h"

#include "gc/Heap.h"

namespace vvm::core {

int Shape::fieldIndex(std::string_view n) const {
  for (size_t i = fields.size(); i-- > 0;)
    if (fields[i].name == n) return static_cast<int>(i);
  return -1;
}

int Shape::vslotIndex(std::string_view n) const {
  for (size_t i = 0; i < vslotNames.size(); ++i)
    if (vslotNames[i] == n) return static_cast<int>(i);
  return -1;
}

void Shape::finish() {
  depth = parent ? parent->depth + 1 : 0;
  display = parent ? parent->display : std::vector<const Shape*>{};
  display.push_back(this);
  if (isArray()) {
    atomic = elem != Elem::Ref;
    return;
  }
  std::vector<bool> refs;
  refs.push_back(false); // the header's Shape* is not a heap pointer
  atomic = true;
  for (const auto& f : fields) {
    refs.push_back(f.kind == Kind::Ref);
    if (f.kind == Kind::Ref) atomic = false;
  }
  if (!atomic) {
    std::vector<char> bits(refs.begin(), refs.end());
    gcDescriptor = gc::makeDescriptor(reinterpret_cast<const bool*>(bits.data()), bits.size());
  }
}

} // namespace vvm::core
