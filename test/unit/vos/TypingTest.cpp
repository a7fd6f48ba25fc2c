// Typing of applications: registration and its ambiguity checks, and detection by explicit
// type, magic bytes, suffix and #! line, in that order.
#include "vos/Typing.h"

#include <catch2/catch.hpp>

using namespace vvm;
using namespace std::string_literals; // "...\0..."s keeps the NUL bytes
using vos::Detection;
using vos::TypedBy;
using vos::TypeRegistry;

namespace {

const std::string kClassBytes = "\xca\xfe\xba\xbe\0\0\0\x3d"s;
const std::string kZipBytes = "PK\x03\x04\x14\0\0\0"s;

/// Java class files, Java archives and Smalltalk sources, as their VMlets would declare them.
TypeRegistry registry() {
  TypeRegistry r;
  std::string error;
  REQUIRE(r.add({"application/java-vm", {{0, "\xca\xfe\xba\xbe"}}, {".class"}, {"vvm-java"}}, error));
  REQUIRE(r.add({"application/java-archive", {{0, "PK\x03\x04"}}, {"jar"}, {"vvm-jar"}}, error));
  REQUIRE(r.add({"Application/X-Smalltalk", {}, {".st"}, {"vvm-smalltalk", "vvm-st"}}, error));
  return r;
}

Detection detect(const TypeRegistry& r, std::string_view path, std::string_view bytes, std::string_view type = {}) {
  std::string error;
  auto d = r.detect(path, bytes, type, error);
  INFO(error);
  REQUIRE(d);
  return *d;
}

/// Whether any type is detected.
bool typed(const TypeRegistry& r, std::string_view path, std::string_view bytes) {
  std::string error;
  return r.detect(path, bytes, {}, error).has_value();
}

std::string detectError(const TypeRegistry& r, std::string_view path, std::string_view bytes,
                        std::string_view type = {}) {
  std::string error;
  CHECK_FALSE(r.detect(path, bytes, type, error));
  return error;
}

} // namespace

TEST_CASE("magic bytes decide first, and say which bytes matched") {
  TypeRegistry r = registry();
  Detection d = detect(r, "Hello", kClassBytes);
  CHECK(d.type == "application/java-vm");
  CHECK(d.by == TypedBy::Magic);
  CHECK(d.evidence == "bytes ca fe ba be at offset 0");
  // Magic wins over a suffix that names another type.
  CHECK(detect(r, "lib/app.st", kZipBytes).type == "application/java-archive");
  CHECK(vos::typedByName(d.by) == "magic");
}

TEST_CASE("without magic, the suffix decides") {
  TypeRegistry r = registry();
  Detection d = detect(r, "/src/Kernel.st", "Object subclass: #Point\n");
  CHECK(d.type == "application/x-smalltalk");
  CHECK(d.by == TypedBy::Suffix);
  CHECK(d.evidence == "suffix .st");
  CHECK(detect(r, "app.jar", "").type == "application/java-archive"); // a leading '.' was added
  // Bytes too short for a pattern do not match it.
  CHECK(detect(r, "Short.class", "\xca\xfe").by == TypedBy::Suffix);
  // A suffix is not a whole name, and it is compared with its case.
  CHECK_FALSE(typed(r, ".st", ""));
  CHECK_FALSE(typed(r, "Kernel.ST", ""));
  CHECK_FALSE(typed(r, "dir.st/file", ""));
}

TEST_CASE("the longest matching suffix wins") {
  TypeRegistry r;
  std::string error;
  REQUIRE(r.add({"application/gzip", {}, {".gz"}, {}}, error));
  REQUIRE(r.add({"application/x-compressed-tar", {}, {".tar.gz"}, {}}, error));
  CHECK(detect(r, "a.tar.gz", "").type == "application/x-compressed-tar");
  CHECK(detect(r, "a.gz", "").type == "application/gzip");
}

TEST_CASE("a shebang line decides last: an interpreter name or vvm's --type") {
  TypeRegistry r = registry();
  struct Case {
    std::string line;
    std::string type;
    std::string evidence;
  };
  std::vector<Case> cases = {
      {"#!/usr/bin/env vvm-smalltalk\n", "application/x-smalltalk", "#! interpreter vvm-smalltalk"},
      {"#!/usr/local/bin/vvm-st\n", "application/x-smalltalk", "#! interpreter vvm-st"},
      {"#! /usr/bin/vvm-java -verbose\r\n", "application/java-vm", "#! interpreter vvm-java"},
      {"#!/usr/bin/env -i FOO=1 -u BAR vvm-java\n", "application/java-vm", "#! interpreter vvm-java"},
      {"#!/usr/bin/env -Svvm-java -cp x\n", "application/java-vm", "#! interpreter vvm-java"},
      {"#!/usr/bin/vvm run --type=application/x-smalltalk\n", "application/x-smalltalk",
       "#! line names type application/x-smalltalk"},
      {"#!/usr/bin/env -S vvm run --type Application/Java-VM -v\n", "application/java-vm",
       "#! line names type application/java-vm"},
      {"#!/opt/vvm/bin/vvm run --quiet --type=application/java-vm\n", "application/java-vm",
       "#! line names type application/java-vm"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    Detection d = detect(r, "script", c.line + "rest of the file\n");
    CHECK(d.type == c.type);
    CHECK(d.by == TypedBy::Shebang);
    CHECK(d.evidence == c.evidence);
  }
  // The suffix is asked before the #! line.
  CHECK(detect(r, "script.st", "#!/usr/bin/env vvm-java\n").by == TypedBy::Suffix);
}

TEST_CASE("shebang lines that name no type") {
  TypeRegistry r = registry();
  for (std::string text : {"#!/bin/sh\necho hi\n", "#!/usr/bin/env python3\n", "#!/usr/bin/vvm run\n",
                           "#!/usr/bin/vvm run -- --type=application/java-vm\n", "#!/usr/bin/env\n", "#!\n",
                           "#!/usr/bin/env -u\n", "#!", "# not a #! line vvm-java\n"}) {
    INFO(text);
    std::string error = detectError(r, "script", text);
    CHECK(error.starts_with("no magic bytes, file suffix or #! line tells its type (known types: "));
  }
  // An interpreter name further than the kernel reads is not seen.
  CHECK_FALSE(typed(r, "script", "#!/usr/bin/env" + std::string(300, ' ') + "vvm-java\n"));
  CHECK(detectError(r, "script", "#!/usr/bin/vvm run --type=text/x-cobol\n") ==
        "the #! line names type \"text/x-cobol\", which is unknown (known types: application/java-vm, "
        "application/java-archive, application/x-smalltalk)");
}

TEST_CASE("an explicit type wins over everything") {
  TypeRegistry r = registry();
  Detection d = detect(r, "Hello.class", kClassBytes, "APPLICATION/X-SMALLTALK");
  CHECK(d.type == "application/x-smalltalk");
  CHECK(d.by == TypedBy::Explicit);
  CHECK(vos::typedByName(d.by) == "explicit");
  CHECK(detectError(r, "Hello.class", kClassBytes, "application/x-nope") ==
        "unknown type \"application/x-nope\" (known types: application/java-vm, application/java-archive, "
        "application/x-smalltalk)");
}

TEST_CASE("nothing matched, or nothing registered") {
  TypeRegistry empty;
  CHECK(detectError(empty, "a.st", "x") ==
        "no magic bytes, file suffix or #! line tells its type (known types: none: no VMlet is installed); name "
        "the type explicitly");
  CHECK(detectError(registry(), "README", "hello\n").find("application/java-vm") != std::string::npos);
}

TEST_CASE("the longest matching magic pattern wins, wherever it sits") {
  TypeRegistry r = registry();
  std::string error;
  // A zip that says more about itself: a longer pattern overlapping the zip one.
  REQUIRE(r.add({"application/x-vvm-bundle", {{0, "PK\x03\x04\x14\0\0\0"s}}, {}, {}}, error));
  // tar's magic sits at offset 257.
  REQUIRE(r.add({"application/x-tar", {{257, "ustar"}}, {}, {}}, error));
  CHECK(detect(r, "x", kZipBytes).type == "application/x-vvm-bundle");
  CHECK(detect(r, "x", "PK\x03\x04\x0a\0\0\0"s).type == "application/java-archive");
  std::string tar(512, '\0');
  tar.replace(257, 5, "ustar");
  Detection d = detect(r, "x", tar);
  CHECK(d.type == "application/x-tar");
  CHECK(d.evidence == "bytes 75 73 74 61 72 at offset 257");
  CHECK(r.bytesNeeded() == TypeRegistry::kMaxShebangBytes + 6); // 257 + 5 = 262
}

TEST_CASE("registration refuses ambiguity") {
  TypeRegistry r = registry();
  std::string error;
  // The same length at the same place, could both match: a tie.
  CHECK_FALSE(r.add({"application/x-mach-o-fat", {{0, "\xca\xfe\xba\xbe"}}, {}, {}}, error));
  CHECK(error == "type application/x-mach-o-fat: magic bytes ca fe ba be at offset 0 tie with "
                 "application/java-vm's ca fe ba be at offset 0 (a file could match both, and neither is longer)");
  // Overlapping and agreeing where they overlap: a tie too.
  CHECK_FALSE(r.add({"application/x-a", {{2, "\xba\xbe\x00\x01"s}}, {}, {}}, error));
  // Not overlapping at all: a file could hold both.
  CHECK_FALSE(r.add({"application/x-b", {{100, "ABCD"}}, {}, {}}, error));
  // Same length but disagreeing where they overlap: never both, so allowed.
  CHECK(r.add({"application/x-c", {{0, "\xca\xfe\xd0\x0d"}}, {}, {}}, error));
  // A different length never ties: the longer one wins at detection.
  CHECK(r.add({"application/x-d", {{0, "\xca\xfe\xba\xbe\x00\x00"s}}, {}, {}}, error));

  CHECK_FALSE(r.add({"application/x-e", {}, {"class"}, {}}, error));
  CHECK(error == "type application/x-e: suffix .class already belongs to type application/java-vm");
  CHECK_FALSE(r.add({"application/x-f", {}, {}, {"vvm-java"}}, error));
  CHECK(error == "type application/x-f: interpreter vvm-java already belongs to type application/java-vm");
  CHECK_FALSE(r.add({"application/x-g", {}, {}, {"vvm"}}, error));
  CHECK(error == "type application/x-g: interpreter name vvm is reserved");
  CHECK_FALSE(r.add({"application/x-g", {}, {}, {"env"}}, error));
  CHECK_FALSE(r.add({"application/x-g", {}, {}, {"/usr/bin/vvm-g"}}, error));
  CHECK_FALSE(r.add({"application/x-g", {}, {"."}, {}}, error));
  CHECK_FALSE(r.add({"application/x-g", {}, {"a b"}, {}}, error));
  CHECK_FALSE(r.add({"application/x-g", {{0, ""}}, {}, {}}, error));
  CHECK(error == "type application/x-g: a magic pattern is empty");
  CHECK_FALSE(r.add({"application/x-g", {{TypeRegistry::kMaxMagicEnd, "x"}}, {}, {}}, error));
  CHECK_FALSE(r.add({"application/x-g", {{0xffffffffu, "x"}}, {}, {}}, error));

  CHECK_FALSE(r.add({"APPLICATION/JAVA-VM", {}, {}, {}}, error));
  CHECK(error == "type application/java-vm is already registered");
  for (std::string bad :
       {"", "java", "application/", "/java", "application/java vm", "a/b/c", "application/-x", "application/x\x01"}) {
    INFO(bad);
    CHECK_FALSE(r.add({bad, {}, {}, {}}, error));
    CHECK(error.ends_with("is not a MIME type name (type/subtype)"));
  }
  // A refused entry leaves nothing behind.
  CHECK_FALSE(r.find("application/x-g"));
  CHECK_FALSE(r.find("application/x-a"));
  CHECK(r.entries().size() == 5);
  CHECK(r.find("Application/Java-VM"));
}
