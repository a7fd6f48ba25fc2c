// Name and property look-ups for the kind tables.
#include "core/ir/Kinds.h"

#include <cstddef>

namespace vvm::core {
namespace {
struct Object; // element C types mention Object*

constexpr std::string_view kKindNames[] = {
#define VVM_KIND(Name, Text, Letter) Text,
#include "core/ir/Kinds.def"
};
constexpr char kKindLetters[] = {
#define VVM_KIND(Name, Text, Letter) Letter,
#include "core/ir/Kinds.def"
};
constexpr std::string_view kElemNames[] = {
#define VVM_ELEM(Name, Text, Size, CType, StackKind) Text,
#include "core/ir/ElemKinds.def"
};
constexpr unsigned kElemSizes[] = {
#define VVM_ELEM(Name, Text, Size, CType, StackKind) Size,
#include "core/ir/ElemKinds.def"
};
constexpr Kind kElemStack[] = {
#define VVM_ELEM(Name, Text, Size, CType, StackKind) Kind::StackKind,
#include "core/ir/ElemKinds.def"
};
} // namespace

std::string_view kindName(Kind k) { return kKindNames[static_cast<size_t>(k)]; }
char kindLetter(Kind k) { return kKindLetters[static_cast<size_t>(k)]; }

std::optional<Kind> kindFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kKindNames); ++i)
    if (kKindNames[i] == name) return static_cast<Kind>(i);
  return std::nullopt;
}

std::optional<Kind> kindFromLetter(char c) {
  for (size_t i = 0; i < std::size(kKindLetters); ++i)
    if (kKindLetters[i] == c) return static_cast<Kind>(i);
  return std::nullopt;
}

std::string_view elemName(Elem e) { return e == Elem::None ? "none" : kElemNames[static_cast<size_t>(e)]; }

std::optional<Elem> elemFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kElemNames); ++i)
    if (kElemNames[i] == name) return static_cast<Elem>(i);
  return std::nullopt;
}

unsigned elemSize(Elem e) { return e == Elem::None ? 0 : kElemSizes[static_cast<size_t>(e)]; }
Kind elemStackKind(Elem e) { return e == Elem::None ? Kind::Void : kElemStack[static_cast<size_t>(e)]; }

} // namespace vvm::core
