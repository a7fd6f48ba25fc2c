// A repository's VMlet from the cache or the network, verified before it is used or cached.
#include "vmlets/RemoteVmlet.h"

#include "security/Signature.h"
#include "vmlets/Catalog.h"
#include "vos/FetchCache.h"

#include <fmt/format.h>

#include <strings.h>

namespace vvm::vmlets {
namespace {

using security::SignatureCheck;
using security::Verdict;

/// A copy of a VMlet and, when it has no embedded signature, the detached one found beside it.
struct Copy {
  std::string text;
  std::optional<std::string> detached;
};

/// Checks `bytes` against the text of a detached signature file fetched from `sigUrl`, with the
/// rule readSignatureFile applies to a local one: one signature line, one final '\n' at most.
SignatureCheck checkDetachedText(std::string_view bytes, std::string_view sigText, const std::string& sigUrl,
                                 const security::TrustStore& trust) {
  SignatureCheck malformed;
  malformed.verdict = Verdict::Malformed;
  if (sigText.ends_with('\n')) sigText.remove_suffix(1);
  if (sigText.find('\n') != std::string_view::npos) {
    malformed.problem = security::fail(security::SecurityError::SignatureFileExtra, sigUrl, 2);
    return malformed;
  }
  auto sig = security::parseSignatureLine(sigText);
  if (!sig) {
    malformed.problem = security::locate(sig.failure(), sigUrl, 1);
    return malformed;
  }
  return trust.check(bytes, *sig);
}

/// The embedded signature's check, or the detached one's when there is no embedded one.
SignatureCheck checkSignature(const Copy& c, const std::string& url, const security::TrustStore& trust) {
  SignatureCheck check = trust.checkEmbedded(c.text, url);
  if (check.verdict != Verdict::Unsigned || !c.detached) return check;
  return checkDetachedText(c.text, *c.detached, url + ".sig", trust);
}

/// Why `c` may not be used as `v` (one line naming the URL), or "" when it may; `check` gets
/// the signature's check.
std::string refusal(const Copy& c, const RemoteVmlet& v, const security::TrustStore& trust, SignatureCheck& check) {
  check = checkSignature(c, v.url, trust);
  if (check.verdict != Verdict::Trusted)
    return fmt::format("{}: signature check failed: {}; a VMlet from a repository is used only when signed by a "
                       "key in the trust store (docs/security.md)",
                       v.url, check.describe());
  // Signed by a trusted key, so its manifest is the signer's word; the index's is only the
  // repository's, and must not make the VMlet run what it does not declare.
  Manifest own;
  Diagnostics diags;
  if (!readManifest(c.text, v.url, own, diags)) {
    const Diagnostic& d = diags.all().front();
    return fmt::format("{}:{}:{}: refused: its manifest cannot be read: {}", v.url, d.line, d.col, d.message);
  }
  const Manifest& said = v.manifest;
  if (own.name != said.name || own.version != said.version)
    return fmt::format("{}: refused: it is VMlet {} {}, but the repository's index says {} {}", v.url, own.name,
                       own.version, said.name, said.version);
  for (const vos::TypeEntry& t : said.types) {
    bool declared = false;
    for (const vos::TypeEntry& mine : own.types)
      declared = declared || strcasecmp(mine.name.c_str(), t.name.c_str()) == 0;
    if (!declared)
      return fmt::format("{}: refused: the repository's index says it runs {}, but its own manifest does not", v.url,
                         t.name);
  }
  return {};
}

} // namespace

ObtainResult obtainVmlet(const RemoteVmlet& v, const RepositoryConfig& config, const security::TrustStore& trust,
                         std::vector<std::string>& warnings) {
  vos::FetchCache cache(config.cacheDir, kMaxVmletBytes);
  const std::string sigUrl = v.url + ".sig";
  SignatureCheck check;
  if (auto text = cache.lookup(v.url)) {
    Copy c{std::move(*text), cache.lookup(sigUrl)};
    std::string why = refusal(c, v, trust, check);
    if (why.empty()) return VerifiedVmlet{v.url, std::move(c.text), cache.entryPath(v.url), true, check};
    // It passed when it was stored: the trust store has changed since, or the entry was edited.
    // Either way it is not kept.
    cache.remove(v.url);
    cache.remove(sigUrl);
    if (config.offline())
      return ObtainFailure{ObtainError::Rejected, why + " (the cached copy, now removed; vvm is offline)"};
  }

  vos::FetchOptions options = config.fetch;
  options.maxBytes = kMaxVmletBytes;
  vos::FetchResult fetched = vos::fetch(v.url, options); // refused at once in offline mode
  if (!fetched)
    return ObtainFailure{ObtainError::Unavailable,
                         fetched.message() + (config.offline() ? ", and it is not in the cache" : "")};
  Copy c{std::move(fetched.value().body), std::nullopt};
  if (trust.checkEmbedded(c.text, v.url).verdict == Verdict::Unsigned) {
    // No embedded signature: it may have a detached one beside it. A 4xx means there is none,
    // and the check below refuses the VMlet as unsigned.
    vos::FetchOptions sigOptions = options;
    sigOptions.maxBytes = security::kMaxSignatureFileBytes;
    vos::FetchResult sig = vos::fetch(sigUrl, sigOptions);
    if (sig) {
      c.detached = std::move(sig.value().body);
    } else if (sig.error() != vos::FetchError::HttpStatus || sig.failure().httpStatus >= 500) {
      return ObtainFailure{ObtainError::Unavailable, v.url +
                                                         ": no embedded signature, and its detached signature "
                                                         "cannot be fetched: " +
                                                         sig.message()};
    }
  }
  if (std::string why = refusal(c, v, trust, check); !why.empty()) return ObtainFailure{ObtainError::Rejected, why};

  // The signature first: a cached VMlet is never without the signature that verifies it.
  std::string error;
  bool stored = (!c.detached || cache.store(sigUrl, *c.detached, &error)) && cache.store(v.url, c.text, &error);
  if (!stored) warnings.push_back(fmt::format("{}: verified, but not cached: {}", v.url, error));
  return VerifiedVmlet{v.url, std::move(c.text), stored ? cache.entryPath(v.url) : "", false, check};
}

std::optional<SignatureCheck> cachedSignature(const RemoteVmlet& v, const RepositoryConfig& config,
                                              const security::TrustStore& trust) {
  vos::FetchCache cache(config.cacheDir, kMaxVmletBytes);
  auto text = cache.lookup(v.url);
  if (!text) return std::nullopt;
  return checkSignature(Copy{std::move(*text), cache.lookup(v.url + ".sig")}, v.url, trust);
}

} // namespace vvm::vmlets
