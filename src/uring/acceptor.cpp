#include "uring/acceptor.h"

#include "core/log.h"

namespace ringcast::uring {

namespace {
// Out of descriptors or memory: accepting again at once would spin; wait a little, as nginx does.
constexpr std::uint64_t kAcceptRetryDelayMs = 100;
}  // namespace

Acceptor::Acceptor(Reactor& reactor, Fd listener, Handler& handler)
    : reactor_(reactor), listener_(std::move(listener)), handler_(handler),
      multishot_(reactor.ring().features().multishot_accept) {
    accept_.bind<&Acceptor::on_complete>(this);
    retry_timer_.bind<&Acceptor::on_retry>(this);
}

Acceptor::~Acceptor() { reactor_.cancel(retry_timer_); }

void Acceptor::start() { arm(); }

void Acceptor::arm() {
    if (stopping_ || armed_) {
        return;
    }
    io_uring_sqe* sqe = reactor_.ring().get_sqe();
    if (multishot_) {
        io_uring_prep_multishot_accept(sqe, listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } else {
        io_uring_prep_accept(sqe, listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    }
    set_completion(sqe, accept_);
    armed_ = true;
}

void Acceptor::on_complete(std::int32_t res, std::uint32_t flags) {
    const bool more = (flags & IORING_CQE_F_MORE) != 0;
    if (!more) {
        armed_ = false;
    }
    if (res >= 0) {
        ++accepted_;
        if (stopping_) {
            Fd discard(res);
        } else {
            handler_.on_accept(res);
        }
    } else if (res == -EINVAL && multishot_ && accepted_ == 0) {
        RC_WARN("multishot accept refused by the kernel; using single-shot accept");
        multishot_ = false;
    } else if (res == -EMFILE || res == -ENFILE || res == -ENOMEM || res == -ENOBUFS) {
        RC_WARN("accept on fd {} failed: {}; retry in {} ms", listener_.get(),
                core::Error::from_errno(-res, "accept").describe(), kAcceptRetryDelayMs);
        if (!more && !stopping_) {
            reactor_.arm(retry_timer_, kAcceptRetryDelayMs);
        }
        return;
    } else if (res != -ECANCELED && res != -EINTR && res != -EAGAIN && res != -ECONNABORTED) {
        handler_.on_accept_error(core::Error::from_errno(-res, "accept"));
    }
    if (stopping_) {
        if (!armed_) {
            listener_.reset();
            handler_.on_acceptor_stopped();
        }
        return;
    }
    if (!armed_) {
        arm();
    }
}

void Acceptor::on_retry() { arm(); }

void Acceptor::stop() {
    if (stopping_) {
        return;
    }
    stopping_ = true;
    reactor_.cancel(retry_timer_);
    if (!armed_) {
        listener_.reset();
        handler_.on_acceptor_stopped();
        return;
    }
    io_uring_sqe* sqe = reactor_.ring().get_sqe();
    io_uring_prep_cancel64(sqe, accept_.user_data(), 0);
    io_uring_sqe_set_data64(sqe, kUserDataIgnore);
}

}  // namespace ringcast::uring
