// The VP object model (DESIGN §2): 64-bit values, objects that start with a Shape*, arrays
// as header + length + inline elements, and Shapes, the VP-level maps of objects.
#pragma once

#include "core/ir/Kinds.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::core {

struct Shape;
struct Method;

/// Every heap object starts with this header.
struct Object {
  Shape* shape;
};

/// One VP slot. Which member is live is known statically from the instruction.
///
/// Writers fill the whole slot (set*): a 4-byte write followed by the 8-byte copies that loads,
/// stores and returns do defeats the CPU's store-to-load forwarding and costs several ns each
/// time (measured: the counted-loop benchmark ran at half speed). Readers may read the member.
union Value {
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
  Object* ref;
  uint64_t word;

  void setI32(int32_t x) { i64 = x; }
  void setF32(float x) {
    uint32_t bits;
    __builtin_memcpy(&bits, &x, 4);
    word = bits;
  }
  void set(int32_t x) { setI32(x); }
  void set(int64_t x) { i64 = x; }
  void set(float x) { setF32(x); }
  void set(double x) { f64 = x; }
  void set(Object* x) { ref = x; }
  void set(bool) = delete; // say which kind
};
static_assert(sizeof(Value) == 8);

/// An object's fields: 64-bit slots right after the header.
inline Value* slotsOf(Object* o) { return reinterpret_cast<Value*>(o + 1); }

/// Arrays: header, length, then the elements inline.
struct Array : Object {
  int64_t length;
  template <typename T> T* data() { return reinterpret_cast<T*>(this + 1); }
};
static_assert(sizeof(Array) == 16);

/// One declared field of a shape.
struct FieldInfo {
  std::string name;
  Kind kind;
};

/// A Shape says what an object is: its owner, its language-level class, its layout (which
/// slots hold references, for precise marking), its array element kind, and its dispatch
/// table. Shapes are not heap objects and live as long as the module that made them.
struct Shape {
  std::string name;
  Shape* parent = nullptr;
  uint32_t depth = 0;                ///< 0 for a root shape
  std::vector<const Shape*> display; ///< ancestors by depth, ending with this shape
  std::vector<FieldInfo> fields;     ///< slot i is fields[i]; parents' fields come first
  std::vector<std::string> vslotNames;
  std::vector<Method*> vtable;     ///< dispatch table; parents' slots come first
  Elem elem = Elem::None;          ///< element kind when this shape describes arrays
  bool atomic = true;              ///< no reference slots: allocate unscanned
  uintptr_t gcDescriptor = 0;      ///< precise layout for the collector
  const void* owner = nullptr;     ///< the VMlet (or module) that made it
  Object* languageClass = nullptr; ///< the language-level class object, if any

  bool isArray() const { return elem != Elem::None; }
  size_t instanceBytes() const { return sizeof(Object) + fields.size() * sizeof(Value); }
  /// Cohen display test: constant time, no loop.
  bool isSubshapeOf(const Shape* t) const { return depth >= t->depth && display[t->depth] == t; }
  int fieldIndex(std::string_view n) const;
  int vslotIndex(std::string_view n) const;

  /// Builds display, layout and GC descriptor after fields and parent are set.
  void finish();
};

/// The bytes of an i8 array (a VP string is one), or nullopt for anything else.
inline std::optional<std::string_view> bytesOf(const Object* o) {
  if (!o || o->shape->elem != Elem::I8) return std::nullopt;
  auto* a = static_cast<const Array*>(o);
  return std::string_view(reinterpret_cast<const char*>(a + 1), static_cast<size_t>(a->length));
}

} // namespace vvm::core
