// Internal to http/: the head of an SSE response, written once per stream. Built by appending
// to one string: the general-purpose Beast serializer cost ten thousand instructions per
// stream for these few lines (tests compare both byte for byte).
#pragma once

#include <string>
#include <string_view>

#include "http/message.hpp"

namespace chatstream::http {

// `extra` headers are added after the defaults; one with a default's name (any case) replaces
// it. Connection and framing headers come from the stream itself: HTTP/1.1 says
// `Connection: close` and, when `chunked`, `Transfer-Encoding: chunked`. CR and LF never reach
// the wire from a name or value.
std::string sse_response_head(unsigned status, unsigned version, std::string_view request_id,
                              const HeaderList& extra, bool chunked);

}  // namespace chatstream::http
