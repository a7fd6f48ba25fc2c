// Fetching over HTTP against a server in the test process (test/support/LocalHttpServer.h):
// bodies, statuses, timeouts, size caps, offline mode, refused schemes and redirects; and the
// fetch cache: round trips, atomic replacement, corrupt and colliding entries, and that fetch()
// itself never writes a cache.
#include "test/support/LocalHttpServer.h"
#include "test/support/ScopedEnv.h"
#include "test/support/TempDir.h"

#include "vos/Fetch.h"
#include "vos/FetchCache.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace vvm;
using vos::FetchError;
using Server = test::LocalHttpServer;

namespace {

using test::ScopedEnv;

/// Options for tests: short timeouts, and no proxy whatever the environment says (libcurl
/// would otherwise send requests for 127.0.0.1 to a proxy named in http_proxy).
vos::FetchOptions quick() {
  static ScopedEnv noProxy("no_proxy", "*"), noProxyUpper("NO_PROXY", "*");
  vos::FetchOptions o;
  o.connectTimeout = std::chrono::milliseconds(1000);
  o.totalTimeout = std::chrono::milliseconds(5000);
  return o;
}

/// The names of the files in `dir` (none if it does not exist).
std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) names.push_back(e.path().string());
  return names;
}

} // namespace

TEST_CASE("fetch gets a body over http and says who is asking") {
  Server server({{"/java.vml", Server::Response(200, "(vmlet java)\n").header("Content-Type", "text/plain")}});
  auto r = vos::fetch(server.url("/java.vml"), quick());
  REQUIRE(r.ok());
  CHECK(r.body() == "(vmlet java)\n");
  CHECK(r.value().httpStatus == 200);
  CHECK(r.value().finalUrl == server.url("/java.vml"));
  CHECK(r.value().contentType == "text/plain");
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].headers["user-agent"] == "vvm/" VVM_VERSION);
  CHECK(vos::FetchOptions().userAgent == "vvm/" VVM_VERSION);
}

TEST_CASE("fetch fails on an HTTP error status, naming the URL and the status") {
  Server server({{"/broken.vml", {500, "oops"}}, {"/same.vml", {304, ""}}, {"/empty.vml", {204, ""}}});
  auto missing = vos::fetch(server.url("/x.vml"), quick());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error() == FetchError::HttpStatus);
  CHECK(missing.failure().httpStatus == 404);
  CHECK(missing.message() == server.url("/x.vml") + ": HTTP 404");
  auto broken = vos::fetch(server.url("/broken.vml"), quick());
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.message() == server.url("/broken.vml") + ": HTTP 500");
  // Only a 2xx final response has a body worth having.
  auto same = vos::fetch(server.url("/same.vml"), quick());
  REQUIRE_FALSE(same.ok());
  CHECK(same.failure().httpStatus == 304);
  auto empty = vos::fetch(server.url("/empty.vml"), quick());
  REQUIRE(empty.ok());
  CHECK(empty.body().empty());
  CHECK(vos::fetchErrorName(FetchError::HttpStatus) == "HttpStatus");
}

TEST_CASE("fetch gives up after the total timeout") {
  Server server({{"/slow.vml", Server::Response(200, "late").after(std::chrono::seconds(10))}});
  auto o = quick();
  o.totalTimeout = std::chrono::milliseconds(1000);
  auto r = vos::fetch(server.url("/slow.vml"), o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == FetchError::TimedOut);
  CHECK(r.message() == server.url("/slow.vml") + ": timed out after 1 s");
  o.totalTimeout = std::chrono::milliseconds(500);
  CHECK(vos::fetch(server.url("/slow.vml"), o).message() == server.url("/slow.vml") + ": timed out after 0.5 s");
}

TEST_CASE("fetch refuses a body over its cap, announced or not") {
  constexpr size_t kHuge = 64u << 20; // the server would send 64 MiB
  Server server({{"/big.vml", Server::Response(200).huge(kHuge)},
                 {"/stream.vml", Server::Response(200).huge(kHuge, false)},
                 {"/ten.vml", {200, "0123456789"}},
                 {"/eleven.vml", {200, "0123456789A"}}});
  for (const char* path : {"/big.vml", "/stream.vml"}) {
    auto r = vos::fetch(server.url(path), quick());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == FetchError::TooLarge);
    CHECK(r.message() == server.url(path) + ": larger than 1 MiB");
  }
  auto o = quick();
  o.maxBytes = 10;
  auto ten = vos::fetch(server.url("/ten.vml"), o);
  REQUIRE(ten.ok());
  CHECK(ten.body() == "0123456789");
  auto eleven = vos::fetch(server.url("/eleven.vml"), o);
  REQUIRE_FALSE(eleven.ok());
  CHECK(eleven.message() == server.url("/eleven.vml") + ": larger than 10 bytes");
}

TEST_CASE("offline mode fetches nothing and says so") {
  Server server({{"/java.vml", {200, "(vmlet java)"}}});
  auto o = quick();
  o.offline = true;
  auto r = vos::fetch(server.url("/java.vml"), o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == FetchError::Offline);
  CHECK(r.message() == server.url("/java.vml") + ": not fetched: vvm is in offline mode (no network access at all)");
  CHECK(server.requestCount() == 0);
}

TEST_CASE("only http and https URLs are fetched") {
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/java.vml", "FILE:///etc/passwd",
                          "gopher://127.0.0.1/x", "dict://127.0.0.1/x"}) {
    auto r = vos::fetch(url, quick());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == FetchError::UnsupportedScheme);
    CHECK(r.message().find("only http and https URLs are fetched") != std::string::npos);
  }
  CHECK(vos::fetch("ftp://127.0.0.1/java.vml", quick()).message() ==
        "ftp://127.0.0.1/java.vml: the ftp scheme is not supported; only http and https URLs are fetched");
  for (const char* url : {"", "java.vml", "http://", "http://exa mple.org/x"}) {
    auto r = vos::fetch(url, quick());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == FetchError::BadUrl);
  }
  CHECK(vos::fetch("", quick()).message() == "\"\": not a valid URL (it should start with http:// or https://)");
  CHECK(vos::fetch("java.vml", quick()).message() ==
        "java.vml: not a valid URL (it should start with http:// or https://)");
  CHECK(vos::fetch("http://exa mple.org/x", quick()).message().rfind("http://exa mple.org/x: not a valid URL (", 0) ==
        0);
}

TEST_CASE("redirects are followed a few times, and only to http or https") {
  auto to = [](std::string where) { return Server::Response(302).header("Location", std::move(where)); };
  Server server({{"/a", to("/b")},
                 {"/b", {200, "arrived"}},
                 {"/loop", to("/loop")},
                 {"/file", to("file:///etc/passwd")},
                 {"/ftp", to("ftp://127.0.0.1/x")}});
  auto r = vos::fetch(server.url("/a"), quick());
  REQUIRE(r.ok());
  CHECK(r.body() == "arrived");
  CHECK(r.value().finalUrl == server.url("/b"));

  auto loop = vos::fetch(server.url("/loop"), quick());
  REQUIRE_FALSE(loop.ok());
  CHECK(loop.error() == FetchError::TooManyRedirects);
  CHECK(loop.message() == server.url("/loop") + ": more than 5 redirects");
  CHECK(server.requestCount() == 2 + 6);

  auto none = quick();
  none.maxRedirects = 0;
  CHECK(vos::fetch(server.url("/a"), none).error() == FetchError::TooManyRedirects);

  for (const char* path : {"/file", "/ftp"}) {
    auto bad = vos::fetch(server.url(path), quick());
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error() == FetchError::RedirectRefused);
    CHECK(bad.message().rfind(server.url(path) + ": redirected to ", 0) == 0);
  }
  CHECK(vos::fetch(server.url("/file"), quick()).message() ==
        server.url("/file") + ": redirected to file:///etc/passwd, which is not an http or https URL");
}

TEST_CASE("a refused connection is reported as such") {
  // A bound socket that does not listen: connecting to its port is refused at once.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/java.vml";
  auto r = vos::fetch(url, quick());
  ::close(fd);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == FetchError::ConnectFailed);
  CHECK(r.message().rfind(url + ": cannot connect (", 0) == 0);
}

TEST_CASE("a password in a URL never appears in a message") {
  Server server({});
  std::string url = "http://alice:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/java.vml";
  auto r = vos::fetch(url, quick());
  REQUIRE_FALSE(r.ok());
  CHECK(r.message().find("s3cret") == std::string::npos);
  CHECK(r.message() == "http://alice:***@127.0.0.1:" + std::to_string(server.port()) + "/java.vml: HTTP 404");
}

TEST_CASE("fetch works from several threads at once") {
  Server server({{"/java.vml", {200, "(vmlet java)"}}});
  constexpr int kThreads = 4;
  std::vector<std::string> bodies(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      auto r = vos::fetch(server.url("/java.vml"), quick());
      bodies[static_cast<size_t>(i)] = r.ok() ? r.body() : r.message();
    });
  for (auto& t : threads) t.join();
  for (const auto& b : bodies) CHECK(b == "(vmlet java)");
}

TEST_CASE("fetch never writes a cache") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  ScopedEnv xdg("XDG_CACHE_HOME", dir.file("xdg").c_str());
  ScopedEnv home("HOME", dir.file("home").c_str());
  Server server({{"/java.vml", {200, "(vmlet java)"}}});
  REQUIRE(vos::fetch(server.url("/java.vml"), quick()).ok());
  REQUIRE_FALSE(vos::fetch(server.url("/missing.vml"), quick()).ok());
  CHECK(filesIn(dir.path()).empty());
  CHECK_FALSE(vos::FetchCache().lookup(server.url("/java.vml")));
}

TEST_CASE("the default cache directory follows XDG_CACHE_HOME, then HOME") {
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/cache");
    ScopedEnv home("HOME", "/home/alice");
    CHECK(vos::FetchCache::defaultDirectory() == "/cache/vvm/vmlets");
    CHECK(vos::FetchCache().directory() == "/cache/vvm/vmlets");
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "relative/is/ignored");
    ScopedEnv home("HOME", "/home/alice");
    CHECK(vos::FetchCache::defaultDirectory() == "/home/alice/.cache/vvm/vmlets");
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    ScopedEnv home("HOME", nullptr);
    CHECK(vos::FetchCache::defaultDirectory().empty());
    std::string error;
    CHECK_FALSE(vos::FetchCache().store("http://example.org/x.vml", "x", &error));
    CHECK(error.find("no cache directory") != std::string::npos);
    CHECK_FALSE(vos::FetchCache().lookup("http://example.org/x.vml"));
  }
}

TEST_CASE("cache keys are the URL's 64-bit FNV-1a in hex") {
  // Test vectors of the FNV reference code.
  CHECK(vos::FetchCache::keyOf("") == "cbf29ce484222325");
  CHECK(vos::FetchCache::keyOf("a") == "af63dc4c8601ec8c");
  CHECK(vos::FetchCache::keyOf("foobar") == "85944171f73967e8");
  vos::FetchCache cache("/c");
  CHECK(cache.entryPath("a") == "/c/af63dc4c8601ec8c.entry");
}

TEST_CASE("the cache stores, looks up, replaces and removes entries, leaving no temporary files") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  vos::FetchCache cache(dir.file("a/b/vmlets")); // created on the first store
  const std::string url = "https://example.org/java.vml";
  CHECK_FALSE(cache.lookup(url));
  CHECK_FALSE(cache.remove(url));

  std::string bytes("(vmlet java)\n\0binary\xff", 21);
  std::string error;
  REQUIRE(cache.store(url, bytes, &error));
  CHECK(error.empty());
  auto got = cache.lookup(url);
  REQUIRE(got);
  CHECK(*got == bytes);
  CHECK_FALSE(cache.lookup(url + "?other"));

  REQUIRE(cache.store(url, "(vmlet java 2)"));
  CHECK(cache.lookup(url) == std::optional<std::string>("(vmlet java 2)"));
  REQUIRE(cache.store(url, ""));
  CHECK(cache.lookup(url) == std::optional<std::string>(""));
  CHECK(filesIn(cache.directory()) == std::vector<std::string>{cache.entryPath(url)});

  CHECK(cache.remove(url));
  CHECK_FALSE(cache.lookup(url));
  CHECK_FALSE(cache.remove(url));
  CHECK(filesIn(cache.directory()).empty());
}

TEST_CASE("the cache refuses what it cannot hold") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  vos::FetchCache cache(dir.path(), 16);
  std::string error;
  CHECK_FALSE(cache.store("http://example.org/x.vml", std::string(17, 'x'), &error));
  CHECK(error == "17 bytes is more than the cache's limit of 16 bytes");
  CHECK_FALSE(cache.store("http://example.org/x\n.vml", "x", &error));
  CHECK_FALSE(cache.store("", "x", &error));
  CHECK(filesIn(dir.path()).empty());
}

TEST_CASE("a corrupt cache entry is discarded, never returned") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  vos::FetchCache cache(dir.path());
  const std::string url = "https://example.org/java.vml";
  REQUIRE(cache.store(url, "(vmlet java)"));
  std::string good;
  {
    std::ifstream in(cache.entryPath(url), std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto damaged = [&](std::string text) {
    std::ofstream(cache.entryPath(url), std::ios::binary | std::ios::trunc) << text;
    bool miss = !cache.lookup(url);
    bool deleted = !std::filesystem::exists(cache.entryPath(url));
    return miss && deleted;
  };
  CHECK(damaged(good.substr(0, good.size() - 1)));                                  // truncated
  CHECK(damaged(good + "x"));                                                       // too long
  CHECK(damaged(good.substr(0, good.size() - 1) + "X"));                            // checksum
  CHECK(damaged("garbage"));                                                        // no header
  CHECK(damaged(""));                                                               // empty
  CHECK(damaged(std::string("vvm-fetch-cache v2") + good.substr(good.find('\n')))); // other format
  std::filesystem::create_directory(cache.entryPath(url));                          // not a file
  CHECK_FALSE(cache.lookup(url));
}

TEST_CASE("two URLs with one cache key are told apart by the entry's header") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  vos::FetchCache cache(dir.path());
  // A collision made by hand: B's entry file holds A's entry.
  const std::string a = "https://example.org/a.vml", b = "https://example.org/b.vml";
  REQUIRE(cache.store(a, "(vmlet a)"));
  std::filesystem::rename(cache.entryPath(a), cache.entryPath(b));
  CHECK_FALSE(cache.lookup(b));
  CHECK_FALSE(cache.remove(b));
  CHECK(std::filesystem::exists(cache.entryPath(b))); // A's entry is left alone
}

TEST_CASE("a reader never sees a half-written cache entry") {
  test::TempDir dir;
  REQUIRE(dir.ok());
  vos::FetchCache cache(dir.path());
  const std::string url = "https://example.org/java.vml";
  const std::string one(256 * 1024, '1'), two(200 * 1024, '2');
  REQUIRE(cache.store(url, one));
  std::atomic<bool> done{false};
  std::atomic<int> failedStores{0}; // Catch2's CHECK is not for other threads
  std::thread writer([&] {
    for (int i = 0; i < 100; ++i)
      if (!cache.store(url, i % 2 ? one : two)) ++failedStores;
    done = true;
  });
  size_t reads = 0, bad = 0;
  while (!done) {
    auto got = cache.lookup(url);
    ++reads;
    if (!got || (*got != one && *got != two)) ++bad;
  }
  writer.join();
  CHECK(failedStores == 0);
  CHECK(bad == 0);
  CHECK(reads > 0);
  CHECK(filesIn(dir.path()) == std::vector<std::string>{cache.entryPath(url)});
}
