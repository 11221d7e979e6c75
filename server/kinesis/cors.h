// CORS for browser clients (the AWS SDK for JavaScript in a page), as AWS and
// kinesalite answer: any origin, preflights answered before authentication,
// and the response headers an SDK reads exposed to the page.
#pragma once

#include <optional>

#include "server/http/http_message.h"

namespace tidelog::server::kinesis {

// The answer to a CORS preflight (OPTIONS with an Origin header): 200, empty,
// echoing the requested method and headers; nullopt for any other request.
std::optional<HttpResponse> CorsPreflight(const HttpRequest& request);

// True when `request` comes from a page (it has an Origin header); then every
// response gets AddCorsHeaders.
bool HasOrigin(const HttpRequest& request);
void AddCorsHeaders(HttpResponse* response);

}  // namespace tidelog::server::kinesis
