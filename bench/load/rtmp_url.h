#pragma once
// rtmp://HOST[:PORT]/app/stream, and the address it connects to. A load tool pointed at the
// wrong host is a denial-of-service tool, so anything but loopback needs --allow-remote.

#include <cstdint>
#include <string>
#include <string_view>

#include "uring/socket.h"

namespace ringcast::load {

struct RtmpUrl {
    std::string host;  // as written, without IPv6 brackets
    std::uint16_t port = 1935;
    std::string app;
    std::string stream;  // everything after the app, query included
    std::string tc_url;  // rtmp://host:port/app, what connect carries
};

/// False with `error` set when the URL is not rtmp://HOST[:PORT]/APP/STREAM.
bool parse_rtmp_url(std::string_view text, RtmpUrl& out, std::string& error);

/// The socket address to connect to. Loopback names (127.0.0.1, ::1, localhost) always;
/// anything else only with `allow_remote` (then resolved once, before the loop starts).
bool resolve_rtmp_url(const RtmpUrl& url, bool allow_remote, uring::SocketAddress& out, std::string& error);

}  // namespace ringcast::load
