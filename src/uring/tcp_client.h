#pragma once
// One outgoing TCP connection on a ring: the asynchronous connect, then a TcpStream. The
// server's upstream connections (edge pull and push, forward) and the load tool's clients are
// built on it. A connect to an unreachable host can take minutes in the kernel: the owner
// arms its own timeout and calls close().

#include <cstdint>
#include <span>

#include "core/buffer.h"
#include "core/result.h"
#include "uring/buf_ring.h"
#include "uring/completion.h"
#include "uring/reactor.h"
#include "uring/socket.h"
#include "uring/tcp_stream.h"

namespace ringcast::uring {

/// Owned by a connection object on its loop's thread; the Reactor, the buffer ring and the
/// address outlive it. Destroy it only when idle() or closed().
class TcpClient final : private TcpStream::Handler {
public:
    class Handler {
    public:
        virtual ~Handler() = default;
        /// The connect succeeded: the stream is open both ways.
        virtual void on_connected() = 0;
        /// Bytes lent for the duration of the call only.
        virtual void on_data(std::span<const std::uint8_t> bytes) = 0;
        /// Everything queued so far has been handed to the kernel.
        virtual void on_send_drained() {}
        /// Nothing is in flight any more; `reason` is Errc::closed for a close by the peer and
        /// the reason given to close() otherwise.
        virtual void on_closed(core::Error reason) = 0;
    };

    TcpClient(Reactor& reactor, ProvidedBufRing* buffers, Handler& handler);
    ~TcpClient() override;
    TcpClient(const TcpClient&) = delete;
    TcpClient& operator=(const TcpClient&) = delete;

    /// Creates the socket and starts the connect; on_connected or on_closed follows.
    void start(const SocketAddress& address, bool no_delay);
    /// Starts the teardown (cancels a pending connect); on_closed follows unless already closed.
    void close(core::Error reason);
    /// Queues bytes (by reference); false once not open.
    bool send(core::BufferSlice slice);

    [[nodiscard]] bool idle() const { return state_ == State::idle; }
    [[nodiscard]] bool closed() const { return state_ == State::closed; }
    [[nodiscard]] bool open() const { return state_ == State::open; }
    [[nodiscard]] std::size_t queued_bytes() const { return stream_.queued_bytes(); }
    [[nodiscard]] const TcpStreamStats& stats() const { return stream_.stats(); }

private:
    enum class State : std::uint8_t { idle, connecting, open, closing, closed };

    void on_connect(std::int32_t res, std::uint32_t flags);
    void on_data(std::span<const std::uint8_t> bytes) override { handler_.on_data(bytes); }
    void on_send_drained() override { handler_.on_send_drained(); }
    void on_closed(core::Error reason) override { finish(reason); }
    void finish(core::Error reason);

    Reactor& reactor_;
    Handler& handler_;
    TcpStream stream_;
    Completion connect_;
    SocketAddress address_;  // the connect SQE points at it until the kernel has read it
    int fd_ = -1;
    State state_ = State::idle;
    core::Error close_reason_{};
};

}  // namespace ringcast::uring
