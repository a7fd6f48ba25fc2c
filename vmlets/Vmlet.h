// A loaded VMlet (DESIGN §5): its manifest, its opcode table and derived instructions, its
// console code compiled in its own sandbox, and its entry point; and the translation of an
// application's bytecode to VP IR through that opcode table.
//
// The body of a .vml (everything after the manifest) is a sequence of these forms:
//   (byte-order big|little)                     how multi-byte operands are encoded (default big)
//   (def-instruction (NAME PARAM...) INSN...)   a derived instruction: a named VP sequence
//   (def-opcode CODE NAME (ENCODING...) INSN...) opcode CODE (0..255), its operands (u8 s8 u16
//                                                s16 u32 s32) and the VP code it becomes
//   (def-primitive NAME (KIND...) KIND PROC)    a VP method that runs the console procedure PROC
//   (def-rule NAME PROC)                         PROC accepts (#t) or refuses (a string) an
//                                                application's bytes before it is loaded
//   (define ...)                                console procedures and constants (sandboxed)
//   (entry NAME)                                the procedure that loads an application
// An INSN is (MNEMONIC ARG...) for a VP instruction or a derived instruction defined above it.
// ARGs are literals, $k (operand k of the opcode), a parameter of the derived instruction,
// (target $k) (the instruction $k bytes from this opcode's first byte), (method $k) (entry k of
// the method table the loader passes), (primitive NAME) (a def-primitive) or a VP primitive's
// name as a string (callprim).
//
// Nothing in a VMlet's body runs when it is verified or loaded except the making of its
// procedures: top-level definitions must be procedures or constants, and define-macro is not
// allowed. The entry procedure runs when an application is loaded.
#pragma once

#include "console/Compiler.h"
#include "vmlets/Manifest.h"

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vvm::vmlets {

/// How an opcode's operand is encoded in the bytecode.
enum class Encoding : uint8_t { U8, S8, U16, S16, U32, S32 };

/// An argument of an instruction in a template.
struct TemplateArg {
  enum class Kind : uint8_t {
    Integer,   ///< integer: a literal
    Real,      ///< real: a literal
    String,    ///< text: a string literal or a primitive's name
    Symbol,    ///< text: an element kind (newarray)
    Operand,   ///< index: the opcode's operand
    Param,     ///< index: the derived instruction's parameter
    Target,    ///< index: branch to the instruction operand `index` bytes from this opcode
    Method,    ///< index: the method table entry named by operand `index`
    Primitive, ///< text: a primitive the VMlet defines (def-primitive), called with `call`
  };
  Kind kind = Kind::Integer;
  int64_t integer = 0;
  double real = 0;
  std::string text;
  uint32_t index = 0;
};

struct Derived;

/// One instruction of a template: a VP instruction or a use of a derived instruction.
struct TemplateInsn {
  console::SourcePos pos;
  std::optional<core::Op> op;
  const Derived* derived = nullptr;
  std::vector<TemplateArg> args;
};

struct Derived {
  std::string name;
  std::vector<std::string> params;
  /// For each parameter, the operand letter (Operands.def) of the slots it fills, or '*' when
  /// no instruction uses it: a use of the derived instruction must pass an argument that fits.
  std::vector<char> paramNeeds;
  /// VP instructions it expands to (derived instructions nest; the count is bounded, see
  /// kMaxTemplateInsns in Vmlet.cpp).
  size_t expandedSize = 0;
  std::vector<TemplateInsn> body;
  console::SourcePos pos;
};

/// (def-primitive NAME (PARAM-KIND...) RESULT-KIND PROCEDURE): a VP method whose code converts its
/// typed arguments to console values, calls the VMlet's console procedure and converts its
/// result back. Templates call it with (call (primitive NAME)).
struct PrimitiveDef {
  std::string name;
  std::vector<core::Kind> params;
  core::Kind result = core::Kind::Void;
  std::string procedure;
  console::SourcePos pos;
  core::Method* method = nullptr; ///< made when the VMlet loads
};

/// (def-rule NAME PROCEDURE): the language's own verification of an application. The procedure
/// gets the application's bytes before the entry does and returns #t to accept them, or a
/// string saying why not.
struct RuleDef {
  std::string name;
  std::string procedure;
  console::SourcePos pos;
};

struct OpcodeDef {
  bool defined = false;
  std::string name;
  std::vector<Encoding> operands;
  std::vector<TemplateInsn> body;
  console::SourcePos pos;
  /// Bytes the opcode occupies with its operands.
  uint32_t length() const;
};

class Vmlet {
public:
  ~Vmlet();
  std::string path;
  Manifest manifest;
  bool bigEndian = true;
  std::array<OpcodeDef, 256> opcodes;
  std::map<std::string, std::unique_ptr<Derived>, std::less<>> derived;
  std::map<std::string, PrimitiveDef, std::less<>> primitives;
  std::vector<RuleDef> rules;
  std::string entryName;
  console::SourcePos entryPos;
  std::unique_ptr<console::Environment> env; ///< the sandbox its console code lives in
  size_t definitions = 0;                    ///< console definitions in its body

  /// The entry procedure (after load), or null.
  core::Object* entry() const;
};

/// Reads and compiles a VMlet: manifest, body forms, templates (each verified with the VP
/// verifier on a method made for it), console definitions compiled in a sandbox that holds the
/// pure builtins, the VMlet builtins (vp-declare, vp-translate!) and, for its capabilities,
/// output. Returns null with located diagnostics on failure. Needs the console installed in
/// the thread's runtime.
std::unique_ptr<Vmlet> loadVmlet(const std::string& path, std::string_view text, core::Thread& thread,
                                 Diagnostics& diags);

/// The outcome of running an application through a VMlet.
struct AppRun {
  enum class Stage : uint8_t { Ok, LoadFailed, Raised, Exited } stage = Stage::Ok;
  int exitStatus = 0;
  std::string message; ///< what went wrong (LoadFailed, Raised), ready to print
};

/// Loads the application `bytes` with the VMlet's entry procedure (which declares and translates
/// its methods into `app` and returns the main one) and runs the main method (unless `runMain`
/// is false: then loading, translating and verifying is all).
/// `loaded`, when given, sees the application's translated module before main runs (--dump-vp).
AppRun runApplication(Vmlet& vmlet, const std::string& appFile, std::string_view bytes, core::Module& app,
                      core::Thread& thread, bool runMain = true,
                      const std::function<void(const core::Module&)>& loaded = {});

} // namespace vvm::vmlets
