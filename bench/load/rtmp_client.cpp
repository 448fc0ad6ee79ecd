#include "load/rtmp_client.h"

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
    : listener_(listener), tcp_(reactor, buffers, *this),
      // Header compression and a 128-byte start size as ffmpeg and librtmp send; the publisher
      // raises the size after connect.
      encoder_(rtmp::ChunkEncoderOptions{.chunk_size = rtmp::default_chunk_size,
                                         .compression = rtmp::HeaderCompression::per_connection}) {}

RtmpClient::~RtmpClient() = default;  // uring::TcpClient checks it is idle or closed

void RtmpClient::start(const uring::SocketAddress& address, bool no_delay) { tcp_.start(address, no_delay); }

void RtmpClient::on_connected() {
    handshake_.emplace(rtmp::HandshakeClient::Options{.complex = false});
    std::vector<std::uint8_t> c0c1;
    if (auto started = handshake_->start(c0c1); !started) {
        close(started.error());
        return;
    }
    tcp_.send(core::Buffer::copy_of(std::span<const std::uint8_t>(c0c1)).slice());
}

void RtmpClient::close(core::Error reason) { tcp_.close(reason); }

void RtmpClient::on_closed(core::Error reason) { listener_.on_closed(reason); }

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
        tcp_.send(core::Buffer::copy_of(std::span<const std::uint8_t>(out)).slice());
    }
    if (!handshake_->done()) {
        return;
    }
    handshake_.reset();
    listener_.on_ready();
    if (tcp_.open() && *consumed < bytes.size()) {
        feed_chunks(bytes.subspan(*consumed));
    }
}

void RtmpClient::feed_chunks(std::span<const std::uint8_t> bytes) {
    auto status = decoder_.feed(bytes, [this](rtmp::RtmpMessage&& message) -> core::Status {
        if (!tcp_.open()) {
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
    if (decoder_.ack_due() && tcp_.open()) {
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
    if (!tcp_.open()) {
        return false;
    }
    if (auto encoded = encoder_.encode(message, *this); !encoded) {
        close(encoded.error());
        return false;
    }
    return true;
}

void RtmpClient::append(core::BufferSlice piece) { tcp_.send(std::move(piece)); }

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
