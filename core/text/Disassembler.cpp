// The .vp disassembler: prints modules and methods in the form the assembler reads, so that
// assembling a disassembly gives the same IR (tested as a fixpoint).
#include "core/ir/Module.h"
#include "core/prims/Primitive.h"
#include "core/support/NumberText.h"
#include "core/support/Utf8.h"
#include "core/text/Assembler.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace vvm::core {
namespace {

/// A string literal that reads back as the same bytes: escapes for quotes, backslashes,
/// control bytes and bytes that are not well-formed UTF-8; readable text stays as it is.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = utf8Length(s, i);
      if (n) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += fmt::format("\\x{:02x}", c);
        ++i;
      }
      continue;
    }
    switch (c) {
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    case '\\': out += "\\\\"; break;
    case '"': out += "\\\""; break;
    default:
      if (c < 0x20 || c == 0x7f)
        out += fmt::format("\\x{:02x}", c);
      else
        out += static_cast<char>(c);
    }
    ++i;
  }
  return out + "\"";
}

} // namespace

std::string disassemble(const Method& m) {
  std::string out = fmt::format(".method {} (", m.name);
  for (size_t i = 0; i < m.sig.params.size(); ++i) out += fmt::format("{}{}", i ? " " : "", kindName(m.sig.params[i]));
  out += fmt::format(") {}\n", kindName(m.sig.ret));
  if (m.locals.size() > m.sig.params.size()) {
    out += "  .locals";
    for (size_t i = m.sig.params.size(); i < m.locals.size(); ++i) out += fmt::format(" {}", kindName(m.locals[i]));
    out += "\n";
  }
  const std::vector<bool> labelled = labelledInstructions(m);
  auto label = [](uint32_t i) { return fmt::format("L{}", i); };
  for (const Handler& h : m.handlers) {
    if (h.cleanup)
      out += fmt::format("  .cleanup {} {} {}\n", label(h.start), label(h.end), label(h.target));
    else
      out += fmt::format("  .catch {} {} {} {}\n", label(h.start), label(h.end), label(h.target),
                         h.shape ? h.shape->name : "any");
  }
  for (uint32_t i = 0; i <= m.code.size(); ++i) {
    if (labelled[i]) out += label(i) + ":\n";
    if (i == m.code.size()) break;
    const Insn& in = m.code[i];
    out += fmt::format("  {}", info(in.op).name);
    const int64_t words[2] = {in.a, in.b};
    unsigned w = 0;
    for (char letter : info(in.op).operands) {
      OperandKind kind = *operandKindFromLetter(letter);
      int64_t v = words[w];
      out += ' ';
      switch (kind) {
      case OperandKind::I32:
      case OperandKind::I64:
      case OperandKind::Local: out += std::to_string(v); break;
      case OperandKind::F32: {
        float f;
        uint32_t bits = static_cast<uint32_t>(v);
        std::memcpy(&f, &bits, 4);
        out += floatText(f);
        break;
      }
      case OperandKind::F64: {
        double d;
        std::memcpy(&d, &v, 8);
        out += floatText(d);
        break;
      }
      case OperandKind::Label: out += label(static_cast<uint32_t>(v)); break;
      case OperandKind::Switch: {
        const SwitchTable& sw = m.switches[static_cast<size_t>(v)];
        if (sw.dense) {
          out += fmt::format("{} {}", sw.low, label(sw.defaultTarget));
          for (uint32_t t : sw.targets) out += " " + label(t);
        } else {
          out += label(sw.defaultTarget);
          for (size_t k = 0; k < sw.targets.size(); ++k) out += fmt::format(" {}:{}", sw.keys[k], label(sw.targets[k]));
        }
        break;
      }
      case OperandKind::Method: out += reinterpret_cast<const Method*>(v)->name; break;
      case OperandKind::VSlot: {
        auto* s = reinterpret_cast<const Shape*>(v);
        out += fmt::format("{}.{}", s->name, s->vslotNames[static_cast<size_t>(words[w + 1])]);
        break;
      }
      case OperandKind::Field: {
        auto* s = reinterpret_cast<const Shape*>(v);
        out += fmt::format("{}.{}", s->name, s->fields[static_cast<size_t>(words[w + 1])].name);
        break;
      }
      case OperandKind::Static: {
        const StaticInfo* si = m.module ? m.module->staticForCell(reinterpret_cast<const Value*>(v)) : nullptr;
        out += si ? si->name : "<static?>";
        break;
      }
      case OperandKind::Shape: out += reinterpret_cast<const Shape*>(v)->name; break;
      case OperandKind::Elem: out += elemName(static_cast<Elem>(v)); break;
      case OperandKind::String: out += quote(*bytesOf(reinterpret_cast<Object*>(v))); break;
      case OperandKind::Prim: out += reinterpret_cast<const Primitive*>(v)->name; break;
      }
      w += operandWords(kind);
    }
    out += "\n";
  }
  return out + ".end\n";
}

std::string disassemble(const Module& module) {
  std::string out = fmt::format("; VP module {}\n", module.name());
  for (const auto& s : module.shapes()) {
    out += fmt::format("\n.shape {}{}\n", s->name, s->parent ? " : " + s->parent->name : "");
    size_t inherited = s->parent ? s->parent->fields.size() : 0;
    for (size_t i = inherited; i < s->fields.size(); ++i)
      out += fmt::format("  .field {} {}\n", s->fields[i].name, kindName(s->fields[i].kind));
    for (size_t i = 0; i < s->vtable.size(); ++i) {
      bool inheritedSame = s->parent && i < s->parent->vtable.size() && s->parent->vtable[i] == s->vtable[i];
      if (!inheritedSame) out += fmt::format("  .vslot {} {}\n", s->vslotNames[i], s->vtable[i]->name);
    }
    out += ".end\n";
  }
  if (!module.statics().empty()) out += "\n";
  for (const auto& s : module.statics()) out += fmt::format(".static {} {}\n", s->name, kindName(s->kind));
  for (const auto& m : module.methods()) out += "\n" + disassemble(*m);
  return out;
}

} // namespace vvm::core
