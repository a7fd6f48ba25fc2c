// Reading a VMlet's manifest: the first datum of a .vml, checked clause by clause, with every
// error located at the datum it is about.
#include "vmlets/Manifest.h"

#include <cctype>
#include <set>

namespace vvm::vmlets {
namespace {

using console::Datum;

class ManifestReader {
public:
  ManifestReader(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  bool read(const Datum& form, Manifest& m) {
    m.pos = form.pos;
    if (!form.isList() || form.items.empty() || !form.items[0].isSymbol("vmlet"))
      return fail(form, "a .vml file starts with its manifest: (vmlet NAME (version \"...\") (type ...) ...)");
    if (form.items.size() < 2) return fail(form, "the manifest has no name: (vmlet NAME ...)");
    if (!name(form.items[1], "the VMlet's name", m.name)) return false;
    std::set<std::string> seen;
    for (size_t i = 2; i < form.items.size(); ++i) {
      const Datum& clause = form.items[i];
      if (!clause.isList() || clause.items.empty() || clause.items[0].kind != Datum::Kind::Symbol)
        return fail(clause, "expected a clause such as (version \"1.0\"), not " + clause.write());
      const std::string& head = clause.items[0].text;
      bool repeatable = head == "type" || head == "toolkit" || head == "capability";
      if (!repeatable && !seen.insert(head).second) return fail(clause, "(" + head + " ...) appears twice");
      bool ok = head == "version"      ? string(clause, 1, m.version)
                : head == "doc"        ? string(clause, 1, m.doc)
                : head == "type"       ? type(clause, m)
                : head == "toolkit"    ? toolkit(clause, m)
                : head == "capability" ? capability(clause, m)
                                       : fail(clause.items[0], "unknown manifest clause '" + head +
                                                                   "' (known: version type toolkit capability doc)");
      if (!ok) return false;
    }
    if (m.version.empty()) return fail(form, "the manifest has no (version \"...\")");
    if (m.types.empty()) return fail(form, "the manifest names no (type \"...\") the VMlet runs");
    return true;
  }

private:
  bool fail(const Datum& at, std::string message) {
    diags_.error(file_, at.pos.line, at.pos.col, std::move(message));
    return false;
  }

  bool name(const Datum& d, const char* what, std::string& out) {
    if (d.kind != Datum::Kind::Symbol || !isName(d.text))
      return fail(d, std::string(what) + " must be a name (letters, digits, - _ . starting with a letter), not " +
                         d.write());
    out = d.text;
    return true;
  }

  /// (head "text"): the string at `index`, and nothing after it.
  bool string(const Datum& clause, size_t index, std::string& out) {
    const std::string& head = clause.items[0].text;
    if (clause.items.size() != index + 1 || clause.items[index].kind != Datum::Kind::String ||
        clause.items[index].text.empty())
      return fail(clause, "expected (" + head + " \"...\") with one non-empty string");
    out = clause.items[index].text;
    return true;
  }

  bool type(const Datum& clause, Manifest& m) {
    vos::TypeEntry t;
    if (clause.items.size() < 2 || clause.items[1].kind != Datum::Kind::String)
      return fail(clause, "expected (type \"application/...\" (magic ...) (suffix ...) (interpreter ...))");
    t.name = clause.items[1].text;
    for (size_t i = 2; i < clause.items.size(); ++i) {
      const Datum& part = clause.items[i];
      if (!part.isList() || part.items.empty() || part.items[0].kind != Datum::Kind::Symbol)
        return fail(part, "expected (magic OFFSET #u8(...)), (suffix \".ext\") or (interpreter \"name\")");
      const std::string& head = part.items[0].text;
      if (head == "magic") {
        if (part.items.size() != 3 || part.items[1].kind != Datum::Kind::Integer || part.items[1].integer < 0 ||
            part.items[1].integer > vos::TypeRegistry::kMaxMagicEnd || part.items[2].kind != Datum::Kind::Bytes ||
            part.items[2].text.empty())
          return fail(part, "expected (magic OFFSET #u8(BYTE ...)) with an offset from 0 to " +
                                std::to_string(vos::TypeRegistry::kMaxMagicEnd) + " and at least one byte");
        t.magic.push_back({static_cast<uint32_t>(part.items[1].integer), part.items[2].text});
      } else if (head == "suffix" || head == "interpreter") {
        std::string value;
        if (!string(part, 1, value)) return false;
        (head == "suffix" ? t.suffixes : t.interpreters).push_back(value);
      } else {
        return fail(part.items[0], "unknown part '" + head + "' of a type (known: magic suffix interpreter)");
      }
    }
    // The registry is the judge of names, patterns and clashes; try it on a scratch copy.
    vos::TypeRegistry scratch;
    std::string error;
    for (const vos::TypeEntry& earlier : m.types) scratch.add(earlier, error);
    if (!scratch.add(t, error)) return fail(clause, error);
    m.types.push_back(std::move(t));
    return true;
  }

  bool toolkit(const Datum& clause, Manifest& m) {
    ToolkitNeed need;
    if (clause.items.size() != 3 || clause.items[2].kind != Datum::Kind::String)
      return fail(clause, "expected (toolkit NAME \"VERSION\")");
    if (!name(clause.items[1], "a toolkit", need.name)) return false;
    need.version = clause.items[2].text;
    need.pos = clause.pos;
    m.toolkits.push_back(std::move(need));
    return true;
  }

  bool capability(const Datum& clause, Manifest& m) {
    std::string cap;
    if (clause.items.size() != 2) return fail(clause, "expected (capability NAME)");
    if (!name(clause.items[1], "a capability", cap)) return false;
    m.capabilities.push_back(std::move(cap));
    m.capabilityPos.push_back(clause.pos);
    return true;
  }

  const std::string& file_;
  Diagnostics& diags_;
};

} // namespace

bool isName(std::string_view text) {
  bool ok = !text.empty() && std::isalpha(static_cast<unsigned char>(text[0]));
  for (char c : text) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  return ok;
}

bool readManifest(std::string_view text, const std::string& file, Manifest& out, Diagnostics& diags) {
  std::vector<Datum> data = console::readAll(text, file, diags);
  if (diags.hasErrors()) return false;
  if (data.empty()) {
    diags.error(file, 0, 0, "empty: a .vml file starts with its manifest (vmlet NAME ...)");
    return false;
  }
  return ManifestReader(file, diags).read(data[0], out);
}

bool readManifestForm(const console::Datum& form, const std::string& file, Manifest& out, Diagnostics& diags) {
  return ManifestReader(file, diags).read(form, out);
}

} // namespace vvm::vmlets
