// Making the --tls-self-signed certificate with OpenSSL.
#include "server/daemon/self_signed_certificate.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

namespace tidelog::server {
namespace {

constexpr long kValidDays = 825;  // the longest some clients accept for a server certificate

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(FILE* f) const { std::fclose(f); }
};
template <typename T>
using Owned = std::unique_ptr<T, Deleter>;

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

Owned<X509> MakeCertificate(EVP_PKEY* key) {
  Owned<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return nullptr;
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return nullptr;
  serial_bytes[0] &= 0x7f;  // positive
  Owned<BIGNUM> serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    return nullptr;
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidDays * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Tidelog"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_set_pubkey(cert.get(), key) != 1) return nullptr;
  if (!AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert.get(), NID_subject_key_identifier, "hash") ||
      !AddExtension(cert.get(), NID_authority_key_identifier, "keyid:always") ||
      !AddExtension(cert.get(), NID_subject_alt_name,
                    "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1")) {
    return nullptr;
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return nullptr;
  return cert;
}

// Writes via a temporary file and rename, so a crash never leaves half a file.
bool WritePem(const std::string& path, mode_t mode, bool (*write)(FILE*, void*), void* object,
              std::string* error) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    *error = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  Owned<FILE> file(::fdopen(fd, "w"));
  if (!file) {
    ::close(fd);
    *error = "cannot open " + tmp;
    return false;
  }
  const bool written = write(file.get(), object) && std::fflush(file.get()) == 0 &&
                       ::fsync(::fileno(file.get())) == 0;
  file.reset();
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

bool EnsureSelfSignedCertificate(const std::string& dir, std::string* cert_file,
                                 std::string* key_file, std::string* error) {
  *cert_file = dir + "/cert.pem";
  *key_file = dir + "/key.pem";
  if (Exists(*cert_file) && Exists(*key_file)) return true;
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *error = "cannot create " + dir + ": " + std::strerror(errno);
    return false;
  }
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) {
    *error = "cannot generate a P-256 key";
    return false;
  }
  Owned<X509> cert = MakeCertificate(key.get());
  if (!cert) {
    *error = "cannot make the self-signed certificate";
    return false;
  }
  // Key first: a certificate on disk always has its key.
  if (!WritePem(
          *key_file, 0600,
          [](FILE* f, void* k) {
            return PEM_write_PrivateKey(f, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                        nullptr) == 1;
          },
          key.get(), error)) {
    return false;
  }
  return WritePem(
      *cert_file, 0644,
      [](FILE* f, void* c) { return PEM_write_X509(f, static_cast<X509*>(c)) == 1; }, cert.get(),
      error);
}

}  // namespace tidelog::server
