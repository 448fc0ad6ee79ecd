#include "load/rtmp_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <vector>

#include "core/byte_io.h"

namespace ringcast::load {

std::optional<ServerCommand> read_server_command(const proto::rtmp::RtmpMessage& message) {
    auto values = proto::rtmp::read_amf0_all(message.payload.span());
    if (!values || values->size() < 2 || values->front().as_string() == nullptr) {
        return std::nullopt;
    }
    ServerCommand command;
    command.name = *values->front().as_string();
    command.transaction_id = (*values)[1].as_number().value_or(-1);
    command.values = std::move(*values);
    return command;
}

namespace rtmp = proto::rtmp;

RtmpClient::RtmpClient(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, Listener& listener)
    : reactor_(reactor), listener_(listener), stream_(reactor, buffers, *this),
      // Header compression and a 128-byte start size as ffmpeg and librtmp send; the publisher
      // raises the size after connect.
      encoder_(rtmp::ChunkEncoderOptions{.chunk_size = rtmp::default_chunk_size,
                                         .compression = rtmp::HeaderCompression::per_connection}) {
    connect_.bind<&RtmpClient::on_connect>(this);
}

RtmpClient::~RtmpClient() {
    assert((state_ == State::idle || state_ == State::closed) && "destroy an RtmpClient only when idle or closed");
}

void RtmpClient::start(const uring::SocketAddress& address, bool no_delay) {
    assert(state_ == State::idle);
    fd_ = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        finish(core::Error::from_errno(errno, "socket"));
        return;
    }
    uring::tune_stream_socket(fd_, no_delay);
    state_ = State::connecting;
    // src/uring has no connect operation yet (the server only accepts), so the load tool
    // prepares this one SQE itself; the CQE comes back through a Completion like any other.
    io_uring_sqe* sqe = reactor_.ring().get_sqe();
    io_uring_prep_connect(sqe, fd_, address.get(), address.length);
    uring::set_completion(sqe, connect_);
}

void RtmpClient::on_connect(std::int32_t res, std::uint32_t) {
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
    handshake_.emplace(rtmp::HandshakeClient::Options{.complex = false});
    std::vector<std::uint8_t> c0c1;
    if (auto started = handshake_->start(c0c1); !started) {
        close(started.error());
        return;
    }
    stream_.send(core::Buffer::copy_of(std::span<const std::uint8_t>(c0c1)).slice());
}

void RtmpClient::close(core::Error reason) {
    switch (state_) {
    case State::idle: state_ = State::closed; return;
    case State::connecting: {
        state_ = State::closing;
        close_reason_ = reason;
        io_uring_sqe* sqe = reactor_.ring().get_sqe();
        io_uring_prep_cancel64(sqe, connect_.user_data(), 0);
        io_uring_sqe_set_data64(sqe, uring::kUserDataIgnore);
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

void RtmpClient::finish(core::Error reason) {
    state_ = State::closed;
    listener_.on_closed(reason);
}

void RtmpClient::on_closed(core::Error reason) { finish(reason); }

void RtmpClient::on_data(std::span<const std::uint8_t> bytes) {
    listener_.on_bytes(bytes.size());
    if (handshake_) {
        feed_handshake(bytes);
    } else {
        feed_chunks(bytes);
    }
}

void RtmpClient::feed_handshake(std::span<const std::uint8_t> bytes) {
    std::vector<std::uint8_t> out;
    auto consumed = handshake_->feed(bytes, out);
    if (!consumed) {
        close(consumed.error());
        return;
    }
    if (!out.empty()) {
        stream_.send(core::Buffer::copy_of(std::span<const std::uint8_t>(out)).slice());
    }
    if (!handshake_->done()) {
        return;
    }
    handshake_.reset();
    listener_.on_ready();
    if (state_ == State::open && *consumed < bytes.size()) {
        feed_chunks(bytes.subspan(*consumed));
    }
}

void RtmpClient::feed_chunks(std::span<const std::uint8_t> bytes) {
    auto status = decoder_.feed(bytes, [this](rtmp::RtmpMessage&& message) -> core::Status {
        if (state_ != State::open) {
            return {};  // the listener closed us; the rest of this buffer is moot
        }
        if (auto acted = act_on(message); !acted) {
            return acted;
        }
        return listener_.on_message(std::move(message));
    });
    if (!status) {
        close(status.error());
        return;
    }
    // nginx-rtmp stops sending to a client that does not acknowledge its window.
    if (decoder_.ack_due() && state_ == State::open) {
        send(rtmp::make_acknowledgement(decoder_.take_ack_sequence()));
    }
}

core::Status RtmpClient::act_on(const rtmp::RtmpMessage& message) {
    if (message.type_id != rtmp::message_type::user_control) {
        return {};
    }
    auto control = rtmp::parse_user_control(message.payload.span());
    if (!control) {
        return core::fail(control.error());
    }
    // nginx-rtmp drops a client that leaves its pings unanswered.
    if (control->event == rtmp::UserControlEvent::ping_request) {
        send(rtmp::make_ping_response(control->value));
    }
    return {};
}

bool RtmpClient::send(const rtmp::RtmpMessage& message) {
    if (state_ != State::open) {
        return false;
    }
    if (auto encoded = encoder_.encode(message, *this); !encoded) {
        close(encoded.error());
        return false;
    }
    return true;
}

void RtmpClient::append(core::BufferSlice piece) { stream_.send(std::move(piece)); }

bool RtmpClient::send_command(std::uint32_t stream_id, std::uint32_t csid, std::string_view name,
                              double transaction_id, const rtmp::Amf0Value& object,
                              std::initializer_list<rtmp::Amf0Value> args) {
    std::vector<std::uint8_t> body;
    core::ByteWriter writer(body);
    rtmp::write_amf0_command(writer, name, transaction_id, object,
                             std::span<const rtmp::Amf0Value>(args.begin(), args.size()));
    return send(rtmp::RtmpMessage{.type_id = rtmp::message_type::amf0_command,
                                  .timestamp = 0,
                                  .stream_id = stream_id,
                                  .csid = csid,
                                  .payload = core::Buffer::copy_of(std::span<const std::uint8_t>(body))});
}

bool RtmpClient::set_out_chunk_size(std::uint32_t chunk_size) {
    if (!send(rtmp::make_set_chunk_size(chunk_size))) {
        return false;
    }
    if (auto set = encoder_.set_chunk_size(chunk_size); !set) {
        close(set.error());
        return false;
    }
    return true;
}

}  // namespace ringcast::load
