// The JIT tier: queueing, the compile thread, loading the backend, installing compiled code.
#include "jit/Tier.h"

#include "core/interp/Interpreter.h"
#include "core/interp/Thread.h"
#include "core/support/Assert.h"
#include "jit/Helpers.h"

#include <spdlog/spdlog.h>

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <filesystem>

namespace vvm::jit {
namespace {

Tier* gTier = nullptr; // the tier the runtime's hook reports to

double nowMillis() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Where libvvm-jit.so is: beside the executable (build tree), or in ../lib/vvm (installed).
std::vector<std::string> backendCandidates() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {"libvvm-jit.so"};
  auto dir = exe.parent_path();
  return {(dir / "libvvm-jit.so").string(), (dir / ".." / "lib" / "vvm" / "libvvm-jit.so").string()};
}

InlineCache* newInlineCache() {
  // Caches live as long as the code that reads them, which is never unloaded.
  static std::mutex m;
  static std::vector<std::unique_ptr<InlineCache>> all;
  std::lock_guard lock(m);
  return all.emplace_back(std::make_unique<InlineCache>()).get();
}

/// offsetof(Shape, elem), measured on a real object rather than assumed.
size_t shapeElemOffset() {
  core::Shape probe;
  return static_cast<size_t>(reinterpret_cast<const char*>(&probe.elem) - reinterpret_cast<const char*>(&probe));
}

} // namespace

std::optional<Mode> modeFromName(std::string_view name) {
  if (name == "off") return Mode::Off;
  if (name == "on") return Mode::On;
  if (name == "eager") return Mode::Eager;
  return std::nullopt;
}

Tier::Tier(core::Runtime& rt, Options options) : rt_(rt), options_(std::move(options)) {
  VVM_ASSERT(!gTier);
  VVM_ASSERT(options_.mode != Mode::Off);
  gTier = this;
  rt_.tierUpHook = &Tier::onHot;
}

Tier::~Tier() {
  rt_.tierUpHook = nullptr;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  gTier = nullptr;
  // The backend, its library and the code records stay: compiled code may still be installed
  // in methods that outlive this tier, and unloading LLVM at exit buys nothing.
  static auto* kept = new std::vector<std::unique_ptr<Backend>>; // reachable: not a leak
  static auto* keptCode = new std::vector<std::unique_ptr<core::NativeCode>>;
  if (backend_) kept->push_back(std::move(backend_));
  for (auto& c : code_) keptCode->push_back(std::move(c));
}

void Tier::onHot(core::Method* m) {
  if (gTier) gTier->request(*m);
}

void Tier::request(core::Method& m) {
  if (options_.mode == Mode::Eager) {
    compileNow(m);
    return;
  }
  if (m.tier.load(std::memory_order_relaxed) != core::Method::Tier::Interpreted) return;
  std::lock_guard lock(mutex_);
  enqueueLocked(m);
}

void Tier::enqueueLocked(core::Method& m) {
  auto expected = core::Method::Tier::Interpreted;
  if (!m.tier.compare_exchange_strong(expected, core::Method::Tier::Queued)) return;
  if (queue_.size() >= options_.queueCapacity) {
    m.tier.store(core::Method::Tier::Interpreted);
    ++stats_.dropped;
    return;
  }
  queue_.push_back({&m, nowMillis()});
  ++stats_.queued;
  stats_.maxQueueLength = std::max(stats_.maxQueueLength, queue_.size());
  if (!thread_.joinable()) thread_ = std::thread([this] { compileLoop(); });
  wake_.notify_one();
}

bool Tier::compileNow(core::Method& m) {
  std::unique_lock lock(mutex_);
  enqueueLocked(m);
  idle_.wait(lock, [&] { return m.tier.load() != core::Method::Tier::Queued; });
  return m.tier.load() == core::Method::Tier::Compiled;
}

void Tier::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

bool Tier::busy() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

void Tier::compileLoop() {
  for (;;) {
    Request r;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        for (const Request& q : queue_) q.method->tier.store(core::Method::Tier::Interpreted);
        queue_.clear();
        idle_.notify_all();
        return;
      }
      r = queue_.front();
      queue_.pop_front();
      busy_ = true;
      double wait = nowMillis() - r.queuedAt;
      stats_.totalWaitMillis += wait;
      stats_.maxWaitMillis = std::max(stats_.maxWaitMillis, wait);
    }
    compileOne(r);
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

bool Tier::loadBackend() {
  if (backend_) return true;
  if (backendFailed_) return false;
  double start = nowMillis();
  std::vector<std::string> candidates =
      options_.libraryPath.empty() ? backendCandidates() : std::vector<std::string>{options_.libraryPath};
  std::string why;
  for (const std::string& path : candidates) {
    if (!options_.libraryPath.empty() || std::filesystem::exists(path)) {
      library_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (library_) break;
      why = dlerror();
    }
  }
  if (!library_) {
    backendFailed_ = true;
    spdlog::warn("jit: cannot load the compiler (libvvm-jit.so): {}; methods stay interpreted",
                 why.empty() ? "not found beside the vvm executable" : why);
    return false;
  }
  auto create = reinterpret_cast<VvmJitCreateFn>(dlsym(library_, "vvm_jit_create"));
  static const std::span<const HelperSymbol> helpers = helperSymbols();
  HostInfo host;
  host.helpers = helpers.data();
  host.helperCount = helpers.size();
  host.exitToken = rt_.exitToken();
  host.shapeElemOffset = shapeElemOffset();
  host.newInlineCache = &newInlineCache;
  std::string error;
  backend_.reset(create ? create(&host, &error) : nullptr);
  if (!backend_) {
    backendFailed_ = true;
    spdlog::warn("jit: cannot start the compiler: {}; methods stay interpreted",
                 create ? error : "libvvm-jit.so has no vvm_jit_create");
    return false;
  }
  std::lock_guard lock(mutex_);
  stats_.loadMillis = nowMillis() - start;
  spdlog::debug("jit: {} loaded in {:.1f} ms", backend_->description(), stats_.loadMillis);
  return true;
}

void Tier::compileOne(const Request& r) {
  core::Method& m = *r.method;
  if (!loadBackend()) {
    m.tier.store(core::Method::Tier::Failed);
    return;
  }
  core::link(m); // compiled code names positions in the linked code (walkbacks, OSR)
  CompileOptions co{options_.dumpDir};
  CompileResult result = backend_->compile(m, co);
  std::lock_guard lock(mutex_);
  stats_.lowerMillis += result.lowerMillis;
  stats_.optMillis += result.optMillis;
  stats_.emitMillis += result.emitMillis;
  if (!result.ok) {
    ++stats_.failed;
    m.tier.store(core::Method::Tier::Failed);
    spdlog::warn("jit: {} stays interpreted: {}", m.name, result.error);
    return;
  }
  ++stats_.compiled;
  stats_.codeBytes += result.code.codeBytes;
  auto* code = code_.emplace_back(std::make_unique<core::NativeCode>(result.code)).get();
  // Publish: the code record, then the typed entry compiled callers use, then the entry the
  // interpreter calls through.
  m.native.store(code, std::memory_order_release);
  m.fastEntry.store(code->fast, std::memory_order_release);
  m.entry.store(core::detail::enterNativeCode(), std::memory_order_release);
  m.tier.store(core::Method::Tier::Compiled);
  spdlog::debug("jit: compiled {} ({} bytes{}) in {:.2f} ms", m.name, code->codeBytes, code->osr ? ", OSR" : "",
                result.lowerMillis + result.optMillis + result.emitMillis);
}

Stats Tier::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Tier::printStats(std::FILE* out) const {
  Stats s = stats();
  double compileMillis = s.lowerMillis + s.optMillis + s.emitMillis;
  std::fprintf(out,
               "jit: %llu methods compiled, %llu failed, %llu queued (%llu dropped); %.1f KiB code\n"
               "jit: compile %.1f ms (lower %.1f, optimise %.1f, emit %.1f), backend load %.1f ms\n"
               "jit: queue wait max %.2f ms, mean %.2f ms, longest queue %zu\n",
               static_cast<unsigned long long>(s.compiled), static_cast<unsigned long long>(s.failed),
               static_cast<unsigned long long>(s.queued), static_cast<unsigned long long>(s.dropped),
               s.codeBytes / 1024.0, compileMillis, s.lowerMillis, s.optMillis, s.emitMillis, s.loadMillis,
               s.maxWaitMillis, s.queued ? s.totalWaitMillis / static_cast<double>(s.queued) : 0.0, s.maxQueueLength);
}

} // namespace vvm::jit
