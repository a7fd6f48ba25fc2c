// Host services and the base primitives over them.
#include "vos/Host.h"

#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/support/NumberText.h"
#include "gc/Heap.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace vvm::vos {
using core::Thread;
using core::Value;

namespace {
std::vector<std::string> gArgs;

void putOut(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }

// A string argument: a non-null i8 array (VP strings are one).
bool stringArg(Thread& t, Value v, const char* prim, std::string_view& out) {
  if (!v.ref) {
    t.rt.raise(t, core::VpMessage::NullIn, prim);
    return false;
  }
  auto bytes = core::bytesOf(v.ref);
  if (!bytes) {
    t.rt.raise(t, core::VpMessage::NotInstanceOf, "argument of " + std::string(prim), "String");
    return false;
  }
  out = *bytes;
  return true;
}

std::string utf8(int32_t cp) {
  std::string s;
  auto c = static_cast<uint32_t>(cp);
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
  if (c < 0x80)
    s += static_cast<char>(c);
  else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

// The string stays in a[0] (and so reachable) until the number replaces it.
template <typename I> bool parseInt(Thread& t, Value* a, const char* prim) {
  std::string_view s;
  if (!stringArg(t, a[0], prim, s)) return false;
  I value = 0;
  std::string_view digits = s.size() > 1 && s[0] == '+' && s[1] != '-' ? s.substr(1) : s; // "+5" as Java reads it
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size()) {
    t.rt.raise(t, core::VpMessage::NotANumber, s.substr(0, 64));
    return false;
  }
  a[0].set(value);
  return true;
}

/// print.KIND and println.KIND: one template, so each kind's text is decided in one place.
template <core::Kind K, bool Newline> bool printValue(Thread& t, Value* a) {
  std::string text;
  if constexpr (K == core::Kind::I32) {
    text = fmt::format("{}", a[0].i32);
  } else if constexpr (K == core::Kind::I64) {
    text = fmt::format("{}", a[0].i64);
  } else if constexpr (K == core::Kind::F32) {
    text = floatText(a[0].f32);
  } else if constexpr (K == core::Kind::F64) {
    text = floatText(a[0].f64);
  } else {
    std::string_view s;
    if (!stringArg(t, a[0], Newline ? "println.str" : "print.str", s)) return false;
    text = s;
  }
  if (Newline) text += '\n';
  putOut(text);
  return true;
}
constexpr core::PrimFn printI32 = printValue<core::Kind::I32, false>;
constexpr core::PrimFn printI64 = printValue<core::Kind::I64, false>;
constexpr core::PrimFn printF32 = printValue<core::Kind::F32, false>;
constexpr core::PrimFn printF64 = printValue<core::Kind::F64, false>;
constexpr core::PrimFn printStr = printValue<core::Kind::Ref, false>;
constexpr core::PrimFn printlnI32 = printValue<core::Kind::I32, true>;
constexpr core::PrimFn printlnI64 = printValue<core::Kind::I64, true>;
constexpr core::PrimFn printlnF32 = printValue<core::Kind::F32, true>;
constexpr core::PrimFn printlnF64 = printValue<core::Kind::F64, true>;
constexpr core::PrimFn printlnStr = printValue<core::Kind::Ref, true>;

bool printChar(Thread&, Value* a) {
  putOut(utf8(a[0].i32));
  return true;
}
bool printNl(Thread&, Value*) {
  putOut("\n");
  return true;
}
bool argsCount(Thread&, Value* a) {
  a[0].setI32(static_cast<int32_t>(gArgs.size()));
  return true;
}
bool argsGet(Thread& t, Value* a) {
  int32_t i = a[0].i32;
  if (i < 0 || static_cast<size_t>(i) >= gArgs.size()) {
    t.rt.raise(t, core::VpMessage::IndexOutOfBounds, i, gArgs.size());
    return false;
  }
  core::Object* s = t.rt.newString(gArgs[static_cast<size_t>(i)]);
  if (!s) {
    t.rt.raise(t, core::VpMessage::HeapLimit, gArgs[static_cast<size_t>(i)].size());
    return false;
  }
  a[0].ref = s;
  return true;
}
bool strToI32(Thread& t, Value* a) { return parseInt<int32_t>(t, a, "str.to.i32"); }
bool strToI64(Thread& t, Value* a) { return parseInt<int64_t>(t, a, "str.to.i64"); }
bool strConcat(Thread& t, Value* a) {
  std::string_view x, y;
  if (!stringArg(t, a[0], "str.concat", x) || !stringArg(t, a[1], "str.concat", y)) return false;
  std::string joined = std::string(x) + std::string(y);
  core::Object* s = t.rt.newString(joined);
  if (!s) {
    t.rt.raise(t, core::VpMessage::HeapLimit, joined.size());
    return false;
  }
  a[0].ref = s;
  return true;
}
bool strFromI64(Thread& t, Value* a) {
  core::Object* s = t.rt.newString(fmt::format("{}", a[0].i64));
  if (!s) {
    t.rt.raise(t, core::VpMessage::HeapLimit, 32);
    return false;
  }
  a[0].ref = s;
  return true;
}
bool timeNanos(Thread&, Value* a) {
  a[0].i64 = monotonicNanos();
  return true;
}
bool gcCollect(Thread&, Value*) {
  gc::collect();
  gc::runFinalizers();
  return true;
}
bool exitProgram(Thread& t, Value* a) {
  t.exiting = true;
  t.exitStatus = a[0].i32;
  t.throwObject(t.rt.exitToken());
  return false;
}

core::Signature parseSig(std::string_view params, std::string_view result) {
  core::Signature sig;
  std::istringstream in{std::string(params)};
  std::string k;
  while (in >> k) sig.params.push_back(*core::kindFromName(k));
  sig.ret = *core::kindFromName(result);
  return sig;
}

} // namespace

void writeOut(std::string_view text) { putOut(text); }
void flushOut() { std::fflush(stdout); }

void setArguments(std::vector<std::string> args) { gArgs = std::move(args); }
const std::vector<std::string>& arguments() { return gArgs; }

int64_t monotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> readFile(const std::string& path, size_t maxBytes, std::string& error, bool& notFound,
                                    bool truncate) {
  notFound = false;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    notFound = errno == ENOENT || errno == ENOTDIR;
    error = std::strerror(errno);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "is a directory";
    return std::nullopt;
  }
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (data.size() + n > maxBytes) {
      if (truncate) {
        data.append(buf, maxBytes - data.size());
        break;
      }
      std::fclose(f);
      error = fmt::format("larger than the limit of {} bytes", maxBytes);
      return std::nullopt;
    }
    data.append(buf, n);
  }
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) {
    error = "read error";
    return std::nullopt;
  }
  return data;
}

std::optional<std::string_view> basePrimitiveCapability(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kCapabilities[] = {
#define VVM_PRIM(Name, Capability, Params, Result, Fn, Doc) {Name, Capability},
#include "vos/BasePrimitives.def"
  };
  for (auto [prim, capability] : kCapabilities)
    if (prim == name) return capability;
  return std::nullopt;
}

void registerBasePrimitives(core::Runtime& rt) {
  static char outBuffer[1 << 16];
  static bool buffered = false;
  if (!buffered) {
    std::setvbuf(stdout, outBuffer, _IOFBF, sizeof outBuffer);
    buffered = true;
  }
#define VVM_PRIM(Name, Capability, Params, Result, Fn, Doc)                                                            \
  rt.primitives().add(Name, parseSig(Params, Result), Fn, Doc);
#include "vos/BasePrimitives.def"
}

int writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

} // namespace vvm::vos
