// `vvm keygen [--out PREFIX] [--force]` and `vvm sign FILE --key KEYFILE [--detached] [--force]`.
// Results go to stdout, failures to stderr in security/'s located form ("FILE:LINE: error: ..."),
// each with the exit status of ExitStatus.def that says what kind of trouble it was.
#include "cmd/KeyCommands.h"

#include "cmd/ExitStatus.h"
#include "security/KeyFile.h"
#include "security/SignFile.h"

#include <fmt/format.h>

#include <cstdio>

namespace vvm::cmd {

namespace {

using security::Failure;
using security::SecurityError;

/// The exit status for a failure of the security layer.
Exit exitFor(const Failure& f) {
  switch (f.code) {
  case SecurityError::FileNotFound: return Exit::NotFound;
  case SecurityError::FileExists:
  case SecurityError::FileUnwritable: return Exit::CannotWrite;
  case SecurityError::SodiumUnavailable: return Exit::Internal;
  default: return Exit::LoadFailed; // a file that is malformed, unprotected, too big, not text, ...
  }
}

int report(const Failure& f, Exit status) {
  std::fputs(f.format().c_str(), stderr);
  return static_cast<int>(status);
}

} // namespace

CLI::App* addKeygenCommand(CLI::App& app, KeygenOptions& o) {
  CLI::App* keygen = app.add_subcommand("keygen", "Make an Ed25519 key pair for signing: PREFIX.pub and PREFIX.key");
  keygen->add_option("-o,--out", o.prefix, "Write the pair to PREFIX.pub (public) and PREFIX.key (secret, mode 0600)")
      ->type_name("PREFIX")
      ->capture_default_str()
      ->check(
          [](const std::string& prefix) {
            // "keys/" would make the hidden files "keys/.pub" and "keys/.key".
            return prefix.empty() || prefix.back() == '/'
                       ? "PREFIX names the files, not only their directory: try " + prefix + kDefaultKeyPrefix
                       : std::string();
          },
          "", "PREFIX");
  keygen->add_flag("-f,--force", o.force, "Replace an existing pair of that name (its secret key is then lost)");
  keygen->footer("Give PREFIX.pub to whoever should trust what you sign; keep PREFIX.key private.\n"
                 "Existing files are never overwritten without --force. Formats: docs/security.md.");
  return keygen;
}

int keygenCommand(const KeygenOptions& o) {
  auto pair = security::generateKeyPair();
  if (!pair) return report(pair.failure(), exitFor(pair.failure()));
  security::Status saved = security::saveKeyPair(o.prefix, *pair, o.force);
  if (!saved) {
    // Whatever went wrong, it went wrong writing: the status says so, the message says what.
    report(saved.failure(), Exit::CannotWrite);
    if (saved.failure().code == SecurityError::FileExists)
      std::fputs("vvm keygen: nothing written; choose another name with --out PREFIX, or replace the pair with "
                 "--force\n",
                 stderr);
    return static_cast<int>(Exit::CannotWrite);
  }
  security::KeyPairFiles files = security::keyPairFiles(o.prefix);
  std::fputs(fmt::format("key id:     {}\n"
                         "public key: {} (give it to whoever should trust what you sign)\n"
                         "secret key: {} (mode 0600; keep it private)\n",
                         pair->publicKey.id().hex(), files.publicKey, files.secretKey)
                 .c_str(),
             stdout);
  return 0;
}

CLI::App* addSignCommand(CLI::App& app, SignOptions& o) {
  CLI::App* sign = app.add_subcommand("sign", "Sign a file (a VMlet; any file with --detached) with an Ed25519 key");
  sign->add_option("file", o.file, "The file to sign")->required();
  sign->add_option("-k,--key", o.key, "Secret key file (PREFIX.key, made by vvm keygen)")
      ->type_name("KEYFILE")
      ->required();
  sign->add_flag("--detached", o.detached, "Write the signature to FILE.sig, leaving FILE as it is");
  sign->add_flag("-f,--force", o.force,
                 "Replace an existing signature even when it cannot be read (a damaged signature line, a "
                 "FILE.sig that is not vvm's)");
  sign->footer("Without --detached, FILE must be text: its last line becomes\n"
               "  ;; vvm-signature v1 ed25519 KEY-ID SIGNATURE\n"
               "which signs every byte before it and replaces the signature the file had.\n"
               "With --detached, FILE.sig holds that line (without \";; \") and signs all of FILE.\n"
               "Formats: docs/security.md.");
  return sign;
}

int signCommand(const SignOptions& o) {
  auto key = security::loadSecretKey(o.key);
  if (!key) return report(key.failure(), exitFor(key.failure()));
  security::SignFileOptions options;
  options.detached = o.detached;
  options.replaceUnreadable = o.force;
  auto signedFile = security::signFile(*key, o.file, options);
  if (!signedFile) {
    const Failure& f = signedFile.failure();
    // A directory where FILE.sig should go is an output problem, not a malformed input.
    bool output = f.code == SecurityError::NotAFile && f.where.file == security::signatureFileFor(o.file);
    return report(f, output ? Exit::CannotWrite : exitFor(f));
  }
  const security::SignedFile& s = *signedFile;
  std::string what =
      o.detached ? fmt::format("signature in {}", s.written) : fmt::format("signature on line {}", s.line);
  std::string replaced;
  if (s.replacedKey)
    replaced = fmt::format(", replacing one by key {}", s.replacedKey->hex());
  else if (s.replaced)
    replaced = o.detached ? ", replacing a file that held no readable signature" : ", replacing an unreadable one";
  std::fputs(fmt::format("signed {} with key {}: {}{}\n", o.file, s.signature.keyId.hex(), what, replaced).c_str(),
             stdout);
  return 0;
}

} // namespace vvm::cmd
