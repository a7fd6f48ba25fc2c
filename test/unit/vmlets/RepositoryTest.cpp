// Remote VMlet repositories through the library (vmlets/Repository.h, vmlets/RemoteVmlet.h):
// the configuration and its warnings, the index format and its located errors, when a cached
// index is used instead of a fresh one, and what obtaining a VMlet checks (embedded and detached
// signatures, the manifest against the index, a cached copy that no longer verifies).
#include "test/support/LocalHttpServer.h"
#include "test/support/RepositoryFixture.h"

#include "vmlets/Catalog.h"
#include "vmlets/RemoteVmlet.h"
#include "vmlets/Repository.h"
#include "vos/FetchCache.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace vvm;
using namespace vvm::vmlets;
using Server = test::LocalHttpServer;
using test::RepositoryFixture;
using test::ScopedEnv;

namespace {

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

/// The first error an index gives, as "line:col: message".
std::string indexError(const std::string& text) {
  std::vector<RemoteVmlet> out;
  Diagnostics d;
  REQUIRE_FALSE(parseIndex(text, "http://h/r/index.vc", "http://h/r", out, d));
  REQUIRE(d.count() >= 1);
  const Diagnostic& e = d.all()[0];
  CHECK(e.file == "http://h/r/index.vc");
  return std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.message;
}

/// A configuration for the repository at `base` in `world`, with short timeouts.
RepositoryConfig configFor(const RepositoryFixture& world, const std::string& base) {
  RepositoryConfig c;
  c.repositories.push_back({base, "test"});
  c.cacheDir = world.cacheDir();
  c.fetch.connectTimeout = std::chrono::milliseconds(1000);
  c.fetch.totalTimeout = std::chrono::milliseconds(5000);
  return c;
}

/// The trust store of `world`'s HOME.
security::TrustStore trustOf(const RepositoryFixture&) {
  std::vector<security::Failure> warnings;
  auto trust = userTrustStore({}, warnings);
  REQUIRE(trust.ok());
  REQUIRE(trust->size() == 1);
  return *trust;
}

/// The one VMlet the index of `config`'s repository lists.
RemoteVmlet onlyVmlet(const RepositoryConfig& config) {
  std::vector<std::string> warnings;
  auto indexes = readIndexes(config, warnings);
  CHECK(warnings.empty());
  REQUIRE(indexes.size() == 1);
  REQUIRE(indexes[0].vmlets.size() == 1);
  return indexes[0].vmlets[0];
}

} // namespace

TEST_CASE("an index lists each VMlet's file and manifest") {
  std::vector<RemoteVmlet> out;
  Diagnostics d;
  std::string index =
      ";; the index\n" + RepositoryFixture::indexEntry() +
      RepositoryFixture::indexEntry("other_1.2.vml", "(vmlet other (version \"2\") (type \"text/x-o\"))");
  REQUIRE(parseIndex(index, "http://h/r/index.vc", "http://h/r", out, d));
  REQUIRE(out.size() == 2);
  CHECK(out[0].file == "xyz.vml");
  CHECK(out[0].url == "http://h/r/xyz.vml");
  CHECK(out[0].repository == "http://h/r");
  CHECK(out[0].manifest.name == "xyz");
  CHECK(out[0].manifest.version == "0.1.0");
  REQUIRE(out[0].manifest.types.size() == 1);
  CHECK(out[0].manifest.types[0].suffixes == std::vector<std::string>{".xyz"});
  CHECK(out[1].url == "http://h/r/other_1.2.vml");

  out.clear();
  CHECK(parseIndex(";; nothing here yet\n", "http://h/r/index.vc", "http://h/r", out, d));
  CHECK(out.empty());
}

TEST_CASE("a malformed index is reported at the line and column of the fault") {
  const std::string m = "(vmlet x (version \"1\") (type \"text/x-x\"))";
  CHECK(indexError("(entry \"x.vml\"").starts_with("1:1: unterminated list"));
  CHECK(indexError("(vmlet x)") == "1:1: expected (entry \"FILE.vml\" (vmlet NAME ...)), not (vmlet x)");
  CHECK(indexError("(entry \"x.vml\" " + m + " extra)").starts_with("1:1: expected (entry"));
  CHECK(indexError("\n(entry x.vml " + m + ")").starts_with("2:1: expected (entry"));
  for (const char* file : {"../x.vml", "sub/x.vml", ".x.vml", "x.txt", ".vml", "x y.vml"})
    CHECK(indexError(std::string("(entry \"") + file + "\" " + m + ")") ==
          std::string("1:8: \"") + file +
              "\" is not a VMlet file name: letters, digits and - _ . starting with a letter or digit, ending in "
              ".vml, no directories");
  CHECK(indexError("(entry \"x.vml\" " + m + ")\n(entry \"x.vml\" " + m + ")") == "2:8: \"x.vml\" is listed twice");
  CHECK(indexError("(entry \"x.vml\"\n  (vmlet x (type \"text/x-x\")))") ==
        "2:3: the manifest has no (version \"...\")");
}

TEST_CASE("repositories come from VVM_VMLET_REPOS, then the config file, with bad ones named and left out") {
  RepositoryFixture world;
  ScopedEnv repos("VVM_VMLET_REPOS", " http://a.example/vmlets/ ,https://b.example\tfile:///etc ftp://c.example ");
  std::filesystem::create_directories(world.dir().file("config/vvm"));
  std::string file = world.dir().write("config/vvm/repositories",
                                       "# comment\n\n  https://d.example/r#x   # fragment kept, comment dropped\n"
                                       "http://a.example/vmlets\nhttp://\nnot a url\n");
  CHECK(repositoriesFile() == file);
  std::vector<std::string> warnings;
  RepositoryConfig c = loadRepositoryConfig(warnings);
  REQUIRE(c.repositories.size() == 3);
  CHECK(c.repositories[0].url == "http://a.example/vmlets");
  CHECK(c.repositories[0].from == "VVM_VMLET_REPOS");
  CHECK(c.repositories[1].url == "https://b.example");
  CHECK(c.repositories[2].url == "https://d.example/r#x");
  CHECK(c.repositories[2].from == file + ":3");
  REQUIRE(warnings.size() == 4);
  CHECK(warnings[0] ==
        "VVM_VMLET_REPOS: repository \"file:///etc\" left out: a repository is an http:// or https:// URL");
  CHECK(warnings[1] ==
        "VVM_VMLET_REPOS: repository \"ftp://c.example\" left out: a repository is an http:// or https:// URL");
  CHECK(warnings[2] == file + ":5: repository \"http://\" left out: the URL names no host");
  CHECK(warnings[3] == file + ":6: repository \"not a url\" left out: a repository is an http:// or https:// URL");
  CHECK(c.cacheDir == world.cacheDir());
  CHECK_FALSE(c.offline());
}

TEST_CASE("VVM_OFFLINE and VVM_FETCH_TIMEOUT") {
  RepositoryFixture world;
  std::vector<std::string> warnings;
  for (const char* no : {"", "0", "false", "No", "off"}) {
    ScopedEnv offline("VVM_OFFLINE", no);
    CHECK_FALSE(loadRepositoryConfig(warnings).offline());
  }
  for (const char* yes : {"1", "true", "yes", "ON"}) {
    ScopedEnv offline("VVM_OFFLINE", yes);
    CHECK(loadRepositoryConfig(warnings).offline());
  }
  {
    ScopedEnv timeout("VVM_FETCH_TIMEOUT", "3");
    RepositoryConfig c = loadRepositoryConfig(warnings);
    CHECK(c.fetch.totalTimeout == std::chrono::seconds(3));
    CHECK(c.fetch.connectTimeout == std::chrono::seconds(3));
  }
  CHECK(warnings.empty());
  ScopedEnv timeout("VVM_FETCH_TIMEOUT", "2.5");
  RepositoryConfig c = loadRepositoryConfig(warnings);
  CHECK(c.fetch.totalTimeout == vos::FetchOptions().totalTimeout);
  CHECK(warnings ==
        std::vector<std::string>{"VVM_FETCH_TIMEOUT=\"2.5\" ignored: it is a number of seconds from 1 to 3600"});
}

TEST_CASE("a cached index is used while it is fresh, fetched again once stale, and kept when the server is down") {
  RepositoryFixture world;
  std::optional<Server> server(
      std::in_place,
      std::map<std::string, Server::Response>{{"/r/index.vc", Server::Response(200, RepositoryFixture::indexEntry())}});
  RepositoryConfig config = configFor(world, server->url("/r"));
  std::vector<std::string> warnings;

  auto indexes = readIndexes(config, warnings);
  REQUIRE(indexes.size() == 1);
  CHECK_FALSE(indexes[0].fromCache);
  CHECK(indexes[0].url == server->url("/r/index.vc"));
  CHECK(server->requestCount() == 1);
  std::string entry = vos::FetchCache(config.cacheDir).entryPath(indexes[0].url);
  CHECK(std::filesystem::exists(entry));

  indexes = readIndexes(config, warnings);
  REQUIRE(indexes.size() == 1);
  CHECK(indexes[0].fromCache);
  CHECK(server->requestCount() == 1);

  // Older than indexMaxAge: fetched again.
  auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  std::filesystem::last_write_time(entry, old);
  indexes = readIndexes(config, warnings);
  REQUIRE(indexes.size() == 1);
  CHECK_FALSE(indexes[0].fromCache);
  CHECK(server->requestCount() == 2);
  CHECK(warnings.empty());

  // Stale and the server gone: the stale copy, with a warning.
  std::filesystem::last_write_time(entry, old);
  server.reset();
  indexes = readIndexes(config, warnings);
  REQUIRE(indexes.size() == 1);
  CHECK(indexes[0].fromCache);
  REQUIRE(warnings.size() == 1);
  CHECK(has(warnings[0], "/r/index.vc: cannot connect"));
  CHECK(has(warnings[0], "; using the copy of the index cached 60 min ago"));

  // Offline, a stale copy is used as it is, without a word.
  warnings.clear();
  config.fetch.offline = true;
  indexes = readIndexes(config, warnings);
  CHECK(indexes.size() == 1);
  CHECK(warnings.empty());
}

TEST_CASE("a malformed index is not cached, and the repository is skipped") {
  RepositoryFixture world;
  Server server({{"/r/index.vc", Server::Response(200, "(entry \"x.vml\" (vmlet x))\n")}});
  RepositoryConfig config = configFor(world, server.url("/r"));
  std::vector<std::string> warnings;
  CHECK(readIndexes(config, warnings).empty());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].starts_with(server.url("/r/index.vc") + " is not a valid repository index, so repository " +
                                server.url("/r") + " is skipped:\n" + server.url("/r/index.vc") + ":1:16: error: "));
  CHECK(world.cacheFiles().empty());
}

TEST_CASE("a VMlet with a detached signature beside it is verified by it, and both are cached") {
  RepositoryFixture world;
  std::string text = RepositoryFixture::vmlet();
  Server server({{"/r/index.vc", Server::Response(200, RepositoryFixture::indexEntry())},
                 {"/r/xyz.vml", Server::Response(200, text)},
                 {"/r/xyz.vml.sig", Server::Response(200, world.detachedSignature(text))}});
  RepositoryConfig config = configFor(world, server.url("/r"));
  RemoteVmlet v = onlyVmlet(config);
  security::TrustStore trust = trustOf(world);
  std::vector<std::string> warnings;

  ObtainResult r = obtainVmlet(v, config, trust, warnings);
  REQUIRE(r.ok());
  CHECK(r.value().text == text);
  CHECK_FALSE(r.value().fromCache);
  CHECK(r.value().signature.verdict == security::Verdict::Trusted);
  vos::FetchCache cache(config.cacheDir);
  CHECK(r.value().cachePath == cache.entryPath(v.url));
  CHECK(cache.lookup(v.url) == text);
  CHECK(cache.lookup(v.url + ".sig") == world.detachedSignature(text));

  // From the cache now, verified by the cached signature.
  size_t requests = server.requestCount();
  r = obtainVmlet(v, config, trust, warnings);
  REQUIRE(r.ok());
  CHECK(r.value().fromCache);
  CHECK(server.requestCount() == requests);
  auto cached = cachedSignature(v, config, trust);
  REQUIRE(cached);
  CHECK(cached->verdict == security::Verdict::Trusted);
  CHECK(warnings.empty());
}

TEST_CASE("a signed VMlet whose manifest disagrees with the index is refused and not cached") {
  RepositoryFixture world;
  Server server({{"/r/index.vc", Server::Response(200, RepositoryFixture::indexEntry())},
                 {"/r/xyz.vml", Server::Response(200, world.sign(RepositoryFixture::vmlet("0.2.0")))}});
  RepositoryConfig config = configFor(world, server.url("/r"));
  std::vector<std::string> warnings;
  ObtainResult r = obtainVmlet(onlyVmlet(config), config, trustOf(world), warnings);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().code == ObtainError::Rejected);
  CHECK(r.failure().message ==
        server.url("/r/xyz.vml") + ": refused: it is VMlet xyz 0.2.0, but the repository's index says xyz 0.1.0");
  CHECK_FALSE(vos::FetchCache(config.cacheDir).lookup(server.url("/r/xyz.vml")));

  // An index that gives the VMlet a type its own manifest does not declare.
  RemoteVmlet v = onlyVmlet(config);
  v.manifest.version = "0.2.0";
  v.manifest.types[0].name = "application/x-other";
  r = obtainVmlet(v, config, trustOf(world), warnings);
  REQUIRE_FALSE(r.ok());
  CHECK(has(r.failure().message, "the repository's index says it runs application/x-other, but its own manifest does "
                                 "not"));
}

TEST_CASE("a cached VMlet that no longer verifies is removed, and fetched again unless offline") {
  RepositoryFixture world;
  std::string signedText = world.sign(RepositoryFixture::vmlet());
  Server server({{"/r/index.vc", Server::Response(200, RepositoryFixture::indexEntry())},
                 {"/r/xyz.vml", Server::Response(200, signedText)}});
  RepositoryConfig config = configFor(world, server.url("/r"));
  RemoteVmlet v = onlyVmlet(config);
  std::vector<std::string> warnings;
  REQUIRE(obtainVmlet(v, config, trustOf(world), warnings).ok());
  vos::FetchCache cache(config.cacheDir);
  REQUIRE(cache.lookup(v.url));

  // A cache entry edited consistently (its checksum too) passes the cache's own check, not ours.
  REQUIRE(cache.store(v.url, world.tampered(signedText)));
  config.fetch.offline = true;
  ObtainResult r = obtainVmlet(v, config, trustOf(world), warnings);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().code == ObtainError::Rejected);
  CHECK(has(r.failure().message, "signature check failed"));
  CHECK(has(r.failure().message, "(the cached copy, now removed; vvm is offline)"));
  CHECK_FALSE(cache.lookup(v.url));

  // Offline and nothing cached: unavailable. Online: fetched and verified anew.
  r = obtainVmlet(v, config, trustOf(world), warnings);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().code == ObtainError::Unavailable);
  CHECK(has(r.failure().message, "offline mode"));
  config.fetch.offline = false;
  REQUIRE(cache.store(v.url, world.tampered(signedText)));
  r = obtainVmlet(v, config, trustOf(world), warnings);
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().fromCache);
  CHECK(cache.lookup(v.url) == signedText);

  // Nobody trusted any more: the cached copy is refused too.
  security::TrustStore nobody;
  CHECK(cachedSignature(v, config, nobody)->verdict == security::Verdict::UnknownKey);
  r = obtainVmlet(v, config, nobody, warnings);
  REQUIRE_FALSE(r.ok());
  CHECK(has(r.failure().message, "which is not in the trust store"));
  CHECK_FALSE(cache.lookup(v.url));
}

TEST_CASE("a VMlet that cannot be fetched is unavailable, with the URL and the reason") {
  RepositoryFixture world;
  Server server({{"/r/index.vc", Server::Response(200, RepositoryFixture::indexEntry())},
                 {"/r/xyz.vml", Server::Response(500, "oops")}});
  RepositoryConfig config = configFor(world, server.url("/r"));
  std::vector<std::string> warnings;
  ObtainResult r = obtainVmlet(onlyVmlet(config), config, trustOf(world), warnings);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().code == ObtainError::Unavailable);
  CHECK(r.failure().message == server.url("/r/xyz.vml") + ": HTTP 500");
}
