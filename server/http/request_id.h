// Request ids for `x-amzn-RequestId`: random UUID version 4 strings.
#pragma once

#include <string>

namespace tidelog::server {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (lower-case hex, RFC 4122 variant).
// Thread-safe: each thread has its own generator, seeded from random_device.
std::string NewRequestId();

}  // namespace tidelog::server
