// VP IR -> LLVM IR. One Lowerer per method makes three functions:
//
//   fast   R (Thread* t, Frame* caller, Value* base, P0, P1, ...)
//                                                    the method; pushes and pops its own frame
//   boxed  i32 (Thread* t, Value* base)               arguments and result in VP slots
//   osr    i32 (Thread* t, i32 insn)                  continues the interpreter's frame
//
// The operand stack is abstract: within a block it is a vector of SSA values; where control
// merges (labelled instructions) it passes through one alloca per (depth, type), which
// mem2reg/SROA turn into phis. Locals are allocas too. Which block state reaches a label comes
// from the first edge that reaches it (the verifier proved every edge agrees).
//
// Exceptions follow the status convention: after anything that can raise, compiled code tests
// the thread's pending exception and branches to a dispatch block that tries the handlers
// covering the instruction in table order, exactly as the interpreter's unwinder does, or
// leaves the function with the exception still pending. Frames are the interpreter's Frame
// records, so walkbacks, handler searches and stack limits work across tiers unchanged.
//
// The switch over instructions has no default and this file is compiled with -Werror=switch:
// an instruction added to Instructions.def without a lowering fails the build.
#include "jit/llvm/Lower.h"

#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/object/Object.h"
#include "core/prims/Primitive.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>

#include <cstddef>
#include <cstring>
#include <deque>
#include <map>
#include <optional>

namespace vvm::jit {
namespace {

using core::Elem;
using core::Kind;
using core::Op;
using core::VpMessage;
using LV = llvm::Value;

enum class EntryKind { Fast, Osr };

// Layout facts compiled code relies on (checked here, where they are used).
static_assert(std::is_standard_layout_v<core::ThreadState>);
static_assert(std::is_standard_layout_v<core::Frame>);
static_assert(sizeof(core::Frame) == 24);
static_assert(sizeof(core::Value) == 8);
constexpr uint64_t kArrayLengthOffset = 8; // Array: shape, length, elements
constexpr uint64_t kArrayDataOffset = 16;
static_assert(sizeof(core::Array) == kArrayDataOffset);
constexpr uint64_t kFieldsOffset = sizeof(core::Object);

class Lowerer {
public:
  Lowerer(core::Method& m, llvm::Module& mod, const HostInfo& host)
      : m_(m), mod_(mod), host_(host), C(mod.getContext()), B(C) {
    i1 = llvm::Type::getInt1Ty(C);
    i8 = llvm::Type::getInt8Ty(C);
    i16 = llvm::Type::getInt16Ty(C);
    i32 = llvm::Type::getInt32Ty(C);
    i64 = llvm::Type::getInt64Ty(C);
    f32 = llvm::Type::getFloatTy(C);
    f64 = llvm::Type::getDoubleTy(C);
    ptr = llvm::PointerType::get(C, 0);
    voidTy = llvm::Type::getVoidTy(C);
    labelled_ = core::labelledInstructions(m);
    nlocals_ = static_cast<uint32_t>(m.locals.size());
  }

  /// The caller passes its own frame: reading it from the thread instead would make every
  /// call wait for the previous return's store to t->fp (a store-to-load chain through memory
  /// that measured about 2x on recursive fib).
  ///
  /// Parameters travel in registers only: the first kInRegisterInts integer/reference ones and
  /// the first kInRegisterFloats floating-point ones; the rest stay in the VP slots where the
  /// caller puts every argument anyway (base[k]). With no argument ever on the native stack, a
  /// tail call between any two fast entries can be a sibling call (a jump), whatever their
  /// signatures, without LLVM's GuaranteedTailCallOpt (which cost recursive fib about 7%).
  llvm::FunctionType* fastType(const core::Signature& sig) {
    std::vector<llvm::Type*> params{ptr, ptr, ptr};
    for (size_t k = 0; k < sig.params.size(); ++k)
      if (inRegister(sig, k)) params.push_back(typeOf(sig.params[k]));
    return llvm::FunctionType::get(typeOf(sig.ret), params, false);
  }

  /// x86-64: six integer argument registers (three hold t, caller and base) and eight SSE ones.
  static constexpr unsigned kInRegisterInts = 3;
  static constexpr unsigned kInRegisterFloats = 8;
  static bool inRegister(const core::Signature& sig, size_t index) {
    unsigned ints = 0, floats = 0;
    for (size_t k = 0; k <= index; ++k) {
      bool fp = sig.params[k] == Kind::F32 || sig.params[k] == Kind::F64;
      if (k == index) return fp ? floats < kInRegisterFloats : ints < kInRegisterInts;
      ++(fp ? floats : ints);
    }
    return false;
  }

  /// The arguments of a fast call: t, caller frame, base, then the register parameters; the
  /// others are stored to their slots at argBase.
  std::vector<LV*> fastArguments(const core::Signature& sig, LV* callerFrame, LV* argBase,
                                 const std::vector<LV*>& args) {
    std::vector<LV*> out{thread_, callerFrame, argBase};
    for (size_t k = 0; k < args.size(); ++k) {
      if (inRegister(sig, k))
        out.push_back(args[k]);
      else
        storeSlot(slot(argBase, k), args[k]);
    }
    return out;
  }

  llvm::Function* declare(llvm::FunctionType* ft, const std::string& name) {
    auto* f = llvm::Function::Create(ft, llvm::Function::ExternalLinkage, name, mod_);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    return f;
  }
  /// Fast entries use LLVM's fastcc (see fastType for why tail calls between them are jumps).
  llvm::Function* declareFast(const std::string& name) {
    llvm::Function* f = declare(fastType(m_.sig), name);
    f->setCallingConv(llvm::CallingConv::Fast);
    return f;
  }
  static llvm::CallInst* fastCall(llvm::CallInst* call, bool tail = false) {
    call->setCallingConv(llvm::CallingConv::Fast);
    if (tail) call->setTailCallKind(llvm::CallInst::TCK_Tail);
    return call;
  }

  /// Fills `f` (made with declare) with the method body for the given entry kind.
  bool build(EntryKind kind, llvm::Function* f, llvm::Function* fastSelf, std::string* error) {
    reset(kind, f, fastSelf);
    llvm::BasicBlock* allocas = llvm::BasicBlock::Create(C, "allocas", F_);
    llvm::BasicBlock* prologue = llvm::BasicBlock::Create(C, "prologue", F_);
    allocaBuilder_.emplace(allocas);
    for (uint32_t i = 0; i < nlocals_; ++i)
      locals_.push_back(allocaBuilder_->CreateAlloca(typeOf(m_.locals[i]), nullptr, "local" + std::to_string(i)));

    B.SetInsertPoint(prologue);
    auto args = F_->arg_begin();
    thread_ = &*args++;
    thread_->setName("t");
    if (kind == EntryKind::Fast) {
      callerFrame_ = &*args++;
      callerFrame_->setName("caller");
      base_ = &*args++;
      base_->setName("base");
      buildFastPrologue();
      for (uint32_t i = 0; i < nlocals_; ++i) {
        LV* init;
        if (i >= m_.paramCount())
          init = llvm::Constant::getNullValue(typeOf(m_.locals[i]));
        else if (inRegister(m_.sig, i))
          init = &*args++;
        else
          init = B.CreateLoad(typeOf(m_.locals[i]), slot(base_, i)); // passed in its VP slot
        B.CreateStore(init, locals_[i]);
      }
      B.CreateBr(blockFor(0, {}));
    } else {
      osrInsn_ = &*args++;
      osrInsn_->setName("insn");
      frame_ = loadField(thread_, offsetof(core::ThreadState, fp), ptr, "frame");
      base_ = loadField(frame_, offsetof(core::Frame, locals), ptr, "base");
      for (uint32_t i = 0; i < nlocals_; ++i)
        B.CreateStore(B.CreateLoad(typeOf(m_.locals[i]), slot(base_, i)), locals_[i]);
      blockFor(0, {}); // lowered to learn the block states; unreachable unless a loop enters it
    }
    llvm::BasicBlock* prologueEnd = B.GetInsertBlock();

    while (!work_.empty() && error_.empty()) {
      uint32_t start = work_.front();
      work_.pop_front();
      lowerBlock(start);
    }
    if (error_.empty() && kind == EntryKind::Osr) {
      B.SetInsertPoint(prologueEnd);
      buildOsrDispatch();
    }
    allocaBuilder_->CreateBr(prologue);
    if (!error_.empty()) {
      *error = error_;
      return false;
    }
    return true;
  }

  /// boxed: unpacks the arguments from VP slots, calls fast, packs the result.
  void buildBoxed(llvm::Function* boxed, llvm::Function* fast) {
    B.SetInsertPoint(llvm::BasicBlock::Create(C, "entry", boxed));
    LV* t = boxed->getArg(0);
    LV* base = boxed->getArg(1);
    std::vector<LV*> args{t, loadField(t, offsetof(core::ThreadState, fp), ptr, "caller"), base};
    for (uint32_t i = 0; i < m_.paramCount(); ++i)
      if (inRegister(m_.sig, i)) args.push_back(B.CreateLoad(typeOf(m_.sig.params[i]), slot(base, i)));
    LV* r = fastCall(B.CreateCall(fast, args));
    llvm::BasicBlock* ok = llvm::BasicBlock::Create(C, "ok", boxed);
    llvm::BasicBlock* exc = llvm::BasicBlock::Create(C, "exc", boxed);
    B.CreateCondBr(pendingException(t), exc, ok, unlikely());
    B.SetInsertPoint(exc);
    B.CreateRet(B.getInt32(core::kNativeException));
    B.SetInsertPoint(ok);
    if (m_.sig.ret != Kind::Void) storeSlot(slot(base, 0), r);
    B.CreateRet(B.getInt32(core::kNativeOk));
  }

  bool callsItself() const {
    for (const core::Insn& in : m_.code)
      if (in.op == Op::Call && reinterpret_cast<const core::Method*>(in.a) == &m_) return true;
    return false;
  }

  bool hasBackEdges() const {
    for (uint32_t i = 0; i < m_.code.size(); ++i)
      for (uint32_t target : branchTargets(i))
        if (target <= i) return true;
    return false;
  }

private:
  // ---- types and constants

  llvm::Type* typeOf(Kind k) {
    switch (k) {
    case Kind::Void: return voidTy;
    case Kind::I32: return i32;
    case Kind::I64: return i64;
    case Kind::F32: return f32;
    case Kind::F64: return f64;
    case Kind::Ref: return ptr;
    case Kind::Word: return i64;
    }
    return i64;
  }

  LV* constPtr(const void* p) {
    return llvm::ConstantExpr::getIntToPtr(B.getInt64(reinterpret_cast<uintptr_t>(p)), ptr);
  }
  llvm::MDNode* unlikely() { return llvm::MDBuilder(C).createBranchWeights(1, 1 << 20); }

  // ---- memory

  LV* byteOffset(LV* p, uint64_t off) { return off ? B.CreateConstInBoundsGEP1_64(i8, p, off) : p; }
  LV* loadField(LV* p, uint64_t off, llvm::Type* t, const char* name = "") {
    return B.CreateLoad(t, byteOffset(p, off), name);
  }
  LV* slot(LV* basePtr, uint64_t index) { return B.CreateConstInBoundsGEP1_64(i64, basePtr, index); }
  /// Writes a whole 64-bit slot, as the interpreter does (i32 sign-extended, f32 bits
  /// zero-extended), so slots read by either tier hold the same bits.
  void storeSlot(LV* addr, LV* v) {
    llvm::Type* t = v->getType();
    if (t == i32)
      v = B.CreateSExt(v, i64);
    else if (t == f32)
      v = B.CreateZExt(B.CreateBitCast(v, i32), i64);
    B.CreateStore(v, addr);
  }
  LV* pendingException(LV* t) {
    LV* pending = loadField(t, offsetof(core::ThreadState, pending), ptr, "pending");
    return B.CreateIsNotNull(pending);
  }

  // ---- helpers (Helpers.def)

  llvm::FunctionCallee helper(const char* name) {
    for (size_t k = 0; k < host_.helperCount; ++k) {
      const HelperSymbol& h = host_.helpers[k];
      if (std::strcmp(h.name, name) != 0) continue;
      auto letter = [&](char c) -> llvm::Type* {
        switch (c) {
        case 'v': return voidTy;
        case 'i': return i32;
        case 'l': return i64;
        default: return ptr;
        }
      };
      std::vector<llvm::Type*> params;
      for (const char* s = h.signature + 1; *s; ++s) params.push_back(letter(*s));
      auto callee = mod_.getOrInsertFunction(name, llvm::FunctionType::get(letter(h.signature[0]), params, false));
      if (auto* f = llvm::dyn_cast<llvm::Function>(callee.getCallee())) {
        f->addFnAttr(llvm::Attribute::NoUnwind);
        if (std::strcmp(name, "vvm_rt_raise") == 0) f->addFnAttr(llvm::Attribute::Cold);
      }
      return callee;
    }
    error_ = std::string("missing runtime helper ") + name;
    return mod_.getOrInsertFunction(name, llvm::FunctionType::get(voidTy, false));
  }

  // ---- frames and exceptions

  void reset(EntryKind kind, llvm::Function* f, llvm::Function* fastSelf) {
    kind_ = kind;
    F_ = f;
    fastSelf_ = fastSelf;
    blocks_.assign(m_.code.size() + 1, {});
    work_.clear();
    stack_.clear();
    locals_.clear();
    stackSlots_.clear();
    dispatch_.clear();
    leave_ = nullptr;
    pushed_ = nullptr;
    error_.clear();
  }

  void buildFastPrologue() {
    LV* frameEnd = loadField(thread_, offsetof(core::ThreadState, frameEnd), ptr);
    LV* next = B.CreateConstInBoundsGEP1_64(i8, callerFrame_, sizeof(core::Frame), "frame");
    entryGuard(B.CreateICmpUGE(next, frameEnd), VpMessage::StackDepth);
    LV* stackEnd = loadField(thread_, offsetof(core::ThreadState, stackEnd), ptr);
    entryGuard(B.CreateICmpUGT(slot(base_, m_.frameSize), stackEnd), VpMessage::StackSpace);
    llvm::Function* frameAddress = llvm::Intrinsic::getDeclaration(&mod_, llvm::Intrinsic::frameaddress, {ptr});
    LV* sp = B.CreateCall(frameAddress, {B.getInt32(0)});
    LV* limit = loadField(thread_, offsetof(core::ThreadState, nativeLimit), ptr);
    entryGuard(B.CreateICmpULT(sp, limit), VpMessage::StackDepth);
    frame_ = next;
    // The frame record is written when something can first observe it (setIp): a path that
    // returns without calling or raising (a recursion's leaves) never writes it. The limits
    // above are still checked on entry, so errors come at the same depth as interpreted.
    pushed_ = allocaBuilder_->CreateAlloca(i1, nullptr, "pushed");
    B.CreateStore(B.getFalse(), pushed_);
  }

  /// Writes this frame's record and makes it the thread's innermost frame, once per path.
  void materializeFrame() {
    if (kind_ != EntryKind::Fast) return; // OSR runs in the interpreter's frame
    llvm::BasicBlock* push = llvm::BasicBlock::Create(C, "push_frame", F_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(C, "", F_);
    B.CreateCondBr(B.CreateLoad(i1, pushed_), done, push);
    B.SetInsertPoint(push);
    B.CreateStore(constPtr(&m_), byteOffset(frame_, offsetof(core::Frame, method)));
    B.CreateStore(base_, byteOffset(frame_, offsetof(core::Frame, locals)));
    B.CreateStore(frame_, byteOffset(thread_, offsetof(core::ThreadState, fp)));
    B.CreateStore(B.getTrue(), pushed_);
    B.CreateBr(done);
    B.SetInsertPoint(done);
  }

  /// A limit check on entry: raised in the caller's frame, before this one is pushed.
  void entryGuard(LV* fails, VpMessage msg) {
    llvm::BasicBlock* bad = llvm::BasicBlock::Create(C, "limit", F_);
    llvm::BasicBlock* ok = llvm::BasicBlock::Create(C, "", F_);
    B.CreateCondBr(fails, bad, ok, unlikely());
    B.SetInsertPoint(bad);
    B.CreateCall(helper("vvm_rt_raise"), {thread_, constPtr(&m_), B.getInt32(0), B.getInt32(static_cast<uint32_t>(msg)),
                                          B.getInt64(0), B.getInt64(0)});
    returnZero();
    B.SetInsertPoint(ok);
  }

  void returnZero() {
    if (F_->getReturnType()->isVoidTy())
      B.CreateRetVoid();
    else
      B.CreateRet(llvm::Constant::getNullValue(F_->getReturnType()));
  }

  /// Leaves with the exception pending: the fast entry pops its frame first; OSR leaves the
  /// interpreter's frame to the interpreter's unwinder (no handler in it matches).
  llvm::BasicBlock* leaveBlock() {
    if (leave_) return leave_;
    auto saved = B.saveIP();
    leave_ = llvm::BasicBlock::Create(C, "leave", F_);
    B.SetInsertPoint(leave_);
    if (kind_ == EntryKind::Fast) {
      B.CreateStore(callerFrame_, byteOffset(thread_, offsetof(core::ThreadState, fp)));
      returnZero();
    } else {
      B.CreateRet(B.getInt32(core::kNativeException));
    }
    B.restoreIP(saved);
    return leave_;
  }

  /// Where an exception raised at instruction i goes: the handlers covering i, in table order.
  llvm::BasicBlock* dispatchFor(uint32_t i) {
    std::vector<uint32_t> covering;
    for (uint32_t h = 0; h < m_.handlers.size(); ++h)
      if (m_.handlers[h].start <= i && i < m_.handlers[h].end) covering.push_back(h);
    if (covering.empty()) return leaveBlock();
    if (auto it = dispatch_.find(covering); it != dispatch_.end()) return it->second;

    auto saved = B.saveIP();
    auto savedStack = stack_;
    llvm::BasicBlock* entry = llvm::BasicBlock::Create(C, "dispatch", F_);
    dispatch_[covering] = entry;
    B.SetInsertPoint(entry);
    LV* exc = loadField(thread_, offsetof(core::ThreadState, pending), ptr, "exc");
    llvm::BasicBlock* test = llvm::BasicBlock::Create(C, "", F_);
    // The exit token passes every handler, cleanups included.
    B.CreateCondBr(B.CreateICmpEQ(exc, constPtr(host_.exitToken)), leaveBlock(), test);
    for (uint32_t h : covering) {
      const core::Handler& handler = m_.handlers[h];
      B.SetInsertPoint(test);
      llvm::BasicBlock* take = llvm::BasicBlock::Create(C, "catch", F_);
      test = llvm::BasicBlock::Create(C, "", F_);
      if (!handler.cleanup && handler.shape) {
        LV* shape = loadField(exc, 0, ptr);
        LV* match = B.CreateCall(helper("vvm_rt_is_subshape"), {shape, constPtr(handler.shape)});
        B.CreateCondBr(B.CreateICmpNE(match, B.getInt32(0)), take, test);
      } else {
        B.CreateBr(take);
      }
      B.SetInsertPoint(take);
      B.CreateStore(llvm::Constant::getNullValue(ptr), byteOffset(thread_, offsetof(core::ThreadState, pending)));
      stack_ = {exc};
      jumpTo(handler.target);
    }
    B.SetInsertPoint(test);
    B.CreateBr(leaveBlock());
    B.restoreIP(saved);
    stack_ = std::move(savedStack);
    return entry;
  }

  /// Records where instruction i is, for walkbacks and handler searches: the position the
  /// interpreter would have in this frame (just past the instruction's first word).
  void setIp(uint32_t i) {
    materializeFrame();
    const core::Code* ip = m_.linked.data() + m_.insnOffset[i] + 1;
    B.CreateStore(constPtr(ip), byteOffset(frame_, offsetof(core::Frame, ip)));
  }

  /// If `fails`, raise `msg` at instruction i; otherwise continue.
  void guard(LV* fails, uint32_t i, VpMessage msg, LV* a = nullptr, LV* b = nullptr) {
    llvm::BasicBlock* bad = llvm::BasicBlock::Create(C, "raise", F_);
    llvm::BasicBlock* ok = llvm::BasicBlock::Create(C, "", F_);
    B.CreateCondBr(fails, bad, ok, unlikely());
    B.SetInsertPoint(bad);
    setIp(i);
    auto word = [&](LV* v) -> LV* {
      if (!v) return B.getInt64(0);
      if (v->getType() == ptr) return B.CreatePtrToInt(v, i64);
      return v->getType() == i64 ? v : B.CreateSExt(v, i64);
    };
    B.CreateCall(helper("vvm_rt_raise"),
                 {thread_, constPtr(&m_), B.getInt32(i), B.getInt32(static_cast<uint32_t>(msg)), word(a), word(b)});
    B.CreateBr(dispatchFor(i));
    B.SetInsertPoint(ok);
  }

  /// After code that may leave an exception pending: to the handlers if it did.
  void checkException(LV* raised, uint32_t i) {
    llvm::BasicBlock* ok = llvm::BasicBlock::Create(C, "", F_);
    B.CreateCondBr(raised, dispatchFor(i), ok, unlikely());
    B.SetInsertPoint(ok);
  }

  void nullCheck(LV* o, uint32_t i) { guard(B.CreateIsNull(o), i, VpMessage::NullIn); }

  /// o (not null) must be an instance of shape s.
  void instanceCheck(LV* o, const core::Shape* s, uint32_t i) {
    LV* shape = loadField(o, 0, ptr);
    llvm::BasicBlock* slow = llvm::BasicBlock::Create(C, "subshape", F_);
    llvm::BasicBlock* ok = llvm::BasicBlock::Create(C, "", F_);
    B.CreateCondBr(B.CreateICmpEQ(shape, constPtr(s)), ok, slow);
    B.SetInsertPoint(slow);
    LV* sub = B.CreateCall(helper("vvm_rt_is_subshape"), {shape, constPtr(s)});
    guard(B.CreateICmpEQ(sub, B.getInt32(0)), i, VpMessage::NotInstanceOf, o, constPtr(s));
    B.CreateBr(ok);
    B.SetInsertPoint(ok);
  }

  // ---- blocks and the abstract stack

  LV* pop() {
    LV* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  void push(LV* v) { stack_.push_back(v); }

  std::vector<llvm::Type*> stackTypes() const {
    std::vector<llvm::Type*> types;
    for (LV* v : stack_) types.push_back(v->getType());
    return types;
  }

  llvm::AllocaInst* stackSlot(unsigned depth, llvm::Type* t) {
    auto& a = stackSlots_[{depth, t}];
    if (!a) a = allocaBuilder_->CreateAlloca(t, nullptr, "stack" + std::to_string(depth));
    return a;
  }

  /// The block of labelled instruction i, entered with the given stack; queued on first sight.
  llvm::BasicBlock* blockFor(uint32_t i, const std::vector<llvm::Type*>& types) {
    Block& b = blocks_[i];
    if (!b.bb) {
      b.bb = llvm::BasicBlock::Create(C, "L" + std::to_string(i), F_);
      b.types = types;
      work_.push_back(i);
    } else if (b.types != types) {
      error_ = "operand stack at instruction " + std::to_string(i) + " differs between paths";
    }
    return b.bb;
  }

  /// Passes the current stack to labelled instruction i (its block's slots).
  llvm::BasicBlock* spillTo(uint32_t i) {
    llvm::BasicBlock* bb = blockFor(i, stackTypes());
    for (unsigned d = 0; d < stack_.size(); ++d) B.CreateStore(stack_[d], stackSlot(d, stack_[d]->getType()));
    return bb;
  }
  void jumpTo(uint32_t i) { B.CreateBr(spillTo(i)); }

  void branchIf(LV* cond, uint32_t target) {
    llvm::BasicBlock* taken = spillTo(target);
    llvm::BasicBlock* next = llvm::BasicBlock::Create(C, "", F_);
    B.CreateCondBr(cond, taken, next);
    B.SetInsertPoint(next);
  }

  std::vector<uint32_t> branchTargets(uint32_t i) const {
    const core::Insn& in = m_.code[i];
    if (in.op == Op::TableSwitch || in.op == Op::LookupSwitch) {
      const core::SwitchTable& sw = m_.switches[static_cast<size_t>(in.a)];
      std::vector<uint32_t> all(sw.targets);
      all.push_back(sw.defaultTarget);
      return all;
    }
    if (core::hasFlag(in.op, core::Branch)) return {static_cast<uint32_t>(in.a)};
    return {};
  }

  void lowerBlock(uint32_t start) {
    Block& b = blocks_[start];
    B.SetInsertPoint(b.bb);
    stack_.clear();
    for (unsigned d = 0; d < b.types.size(); ++d) push(B.CreateLoad(b.types[d], stackSlot(d, b.types[d])));
    for (uint32_t i = start;; ++i) {
      if (i >= m_.code.size()) {
        error_ = "control falls off the end of the method";
        return;
      }
      if (i != start && labelled_[i]) {
        jumpTo(i);
        return;
      }
      if (!lowerInstruction(i) || !error_.empty()) return;
    }
  }

  // ---- OSR entry: a switch over the back-edge targets that loads their operand stack

  void buildOsrDispatch() {
    llvm::BasicBlock* none = llvm::BasicBlock::Create(C, "no_entry", F_);
    llvm::SwitchInst* sw = B.CreateSwitch(osrInsn_, none);
    B.SetInsertPoint(none);
    B.CreateRet(B.getInt32(core::kOsrNotEntered));
    std::vector<bool> done(m_.code.size() + 1, false);
    for (uint32_t i = 0; i < m_.code.size(); ++i) {
      for (uint32_t target : branchTargets(i)) {
        if (target > i || done[target] || !blocks_[target].bb) continue;
        done[target] = true;
        llvm::BasicBlock* enter = llvm::BasicBlock::Create(C, "osr" + std::to_string(target), F_);
        sw->addCase(B.getInt32(target), enter);
        B.SetInsertPoint(enter);
        const std::vector<llvm::Type*>& types = blocks_[target].types;
        for (unsigned d = 0; d < types.size(); ++d)
          B.CreateStore(B.CreateLoad(types[d], slot(base_, nlocals_ + d)), stackSlot(d, types[d]));
        B.CreateBr(blocks_[target].bb);
      }
    }
  }

  // ---- instructions

  /// Lowers instruction i at the insertion point. Returns false when control does not fall
  /// through to i + 1.
  bool lowerInstruction(uint32_t i) {
    const core::Insn& in = m_.code[i];
    switch (in.op) {
    case Op::Nop: return true;

    // ---- constants
    case Op::ConstI32: push(B.getInt32(static_cast<uint32_t>(in.a))); return true;
    case Op::ConstI64: push(B.getInt64(static_cast<uint64_t>(in.a))); return true;
    case Op::ConstF32: push(B.CreateBitCast(B.getInt32(static_cast<uint32_t>(in.a)), f32)); return true;
    case Op::ConstF64: push(B.CreateBitCast(B.getInt64(static_cast<uint64_t>(in.a)), f64)); return true;
    case Op::ConstNull: push(llvm::Constant::getNullValue(ptr)); return true;
    case Op::ConstStr: push(constPtr(reinterpret_cast<const void*>(in.a))); return true;

    // ---- locals
    case Op::LoadI32:
    case Op::LoadI64:
    case Op::LoadF32:
    case Op::LoadF64:
    case Op::LoadRef: push(B.CreateLoad(local(in.a)->getAllocatedType(), local(in.a))); return true;
    case Op::StoreI32:
    case Op::StoreI64:
    case Op::StoreF32:
    case Op::StoreF64:
    case Op::StoreRef: B.CreateStore(pop(), local(in.a)); return true;
    case Op::IncI32: {
      llvm::AllocaInst* l = local(in.a);
      B.CreateStore(B.CreateAdd(B.CreateLoad(i32, l), B.getInt32(static_cast<uint32_t>(in.b))), l);
      return true;
    }

    // ---- shuffles: moved as SSA values, as their stack effects in the table say
    case Op::Pop:
    case Op::Pop2:
    case Op::Dup:
    case Op::DupX1:
    case Op::DupX2:
    case Op::Dup2:
    case Op::Dup2X1:
    case Op::Dup2X2:
    case Op::Swap: return shuffle(in.op);

    // ---- integer arithmetic: wrapping, JVM division
    case Op::AddI32:
    case Op::AddI64: return binary([&](LV* a, LV* b) { return B.CreateAdd(a, b); });
    case Op::SubI32:
    case Op::SubI64: return binary([&](LV* a, LV* b) { return B.CreateSub(a, b); });
    case Op::MulI32:
    case Op::MulI64: return binary([&](LV* a, LV* b) { return B.CreateMul(a, b); });
    case Op::DivI32:
    case Op::DivI64:
    case Op::RemI32:
    case Op::RemI64: {
      LV* b = pop();
      LV* a = pop();
      guard(B.CreateICmpEQ(b, llvm::ConstantInt::get(b->getType(), 0)), i, VpMessage::DivideByZero);
      // MIN / -1 overflows (and traps on x86): divide by 1 instead and negate; x % -1 is 0,
      // which x % 1 already is.
      LV* minusOne = B.CreateICmpEQ(b, llvm::ConstantInt::get(b->getType(), -1, true));
      LV* safe = B.CreateSelect(minusOne, llvm::ConstantInt::get(b->getType(), 1), b);
      bool div = in.op == Op::DivI32 || in.op == Op::DivI64;
      push(div ? B.CreateSelect(minusOne, B.CreateNeg(a), B.CreateSDiv(a, safe)) : B.CreateSRem(a, safe));
      return true;
    }
    case Op::NegI32:
    case Op::NegI64: push(B.CreateNeg(pop())); return true;
    case Op::AndI32:
    case Op::AndI64: return binary([&](LV* a, LV* b) { return B.CreateAnd(a, b); });
    case Op::OrI32:
    case Op::OrI64: return binary([&](LV* a, LV* b) { return B.CreateOr(a, b); });
    case Op::XorI32:
    case Op::XorI64: return binary([&](LV* a, LV* b) { return B.CreateXor(a, b); });
    case Op::ShlI32:
    case Op::ShlI64: return shift([&](LV* a, LV* n) { return B.CreateShl(a, n); });
    case Op::ShrI32:
    case Op::ShrI64: return shift([&](LV* a, LV* n) { return B.CreateAShr(a, n); });
    case Op::UshrI32:
    case Op::UshrI64: return shift([&](LV* a, LV* n) { return B.CreateLShr(a, n); });

    // ---- floating point: IEEE, rem is C fmod (frem)
    case Op::AddF32:
    case Op::AddF64: return binary([&](LV* a, LV* b) { return B.CreateFAdd(a, b); });
    case Op::SubF32:
    case Op::SubF64: return binary([&](LV* a, LV* b) { return B.CreateFSub(a, b); });
    case Op::MulF32:
    case Op::MulF64: return binary([&](LV* a, LV* b) { return B.CreateFMul(a, b); });
    case Op::DivF32:
    case Op::DivF64: return binary([&](LV* a, LV* b) { return B.CreateFDiv(a, b); });
    case Op::RemF32:
    case Op::RemF64: return binary([&](LV* a, LV* b) { return B.CreateFRem(a, b); });
    case Op::NegF32:
    case Op::NegF64: push(B.CreateFNeg(pop())); return true;

    // ---- comparisons
    case Op::CmpI64:
      return binary([&](LV* a, LV* b) {
        return B.CreateSub(B.CreateZExt(B.CreateICmpSGT(a, b), i32), B.CreateZExt(B.CreateICmpSLT(a, b), i32));
      });
    case Op::CmplF32:
    case Op::CmplF64: return binary([&](LV* a, LV* b) { return floatCompare(a, b, -1); });
    case Op::CmpgF32:
    case Op::CmpgF64: return binary([&](LV* a, LV* b) { return floatCompare(a, b, 1); });

    // ---- conversions: float -> int saturates and maps NaN to 0 (fptosi.sat does exactly that)
    case Op::I2L: push(B.CreateSExt(pop(), i64)); return true;
    case Op::I2F: push(B.CreateSIToFP(pop(), f32)); return true;
    case Op::I2D: push(B.CreateSIToFP(pop(), f64)); return true;
    case Op::L2I: push(B.CreateTrunc(pop(), i32)); return true;
    case Op::L2F: push(B.CreateSIToFP(pop(), f32)); return true;
    case Op::L2D: push(B.CreateSIToFP(pop(), f64)); return true;
    case Op::F2I:
    case Op::D2I: push(saturatingToInt(pop(), i32)); return true;
    case Op::F2L:
    case Op::D2L: push(saturatingToInt(pop(), i64)); return true;
    case Op::F2D: push(B.CreateFPExt(pop(), f64)); return true;
    case Op::D2F: push(B.CreateFPTrunc(pop(), f32)); return true;
    case Op::I2B: push(B.CreateSExt(B.CreateTrunc(pop(), i8), i32)); return true;
    case Op::I2C: push(B.CreateZExt(B.CreateTrunc(pop(), i16), i32)); return true;
    case Op::I2S: push(B.CreateSExt(B.CreateTrunc(pop(), i16), i32)); return true;

    // ---- control flow
    case Op::Jmp: jumpTo(static_cast<uint32_t>(in.a)); return false;
    case Op::IfzEq: return compareZero(llvm::CmpInst::ICMP_EQ, in);
    case Op::IfzNe: return compareZero(llvm::CmpInst::ICMP_NE, in);
    case Op::IfzLt: return compareZero(llvm::CmpInst::ICMP_SLT, in);
    case Op::IfzGe: return compareZero(llvm::CmpInst::ICMP_SGE, in);
    case Op::IfzGt: return compareZero(llvm::CmpInst::ICMP_SGT, in);
    case Op::IfzLe: return compareZero(llvm::CmpInst::ICMP_SLE, in);
    case Op::IfEqI32:
    case Op::IfEqRef: return compareTwo(llvm::CmpInst::ICMP_EQ, in);
    case Op::IfNeI32:
    case Op::IfNeRef: return compareTwo(llvm::CmpInst::ICMP_NE, in);
    case Op::IfLtI32: return compareTwo(llvm::CmpInst::ICMP_SLT, in);
    case Op::IfGeI32: return compareTwo(llvm::CmpInst::ICMP_SGE, in);
    case Op::IfGtI32: return compareTwo(llvm::CmpInst::ICMP_SGT, in);
    case Op::IfLeI32: return compareTwo(llvm::CmpInst::ICMP_SLE, in);
    case Op::IfNull: branchIf(B.CreateIsNull(pop()), static_cast<uint32_t>(in.a)); return true;
    case Op::IfNonNull: branchIf(B.CreateIsNotNull(pop()), static_cast<uint32_t>(in.a)); return true;
    case Op::TableSwitch:
    case Op::LookupSwitch: {
      LV* key = pop();
      const core::SwitchTable& sw = m_.switches[static_cast<size_t>(in.a)];
      llvm::BasicBlock* dflt = spillTo(sw.defaultTarget); // one spill serves every target
      std::vector<llvm::Type*> types = stackTypes();
      llvm::SwitchInst* s = B.CreateSwitch(key, dflt, static_cast<unsigned>(sw.targets.size()));
      for (size_t k = 0; k < sw.targets.size(); ++k) {
        int32_t value = sw.dense ? static_cast<int32_t>(sw.low + static_cast<int64_t>(k)) : sw.keys[k];
        s->addCase(B.getInt32(static_cast<uint32_t>(value)), blockFor(sw.targets[k], types));
      }
      return false;
    }

    // ---- objects
    case Op::New: {
      setIp(i);
      LV* o = B.CreateCall(helper("vvm_rt_new"), {thread_, constPtr(reinterpret_cast<const void*>(in.a))});
      checkException(B.CreateIsNull(o), i);
      push(o);
      return true;
    }
    case Op::GetFieldI32:
    case Op::GetFieldI64:
    case Op::GetFieldF32:
    case Op::GetFieldF64:
    case Op::GetFieldRef: {
      LV* o = pop();
      LV* addr = fieldAddress(o, in, i);
      push(B.CreateLoad(typeOf(core::suffixKind(in.op)), addr));
      return true;
    }
    case Op::PutFieldI32:
    case Op::PutFieldI64:
    case Op::PutFieldF32:
    case Op::PutFieldF64:
    case Op::PutFieldRef: {
      LV* v = pop();
      LV* o = pop();
      storeSlot(fieldAddress(o, in, i), v);
      return true;
    }
    case Op::GetStaticI32:
    case Op::GetStaticI64:
    case Op::GetStaticF32:
    case Op::GetStaticF64:
    case Op::GetStaticRef:
      push(B.CreateLoad(typeOf(core::suffixKind(in.op)), constPtr(reinterpret_cast<const void*>(in.a))));
      return true;
    case Op::PutStaticI32:
    case Op::PutStaticI64:
    case Op::PutStaticF32:
    case Op::PutStaticF64:
    case Op::PutStaticRef: storeSlot(constPtr(reinterpret_cast<const void*>(in.a)), pop()); return true;
    case Op::InstanceOf: {
      LV* o = pop();
      const void* s = reinterpret_cast<const void*>(in.a);
      llvm::BasicBlock* from = B.GetInsertBlock();
      llvm::BasicBlock* test = llvm::BasicBlock::Create(C, "instanceof", F_);
      llvm::BasicBlock* slow = llvm::BasicBlock::Create(C, "subshape", F_);
      llvm::BasicBlock* done = llvm::BasicBlock::Create(C, "", F_);
      B.CreateCondBr(B.CreateIsNull(o), done, test);
      B.SetInsertPoint(test);
      LV* shape = loadField(o, 0, ptr);
      B.CreateCondBr(B.CreateICmpEQ(shape, constPtr(s)), done, slow);
      B.SetInsertPoint(slow);
      LV* sub = B.CreateCall(helper("vvm_rt_is_subshape"), {shape, constPtr(s)});
      B.CreateBr(done);
      B.SetInsertPoint(done);
      llvm::PHINode* r = B.CreatePHI(i32, 3);
      r->addIncoming(B.getInt32(0), from);
      r->addIncoming(B.getInt32(1), test);
      r->addIncoming(sub, slow);
      push(r);
      return true;
    }
    case Op::CheckCast: {
      LV* o = stack_.back();
      llvm::BasicBlock* test = llvm::BasicBlock::Create(C, "checkcast", F_);
      llvm::BasicBlock* done = llvm::BasicBlock::Create(C, "", F_);
      B.CreateCondBr(B.CreateIsNull(o), done, test);
      B.SetInsertPoint(test);
      instanceCheck(o, reinterpret_cast<const core::Shape*>(in.a), i);
      B.CreateBr(done);
      B.SetInsertPoint(done);
      return true;
    }

    // ---- arrays
    case Op::NewArray: {
      LV* n = pop();
      guard(B.CreateICmpSLT(n, B.getInt32(0)), i, VpMessage::NegativeSize, n);
      setIp(i);
      LV* a = B.CreateCall(helper("vvm_rt_new_array"),
                           {thread_, B.getInt32(static_cast<uint32_t>(in.a)), B.CreateSExt(n, i64)});
      checkException(B.CreateIsNull(a), i);
      push(a);
      return true;
    }
    case Op::ArrayLength: {
      LV* a = pop();
      nullCheck(a, i);
      LV* elem = loadField(loadField(a, 0, ptr), host_.shapeElemOffset, i8);
      guard(B.CreateICmpEQ(elem, B.getInt8(static_cast<uint8_t>(Elem::None))), i, VpMessage::NotInstanceOf, a);
      push(B.CreateTrunc(loadField(a, kArrayLengthOffset, i64), i32));
      return true;
    }
    case Op::ALoadI8: return arrayLoad(i, Elem::I8, i8, true);
    case Op::ALoadU16: return arrayLoad(i, Elem::U16, i16, false);
    case Op::ALoadI16: return arrayLoad(i, Elem::I16, i16, true);
    case Op::ALoadI32: return arrayLoad(i, Elem::I32, i32, true);
    case Op::ALoadI64: return arrayLoad(i, Elem::I64, i64, true);
    case Op::ALoadF32: return arrayLoad(i, Elem::F32, f32, true);
    case Op::ALoadF64: return arrayLoad(i, Elem::F64, f64, true);
    case Op::ALoadRef: return arrayLoad(i, Elem::Ref, ptr, true);
    case Op::AStoreI8: return arrayStore(i, Elem::I8, Elem::I8, i8);
    case Op::AStoreI16: return arrayStore(i, Elem::I16, Elem::U16, i16);
    case Op::AStoreI32: return arrayStore(i, Elem::I32, Elem::I32, i32);
    case Op::AStoreI64: return arrayStore(i, Elem::I64, Elem::I64, i64);
    case Op::AStoreF32: return arrayStore(i, Elem::F32, Elem::F32, f32);
    case Op::AStoreF64: return arrayStore(i, Elem::F64, Elem::F64, f64);
    case Op::AStoreRef: return arrayStore(i, Elem::Ref, Elem::Ref, ptr);

    // ---- calls
    case Op::Call: return lowerCall(i, reinterpret_cast<core::Method*>(in.a));
    case Op::CallVirt: return lowerCallVirt(i, reinterpret_cast<const core::Shape*>(in.a), in.b);
    case Op::CallPrim: return lowerCallPrim(i, reinterpret_cast<const core::Primitive*>(in.a));
    case Op::TailCall: return lowerTailCall(i, reinterpret_cast<core::Method*>(in.a));
    case Op::TailCallVirt: return lowerTailCallVirt(i, reinterpret_cast<const core::Shape*>(in.a), in.b);

    // ---- returns
    case Op::Ret:
    case Op::RetI32:
    case Op::RetI64:
    case Op::RetF32:
    case Op::RetF64:
    case Op::RetRef: {
      LV* v = in.op == Op::Ret ? nullptr : pop();
      if (kind_ == EntryKind::Osr) {
        if (v) storeSlot(slot(base_, 0), v);
        B.CreateRet(B.getInt32(core::kNativeOk));
      } else {
        B.CreateStore(callerFrame_, byteOffset(thread_, offsetof(core::ThreadState, fp)));
        if (v)
          B.CreateRet(v);
        else
          B.CreateRetVoid();
      }
      return false;
    }

    // ---- exceptions
    case Op::Throw:
    case Op::Resume: {
      LV* exc = pop();
      guard(B.CreateIsNull(exc), i, VpMessage::ThrowNull);
      setIp(i);
      B.CreateCall(helper("vvm_rt_throw"), {thread_, exc});
      B.CreateBr(dispatchFor(i));
      return false;
    }

    // ---- interpreter-internal: never in verified IR
    case Op::LinkStub:
    case Op::ExitInterp:
    case Op::EnterNative: error_ = "internal instruction in method code"; return false;
    }
    error_ = "unknown instruction";
    return false;
  }

  llvm::AllocaInst* local(int64_t index) { return locals_[static_cast<size_t>(index)]; }

  /// A shuffle straight from its stack effect in Instructions.def ("CBA>BACBA"): the letters
  /// name values (rightmost is the top), whatever their kinds.
  bool shuffle(Op op) {
    std::string_view effect = core::info(op).effect;
    size_t arrow = effect.find('>');
    std::string_view pops = effect.substr(0, arrow), pushes = effect.substr(arrow + 1);
    LV* value[4] = {};
    for (size_t k = pops.size(); k-- > 0;) value[pops[k] - 'A'] = pop();
    for (char c : pushes) push(value[c - 'A']);
    return true;
  }

  template <typename F> bool binary(F make) {
    LV* b = pop();
    LV* a = pop();
    push(make(a, b));
    return true;
  }

  /// Shift counts are masked to the width (JVM); an i64 shift takes an i32 count.
  template <typename F> bool shift(F make) {
    LV* n = pop();
    LV* a = pop();
    unsigned width = a->getType()->getIntegerBitWidth();
    n = B.CreateAnd(n, B.getInt32(width - 1));
    if (width == 64) n = B.CreateZExt(n, i64);
    push(make(a, n));
    return true;
  }

  LV* floatCompare(LV* a, LV* b, int32_t nanResult) {
    LV* r = B.CreateSelect(B.CreateFCmpOEQ(a, b), B.getInt32(0), B.getInt32(static_cast<uint32_t>(nanResult)));
    r = B.CreateSelect(B.CreateFCmpOLT(a, b), B.getInt32(static_cast<uint32_t>(-1)), r);
    return B.CreateSelect(B.CreateFCmpOGT(a, b), B.getInt32(1), r);
  }

  LV* saturatingToInt(LV* v, llvm::Type* to) {
    return B.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {to, v->getType()}, {v});
  }

  bool compareZero(llvm::CmpInst::Predicate p, const core::Insn& in) {
    branchIf(B.CreateICmp(p, pop(), B.getInt32(0)), static_cast<uint32_t>(in.a));
    return true;
  }
  bool compareTwo(llvm::CmpInst::Predicate p, const core::Insn& in) {
    LV* b = pop();
    LV* a = pop();
    branchIf(B.CreateICmp(p, a, b), static_cast<uint32_t>(in.a));
    return true;
  }

  LV* fieldAddress(LV* o, const core::Insn& in, uint32_t i) {
    nullCheck(o, i);
    instanceCheck(o, reinterpret_cast<const core::Shape*>(in.a), i);
    return byteOffset(o, kFieldsOffset + static_cast<uint64_t>(in.b) * sizeof(core::Value));
  }

  /// Null, element-kind and bounds checks; returns the element's address.
  LV* elementAddress(LV* a, LV* index, uint32_t i, Elem e1, Elem e2, llvm::Type* elemType) {
    nullCheck(a, i);
    LV* elem = loadField(loadField(a, 0, ptr), host_.shapeElemOffset, i8);
    LV* ok = B.CreateICmpEQ(elem, B.getInt8(static_cast<uint8_t>(e1)));
    if (e2 != e1) ok = B.CreateOr(ok, B.CreateICmpEQ(elem, B.getInt8(static_cast<uint8_t>(e2))));
    guard(B.CreateNot(ok), i, VpMessage::NotArrayOf, a);
    LV* length = loadField(a, kArrayLengthOffset, i64, "length");
    LV* index64 = B.CreateSExt(index, i64);
    guard(B.CreateICmpUGE(index64, length), i, VpMessage::IndexOutOfBounds, index64, length);
    return B.CreateInBoundsGEP(elemType, byteOffset(a, kArrayDataOffset), index64);
  }

  bool arrayLoad(uint32_t i, Elem e, llvm::Type* elemType, bool isSigned) {
    LV* index = pop();
    LV* a = pop();
    LV* v = B.CreateLoad(elemType, elementAddress(a, index, i, e, e, elemType));
    if (elemType == i8 || elemType == i16) v = isSigned ? B.CreateSExt(v, i32) : B.CreateZExt(v, i32);
    push(v);
    return true;
  }

  bool arrayStore(uint32_t i, Elem e1, Elem e2, llvm::Type* elemType) {
    LV* v = pop();
    LV* index = pop();
    LV* a = pop();
    LV* addr = elementAddress(a, index, i, e1, e2, elemType);
    if (elemType == i8 || elemType == i16) v = B.CreateTrunc(v, elemType);
    B.CreateStore(v, addr);
    return true;
  }

  // ---- calls: arguments go where the interpreter's operand stack would hold them, so an
  // interpreted callee's frame starts there and stack-space limits agree across tiers.

  /// A method's typed native entry, or null while it is interpreted (acquire: the code it
  /// points to was published before it).
  LV* loadFastEntry(core::Method* m) {
    auto* entry = B.CreateLoad(ptr, constPtr(&m->fastEntry), "callee");
    entry->setAtomic(llvm::AtomicOrdering::Acquire);
    entry->setAlignment(llvm::Align(8));
    return entry;
  }

  /// The inline cache's entry for a receiver shape, or null on a miss.
  LV* cachedEntry(InlineCache* ic, LV* shape) {
    LV* entry = llvm::Constant::getNullValue(ptr);
    for (unsigned k = InlineCache::kEntries; k-- > 0;) {
      LV* cached = loadField(constPtr(ic), offsetof(InlineCache, shape) + k * sizeof(void*), ptr);
      LV* fast = loadField(constPtr(ic), offsetof(InlineCache, fast) + k * sizeof(void*), ptr);
      entry = B.CreateSelect(B.CreateICmpEQ(shape, cached), fast, entry);
    }
    return entry;
  }

  std::vector<LV*> popArguments(uint32_t n) {
    std::vector<LV*> args(stack_.end() - n, stack_.end());
    stack_.resize(stack_.size() - n);
    return args;
  }
  LV* argumentBase() { return slot(base_, nlocals_ + stack_.size()); }
  void storeArguments(LV* argBase, const std::vector<LV*>& args) {
    for (size_t k = 0; k < args.size(); ++k) storeSlot(slot(argBase, k), args[k]);
  }

  /// Joins a typed native call (fastBB) and a call through VP slots (slowBB) at `done`.
  struct CallPaths {
    llvm::BasicBlock* fastEnd;
    LV* fastResult;
    LV* fastRaised;
    llvm::BasicBlock* slowEnd;
    LV* slowResult;
    LV* slowRaised;
  };
  void joinCall(uint32_t i, const CallPaths& p, Kind ret) {
    llvm::BasicBlock* done = llvm::BasicBlock::Create(C, "called", F_);
    B.SetInsertPoint(p.fastEnd);
    B.CreateBr(done);
    B.SetInsertPoint(p.slowEnd);
    B.CreateBr(done);
    B.SetInsertPoint(done);
    llvm::PHINode* raised = B.CreatePHI(i1, 2);
    raised->addIncoming(p.fastRaised, p.fastEnd);
    raised->addIncoming(p.slowRaised, p.slowEnd);
    LV* result = nullptr;
    if (ret != Kind::Void) {
      llvm::PHINode* r = B.CreatePHI(typeOf(ret), 2);
      r->addIncoming(p.fastResult, p.fastEnd);
      r->addIncoming(p.slowResult, p.slowEnd);
      result = r;
    }
    checkException(raised, i);
    if (result) push(result);
  }

  /// The slow path of a call: arguments in VP slots, vvm_rt_call, result from base[0].
  void callThroughSlots(LV* callee, LV* argBase, const std::vector<LV*>& args, Kind ret, LV** result, LV** raised) {
    storeArguments(argBase, args);
    LV* status = B.CreateCall(helper("vvm_rt_call"), {thread_, callee, argBase});
    *raised = B.CreateICmpNE(status, B.getInt32(core::kNativeOk));
    *result = ret == Kind::Void ? nullptr : B.CreateLoad(typeOf(ret), argBase);
  }

  bool lowerCall(uint32_t i, core::Method* callee) {
    std::vector<LV*> args = popArguments(callee->paramCount());
    LV* argBase = argumentBase();
    setIp(i);
    llvm::FunctionType* ft = fastType(callee->sig);
    std::vector<LV*> fastArgs = fastArguments(callee->sig, frame_, argBase, args);
    Kind ret = callee->sig.ret;
    if (callee == &m_ && fastSelf_) { // recursion: a direct call
      LV* r = fastCall(B.CreateCall(fastSelf_, fastArgs));
      checkException(pendingException(thread_), i);
      if (ret != Kind::Void) push(r);
      return true;
    }
    LV* entryLoad = loadFastEntry(callee);
    llvm::BasicBlock* fastBB = llvm::BasicBlock::Create(C, "native", F_);
    llvm::BasicBlock* slowBB = llvm::BasicBlock::Create(C, "interpreted", F_);
    B.CreateCondBr(B.CreateIsNotNull(entryLoad), fastBB, slowBB);
    CallPaths p{};
    B.SetInsertPoint(fastBB);
    p.fastResult = fastCall(B.CreateCall(ft, entryLoad, fastArgs));
    p.fastRaised = pendingException(thread_);
    p.fastEnd = B.GetInsertBlock();
    B.SetInsertPoint(slowBB);
    callThroughSlots(constPtr(callee), argBase, args, ret, &p.slowResult, &p.slowRaised);
    p.slowEnd = B.GetInsertBlock();
    joinCall(i, p, ret);
    return true;
  }

  bool lowerCallVirt(uint32_t i, const core::Shape* s, int64_t vslot) {
    const core::Method* declared = s->vtable[static_cast<size_t>(vslot)];
    uint32_t n = declared->paramCount();
    LV* recv = stack_[stack_.size() - n];
    nullCheck(recv, i);
    std::vector<LV*> args = popArguments(n);
    LV* argBase = argumentBase();
    setIp(i);
    InlineCache* ic = host_.newInlineCache();
    LV* entry = cachedEntry(ic, loadField(recv, 0, ptr, "shape"));
    llvm::BasicBlock* hitBB = llvm::BasicBlock::Create(C, "ic_hit", F_);
    llvm::BasicBlock* missBB = llvm::BasicBlock::Create(C, "ic_miss", F_);
    B.CreateCondBr(B.CreateIsNotNull(entry), hitBB, missBB);
    Kind ret = declared->sig.ret;
    CallPaths p{};
    B.SetInsertPoint(hitBB);
    std::vector<LV*> fastArgs = fastArguments(declared->sig, frame_, argBase, args);
    p.fastResult = fastCall(B.CreateCall(fastType(declared->sig), entry, fastArgs));
    p.fastRaised = pendingException(thread_);
    p.fastEnd = B.GetInsertBlock();
    B.SetInsertPoint(missBB);
    instanceCheck(recv, s, i);
    LV* target = B.CreateCall(helper("vvm_rt_vlookup"), {recv, B.getInt64(static_cast<uint64_t>(vslot)), constPtr(ic)});
    callThroughSlots(target, argBase, args, ret, &p.slowResult, &p.slowRaised);
    p.slowEnd = B.GetInsertBlock();
    joinCall(i, p, ret);
    return true;
  }

  // ---- tail calls: the frame is given up before the callee runs, at the same depth; a
  // self tail call is a loop.

  /// Returns `v` (or nothing) from this function as a tail call's result.
  void returnValue(LV* v) {
    if (kind_ == EntryKind::Osr) {
      if (v) storeSlot(slot(base_, 0), v);
      B.CreateRet(B.getInt32(core::kNativeOk));
    } else if (v) {
      B.CreateRet(v);
    } else {
      B.CreateRetVoid();
    }
  }

  /// Gives up this frame (the fast entry's; OSR keeps the interpreter's, which its caller pops).
  void popFrame() {
    if (kind_ == EntryKind::Fast) B.CreateStore(callerFrame_, byteOffset(thread_, offsetof(core::ThreadState, fp)));
  }

  /// A tail call through a typed entry `fast` (non-null), or, if null, through VP slots.
  void tailCallThrough(uint32_t i, LV* fast, LV* method, const core::Signature& sig, const std::vector<LV*>& args,
                       LV* lookup = nullptr) {
    Kind ret = sig.ret;
    llvm::BasicBlock* nativeBB = llvm::BasicBlock::Create(C, "tail_native", F_);
    llvm::BasicBlock* slowBB = llvm::BasicBlock::Create(C, "tail_interpreted", F_);
    B.CreateCondBr(B.CreateIsNotNull(fast), nativeBB, slowBB);
    B.SetInsertPoint(nativeBB);
    if (kind_ == EntryKind::Fast) {
      std::vector<LV*> fastArgs = fastArguments(sig, callerFrame_, base_, args);
      llvm::CallInst* r = fastCall(B.CreateCall(fastType(sig), fast, fastArgs), /*tail=*/true);
      returnValue(ret == Kind::Void ? nullptr : r);
    } else {
      // OSR: the interpreter's frame stays until osr returns; an ordinary call.
      std::vector<LV*> fastArgs = fastArguments(sig, frame_, slot(base_, nlocals_ + stack_.size()), args);
      setIp(i);
      llvm::CallInst* r = fastCall(B.CreateCall(fastType(sig), fast, fastArgs));
      llvm::BasicBlock* ok = llvm::BasicBlock::Create(C, "", F_);
      B.CreateCondBr(pendingException(thread_), leaveBlock(), ok);
      B.SetInsertPoint(ok);
      returnValue(ret == Kind::Void ? nullptr : r);
    }
    B.SetInsertPoint(slowBB);
    if (lookup) method = lookup;
    LV* argBase = kind_ == EntryKind::Fast ? base_ : slot(base_, nlocals_ + stack_.size());
    if (kind_ == EntryKind::Osr) setIp(i);
    storeArguments(argBase, args);
    LV* status = B.CreateCall(helper("vvm_rt_call"), {thread_, method, argBase});
    llvm::BasicBlock* ok = llvm::BasicBlock::Create(C, "", F_);
    B.CreateCondBr(B.CreateICmpNE(status, B.getInt32(core::kNativeOk)), leaveBlock(), ok, unlikely());
    B.SetInsertPoint(ok);
    returnValue(ret == Kind::Void ? nullptr : B.CreateLoad(typeOf(ret), argBase));
  }

  bool lowerTailCall(uint32_t i, core::Method* callee) {
    std::vector<LV*> args = popArguments(callee->paramCount());
    if (callee == &m_) {
      // A loop: new arguments, the other locals zeroed as on entry, back to the start.
      for (uint32_t k = 0; k < nlocals_; ++k)
        B.CreateStore(k < args.size() ? args[k] : llvm::Constant::getNullValue(typeOf(m_.locals[k])), locals_[k]);
      stack_.clear();
      jumpTo(0);
      return false;
    }
    popFrame();
    tailCallThrough(i, loadFastEntry(callee), constPtr(callee), callee->sig, args);
    return false;
  }

  bool lowerTailCallVirt(uint32_t i, const core::Shape* s, int64_t vslot) {
    const core::Method* declared = s->vtable[static_cast<size_t>(vslot)];
    uint32_t n = declared->paramCount();
    LV* recv = stack_[stack_.size() - n];
    nullCheck(recv, i);
    instanceCheck(recv, s, i);
    std::vector<LV*> args = popArguments(n);
    // The target's typed entry by the inline cache, else by lookup (which may fill the cache).
    InlineCache* ic = host_.newInlineCache();
    LV* cached = cachedEntry(ic, loadField(recv, 0, ptr, "shape"));
    llvm::BasicBlock* hit = B.GetInsertBlock();
    llvm::BasicBlock* missBB = llvm::BasicBlock::Create(C, "ic_miss", F_);
    llvm::BasicBlock* join = llvm::BasicBlock::Create(C, "", F_);
    B.CreateCondBr(B.CreateIsNotNull(cached), join, missBB);
    B.SetInsertPoint(missBB);
    LV* target = B.CreateCall(helper("vvm_rt_vlookup"), {recv, B.getInt64(static_cast<uint64_t>(vslot)), constPtr(ic)});
    LV* looked = B.CreateCall(helper("vvm_rt_fast_entry"), {target});
    B.CreateBr(join);
    B.SetInsertPoint(join);
    llvm::PHINode* fast = B.CreatePHI(ptr, 2);
    fast->addIncoming(cached, hit);
    fast->addIncoming(looked, missBB);
    llvm::PHINode* method = B.CreatePHI(ptr, 2);
    method->addIncoming(llvm::Constant::getNullValue(ptr), hit);
    method->addIncoming(target, missBB);
    popFrame();
    tailCallThrough(i, fast, method, declared->sig, args);
    return false;
  }

  bool lowerCallPrim(uint32_t i, const core::Primitive* p) {
    std::vector<LV*> args = popArguments(p->paramCount);
    LV* argBase = argumentBase();
    storeArguments(argBase, args);
    setIp(i);
    // bool fn(Thread&, Value*): the C ABI returns bool in the low byte.
    auto* ft = llvm::FunctionType::get(i8, {ptr, ptr}, false);
    LV* ok = B.CreateCall(ft, constPtr(reinterpret_cast<const void*>(p->fn)), {thread_, argBase});
    checkException(B.CreateICmpEQ(ok, B.getInt8(0)), i);
    if (p->returnsValue) push(B.CreateLoad(typeOf(p->sig.ret), argBase));
    return true;
  }

  struct Block {
    llvm::BasicBlock* bb = nullptr;
    std::vector<llvm::Type*> types;
  };

  core::Method& m_;
  llvm::Module& mod_;
  const HostInfo& host_;
  llvm::LLVMContext& C;
  llvm::IRBuilder<> B;
  std::optional<llvm::IRBuilder<>> allocaBuilder_;
  llvm::Type *i1, *i8, *i16, *i32, *i64, *f32, *f64, *ptr, *voidTy;
  std::vector<bool> labelled_;
  uint32_t nlocals_ = 0;

  EntryKind kind_ = EntryKind::Fast;
  llvm::Function* F_ = nullptr;
  llvm::Function* fastSelf_ = nullptr;
  LV* thread_ = nullptr;
  LV* base_ = nullptr;
  LV* frame_ = nullptr;
  LV* callerFrame_ = nullptr;
  llvm::AllocaInst* pushed_ = nullptr; ///< whether the fast entry's frame record is written yet
  LV* osrInsn_ = nullptr;
  std::vector<Block> blocks_;
  std::deque<uint32_t> work_;
  std::vector<LV*> stack_;
  std::vector<llvm::AllocaInst*> locals_;
  std::map<std::pair<unsigned, llvm::Type*>, llvm::AllocaInst*> stackSlots_;
  std::map<std::vector<uint32_t>, llvm::BasicBlock*> dispatch_;
  llvm::BasicBlock* leave_ = nullptr;
  std::string error_;
};

} // namespace

/// Instructions up to which a recursive method is unrolled two levels deep.
constexpr size_t kSmallMethod = 48;

bool lowerMethod(core::Method& m, llvm::Module& mod, const HostInfo& host, const std::string& prefix,
                 LoweredMethod& out, std::string* error) {
  if (m.linked.empty() || !m.verified) {
    *error = "method is not verified and linked";
    return false;
  }
  Lowerer lower(m, mod, host);
  out.fast = lower.declareFast(prefix + ".fast");
  if (lower.callsItself()) {
    // Recursion: private twins of the method, always inlined, in a cycle fast -> twin1 ->
    // twin2 -> fast through their self-calls. LLVM never inlines a function into itself, but
    // inlines the twins, so self-recursion is unrolled: each native call does the work of
    // several VP frames (each still pushes its own Frame record). Two levels for small methods
    // (measured: fib 10% faster than one level), one for the rest to bound code size.
    unsigned levels = m.code.size() <= kSmallMethod ? 2 : 1;
    std::vector<llvm::Function*> cycle{out.fast};
    for (unsigned k = 1; k <= levels; ++k) {
      llvm::Function* twin = lower.declareFast(prefix + ".fast.twin" + std::to_string(k));
      twin->setLinkage(llvm::GlobalValue::InternalLinkage);
      twin->addFnAttr(llvm::Attribute::AlwaysInline);
      cycle.push_back(twin);
    }
    for (size_t k = 0; k < cycle.size(); ++k)
      if (!lower.build(EntryKind::Fast, cycle[k], cycle[(k + 1) % cycle.size()], error)) return false;
  } else if (!lower.build(EntryKind::Fast, out.fast, out.fast, error)) {
    return false;
  }
  out.boxed = lower.declare(llvm::FunctionType::get(llvm::Type::getInt32Ty(mod.getContext()),
                                                    {llvm::PointerType::get(mod.getContext(), 0),
                                                     llvm::PointerType::get(mod.getContext(), 0)},
                                                    false),
                            prefix + ".boxed");
  lower.buildBoxed(out.boxed, out.fast);
  if (lower.hasBackEdges()) {
    out.osr = lower.declare(
        llvm::FunctionType::get(llvm::Type::getInt32Ty(mod.getContext()),
                                {llvm::PointerType::get(mod.getContext(), 0), llvm::Type::getInt32Ty(mod.getContext())},
                                false),
        prefix + ".osr");
    if (!lower.build(EntryKind::Osr, out.osr, out.fast, error)) return false;
  }
  return true;
}

} // namespace vvm::jit
