// TlsContext: the server's TLS settings (certificate chain, key, TLS 1.2+,
// ALPN h2 / http/1.1) as an asio::ssl::context, replaceable at run time
// (certificate reload) without touching connections already open.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

namespace tidelog::server {

class TlsContext {
 public:
  // Loads the PEM certificate chain and private key. nullptr with a message
  // (naming the file and OpenSSL's reason) when either cannot be used.
  static std::unique_ptr<TlsContext> Load(const std::string& cert_file, const std::string& key_file,
                                          std::string* error);

  // Any thread. The context new connections use; each connection keeps the
  // one it started with.
  std::shared_ptr<boost::asio::ssl::context> Current() const;
  // Any thread. Reads the files again; on failure keeps the current context
  // and says why.
  bool Reload(std::string* error);

  const std::string& cert_file() const { return cert_file_; }

 private:
  TlsContext(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;  // guarded by mu_
};

}  // namespace tidelog::server
