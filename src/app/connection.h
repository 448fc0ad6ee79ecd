#pragma once
// Connection: one accepted client on one shard, from accept to close. It never migrates.
// For now it only owns the socket and counts what it receives; the RTMP and HTTP sessions plug
// in here (the glue between uring completions and the sans-I/O protocol code).

#include <cstdint>
#include <string>

#include "uring/tcp_stream.h"

namespace ringcast::app {

class Shard;

/// Owned by its Shard's connection table; freed (deferred) after TcpStream reports closed.
class Connection final : public uring::TcpStream::Handler {
public:
    Connection(Shard& shard, std::uint64_t id, std::string peer);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void open(int fd) { stream_.open(fd); }
    void close(core::Error reason) { stream_.close(reason); }
    [[nodiscard]] std::uint64_t id() const { return id_; }
    [[nodiscard]] const std::string& peer() const { return peer_; }
    [[nodiscard]] bool closed() const { return stream_.closed(); }

    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_closed(core::Error reason) override;

private:
    Shard& shard_;
    std::uint64_t id_;
    std::string peer_;
    uring::TcpStream stream_;
};

}  // namespace ringcast::app
