// TlsContext: building and reloading the OpenSSL server context.
#include "server/http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace tidelog::server {
namespace asio = boost::asio;

namespace {

// ALPN wire format, in the server's order of preference.
constexpr unsigned char kAlpnProtocols[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kAlpnProtocols, sizeof(kAlpnProtocols), in,
                            in_len) != OPENSSL_NPN_NEGOTIATED) {
    // Nothing in common: go on without ALPN; the connection then tells
    // HTTP/2 from HTTP/1.1 by the preface.
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string OpenSslReason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

std::shared_ptr<asio::ssl::context> Build(const std::string& cert_file, const std::string& key_file,
                                          std::string* error) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    *error = "cannot use certificate " + cert_file + ": " + OpenSslReason();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = "cannot use private key " + key_file + ": " + OpenSslReason();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = "private key " + key_file + " does not match certificate " + cert_file + ": " +
             OpenSslReason();
    return nullptr;
  }
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  return context;
}

}  // namespace

std::unique_ptr<TlsContext> TlsContext::Load(const std::string& cert_file,
                                             const std::string& key_file, std::string* error) {
  std::unique_ptr<TlsContext> tls(new TlsContext(cert_file, key_file));
  tls->current_ = Build(cert_file, key_file, error);
  if (!tls->current_) return nullptr;
  return tls;
}

std::shared_ptr<asio::ssl::context> TlsContext::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

bool TlsContext::Reload(std::string* error) {
  auto next = Build(cert_file_, key_file_, error);
  if (!next) return false;
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(next);
  return true;
}

}  // namespace tidelog::server
