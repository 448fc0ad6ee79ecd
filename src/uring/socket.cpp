#include "uring/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstring>

namespace ringcast::uring {

void Fd::reset(int fd) {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
}

core::Result<SocketAddress> SocketAddress::parse(std::string_view host, std::uint16_t port) {
    SocketAddress address;
    std::string text(host);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
    }
    if (text.empty() || text == "0.0.0.0") {
        auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(INADDR_ANY);
        address.length = sizeof(sockaddr_in);
        return address;
    }
    auto* in4 = reinterpret_cast<sockaddr_in*>(&address.storage);
    if (::inet_pton(AF_INET, text.c_str(), &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        address.length = sizeof(sockaddr_in);
        return address;
    }
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
    if (::inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        address.length = sizeof(sockaddr_in6);
        return address;
    }
    return core::fail(core::Errc::invalid, "parse socket address");
}

std::uint16_t SocketAddress::port() const {
    if (family() == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

std::string SocketAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text, sizeof text);
        return "[" + std::string(text) + "]:" + std::to_string(port());
    }
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(port());
}

core::Result<Fd> listen_tcp(const SocketAddress& address, const ListenOptions& options) {
    Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return core::fail_errno(errno, "socket");
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (options.reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        return core::fail_errno(errno, "setsockopt SO_REUSEPORT");
    }
    if (address.family() == AF_INET6) {
        int v6_only = options.v6_only ? 1 : 0;
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only);
    }
    if (::bind(fd.get(), address.get(), address.length) != 0) {
        return core::fail_errno(errno, "bind");
    }
    if (::listen(fd.get(), options.backlog) != 0) {
        return core::fail_errno(errno, "listen");
    }
    return fd;
}

core::Result<std::uint16_t> local_port(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
        return core::fail_errno(errno, "getsockname");
    }
    SocketAddress address;
    address.storage = storage;
    address.length = length;
    return address.port();
}

core::Result<Fd> connect_tcp_blocking(const SocketAddress& address) {
    Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return core::fail_errno(errno, "socket");
    }
    if (::connect(fd.get(), address.get(), address.length) != 0) {
        return core::fail_errno(errno, "connect");
    }
    return fd;
}

void tune_stream_socket(int fd, bool no_delay) {
    int one = no_delay ? 1 : 0;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace ringcast::uring
