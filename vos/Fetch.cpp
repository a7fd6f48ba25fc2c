// fetch(): loads the fetch module (libvvm-fetch.so, vos/curl/CurlFetch.cpp) on first use and
// calls it; and what both sides share: the error names, FetchResult, the User-Agent.
#include "vos/Fetch.h"

#include "core/support/Assert.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <filesystem>
#include <vector>

namespace vvm::vos {
namespace {

constexpr std::string_view kErrorNames[] = {
#define VVM_FETCH_ERROR(Name, Format) #Name,
#include "vos/FetchErrors.def"
};

/// Where the module is: beside the executable (the build tree's vvm), in ../lib/vvm (installed),
/// or where the build put it (test programs, which live elsewhere in the build tree).
std::vector<std::string> moduleCandidates() {
  std::vector<std::string> out;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back((exe.parent_path() / "libvvm-fetch.so").string());
    out.push_back((exe.parent_path() / ".." / "lib" / "vvm" / "libvvm-fetch.so").string());
  }
#ifdef VVM_FETCH_MODULE
  out.emplace_back(VVM_FETCH_MODULE);
#endif
  return out;
}

struct Module {
  FetchFunction fn = nullptr;
  std::string error; ///< why there is none
};

/// Loaded once (C++ makes callers racing on a function-local static wait for the first).
const Module& module() {
  static const Module m = [] {
    Module out;
    std::string tried;
    for (const std::string& path : moduleCandidates()) {
      if (!std::filesystem::exists(path)) continue;
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        tried += std::string(tried.empty() ? "" : "; ") + dlerror();
        continue;
      }
      auto entry = reinterpret_cast<void* (*)(uint32_t)>(dlsym(handle, "vvm_fetch_function"));
      out.fn = entry ? reinterpret_cast<FetchFunction>(entry(kFetchAbiVersion)) : nullptr;
      if (out.fn) return out;
      tried += std::string(tried.empty() ? "" : "; ") + path + " is not this vvm's fetch module";
    }
    out.error = tried.empty() ? "libvvm-fetch.so is not installed beside vvm" : tried;
    return out;
  }();
  return m;
}

} // namespace

std::string defaultUserAgent() { return "vvm/" VVM_VERSION; }

std::string_view fetchErrorName(FetchError code) { return kErrorNames[static_cast<size_t>(code)]; }

const Fetched& FetchResult::value() const {
  VVM_ASSERT(ok());
  return std::get<0>(v_);
}
Fetched& FetchResult::value() {
  VVM_ASSERT(ok());
  return std::get<0>(v_);
}
const FetchFailure& FetchResult::failure() const {
  VVM_ASSERT(!ok());
  return std::get<1>(v_);
}

FetchResult fetch(const std::string& url, const FetchOptions& options) {
  const Module& m = module();
  if (m.fn) return m.fn(url, options);
  FetchFailure f;
  f.code = FetchError::NoLibcurl;
  f.url = url.substr(0, 200);
  f.message = fmt::format("{}: libcurl could not be initialised (cannot load the fetch module: {})", f.url, m.error);
  return f;
}

} // namespace vvm::vos
