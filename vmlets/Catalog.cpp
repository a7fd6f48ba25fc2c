// Finding VMlets in the search directories.
#include "vmlets/Catalog.h"

#include "vos/Host.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace vvm::vmlets {
namespace fs = std::filesystem;

std::string_view originName(Origin o) {
  switch (o) {
  case Origin::InstallTree: return "install tree";
  case Origin::SearchPath: return "VVM_VMLET_PATH";
  case Origin::UserData: return "user data";
  case Origin::Repository: return "repository";
  }
  return "?";
}

std::vector<SearchDir> standardSearchDirs() {
  std::vector<SearchDir> dirs;
  if (std::string installed = installVmletsDirectory(); !installed.empty())
    dirs.push_back({installed, Origin::InstallTree});
  if (const char* path = std::getenv("VVM_VMLET_PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) dirs.push_back({std::string(dir), Origin::SearchPath});
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && xdg[0] == '/')
    dirs.push_back({(fs::path(xdg) / "vvm" / "vmlets").string(), Origin::UserData});
  else if (home && home[0] == '/')
    dirs.push_back({(fs::path(home) / ".local" / "share" / "vvm" / "vmlets").string(), Origin::UserData});
  return dirs;
}

std::string describeSignature(const Found& f) { return f.trust ? f.trust->reason : "not checked"; }

security::Result<security::TrustStore> userTrustStore(const std::vector<std::string>& extraKeys,
                                                      std::vector<security::Failure>& warnings) {
  security::TrustStore trust;
  if (std::string dir = security::TrustStore::defaultDirectory(); !dir.empty()) {
    if (auto st = trust.addDirectory(dir, warnings); !st.ok()) warnings.push_back(st.failure());
  }
  for (const std::string& key : extraKeys)
    if (auto st = trust.addKeyFile(key); !st.ok()) return st.failure();
  return trust;
}

std::vector<Found> findVmlets(const std::vector<SearchDir>& dirs, const security::TrustStore* trust) {
  std::vector<Found> found;
  for (const SearchDir& dir : dirs) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir.path, ec))
      if (e.path().extension() == ".vml" && e.is_regular_file(ec)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    // The install tree's files are judged by its hash list, read once for the directory.
    std::optional<HashList> hashes;
    std::string hashError;
    if (trust && dir.origin == Origin::InstallTree && !files.empty()) {
      HashList list;
      if (HashList::load(dir.path, list, hashError)) hashes = std::move(list);
    }
    for (const fs::path& file : files) {
      Found f;
      f.path = file.string();
      f.origin = dir.origin;
      std::string error;
      bool notFound = false;
      auto text = vos::readFile(f.path, kMaxVmletBytes, error, notFound);
      if (!text) {
        f.problem = f.path + ": error: " + error;
        found.push_back(std::move(f));
        continue;
      }
      if (trust) {
        f.trust = dir.origin == Origin::InstallTree
                      ? judgeShipped(f.path, *text, hashes ? &*hashes : nullptr, hashError)
                      : judgeSigned(f.path, *text, *trust);
        f.signature = f.trust->signature;
      }
      Manifest m;
      Diagnostics diags;
      if (readManifest(*text, f.path, m, diags))
        f.manifest = std::move(m);
      else
        f.problem = diags.format();
      found.push_back(std::move(f));
    }
  }
  return found;
}

} // namespace vvm::vmlets
