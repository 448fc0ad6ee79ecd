#pragma once
// Plain socket plumbing: RAII descriptors, address parsing, listening sockets. Setup-time calls
// (socket/bind/listen) are ordinary syscalls; the data path goes through the ring.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace ringcast::uring {

/// Owns one descriptor; closes it on destruction unless released.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset(std::exchange(other.fd_, -1));
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

/// An IPv4 or IPv6 socket address.
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;

    /// "1.2.3.4", "::1", "" (any address, IPv4) and "[::]" (any, IPv6) with a port.
    static core::Result<SocketAddress> parse(std::string_view host, std::uint16_t port);
    [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    [[nodiscard]] int family() const { return storage.ss_family; }
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::string to_string() const;
};

struct ListenOptions {
    bool reuse_port = true;  // one listener per shard on the same port; the kernel spreads accepts
    int backlog = 1024;
    bool v6_only = false;
};

/// A bound, listening, non-blocking TCP socket.
core::Result<Fd> listen_tcp(const SocketAddress& address, const ListenOptions& options = {});
/// The port a socket is bound to (for tests that listen on port 0).
core::Result<std::uint16_t> local_port(int fd);
/// A blocking connect for tests and setup code (never called on a shard's hot path).
core::Result<Fd> connect_tcp_blocking(const SocketAddress& address);
/// Options every accepted or connected stream socket gets.
void tune_stream_socket(int fd, bool no_delay);

}  // namespace ringcast::uring
