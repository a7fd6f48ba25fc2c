// Output to the program's stdout (R7RS 6.13.3 without ports): every procedure writes through
// the virtual OS (vos::writeOut), buffered, and returns the unspecified value. Text forms come
// from Values::write: `write` shows data as the reader would read it back, `display` shows
// strings and characters as their text.
#include "console/builtins/Support.h"
#include "vos/Host.h"

namespace vvm::console::builtins {

bool display(Thread& t, Value* args) {
  vos::writeOut(Values::of(t).write(args[0].ref, true));
  return unspecifiedResult(t, args);
}

bool writeValue(Thread& t, Value* args) {
  vos::writeOut(Values::of(t).write(args[0].ref));
  return unspecifiedResult(t, args);
}

bool newline(Thread& t, Value* args) {
  vos::writeOut("\n");
  return unspecifiedResult(t, args);
}

bool writeString(Thread& t, Value* args) {
  std::string_view s;
  if (!stringArg(t, "write-string", args[0].ref, s)) return false;
  vos::writeOut(s);
  return unspecifiedResult(t, args);
}

bool writeChar(Thread& t, Value* args) {
  uint32_t c = 0;
  if (!charArg(t, "write-char", args[0].ref, c)) return false;
  std::string text;
  utf8Append(text, c);
  vos::writeOut(text);
  return unspecifiedResult(t, args);
}

// (print "x = " x) shows x = 42: a convenience for the REPL and quick scripts.
bool print(Thread& t, Value* args) {
  Values& v = Values::of(t);
  std::string line;
  for (Object* o : restArgs(args)) line += v.write(o, true);
  line += '\n';
  vos::writeOut(line);
  return unspecifiedResult(t, args);
}

bool flushOutput(Thread& t, Value* args) {
  vos::flushOut();
  return unspecifiedResult(t, args);
}

} // namespace vvm::console::builtins
