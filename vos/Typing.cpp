// The type registry: registration with its ambiguity checks, and detection by explicit type,
// magic bytes, suffix and #! line, in that order.
#include "vos/Typing.h"

#include <fmt/format.h>

#include <algorithm>

namespace vvm::vos {

namespace {

constexpr std::string_view kTypedByNames[] = {
#define VVM_TYPED_BY(Name, Text, Doc) Text,
#include "vos/TypedBy.def"
};

/// Program names a #! line may give that are not interpreters of one type.
constexpr std::string_view kReservedInterpreters[] = {"vvm", "env"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Input shown in a message: at most 40 bytes, control bytes as '?'.
std::string shown(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 40; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  }
  return s.size() > 40 ? out + "..." : out;
}

/// RFC 6838 section 4.2: a restricted-name, 1 to 127 characters.
bool isRestrictedName(std::string_view s) {
  if (s.empty() || s.size() > 127) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || std::string_view("!#$&-^_.+").find(c) == std::string_view::npos)) return false;
  }
  return true;
}

/// "type/subtype", already in lower case.
bool isTypeName(std::string_view s) {
  size_t slash = s.find('/');
  return slash != std::string_view::npos && isRestrictedName(s.substr(0, slash)) &&
         isRestrictedName(s.substr(slash + 1));
}

/// A suffix or interpreter name: printable, no '/', no white space.
bool isPlainWord(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '/') return false;
  }
  return true;
}

std::string hexBytes(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < 16; ++i)
    out += fmt::format("{}{:02x}", i ? " " : "", static_cast<unsigned char>(bytes[i]));
  return bytes.size() > 16 ? out + " ..." : out;
}

/// True when some file could match both patterns: where they overlap, they agree.
bool couldBothMatch(const MagicPattern& p, const MagicPattern& q) {
  uint64_t lo = std::max(p.offset, q.offset);
  uint64_t hi = std::min<uint64_t>(uint64_t{p.offset} + p.bytes.size(), uint64_t{q.offset} + q.bytes.size());
  for (uint64_t i = lo; i < hi; ++i)
    if (p.bytes[i - p.offset] != q.bytes[i - q.offset]) return false;
  return true;
}

std::string_view baseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

} // namespace

std::string_view typedByName(TypedBy by) { return kTypedByNames[static_cast<size_t>(by)]; }

bool TypeRegistry::add(TypeEntry entry, std::string& error) {
  entry.name = lower(entry.name);
  if (!isTypeName(entry.name)) {
    error = fmt::format("\"{}\" is not a MIME type name (type/subtype)", shown(entry.name));
    return false;
  }
  if (find(entry.name)) {
    error = fmt::format("type {} is already registered", entry.name);
    return false;
  }
  for (const auto& p : entry.magic) {
    if (p.bytes.empty()) {
      error = fmt::format("type {}: a magic pattern is empty", entry.name);
      return false;
    }
    if (uint64_t{p.offset} + p.bytes.size() > kMaxMagicEnd) {
      error = fmt::format("type {}: magic bytes at offset {} end past the first {} bytes of a file", entry.name,
                          p.offset, kMaxMagicEnd);
      return false;
    }
    for (const auto& other : entries_)
      for (const auto& q : other.magic)
        if (p.bytes.size() == q.bytes.size() && couldBothMatch(p, q)) {
          error = fmt::format("type {}: magic bytes {} at offset {} tie with {}'s {} at offset {} (a file could "
                              "match both, and neither is longer)",
                              entry.name, hexBytes(p.bytes), p.offset, other.name, hexBytes(q.bytes), q.offset);
          return false;
        }
  }
  std::vector<std::string> suffixes;
  for (const auto& s : entry.suffixes) {
    std::string suffix = s.starts_with('.') ? s : "." + s;
    if (suffix.size() < 2 || !isPlainWord(suffix)) {
      error = fmt::format("type {}: \"{}\" is not a file suffix", entry.name, shown(s));
      return false;
    }
    for (const auto& other : entries_)
      if (contains(other.suffixes, suffix)) {
        error = fmt::format("type {}: suffix {} already belongs to type {}", entry.name, suffix, other.name);
        return false;
      }
    if (!contains(suffixes, suffix)) suffixes.push_back(std::move(suffix));
  }
  entry.suffixes = std::move(suffixes);
  for (const auto& name : entry.interpreters) {
    if (!isPlainWord(name)) {
      error = fmt::format("type {}: \"{}\" is not an interpreter name (a program name without '/')", entry.name,
                          shown(name));
      return false;
    }
    if (std::find(std::begin(kReservedInterpreters), std::end(kReservedInterpreters), name) !=
        std::end(kReservedInterpreters)) {
      error = fmt::format("type {}: interpreter name {} is reserved", entry.name, name);
      return false;
    }
    for (const auto& other : entries_)
      if (contains(other.interpreters, name)) {
        error = fmt::format("type {}: interpreter {} already belongs to type {}", entry.name, name, other.name);
        return false;
      }
  }
  entries_.push_back(std::move(entry));
  return true;
}

const TypeEntry* TypeRegistry::find(std::string_view name) const {
  std::string key = lower(name);
  for (const auto& e : entries_)
    if (e.name == key) return &e;
  return nullptr;
}

size_t TypeRegistry::bytesNeeded() const {
  size_t need = kMaxShebangBytes;
  for (const auto& e : entries_)
    for (const auto& p : e.magic) need = std::max<size_t>(need, p.offset + p.bytes.size());
  return need;
}

std::string TypeRegistry::knownTypes() const {
  std::string out;
  for (const auto& e : entries_) out += (out.empty() ? "" : ", ") + e.name;
  return out.empty() ? "none: no VMlet is installed" : out;
}

std::optional<Detection> TypeRegistry::detect(std::string_view path, std::string_view firstBytes,
                                              std::string_view explicitType, std::string& error) const {
  if (!explicitType.empty()) {
    const TypeEntry* e = find(explicitType);
    if (!e) {
      error = fmt::format("unknown type \"{}\" (known types: {})", shown(explicitType), knownTypes());
      return std::nullopt;
    }
    return Detection{e->name, TypedBy::Explicit, "named explicitly"};
  }
  if (auto d = byMagic(firstBytes)) return d;
  if (auto d = bySuffix(path)) return d;
  error.clear();
  if (auto d = byShebang(firstBytes, error)) return d;
  if (error.empty())
    error = fmt::format("no magic bytes, file suffix or #! line tells its type (known types: {}); name the type "
                        "explicitly",
                        knownTypes());
  return std::nullopt;
}

std::optional<Detection> TypeRegistry::byMagic(std::string_view firstBytes) const {
  const TypeEntry* best = nullptr;
  const MagicPattern* bestPattern = nullptr;
  for (const auto& e : entries_)
    for (const auto& p : e.magic) {
      if (bestPattern && p.bytes.size() <= bestPattern->bytes.size()) continue;
      if (uint64_t{p.offset} + p.bytes.size() > firstBytes.size()) continue;
      if (firstBytes.substr(p.offset, p.bytes.size()) != p.bytes) continue;
      best = &e;
      bestPattern = &p;
    }
  if (!best) return std::nullopt;
  return Detection{best->name, TypedBy::Magic,
                   fmt::format("bytes {} at offset {}", hexBytes(bestPattern->bytes), bestPattern->offset)};
}

std::optional<Detection> TypeRegistry::bySuffix(std::string_view path) const {
  std::string_view base = baseName(path);
  const TypeEntry* best = nullptr;
  std::string_view bestSuffix;
  for (const auto& e : entries_)
    for (const auto& s : e.suffixes)
      if (base.size() > s.size() && base.ends_with(s) && s.size() > bestSuffix.size()) {
        best = &e;
        bestSuffix = s;
      }
  if (!best) return std::nullopt;
  return Detection{best->name, TypedBy::Suffix, fmt::format("suffix {}", bestSuffix)};
}

std::optional<Detection> TypeRegistry::byShebang(std::string_view firstBytes, std::string& error) const {
  if (!firstBytes.starts_with("#!")) return std::nullopt;
  std::string_view line = firstBytes.substr(2, std::min(firstBytes.find('\n'), kMaxShebangBytes) - 2);
  // The words of the line, split at blanks as env -S and the kernel (for the first one) do.
  std::vector<std::string_view> words;
  for (size_t i = 0; i < line.size();) {
    if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
      ++i;
      continue;
    }
    size_t end = line.find_first_of(" \t\r", i);
    if (end == std::string_view::npos) end = line.size();
    words.push_back(line.substr(i, end - i));
    i = end;
  }
  size_t i = 0;
  if (words.empty()) return std::nullopt;
  std::string_view program = baseName(words[i++]);
  if (program == "env") {
    // Skip env's options and NAME=VALUE settings up to the program it runs.
    while (i < words.size()) {
      std::string_view w = words[i];
      if (w.starts_with("-S") && w.size() > 2) { // "-Svvm-java": the program follows -S directly
        words[i] = w.substr(2);
        break;
      }
      if (w == "-u" || w == "--unset" || w == "-C" || w == "--chdir")
        i += 2; // options that take the next word as their value
      else if (w.starts_with('-') || w.find('=') != std::string_view::npos)
        ++i;
      else
        break;
    }
    if (i >= words.size()) return std::nullopt;
    program = baseName(words[i++]);
  }
  if (program == "vvm") {
    std::optional<std::string_view> type;
    for (; i < words.size() && words[i] != "--"; ++i) {
      if (words[i].starts_with("--type="))
        type = words[i].substr(7);
      else if (words[i] == "--type" && i + 1 < words.size())
        type = words[++i];
    }
    if (!type) return std::nullopt;
    const TypeEntry* e = find(*type);
    if (!e) {
      error =
          fmt::format("the #! line names type \"{}\", which is unknown (known types: {})", shown(*type), knownTypes());
      return std::nullopt;
    }
    return Detection{e->name, TypedBy::Shebang, fmt::format("#! line names type {}", e->name)};
  }
  for (const auto& e : entries_)
    if (contains(e.interpreters, program))
      return Detection{e.name, TypedBy::Shebang, fmt::format("#! interpreter {}", program)};
  return std::nullopt;
}

} // namespace vvm::vos
