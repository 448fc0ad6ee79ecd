#pragma once
// One outgoing RTMP connection on the load tool's ring (a uring::TcpClient): the simple client
// handshake, the chunk stream both ways, and the few control messages every client must
// answer (acknowledgements, pings). Players and the publisher build their command sequences on
// top of it through the Listener.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/chunk_decoder.h"
#include "proto/rtmp/chunk_encoder.h"
#include "proto/rtmp/handshake.h"
#include "proto/rtmp/message.h"
#include "uring/tcp_client.h"
#include "uring/buf_ring.h"
#include "uring/reactor.h"
#include "uring/socket.h"

namespace ringcast::load {

/// A server's answer or status: the command name, its transaction id and every value.
struct ServerCommand {
    std::string name;
    double transaction_id = -1;
    std::vector<proto::rtmp::Amf0Value> values;
};
/// Reads an AMF0 command message; nullopt if it is not one (bad AMF0, no name).
std::optional<ServerCommand> read_server_command(const proto::rtmp::RtmpMessage& message);

/// Owned by a player or the publisher, on the one loop thread; the Reactor, the buffer ring and
/// the address outlive it. Destroy it only when idle() or closed().
class RtmpClient final : private uring::TcpClient::Handler, private proto::rtmp::ChunkSink {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        /// The handshake is done: the chunk stream is open both ways.
        virtual void on_ready() = 0;
        /// Every message the decoder completes, control messages included (the client has
        /// already acted on those). An error closes the connection with it.
        virtual core::Status on_message(proto::rtmp::RtmpMessage&& message) = 0;
        /// Bytes received, handshake included, before they are decoded.
        virtual void on_bytes(std::size_t count) = 0;
        /// Nothing is in flight any more; `reason` is Errc::closed for a close by the peer and
        /// Errc::canceled for a close() without error.
        virtual void on_closed(core::Error reason) = 0;
    };

    RtmpClient(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, Listener& listener);
    ~RtmpClient() override;
    RtmpClient(const RtmpClient&) = delete;
    RtmpClient& operator=(const RtmpClient&) = delete;

    /// Creates the socket and starts the connect; on_ready or on_closed follows.
    void start(const uring::SocketAddress& address, bool no_delay);
    /// Starts the teardown (cancels a pending connect); on_closed follows unless already closed.
    void close(core::Error reason);

    /// Encodes and queues one message; false once closing.
    bool send(const proto::rtmp::RtmpMessage& message);
    /// An AMF0 command message.
    bool send_command(std::uint32_t stream_id, std::uint32_t csid, std::string_view name, double transaction_id,
                      const proto::rtmp::Amf0Value& object, std::initializer_list<proto::rtmp::Amf0Value> args);
    /// Sends Set Chunk Size with the old size, then switches the encoder.
    bool set_out_chunk_size(std::uint32_t chunk_size);

    [[nodiscard]] bool idle() const { return tcp_.idle(); }
    [[nodiscard]] bool closed() const { return tcp_.closed(); }
    [[nodiscard]] bool open() const { return tcp_.open(); }
    [[nodiscard]] bool handshaking() const { return handshake_.has_value(); }
    [[nodiscard]] std::size_t queued_bytes() const { return tcp_.queued_bytes(); }

private:
    void on_connected() override;
    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_closed(core::Error reason) override;
    void append(core::BufferSlice piece) override;
    void feed_handshake(std::span<const std::uint8_t> bytes);
    void feed_chunks(std::span<const std::uint8_t> bytes);
    core::Status act_on(const proto::rtmp::RtmpMessage& message);

    Listener& listener_;
    uring::TcpClient tcp_;
    std::optional<proto::rtmp::HandshakeClient> handshake_;
    proto::rtmp::ChunkDecoder decoder_;
    proto::rtmp::ChunkEncoder encoder_;
};

}  // namespace ringcast::load
