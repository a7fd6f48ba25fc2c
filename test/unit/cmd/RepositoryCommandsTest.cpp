// Remote VMlet repositories as a user meets them through `vvm inspect`, `vvm run` and
// `vvm vmlets`: a repository served from 127.0.0.1 on a port the kernel picks, by a server the
// test starts and stops; a signed VMlet found through it, fetched, verified and cached; tampered,
// unsigned and strangers' VMlets refused with exit status 3 and nothing cached; repositories that
// are down, missing or malformed skipped with a warning; offline mode.
#include "RunVvm.h"
#include "test/support/Files.h"
#include "test/support/LocalHttpServer.h"
#include "test/support/RepositoryFixture.h"

#include "vos/FetchCache.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <string>

using namespace vvm;
using Server = test::LocalHttpServer;
using test::RepositoryFixture;
using test::runVvm;
using test::ScopedEnv;
using test::VvmRun;

namespace {

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

/// The routes of a repository at /repo serving `vmlet` as xyz.vml.
std::map<std::string, Server::Response> repository(const std::string& vmlet) {
  return {{"/repo/index.vc", Server::Response(200, RepositoryFixture::indexEntry())},
          {"/repo/xyz.vml", Server::Response(200, vmlet)}};
}

} // namespace

TEST_CASE("a signed VMlet from a repository is found, fetched, verified, cached, and used offline afterwards") {
  RepositoryFixture world;
  std::string prog = world.program();
  std::string signedVmlet = world.sign(RepositoryFixture::vmlet());
  std::optional<Server> server(std::in_place, repository(signedVmlet));
  std::string base = server->url("/repo"), url = server->url("/repo/xyz.vml");
  ScopedEnv repos("VVM_VMLET_REPOS", base.c_str());
  vos::FetchCache cache(world.cacheDir());

  VvmRun listed = runVvm("vmlets");
  CHECK(listed.status == 0);
  CHECK(
      has(listed.out, "xyz              0.1.0      application/x-vvm-xyz            repository       not fetched yet"));
  CHECK(has(listed.out, "  " + url + "\n"));
  CHECK_FALSE(cache.lookup(url));

  VvmRun inspected = runVvm("inspect " + prog, "", world.dir().file("stderr"));
  CHECK(inspected.status == 0);
  CHECK(inspected.err.empty());
  CHECK(has(inspected.out, "type:    application/x-vvm-xyz\ndecided: by suffix (suffix .xyz)\n"));
  CHECK(has(inspected.out, "runs on: VMlet xyz 0.1.0\nfrom:    " + url + " (repository " + base + ")\n"));
  CHECK(has(inspected.out, "signed:  signed by trusted key"));
  CHECK(has(inspected.out, "cached:  " + cache.entryPath(url) + " (fetched and verified now)\n"));
  CHECK(cache.lookup(url) == signedVmlet);

  // The index is fresh and the VMlet cached: running asks the server for nothing.
  size_t requests = server->requestCount();
  VvmRun ran = runVvm("-v run " + prog + " some args");
  CHECK(has(ran.out, "vvm: info: " + prog + ": VMlet xyz 0.1.0 from " + url + ", verified, from the cache\n"));
  CHECK_FALSE(has(ran.out, "cannot be used")); // how every failure to fetch or verify it begins
  CHECK(server->requestCount() == requests);
  // From here on the run is the loader's, which this VMlet (a manifest and no entry procedure)
  // does not get far with; the loader's tests run programs through VMlets.

  listed = runVvm("vmlets");
  CHECK(has(listed.out, "repository       signed by trusted key "));
  CHECK(has(listed.out, "me.pub) (cached)\n  " + url + "\n"));

  // With the server gone, offline mode still finds the VMlet, through the cached index.
  server.reset();
  {
    ScopedEnv offline("VVM_OFFLINE", "1");
    ran = runVvm("-v run " + prog);
    CHECK(has(ran.out, "VMlet xyz 0.1.0 from " + url + ", verified, from the cache\n"));
    CHECK_FALSE(has(ran.out, "cannot be used"));
  }
  inspected = runVvm("--offline inspect " + prog);
  CHECK(inspected.status == 0);
  CHECK(has(inspected.out, "(verified again from the cache)"));
}

TEST_CASE("a VMlet changed after signing is refused with exit status 3, and nothing of it is cached") {
  RepositoryFixture world;
  std::string prog = world.program();
  Server server(repository(world.tampered(world.sign(RepositoryFixture::vmlet()))));
  std::string url = server.url("/repo/xyz.vml");
  ScopedEnv repos("VVM_VMLET_REPOS", server.url("/repo").c_str());
  vos::FetchCache cache(world.cacheDir());

  for (const char* command : {"inspect ", "run "}) {
    VvmRun r = runVvm(command + prog, "", world.dir().file("stderr"));
    CHECK(r.status == 3);
    CHECK(has(r.err, url + ": signature check failed: the signature by key "));
    CHECK(has(r.err, "does not match the content (changed after signing, or forged)"));
    CHECK_FALSE(std::filesystem::exists(cache.entryPath(url)));
    // The index alone is cached.
    CHECK(world.cacheFiles() == std::vector<std::string>{cache.entryPath(server.url("/repo/index.vc"))});
  }
}

TEST_CASE("unsigned VMlets and VMlets signed by an untrusted key are refused with exit status 3") {
  RepositoryFixture world;
  std::string prog = world.program();
  SECTION("unsigned") {
    Server server(repository(RepositoryFixture::vmlet()));
    ScopedEnv repos("VVM_VMLET_REPOS", server.url("/repo").c_str());
    VvmRun r = runVvm("run " + prog);
    CHECK(r.status == 3);
    CHECK(has(r.out, server.url("/repo/xyz.vml") + ": signature check failed: not signed"));
    CHECK_FALSE(std::filesystem::exists(vos::FetchCache(world.cacheDir()).entryPath(server.url("/repo/xyz.vml"))));
  }
  SECTION("signed by a stranger") {
    Server server(repository(RepositoryFixture::signByStranger(RepositoryFixture::vmlet())));
    ScopedEnv repos("VVM_VMLET_REPOS", server.url("/repo").c_str());
    VvmRun r = runVvm("inspect " + prog);
    CHECK(r.status == 3);
    CHECK(has(r.out, "which is not in the trust store"));
  }
}

TEST_CASE("repositories that are down, missing or malformed are skipped with a warning, and the others still count") {
  RepositoryFixture world;
  std::string prog = world.program();
  std::string down;
  {
    Server gone({});
    down = gone.url("/repo"); // nothing listens there once it is gone
  }
  Server empty({});
  Server malformed({{"/repo/index.vc", Server::Response(200, RepositoryFixture::indexEntry() + "(entry \"../x.vml\" " +
                                                                 RepositoryFixture::manifest() + ")\n")}});
  Server good(repository(world.sign(RepositoryFixture::vmlet())));
  std::string repos = down + " " + empty.url("/repo") + "," + malformed.url("/repo") + "\n" + good.url("/repo/");
  ScopedEnv reposEnv("VVM_VMLET_REPOS", repos.c_str());

  VvmRun r = runVvm("inspect " + prog, "", world.dir().file("stderr"));
  CHECK(r.status == 0);
  CHECK(has(r.out, "from:    " + good.url("/repo/xyz.vml") + " (repository " + good.url("/repo") + ")\n"));
  CHECK(has(r.err, "warning: repository " + down + " skipped: " + down + "/index.vc: cannot connect"));
  CHECK(has(r.err,
            "warning: repository " + empty.url("/repo") + " skipped: " + empty.url("/repo/index.vc") + ": HTTP 404"));
  CHECK(has(r.err, "warning: " + malformed.url("/repo/index.vc") + " is not a valid repository index, so repository " +
                       malformed.url("/repo") + " is skipped:\n" + malformed.url("/repo/index.vc") +
                       ":4:8: error: "
                       "\"../x.vml\" is not a VMlet file name"));

  // Without the good one, nothing runs the file: not found, and still no crash.
  ScopedEnv onlyBad("VVM_VMLET_REPOS", (down + " " + malformed.url("/repo")).c_str());
  r = runVvm("run " + prog);
  CHECK(r.status == 4);
  CHECK(has(r.out, "no VMlet can run this file"));
}

TEST_CASE("offline with nothing cached: the repository is not asked, and nothing runs the file") {
  RepositoryFixture world;
  std::string prog = world.program();
  Server server(repository(world.sign(RepositoryFixture::vmlet())));
  ScopedEnv repos("VVM_VMLET_REPOS", server.url("/repo").c_str());
  ScopedEnv offline("VVM_OFFLINE", "1");
  for (const char* command : {"inspect ", "run ", "--offline run "}) {
    VvmRun r = runVvm(command + prog);
    CHECK(r.status == 4);
    CHECK(has(r.out, server.url("/repo/index.vc") + ": not fetched: vvm is in offline mode"));
    CHECK(has(r.out, "offline mode: only the repository indexes in the cache were consulted"));
  }
  CHECK(server.requestCount() == 0);
  CHECK(world.cacheFiles().empty());
}

TEST_CASE("repositories come from the config file too, after VVM_VMLET_REPOS, and bad lines are named") {
  RepositoryFixture world;
  std::string prog = world.program();
  Server server(repository(world.sign(RepositoryFixture::vmlet())));
  std::filesystem::create_directories(world.dir().file("config/vvm"));
  std::string file = world.dir().write("config/vvm/repositories", "# my repositories\n\nftp://example.org/vmlets\n  " +
                                                                      server.url("/repo") + "/  # the test's\n");
  VvmRun r = runVvm("inspect " + prog);
  CHECK(r.status == 0);
  CHECK(has(r.out, "warning: " + file +
                       ":3: repository \"ftp://example.org/vmlets\" left out: a repository is an "
                       "http:// or https:// URL"));
  CHECK(has(r.out, "(repository " + server.url("/repo") + ")\n"));
}

TEST_CASE("a program runs through a signed VMlet served by a repository; a tampered copy is refused") {
  RepositoryFixture world;
  // The example VMlet under another name and type (the shipped one would claim .stk files).
  std::string stack = test::contents(std::string(VVM_SOURCE_DIR) + "/vmlets/shipped/stack.vml");
  size_t from = stack.find("(vmlet stack"), to = stack.find("\n(byte-order");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  std::string manifest = "(vmlet rstack (version \"1.0.0\")\n  (type \"application/x-vvm-rstack\" (suffix \".rstk\"))\n"
                         "  (capability stdout) (capability args))";
  std::string vmlet = stack.substr(0, from) + manifest + "\n" + stack.substr(to);
  // main: push 6, sq, print, ret
  const char code[] = {0x01, 0, 0, 0, 6, 0x0D, 0x30, 0x21};
  // Not STK1: that magic number is the shipped VMlet's; this file is typed by its suffix.
  std::string program = std::string("RSTK\0\1\4main\0\0\0\0\0\0\x08", 18) + std::string(code, sizeof code);
  std::string prog = world.dir().write("prog.rstk", program);
  std::string signedVmlet = world.sign(vmlet);

  {
    Server server({{"/repo/index.vc", Server::Response(200, RepositoryFixture::indexEntry("rstack.vml", manifest))},
                   {"/repo/rstack.vml", Server::Response(200, signedVmlet)}});
    ScopedEnv repos("VVM_VMLET_REPOS", server.url("/repo").c_str());
    VvmRun ran = runVvm("run " + prog);
    CHECK(ran.status == 0);
    CHECK(ran.out == "36\n");
    vos::FetchCache cache(world.cacheDir());
    CHECK(cache.lookup(server.url("/repo/rstack.vml")) == signedVmlet);
  }
  // Another world: the VMlet is signed, but its body does not pass the checks (a template that
  // does not verify): refused with exit status 3, and it leaves the cache again.
  {
    RepositoryFixture broken;
    std::string bad = vmlet;
    bad.replace(bad.find("(def-opcode #x04 add () (add.i32))"), 34, "(def-opcode #x04 add () (const.null) (add.i32))");
    Server server({{"/repo/index.vc", Server::Response(200, RepositoryFixture::indexEntry("rstack.vml", manifest))},
                   {"/repo/rstack.vml", Server::Response(200, broken.sign(bad))}});
    ScopedEnv repos("VVM_VMLET_REPOS", server.url("/repo").c_str());
    VvmRun refused = runVvm("run " + broken.dir().write("prog.rstk", program));
    CHECK(refused.status == 3);
    CHECK(has(refused.out, "does not pass verification"));
    CHECK(has(refused.out, "body: "));
    CHECK(broken.cacheFiles() ==
          std::vector<std::string>{vos::FetchCache(broken.cacheDir()).entryPath(server.url("/repo/index.vc"))});
  }
  // Another world, the same VMlet changed after signing: refused, and not cached.
  RepositoryFixture other;
  std::string tampered = signedVmlet;
  tampered[tampered.find("(def-opcode #x0D sq () (square))") + 1] = 'D';
  Server server({{"/repo/index.vc", Server::Response(200, RepositoryFixture::indexEntry("rstack.vml", manifest))},
                 {"/repo/rstack.vml", Server::Response(200, tampered)}});
  ScopedEnv repos("VVM_VMLET_REPOS", server.url("/repo").c_str());
  std::string prog2 = other.dir().write("prog.rstk", program);
  VvmRun refused = runVvm("run " + prog2);
  CHECK(refused.status == 3);
  CHECK(has(refused.out, "signature check failed"));
  CHECK(other.cacheFiles() ==
        std::vector<std::string>{vos::FetchCache(other.cacheDir()).entryPath(server.url("/repo/index.vc"))});
}
