#pragma once
// rtmp://HOST[:PORT]/app/stream and http://HOST[:PORT]/path (HTTP-FLV players), and the address
// they connect to. A load tool pointed at the wrong host is a denial-of-service tool, so
// anything but loopback needs --allow-remote.

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

struct HttpUrl {
    std::string host;  // as written, without IPv6 brackets
    std::uint16_t port = 80;
    std::string target;       // the request target: "/path?query", as written
    std::string host_header;  // the Host header's value: host[:port] as written (brackets kept)
};

/// False with `error` set when the URL is not rtmp://HOST[:PORT]/APP/STREAM.
bool parse_rtmp_url(std::string_view text, RtmpUrl& out, std::string& error);

/// False with `error` set when the URL is not http://HOST[:PORT]/PATH (no https, no
/// user info, no fragment; the path must not be empty or hold spaces or control characters).
bool parse_http_url(std::string_view text, HttpUrl& out, std::string& error);

/// The socket address to connect to. Loopback names (127.0.0.1, ::1, localhost) always;
/// anything else only with `allow_remote` (then resolved once, before the loop starts).
bool resolve_host(const std::string& host, std::uint16_t port, bool allow_remote, uring::SocketAddress& out,
                  std::string& error);
inline bool resolve_rtmp_url(const RtmpUrl& url, bool allow_remote, uring::SocketAddress& out, std::string& error) {
    return resolve_host(url.host, url.port, allow_remote, out, error);
}

}  // namespace ringcast::load
