#pragma once
// Acceptor: keeps one accept armed on a listening socket. Multishot (5.19) posts a CQE per
// connection from one SQE; the plain path re-arms a single-shot accept after each one. A
// multishot request that ends (no IORING_CQE_F_MORE) is simply re-armed.

#include <cstdint>

#include "core/result.h"
#include "uring/completion.h"
#include "uring/reactor.h"
#include "uring/socket.h"

namespace ringcast::uring {

/// Owned by a shard; the Reactor outlives it. The listening Fd is owned by the Acceptor.
/// Destroy only after stop() has reported through `on_stopped` (or was never started).
class Acceptor {
public:
    class Handler {
    public:
        virtual ~Handler() = default;
        /// A new connection; the handler owns `fd` from now on.
        virtual void on_accept(int fd) = 0;
        /// The accept loop failed for good (not for EMFILE-like transient errors, which pause).
        virtual void on_accept_error(core::Error) {}
        /// After stop(): no accept is in flight any more.
        virtual void on_acceptor_stopped() {}
    };

    Acceptor(Reactor& reactor, Fd listener, Handler& handler);
    ~Acceptor();
    Acceptor(const Acceptor&) = delete;
    Acceptor& operator=(const Acceptor&) = delete;

    void start();
    /// Cancels the armed accept and closes the listener; on_acceptor_stopped follows.
    void stop();
    [[nodiscard]] bool in_flight() const { return armed_; }
    [[nodiscard]] int listener_fd() const { return listener_.get(); }
    [[nodiscard]] std::uint64_t accepted() const { return accepted_; }

private:
    void arm();
    void on_complete(std::int32_t res, std::uint32_t flags);
    void on_retry();

    Reactor& reactor_;
    Fd listener_;
    Handler& handler_;
    Completion accept_;
    Timer retry_timer_;
    bool multishot_;
    bool armed_ = false;
    bool stopping_ = false;
    std::uint64_t accepted_ = 0;
};

}  // namespace ringcast::uring
