// Fetching a small file over HTTP(S) (DESIGN §5, "Where VMlets come from"): the one way vvm
// reaches a remote repository, through libcurl. fetch() gets one URL's bytes into memory; it
// neither trusts nor keeps them. The caller verifies what it fetched (a VMlet's signature) and
// only then may keep it in a FetchCache (vos/FetchCache.h): fetch() never reads or writes a cache.
//
// What is allowed:
// - Only http:// and https:// URLs, checked before anything is sent (file://, ftp://, ... are
//   refused with UnsupportedScheme); libcurl is told the same, for the first request and for
//   every redirect. Redirects are followed, at most FetchOptions::maxRedirects of them (5 by
//   default), and only to http or https URLs (RedirectRefused). https certificates are checked
//   against the system's trust store as libcurl does by default; the proxy environment
//   variables (http_proxy, https_proxy, no_proxy) are honoured as libcurl does.
// - Offline mode refuses every fetch before libcurl is asked to do anything (Offline).
// - The body is capped: a Content-Length over FetchOptions::maxBytes stops the transfer before
//   the body is read, and a body that grows past it while arriving is cut off (TooLarge). The
//   default cap, 1 MiB, is far more than a VMlet of a few KB needs.
// - A connect timeout (10 s) and a timeout for the whole transfer, redirects included (30 s).
// - The final response must have a 2xx status; anything else is HttpStatus, and for a status of
//   400 or more the transfer stops before the body is read.
// - Requests are plain GETs with the User-Agent "vvm/VERSION" and no cookies, credentials files
//   or compression.
//
// Errors are values, never exceptions. Each is a FetchError (FetchErrors.def) with a message
// that starts with the URL, as a person can act on it:
//   http://127.0.0.1:4711/x.vml: HTTP 404
//   https://example.org/java.vml: timed out after 2 s
//   https://example.org/java.vml: larger than 1 MiB
//   ftp://example.org/java.vml: the ftp scheme is not supported; only http and https URLs are fetched
// The URL in a message has any password replaced by "***", control characters by '?', and is
// cut short after 200 characters.
//
// fetch() may be called from any thread. libcurl (in libvvm-fetch.so, loaded by the first call)
// is initialised (curl_global_init) once, by the first call, and never cleaned up: a clean-up at exit could race with a
// thread still fetching, and the process's end releases everything anyway.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace vvm::vos {

/// The default cap on a fetched body.
inline constexpr size_t kDefaultMaxFetchBytes = size_t{1} << 20;

/// "vvm/VERSION", the User-Agent fetch() sends unless told otherwise.
std::string defaultUserAgent();

/// How one fetch may proceed.
struct FetchOptions {
  /// Time to resolve the host and connect (per connection; 0 is libcurl's default of 300 s).
  std::chrono::milliseconds connectTimeout{10'000};
  /// Time for the whole transfer, redirects included (0: no limit).
  std::chrono::milliseconds totalTimeout{30'000};
  /// The largest body accepted, in bytes.
  size_t maxBytes = kDefaultMaxFetchBytes;
  /// Redirects followed before giving up (0: none are followed).
  int maxRedirects = 5;
  /// No network access at all: every fetch fails with FetchError::Offline.
  bool offline = false;
  /// Sent as the User-Agent header.
  std::string userAgent = defaultUserAgent();
};

/// Every way a fetch can fail.
enum class FetchError : uint8_t {
#define VVM_FETCH_ERROR(Name, Format) Name,
#include "vos/FetchErrors.def"
};

/// The error's name in FetchErrors.def ("HttpStatus"), for logs and tests.
std::string_view fetchErrorName(FetchError code);

/// A failed fetch.
struct FetchFailure {
  FetchError code{};
  std::string url;     ///< the URL as shown in the message (password hidden)
  std::string message; ///< "URL: what went wrong", one line
  long httpStatus = 0; ///< the response status for HttpStatus, else 0
};

/// What a successful fetch got.
struct Fetched {
  std::string body;
  std::string finalUrl;    ///< where the body came from, after redirects
  long httpStatus = 0;     ///< 200, or another 2xx
  std::string contentType; ///< the Content-Type header, "" when there was none
};

/// The body, or why there is none.
class [[nodiscard]] FetchResult {
public:
  FetchResult(Fetched value) : v_(std::move(value)) {}
  FetchResult(FetchFailure failure) : v_(std::move(failure)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  /// The fetched body and details; only when ok().
  const Fetched& value() const;
  Fetched& value();
  /// Shorthand for value().body.
  const std::string& body() const { return value().body; }
  /// Why the fetch failed; only when !ok().
  const FetchFailure& failure() const;
  FetchError error() const { return failure().code; }
  const std::string& message() const { return failure().message; }

private:
  std::variant<Fetched, FetchFailure> v_;
};

/// GETs `url` within `options`. Blocks until the transfer ends; never throws. The first call
/// loads the fetch module (libvvm-fetch.so, which alone links libcurl); when it cannot be
/// loaded, every fetch fails with NoLibcurl and says why.
FetchResult fetch(const std::string& url, const FetchOptions& options = {});

/// The module's interface: `void* vvm_fetch_function(uint32_t abiVersion)` returns a
/// FetchFunction, or null for another version. Bump the version when anything in this header
/// that crosses it changes (FetchOptions, FetchResult and what they hold).
inline constexpr uint32_t kFetchAbiVersion = 1;
using FetchFunction = FetchResult (*)(const std::string& url, const FetchOptions& options);

} // namespace vvm::vos
