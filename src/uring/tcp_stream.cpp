#include "uring/tcp_stream.h"

#include <unistd.h>

#include <cassert>

#include "core/log.h"

namespace ringcast::uring {

TcpStream::TcpStream(Reactor& reactor, ProvidedBufRing* buffers, Handler& handler)
    : reactor_(reactor), buffers_(buffers), handler_(handler),
      multishot_(buffers != nullptr && reactor.ring().features().multishot_recv) {
    recv_.bind<&TcpStream::on_recv>(this);
    send_.bind<&TcpStream::on_send>(this);
    shutdown_.bind<&TcpStream::on_shutdown>(this);
    close_.bind<&TcpStream::on_close>(this);
}

TcpStream::~TcpStream() {
    // Destroying a stream with operations in flight would leave CQEs pointing at freed memory.
    assert((state_ == State::idle || state_ == State::closed) && "destroy a TcpStream only after on_closed");
    if (state_ == State::idle && fd_ >= 0) {
        ::close(fd_);
    }
}

void TcpStream::open(int fd) {
    fd_ = fd;
    state_ = State::open;
    if (buffers_ == nullptr) {
        plain_recv_buffer_ = std::make_unique<std::uint8_t[]>(kPlainRecvBytes);
    }
    arm_recv();
}

void TcpStream::arm_recv() {
    if (state_ != State::open || recv_armed_) {
        return;
    }
    io_uring_sqe* sqe = reactor_.ring().get_sqe();
    if (multishot_) {
        io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = buffers_->group_id();
    } else if (buffers_ != nullptr) {
        io_uring_prep_recv(sqe, fd_, nullptr, buffers_->buffer_size(), 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = buffers_->group_id();
    } else {
        io_uring_prep_recv(sqe, fd_, plain_recv_buffer_.get(), kPlainRecvBytes, 0);
    }
    set_completion(sqe, recv_);
    recv_armed_ = true;
}

void TcpStream::on_recv(std::int32_t res, std::uint32_t flags) {
    const bool more = (flags & IORING_CQE_F_MORE) != 0;
    if (!more) {
        recv_armed_ = false;
    }
    ++stats_.recv_completions;
    if (res > 0) {
        stats_.bytes_received += static_cast<std::uint64_t>(res);
        if (flags & IORING_CQE_F_BUFFER) {
            auto buffer_id = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
            auto bytes = buffers_->lend(buffer_id, static_cast<std::uint32_t>(res));
            if (state_ == State::open) {
                handler_.on_data(bytes);
            }
            buffers_->recycle(buffer_id);
        } else if (state_ == State::open) {
            handler_.on_data({plain_recv_buffer_.get(), static_cast<std::size_t>(res)});
        }
    } else if (res == 0) {
        close(core::Error::make(core::Errc::closed, "peer closed"));
    } else if (res == -ENOBUFS) {
        // The pool ran dry; buffers come back as this reap loop goes on. Re-arm next turn.
        if (state_ == State::open && !recv_rearm_scheduled_) {
            recv_rearm_scheduled_ = true;
            reactor_.defer(&TcpStream::rearm_recv_deferred, this);
        }
    } else if (res == -EINVAL && multishot_ && stats_.bytes_received == 0) {
        RC_WARN("multishot recv refused by the kernel; using single-shot recv");
        multishot_ = false;
    } else if (res != -ECANCELED) {
        close(core::Error::from_errno(-res, "recv"));
    }
    if (state_ == State::open && !recv_armed_ && !recv_rearm_scheduled_) {
        ++stats_.recv_rearms;
        arm_recv();
    }
    maybe_finish_close();
}

void TcpStream::rearm_recv_deferred(void* self) {
    auto* stream = static_cast<TcpStream*>(self);
    stream->recv_rearm_scheduled_ = false;
    ++stream->stats_.recv_rearms;
    stream->arm_recv();
    stream->maybe_finish_close();
}

bool TcpStream::send(core::BufferSlice slice) {
    if (state_ != State::open) {
        return false;
    }
    if (slice.empty()) {
        return true;
    }
    queued_bytes_ += slice.size();
    queue_.push_back(std::move(slice));
    schedule_flush();
    return true;
}

void TcpStream::schedule_flush() {
    if (send_in_flight_ || flush_scheduled_) {
        return;
    }
    // Submit at the start of the next turn, so every send queued in this turn shares one sendmsg.
    flush_scheduled_ = true;
    reactor_.defer(&TcpStream::flush_deferred, this);
}

void TcpStream::flush_deferred(void* self) {
    auto* stream = static_cast<TcpStream*>(self);
    stream->flush_scheduled_ = false;
    if (stream->state_ == State::open && !stream->send_in_flight_ && !stream->queue_.empty()) {
        stream->submit_send();
    }
    stream->maybe_finish_close();
}

void TcpStream::submit_send() {
    std::size_t count = 0;
    for (auto it = queue_.begin(); it != queue_.end() && count < kIovecMax; ++it, ++count) {
        iovecs_[count].iov_base = const_cast<std::uint8_t*>(it->data());
        iovecs_[count].iov_len = it->size();
    }
    in_flight_slices_ = count;
    io_uring_sqe* sqe = reactor_.ring().get_sqe();
    if (count == 1) {
        // One slice: a plain send spares the kernel copying a msghdr and iovec array.
        io_uring_prep_send(sqe, fd_, iovecs_[0].iov_base, iovecs_[0].iov_len, MSG_NOSIGNAL);
    } else {
        message_ = {};
        message_.msg_iov = iovecs_;
        message_.msg_iovlen = count;
        io_uring_prep_sendmsg(sqe, fd_, &message_, MSG_NOSIGNAL);
    }
    set_completion(sqe, send_);
    send_in_flight_ = true;
    ++stats_.sendmsg_calls;
}

void TcpStream::consume_sent(std::size_t bytes) {
    stats_.bytes_sent += bytes;
    queued_bytes_ -= bytes;
    while (bytes > 0) {
        core::BufferSlice& front = queue_.front();
        if (bytes >= front.size()) {
            bytes -= front.size();
            queue_.pop_front();
        } else {
            front = front.slice(bytes, front.size() - bytes);
            bytes = 0;
        }
    }
}

void TcpStream::on_send(std::int32_t res, std::uint32_t) {
    send_in_flight_ = false;
    in_flight_slices_ = 0;
    if (res > 0) {
        consume_sent(static_cast<std::size_t>(res));
        if (state_ == State::open) {
            if (!queue_.empty()) {
                submit_send();
            } else {
                handler_.on_send_drained();
            }
        }
    } else if (res < 0 && res != -ECANCELED) {
        close(core::Error::from_errno(-res, "sendmsg"));
    } else if (res == 0 && state_ == State::open) {
        close(core::Error::make(core::Errc::closed, "sendmsg wrote nothing"));
    }
    maybe_finish_close();
}

void TcpStream::close(core::Error reason) {
    if (state_ != State::open) {
        return;
    }
    state_ = State::closing;
    close_reason_ = reason;
    if (recv_armed_) {
        io_uring_sqe* sqe = reactor_.ring().get_sqe();
        io_uring_prep_cancel64(sqe, recv_.user_data(), 0);
        io_uring_sqe_set_data64(sqe, kUserDataIgnore);
    }
    // shutdown() also makes an in-flight sendmsg to a stalled peer complete instead of waiting.
    io_uring_sqe* sqe = reactor_.ring().get_sqe();
    io_uring_prep_shutdown(sqe, fd_, SHUT_RDWR);
    set_completion(sqe, shutdown_);
    shutdown_in_flight_ = true;
}

void TcpStream::on_shutdown(std::int32_t, std::uint32_t) {
    shutdown_in_flight_ = false;
    maybe_finish_close();
}

void TcpStream::maybe_finish_close() {
    if (state_ != State::closing || recv_armed_ || send_in_flight_ || shutdown_in_flight_ || close_in_flight_ ||
        recv_rearm_scheduled_ || flush_scheduled_) {
        return;
    }
    queue_.clear();
    queued_bytes_ = 0;
    io_uring_sqe* sqe = reactor_.ring().get_sqe();
    io_uring_prep_close(sqe, fd_);
    set_completion(sqe, close_);
    close_in_flight_ = true;
}

void TcpStream::on_close(std::int32_t, std::uint32_t) {
    close_in_flight_ = false;
    fd_ = -1;
    state_ = State::closed;
    handler_.on_closed(close_reason_);
}

}  // namespace ringcast::uring
