#pragma once
// TcpStream: one connected socket on a shard's ring.
//
// Receive: a multishot recv picks buffers from the shard's ProvidedBufRing; each CQE's bytes are
// lent to Handler::on_data and recycled as soon as it returns. When the pool runs dry the kernel
// ends the multishot with ENOBUFS; the stream re-arms on the next turn, after the reap loop has
// recycled buffers, and the bytes still wait in the socket, so nothing is lost. Without buffer
// rings a single-shot recv into the stream's own buffer is re-armed after every completion.
//
// Send: send() queues BufferSlices (references, never copies). At most one sendmsg is in flight;
// everything queued meanwhile goes out in the next one, up to kIovecMax slices: the merged write
// of SRS, with one SQE per batch instead of one per message. Partial sends resume exactly where
// the kernel stopped, so byte order is preserved.
//
// Teardown (liburing's order): cancel the recv, shutdown, wait for every in-flight operation,
// close, then Handler::on_closed. Only after on_closed may the owner destroy the stream.

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <span>

#include "core/buffer.h"
#include "core/result.h"
#include "uring/buf_ring.h"
#include "uring/completion.h"
#include "uring/reactor.h"

namespace ringcast::uring {

struct TcpStreamStats {
    std::uint64_t bytes_received = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t sendmsg_calls = 0;
    std::uint64_t recv_completions = 0;
    std::uint64_t recv_rearms = 0;  // multishot ended (ENOBUFS or kernel's choice) and re-armed
};

/// Owned by a connection object on one shard; the Reactor and the ProvidedBufRing outlive it.
class TcpStream {
public:
    class Handler {
    public:
        virtual ~Handler() = default;
        /// Bytes lent for the duration of the call only.
        virtual void on_data(std::span<const std::uint8_t> bytes) = 0;
        /// Everything queued so far has been handed to the kernel.
        virtual void on_send_drained() {}
        /// The descriptor is closed and nothing is in flight: the owner may now destroy the
        /// stream. `reason` is Errc::closed for an orderly close by either side.
        virtual void on_closed(core::Error reason) = 0;
    };

    static constexpr std::size_t kIovecMax = 64;
    static constexpr std::size_t kPlainRecvBytes = 16 * 1024;

    /// `buffers` may be null: then the plain recv path is used.
    TcpStream(Reactor& reactor, ProvidedBufRing* buffers, Handler& handler);
    ~TcpStream();
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;

    /// Takes ownership of a connected non-blocking socket and starts receiving.
    void open(int fd);
    /// Queues bytes for sending; returns false (and queues nothing) once closing.
    bool send(core::BufferSlice slice);
    /// Starts the orderly teardown; on_closed follows. Idempotent.
    void close(core::Error reason);

    [[nodiscard]] bool is_open() const { return state_ == State::open; }
    [[nodiscard]] bool closed() const { return state_ == State::closed; }
    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] std::size_t queued_bytes() const { return queued_bytes_; }
    [[nodiscard]] std::size_t queued_slices() const { return queue_.size(); }
    [[nodiscard]] const TcpStreamStats& stats() const { return stats_; }

private:
    enum class State : std::uint8_t { idle, open, closing, closed };

    void arm_recv();
    void on_recv(std::int32_t res, std::uint32_t flags);
    static void rearm_recv_deferred(void* self);
    void schedule_flush();
    static void flush_deferred(void* self);
    void submit_send();
    void on_send(std::int32_t res, std::uint32_t flags);
    void consume_sent(std::size_t bytes);
    void on_shutdown(std::int32_t res, std::uint32_t flags);
    void on_close(std::int32_t res, std::uint32_t flags);
    void maybe_finish_close();

    Reactor& reactor_;
    ProvidedBufRing* buffers_;
    Handler& handler_;
    int fd_ = -1;
    State state_ = State::idle;
    core::Error close_reason_{};

    Completion recv_;
    Completion send_;
    Completion shutdown_;
    Completion close_;
    bool recv_armed_ = false;
    bool recv_rearm_scheduled_ = false;
    bool send_in_flight_ = false;
    bool flush_scheduled_ = false;
    bool shutdown_in_flight_ = false;
    bool close_in_flight_ = false;
    bool multishot_;

    std::deque<core::BufferSlice> queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t in_flight_slices_ = 0;
    msghdr message_{};
    iovec iovecs_[kIovecMax]{};
    std::unique_ptr<std::uint8_t[]> plain_recv_buffer_;
    TcpStreamStats stats_;
};

}  // namespace ringcast::uring
