// The LLVM backend (libvvm-jit.so): LLVM 16 ORC LLJIT for the host, the O2 pipeline, and
// objects emitted here so that their code size can be measured before ORC links them.
#include "jit/llvm/Lower.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <cctype>
#include <chrono>
#include <filesystem>

namespace vvm::jit {
namespace {

double millisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

/// A file-name-safe version of a method name.
std::string fileStem(std::string_view name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
  return out.empty() ? "method" : out;
}

class LlvmBackend final : public Backend {
public:
  static std::unique_ptr<LlvmBackend> create(const HostInfo& host, std::string* error) {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
      *error = llvm::toString(jtmb.takeError());
      return nullptr;
    }
    jtmb->setCodeGenOptLevel(llvm::CodeGenOpt::Default);
    auto tm = jtmb->createTargetMachine();
    if (!tm) {
      *error = llvm::toString(tm.takeError());
      return nullptr;
    }
    auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
    if (!jit) {
      *error = llvm::toString(jit.takeError());
      return nullptr;
    }
    auto backend = std::unique_ptr<LlvmBackend>(new LlvmBackend(host, std::move(*tm), std::move(*jit)));
    if (!backend->defineHelpers(error)) return nullptr;
    return backend;
  }

  std::string description() const override {
    return "LLVM " LLVM_VERSION_STRING " ORC, " + tm_->getTargetTriple().str() + ", " + tm_->getTargetCPU().str();
  }

  CompileResult compile(core::Method& m, const CompileOptions& options) override {
    CompileResult result;
    auto start = std::chrono::steady_clock::now();
    auto context = std::make_unique<llvm::LLVMContext>();
    std::string prefix = "vvm" + std::to_string(++counter_);
    auto module = std::make_unique<llvm::Module>(prefix + "." + m.name, *context);
    module->setDataLayout(tm_->createDataLayout());
    module->setTargetTriple(tm_->getTargetTriple().str());

    LoweredMethod lowered;
    if (!lowerMethod(m, *module, host_, prefix, lowered, &result.error)) return result;
    std::string verifyErrors;
    llvm::raw_string_ostream vs(verifyErrors);
    if (llvm::verifyModule(*module, &vs)) {
      result.error = "lowering made invalid LLVM IR: " + vs.str();
      dump(options, m, *module, ".invalid.ll");
      return result;
    }
    dump(options, m, *module, ".ll");
    result.lowerMillis = millisSince(start);

    start = std::chrono::steady_clock::now();
    optimize(*module);
    dump(options, m, *module, ".opt.ll");
    result.optMillis = millisSince(start);

    start = std::chrono::steady_clock::now();
    llvm::SmallVector<char, 0> object;
    {
      llvm::raw_svector_ostream os(object);
      llvm::legacy::PassManager pm;
      if (tm_->addPassesToEmitFile(pm, os, nullptr, llvm::CGFT_ObjectFile)) {
        result.error = "the target cannot emit object files";
        return result;
      }
      pm.run(*module);
    }
    result.code.codeBytes = textBytes(object);
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(object.data(), object.size()), prefix);
    if (auto e = jit_->addObjectFile(std::move(buffer))) {
      result.error = llvm::toString(std::move(e));
      return result;
    }
    auto lookup = [&](llvm::Function* f) -> void* {
      if (!f) return nullptr;
      auto address = jit_->lookup(f->getName());
      if (!address) {
        result.error = llvm::toString(address.takeError());
        return nullptr;
      }
      return address->toPtr<void*>();
    };
    std::string fastName = lowered.fast->getName().str();
    result.code.fast = lookup(lowered.fast);
    result.code.boxed = reinterpret_cast<decltype(result.code.boxed)>(lookup(lowered.boxed));
    if (lowered.osr) result.code.osr = reinterpret_cast<decltype(result.code.osr)>(lookup(lowered.osr));
    result.emitMillis = millisSince(start);
    result.ok = result.error.empty() && result.code.fast && result.code.boxed && (!lowered.osr || result.code.osr);
    return result;
  }

private:
  LlvmBackend(const HostInfo& host, std::unique_ptr<llvm::TargetMachine> tm, std::unique_ptr<llvm::orc::LLJIT> jit)
      : host_(host), tm_(std::move(tm)), jit_(std::move(jit)) {}

  /// The runtime helpers as absolute symbols; libm and the C library (fmod, memcpy) from
  /// the process.
  bool defineHelpers(std::string* error) {
    llvm::orc::SymbolMap symbols;
    for (size_t k = 0; k < host_.helperCount; ++k) {
      const HelperSymbol& h = host_.helpers[k];
      symbols[jit_->mangleAndIntern(h.name)] = llvm::JITEvaluatedSymbol(
          llvm::pointerToJITTargetAddress(h.address), llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
    }
    llvm::orc::JITDylib& jd = jit_->getMainJITDylib();
    if (auto e = jd.define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
      *error = llvm::toString(std::move(e));
      return false;
    }
    auto process =
        llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(jit_->getDataLayout().getGlobalPrefix());
    if (!process) {
      *error = llvm::toString(process.takeError());
      return false;
    }
    jd.addGenerator(std::move(*process));
    return true;
  }

  void optimize(llvm::Module& module) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm_.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    mpm.run(module, mam);
  }

  /// Bytes of machine code (text sections) in an object file.
  static size_t textBytes(const llvm::SmallVectorImpl<char>& object) {
    auto file = llvm::object::ObjectFile::createObjectFile(
        llvm::MemoryBufferRef(llvm::StringRef(object.data(), object.size()), "object"));
    if (!file) {
      llvm::consumeError(file.takeError());
      return object.size();
    }
    size_t bytes = 0;
    for (const llvm::object::SectionRef& s : (*file)->sections())
      if (s.isText()) bytes += s.getSize();
    return bytes;
  }

  void dump(const CompileOptions& options, const core::Method& m, llvm::Module& module, const char* suffix) {
    if (options.dumpDir.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(options.dumpDir, ec);
    std::string path = (std::filesystem::path(options.dumpDir) / (fileStem(m.name) + suffix)).string();
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
    if (!ec) module.print(os, nullptr);
  }

  const HostInfo host_; // a copy: the caller's may not outlive us
  std::unique_ptr<llvm::TargetMachine> tm_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  uint64_t counter_ = 0;
};

} // namespace
} // namespace vvm::jit

extern "C" __attribute__((visibility("default"))) vvm::jit::Backend* vvm_jit_create(const vvm::jit::HostInfo* host,
                                                                                    std::string* error) {
  if (!host || host->abiVersion != vvm::jit::kBackendAbiVersion) {
    *error = "libvvm-jit.so was built for another vvm (ABI version mismatch)";
    return nullptr;
  }
  return vvm::jit::LlvmBackend::create(*host, error).release();
}
