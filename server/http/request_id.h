// Request ids: `x-amzn-RequestId` (random UUID version 4 strings) and
// `x-amz-id-2` (AWS's extended request id: 72 random bytes in base64).
#pragma once

#include <string>

namespace tidelog::server {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (lower-case hex, RFC 4122 variant).
// Thread-safe: each thread has its own generator, seeded from random_device.
std::string NewRequestId();

// 96 characters of base64 (72 random bytes), as AWS (and kinesalite) send in
// `x-amz-id-2`. Thread-safe as NewRequestId.
std::string NewExtendedRequestId();

}  // namespace tidelog::server
