// Value kinds and array element kinds, generated from Kinds.def and ElemKinds.def.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vvm::core {

/// The static type of one VP slot.
enum class Kind : uint8_t {
#define VVM_KIND(Name, Text, Letter) Name,
#include "core/ir/Kinds.def"
};

/// How an array stores its elements. None marks shapes that are not arrays.
enum class Elem : uint8_t {
#define VVM_ELEM(Name, Text, Size, CType, StackKind) Name,
#include "core/ir/ElemKinds.def"
  None,
};

std::string_view kindName(Kind k);
char kindLetter(Kind k);
std::optional<Kind> kindFromName(std::string_view name);
std::optional<Kind> kindFromLetter(char c);

std::string_view elemName(Elem e);
std::optional<Elem> elemFromName(std::string_view name);
/// Bytes per element.
unsigned elemSize(Elem e);
/// The kind a load of this element pushes.
Kind elemStackKind(Elem e);

} // namespace vvm::core
