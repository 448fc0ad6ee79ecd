#include "uring/tcp_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <utility>

namespace ringcast::uring {

TcpClient::TcpClient(Reactor& reactor, ProvidedBufRing* buffers, Handler& handler)
    : reactor_(reactor), handler_(handler), stream_(reactor, buffers, *this) {
    connect_.bind<&TcpClient::on_connect>(this);
}

TcpClient::~TcpClient() {
    assert((state_ == State::idle || state_ == State::closed) && "destroy a TcpClient only when idle or closed");
}

void TcpClient::start(const SocketAddress& address, bool no_delay) {
    assert(state_ == State::idle);
    fd_ = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        finish(core::Error::from_errno(errno, "socket"));
        return;
    }
    tune_stream_socket(fd_, no_delay);
    state_ = State::connecting;
    io_uring_sqe* sqe = reactor_.ring().get_sqe();
    address_ = address;
    io_uring_prep_connect(sqe, fd_, address_.get(), address_.length);
    set_completion(sqe, connect_);
}

void TcpClient::on_connect(std::int32_t res, std::uint32_t) {
    if (state_ == State::closing) {
        ::close(fd_);
        fd_ = -1;
        finish(close_reason_);
        return;
    }
    if (res < 0) {
        ::close(fd_);
        fd_ = -1;
        finish(core::Error::from_errno(-res, "connect"));
        return;
    }
    state_ = State::open;
    stream_.open(std::exchange(fd_, -1));
    handler_.on_connected();
}

void TcpClient::close(core::Error reason) {
    switch (state_) {
    case State::idle: state_ = State::closed; return;
    case State::connecting: {
        state_ = State::closing;
        close_reason_ = reason;
        io_uring_sqe* sqe = reactor_.ring().get_sqe();
        io_uring_prep_cancel64(sqe, connect_.user_data(), 0);
        io_uring_sqe_set_data64(sqe, kUserDataIgnore);
        return;
    }
    case State::open:
        state_ = State::closing;
        close_reason_ = reason;
        stream_.close(reason);
        return;
    case State::closing:
    case State::closed: return;
    }
}

bool TcpClient::send(core::BufferSlice slice) {
    if (state_ != State::open) {
        return false;
    }
    return stream_.send(std::move(slice));
}

void TcpClient::finish(core::Error reason) {
    state_ = State::closed;
    handler_.on_closed(reason);
}

}  // namespace ringcast::uring
