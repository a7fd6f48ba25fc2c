// fetch() over libcurl's easy interface: one handle per call, so calls on different threads
// share nothing but libcurl's global state, initialised once. This file is libvvm-fetch.so, the
// fetch module vos/Fetch.cpp loads on the first fetch: linking libcurl into vvm itself would
// load libcurl and its ~30 libraries (TLS, Kerberos, LDAP, ...) on every start of vvm, which
// measured 6 ms of the 8 ms a `vvm version` took; most runs never fetch anything.
#include "vos/Fetch.h"

#include "core/support/Assert.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <strings.h>

namespace vvm::vos {

namespace {

constexpr std::string_view kErrorFormats[] = {
#define VVM_FETCH_ERROR(Name, Format) Format,
#include "vos/FetchErrors.def"
};

/// The protocols libcurl may use, for the first request and for redirects alike.
constexpr const char* kProtocols = "http,https";
/// A URL in a message is cut short after this many characters.
constexpr size_t kMaxShownUrl = 200;

/// curl_global_init's result. The first caller runs it; C++ guarantees that callers racing
/// on a function-local static wait for that first one, so it runs exactly once.
CURLcode curlGlobalInit() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  return code;
}

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

/// One part of a parsed URL, or "" when it has none.
std::string urlPart(CURLU* u, CURLUPart part) {
  char* s = nullptr;
  if (curl_url_get(u, part, &s, 0) != CURLUE_OK || !s) return {};
  CurlString owned(s);
  return owned.get();
}

/// Text from outside (a URL, a server's header) made safe for a one-line message.
std::string printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxShownUrl; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  }
  if (text.size() > kMaxShownUrl) out += "...";
  return out;
}

/// `url` as a message shows it: any password replaced by "***"; an empty one as "\"\"".
std::string shownUrl(const std::string& url) {
  if (url.empty()) return "\"\"";
  CurlUrl u(curl_url());
  if (u && curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
      !urlPart(u.get(), CURLUPART_PASSWORD).empty() &&
      curl_url_set(u.get(), CURLUPART_PASSWORD, "***", 0) == CURLUE_OK) {
    std::string hidden = urlPart(u.get(), CURLUPART_URL);
    if (!hidden.empty()) return printable(hidden);
  }
  return printable(url);
}

template <typename... Args> FetchFailure fail(FetchError code, const std::string& url, const Args&... args) {
  FetchFailure f;
  f.code = code;
  f.url = shownUrl(url);
  f.message = f.url + ": " + fmt::vformat(kErrorFormats[static_cast<size_t>(code)], fmt::make_format_args(args...));
  return f;
}

/// "2", "0.5": a duration in seconds as a message shows it.
std::string seconds(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return fmt::format("{}", ms.count() / 1000);
  return fmt::format("{:g}", static_cast<double>(ms.count()) / 1000.0);
}

/// "1 MiB", "64 KiB", "1000 bytes".
std::string byteSize(size_t n) {
  if (n != 0 && n % (size_t{1} << 20) == 0) return fmt::format("{} MiB", n >> 20);
  if (n != 0 && n % (size_t{1} << 10) == 0) return fmt::format("{} KiB", n >> 10);
  return fmt::format("{} bytes", n);
}

/// The body as it arrives, and whether it outgrew its cap.
struct Sink {
  std::string body;
  size_t maxBytes = 0;
  bool tooLarge = false;
};

/// CURLOPT_WRITEFUNCTION. Returning less than it was given makes libcurl stop the transfer
/// with CURLE_WRITE_ERROR; `tooLarge` then tells that apart from other write errors.
size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  if (n > sink->maxBytes - sink->body.size()) {
    sink->tooLarge = true;
    return 0;
  }
  sink->body.append(data, n);
  return n;
}

/// Sets every option of one transfer; false when libcurl refused one (never expected: it
/// would mean a libcurl built without http, so nothing is fetched rather than something
/// fetched with a protection missing).
bool configure(CURL* h, const std::string& url, const FetchOptions& o, Sink& sink, char* errorBuffer) {
  auto ms = [](std::chrono::milliseconds d) { return static_cast<long>(std::max<int64_t>(d.count(), 0)); };
  curl_off_t cap = static_cast<curl_off_t>(std::min<uint64_t>(o.maxBytes, std::numeric_limits<curl_off_t>::max()));
  bool ok = true;
  ok &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errorBuffer) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_URL, url.c_str()) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500 // 7.85.0 added the _STR forms and deprecated the bit masks
  ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, kProtocols) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, kProtocols) == CURLE_OK;
#else
  ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS}) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS}) == CURLE_OK;
#endif
  ok &= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(std::max(o.maxRedirects, 0))) == CURLE_OK;
  // Timeouts must not use signals: fetch() runs on any thread.
  ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms(o.connectTimeout)) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms(o.totalTimeout)) == CURLE_OK;
  // libcurl reads 0 as "no limit", so a zero cap is left to onBody alone.
  if (cap > 0) ok &= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, cap) == CURLE_OK;
  // A status of 400 or more ends the transfer before its body is read.
  ok &= curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_USERAGENT, o.userAgent.c_str()) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink) == CURLE_OK;
  return ok;
}

/// libcurl's explanation of `code`: the error buffer when it was filled, else the generic text.
std::string curlReason(CURLcode code, const char* errorBuffer) {
  return printable(errorBuffer[0] ? std::string_view(errorBuffer) : std::string_view(curl_easy_strerror(code)));
}

/// The failure a finished transfer's `code` stands for.
FetchFailure transferFailure(CURL* h, CURLcode code, const std::string& url, const FetchOptions& o, const Sink& sink,
                             const char* errorBuffer) {
  switch (code) {
  case CURLE_HTTP_RETURNED_ERROR: {
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    FetchFailure f = fail(FetchError::HttpStatus, url, status);
    f.httpStatus = status;
    return f;
  }
  case CURLE_FILESIZE_EXCEEDED: return fail(FetchError::TooLarge, url, byteSize(o.maxBytes));
  case CURLE_WRITE_ERROR:
    if (sink.tooLarge) return fail(FetchError::TooLarge, url, byteSize(o.maxBytes));
    break;
  case CURLE_OPERATION_TIMEDOUT: {
    // libcurl reports both timeouts with one code; no connection yet means the connect
    // timeout fired, unless the total one is the shorter.
    curl_off_t connected = 0;
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
    bool totalFirst = o.totalTimeout.count() > 0 && o.totalTimeout <= o.connectTimeout;
    if (connected == 0 && o.connectTimeout.count() > 0 && !totalFirst)
      return fail(FetchError::ConnectTimedOut, url, seconds(o.connectTimeout));
    return fail(FetchError::TimedOut, url, seconds(o.totalTimeout));
  }
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY: return fail(FetchError::HostNotFound, url, curlReason(code, errorBuffer));
  case CURLE_COULDNT_CONNECT: return fail(FetchError::ConnectFailed, url, curlReason(code, errorBuffer));
  case CURLE_TOO_MANY_REDIRECTS: return fail(FetchError::TooManyRedirects, url, std::max(o.maxRedirects, 0));
  case CURLE_UNSUPPORTED_PROTOCOL: {
    // The first URL's scheme was checked before the transfer, so this is a redirect's.
    char* target = nullptr;
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &target);
    return fail(FetchError::RedirectRefused, url, target ? shownUrl(target) : std::string("?"));
  }
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_USE_SSL_FAILED: return fail(FetchError::TlsFailed, url, curlReason(code, errorBuffer));
  default: break;
  }
  return fail(FetchError::TransferFailed, url, curlReason(code, errorBuffer));
}

FetchResult curlFetch(const std::string& url, const FetchOptions& options) {
  if (CURLcode init = curlGlobalInit(); init != CURLE_OK)
    return fail(FetchError::NoLibcurl, url, curl_easy_strerror(init));

  // The scheme is checked here rather than left to libcurl, so that a refusal names it and
  // offline mode still says when a URL could never be fetched.
  if (url.find("://") == std::string::npos)
    return fail(FetchError::BadUrl, url, "it should start with http:// or https://");
  CurlUrl parsed(curl_url());
  if (!parsed) return fail(FetchError::NoLibcurl, url, "out of memory");
  if (CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME); rc != CURLUE_OK)
    return fail(FetchError::BadUrl, url, curl_url_strerror(rc));
  std::string scheme = urlPart(parsed.get(), CURLUPART_SCHEME);
  if (strcasecmp(scheme.c_str(), "http") != 0 && strcasecmp(scheme.c_str(), "https") != 0)
    return fail(FetchError::UnsupportedScheme, url, printable(scheme));

  if (options.offline) return fail(FetchError::Offline, url);

  CurlEasy h(curl_easy_init());
  if (!h) return fail(FetchError::NoLibcurl, url, "curl_easy_init failed");
  Sink sink;
  sink.maxBytes = options.maxBytes;
  char errorBuffer[CURL_ERROR_SIZE] = {};
  if (!configure(h.get(), url, options, sink, errorBuffer))
    return fail(FetchError::NoLibcurl, url, "an http or https transfer option was refused");

  CURLcode code = curl_easy_perform(h.get());
  if (code != CURLE_OK) return transferFailure(h.get(), code, url, options, sink, errorBuffer);

  Fetched got;
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &got.httpStatus);
  if (got.httpStatus < 200 || got.httpStatus > 299) {
    FetchFailure f = fail(FetchError::HttpStatus, url, got.httpStatus);
    f.httpStatus = got.httpStatus;
    return f;
  }
  char* text = nullptr;
  if (curl_easy_getinfo(h.get(), CURLINFO_EFFECTIVE_URL, &text) == CURLE_OK && text) got.finalUrl = text;
  text = nullptr;
  if (curl_easy_getinfo(h.get(), CURLINFO_CONTENT_TYPE, &text) == CURLE_OK && text) got.contentType = text;
  got.body = std::move(sink.body);
  return got;
}

} // namespace

} // namespace vvm::vos

/// The module's one entry: the fetch function, for the ABI version vvm was built with.
extern "C" __attribute__((visibility("default"))) void* vvm_fetch_function(uint32_t abiVersion) {
  if (abiVersion != vvm::vos::kFetchAbiVersion) return nullptr;
  return reinterpret_cast<void*>(&vvm::vos::curlFetch);
}
