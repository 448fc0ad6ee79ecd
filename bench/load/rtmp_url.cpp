#include "load/rtmp_url.h"

#include <netdb.h>

#include <charconv>
#include <cstring>

namespace ringcast::load {

namespace {

/// HOST[:PORT] or [V6]:PORT; `port` keeps its value when the authority has none. Returns
/// nullptr or why it is bad.
const char* parse_authority(std::string_view authority, std::string& host, std::uint16_t& port) {
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return "unclosed [";
        }
        host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return "junk after ]";
            }
            port_text = after.substr(1);
        }
    } else {
        const std::size_t colon = authority.rfind(':');
        host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
        }
    }
    if (host.empty()) {
        return "no host";
    }
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
            return "bad port";
        }
        port = static_cast<std::uint16_t>(value);
    }
    return nullptr;
}

}  // namespace

bool parse_rtmp_url(std::string_view text, RtmpUrl& out, std::string& error) {
    constexpr std::string_view kScheme = "rtmp://";
    auto bad = [&](const char* why) {
        error = "bad URL '" + std::string(text) + "': " + why + " (want rtmp://HOST[:PORT]/APP/STREAM)";
        return false;
    };
    if (text.substr(0, kScheme.size()) != kScheme) {
        return bad("not rtmp://");
    }
    std::string_view rest = text.substr(kScheme.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
        return bad("no app");
    }
    std::string_view path = rest.substr(slash + 1);
    out.port = 1935;
    if (const char* why = parse_authority(rest.substr(0, slash), out.host, out.port)) {
        return bad(why);
    }
    const std::size_t app_end = path.find('/');
    if (app_end == std::string_view::npos || app_end == 0 || app_end + 1 >= path.size()) {
        return bad("want APP/STREAM after the host");
    }
    out.app = std::string(path.substr(0, app_end));
    out.stream = std::string(path.substr(app_end + 1));
    const bool v6 = out.host.find(':') != std::string::npos;
    out.tc_url = "rtmp://" + (v6 ? "[" + out.host + "]" : out.host) + ":" + std::to_string(out.port) + "/" + out.app;
    return true;
}

bool parse_http_url(std::string_view text, HttpUrl& out, std::string& error) {
    constexpr std::string_view kScheme = "http://";
    auto bad = [&](const char* why) {
        error = "bad URL '" + std::string(text) + "': " + why + " (want http://HOST[:PORT]/PATH)";
        return false;
    };
    if (text.substr(0, kScheme.size()) != kScheme) {
        return bad("not http://");
    }
    std::string_view rest = text.substr(kScheme.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
        return bad("no path");
    }
    const std::string_view authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos) {
        return bad("user info is not supported");
    }
    out.port = 80;
    if (const char* why = parse_authority(authority, out.host, out.port)) {
        return bad(why);
    }
    std::string_view target = rest.substr(slash);
    if (target.find('#') != std::string_view::npos) {
        return bad("a fragment is not sent to servers");
    }
    for (char c : target) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            return bad("space or control character in the path");
        }
    }
    out.target = std::string(target);
    out.host_header = std::string(authority);
    return true;
}

bool resolve_host(const std::string& name, std::uint16_t port, bool allow_remote, uring::SocketAddress& out,
                  std::string& error) {
    std::string host = name == "localhost" ? "127.0.0.1" : name;
    const bool loopback = host == "127.0.0.1" || host == "::1";
    if (!loopback && !allow_remote) {
        error = "refusing to load " + name +
                ": only 127.0.0.1, ::1 and localhost are allowed unless --allow-remote is given";
        return false;
    }
    if (auto numeric = uring::SocketAddress::parse(host, port)) {
        out = *numeric;
        return true;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0 || found == nullptr) {
        error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
        return false;
    }
    std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
    out.length = found->ai_addrlen;
    ::freeaddrinfo(found);
    if (out.family() == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);
    } else {
        reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(port);
    }
    return true;
}

}  // namespace ringcast::load
