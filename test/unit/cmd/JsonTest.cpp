// JSON strings as vvm prints them: escapes, UTF-8 kept, bytes that are not UTF-8 replaced.
#include "cmd/Json.h"

#include <catch2/catch.hpp>

using vvm::cmd::jsonString;

TEST_CASE("JSON strings escape quotes, backslashes and control characters") {
  CHECK(jsonString("") == "\"\"");
  CHECK(jsonString("plain text") == "\"plain text\"");
  CHECK(jsonString("say \"hi\"\\") == "\"say \\\"hi\\\"\\\\\"");
  CHECK(jsonString("a\nb\rc\td") == "\"a\\nb\\rc\\td\"");
  CHECK(jsonString(std::string("\0\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\\u007f\"");
  CHECK(jsonString("/") == "\"/\"");
}

TEST_CASE("JSON strings keep UTF-8 and replace what is not UTF-8") {
  CHECK(jsonString("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  CHECK(jsonString("\xff") == "\"\\ufffd\"");
  CHECK(jsonString("\xc3") == "\"\\ufffd\"");                                  // cut short
  CHECK(jsonString("\xc0\xaf") == "\"\\ufffd\\ufffd\"");                       // overlong
  CHECK(jsonString("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");            // a surrogate
  CHECK(jsonString("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); // above U+10FFFF
  CHECK(jsonString("a\xe2\x82") == "\"a\\ufffd\\ufffd\"");
}
