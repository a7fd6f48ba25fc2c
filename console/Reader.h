// The console language's reader: text to data (DESIGN §8). The console language is a small
// Scheme; its programs, VMlets (.vml) and REPL input are all read here before the compiler
// turns them into VP IR. Every datum remembers where it was read, so that compile and run
// errors name file:line:col.
//
// Syntax (a subset of R7RS's, with its spelling):
//   ; comment to end of line    #| nested block comment |#    #; comments out the next datum
//   ( ... ) and [ ... ]          lists; (a b . c) is improper
//   #( ... )                     vector          #u8( 0 255 ... )   byte vector
//   'x `x ,x ,@x                 (quote x) (quasiquote x) (unquote x) (unquote-splicing x)
//   "text"                       UTF-8 string; escapes \n \t \r \0 \a \b \\ \" \xHEX; and \ at
//                                end of line (skips the line break and the next line's indentation)
//   #\a #\space #\newline #\tab #\nul #\x41    characters (Unicode code points)
//   #t #f #true #false           booleans
//   42 -7 +3 #x2A #b101 #o17     64-bit integers (out of range is an error, not a bignum)
//   3.5 -0.0 1e10 .5 +inf.0 -inf.0 +nan.0      64-bit floats
//   |any text|                   a symbol with any characters; otherwise a symbol is any run of
//                                characters other than whitespace, ( ) [ ] " ; '
#pragma once

#include "core/support/Diagnostics.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::console {

/// Where a datum starts.
struct SourcePos {
  uint32_t line = 0; ///< 1-based
  uint32_t col = 0;  ///< 1-based, in bytes
};

struct Datum {
  enum class Kind : uint8_t { Integer, Real, Boolean, Char, String, Symbol, List, Vector, Bytes };
  Kind kind = Kind::List;
  SourcePos pos;
  int64_t integer = 0; ///< Integer; Boolean (0/1); Char (code point)
  double real = 0;     ///< Real
  std::string text;    ///< String (UTF-8 bytes), Symbol (name), Bytes (the bytes)
  /// List and Vector elements. A List with `dotted` set is improper: its last item is the
  /// tail after the dot. The empty list is a List with no items.
  std::vector<Datum> items;
  bool dotted = false;

  bool isSymbol(std::string_view name) const { return kind == Kind::Symbol && text == name; }
  bool isList() const { return kind == Kind::List && !dotted; }
  /// The datum as the reader would print it back (for messages and tests).
  std::string write() const;
};

struct ReadLimits {
  size_t maxDepth = 1000;     ///< nesting of lists and vectors (the reader recurses)
  size_t maxDatums = 1 << 22; ///< atoms and lists in all, bounding memory for hostile input
};

/// Reads every datum in `text` (a file or a REPL entry). On errors, records located
/// diagnostics in `diags` (for `file`) and returns what it could read before the first one.
std::vector<Datum> readAll(std::string_view text, const std::string& file, Diagnostics& diags,
                           const ReadLimits& limits = {});

/// True when `text` ends inside a datum (an open list or string): a REPL then asks for more.
bool needsMoreInput(std::string_view text);

} // namespace vvm::console
