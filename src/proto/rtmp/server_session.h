#pragma once
// RtmpServerSession: the server side of one RTMP connection, sans-I/O. Bytes in through feed();
// bytes out through a ChunkSink (handshake bytes, then chunk pieces whose payloads are shared,
// never copied); events out through a Handler. Commands are answered the way SRS answers them
// (srs_protocol_rtmp_stack.cpp SrsRtmpServer), so ffmpeg, OBS, FMLE, librtmp and Flash clients
// see what they expect.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/chunk_decoder.h"
#include "proto/rtmp/chunk_encoder.h"
#include "proto/rtmp/handshake.h"
#include "proto/rtmp/media_message.h"
#include "proto/rtmp/message.h"

namespace ringcast::proto::rtmp {

/// What the client asked for in connect.
struct ConnectRequest {
    std::string app;        // without the query string
    std::string tc_url;
    std::string vhost;      // ?vhost= / ?domain= parameter, else the tcUrl host
    std::string param;      // "?..." of the app or tcUrl, kept for hooks and edges
    std::string flash_ver;
    std::string page_url;  // what SRS's API shows as pageUrl / swfUrl
    std::string swf_url;
    double object_encoding = 0;
    /// The optional object after the command object (SRS's "args"): what an edge forwards to
    /// its origin for token_traverse, and where a loop-protection list travels.
    std::optional<Amf0Value> args;
};

/// A publish or play request.
struct StreamRequest {
    std::string stream;  // without the query string
    std::string param;   // "?..." if any
    std::uint32_t stream_id = 1;
    double start = -2;   // play: start (-2 live or recorded, -1 live only)
    double duration = -1;
    bool reset = true;
};

class RtmpServerSession {
public:
    /// Implemented by the connection; every call happens inside feed() or an accept_/reject_ call.
    class Handler {
    public:
        virtual ~Handler() = default;
        /// Answer with accept_connect() or reject_connect(), now or later.
        virtual void on_connect(const ConnectRequest& request) = 0;
        /// Answer with accept_publish() or reject_publish().
        virtual void on_publish(const StreamRequest& request) = 0;
        /// Answer with accept_play() or reject_play().
        virtual void on_play(const StreamRequest& request) = 0;
        /// Audio, video or script data of an accepted publisher. `metadata` is set for onMetaData
        /// (an @setDataFrame is unwrapped, as SRS does, so players get a plain onMetaData).
        virtual void on_media(MediaKind kind, std::uint32_t timestamp, core::Buffer payload, bool metadata) = 0;
        /// FCUnpublish / deleteStream / closeStream of a publisher.
        virtual void on_unpublish() {}
        virtual void on_pause(bool paused) { (void)paused; }
    };

    /// The message stream id createStream hands out (SRS: always 1), which shared chunks carry.
    static constexpr std::uint32_t kSharedStreamId = 1;

    struct Options {
        std::uint32_t out_chunk_size = 60000;
        std::uint32_t out_ack_window = 2500000;  // Window Acknowledgement Size we announce
        std::uint32_t peer_bandwidth = 2500000;
        ChunkDecoderLimits limits = {};
    };

    RtmpServerSession(Handler& handler, ChunkSink& out, Options options);

    /// Bytes from the socket. An error means: log it and close the connection.
    core::Status feed(std::span<const std::uint8_t> bytes);

    /// What SRS decides per vhost when it answers connect.
    struct ConnectAnswer {
        std::uint32_t out_chunk_size = 60000;
        std::uint32_t out_ack_window = 2500000;  // Window Acknowledgement Size we announce
        std::uint32_t in_ack_window = 0;         // acknowledge this often unasked; 0: as the peer says
    };
    void accept_connect(const ConnectAnswer& answer);
    /// With the Options' chunk size and windows.
    void accept_connect();
    void reject_connect(std::string_view description);
    void accept_publish();
    /// NetStream.Publish.BadName (stream busy) as SRS sends it.
    void reject_publish(std::string_view description);
    void accept_play();
    void reject_play(std::string_view description);
    /// Sends one media message to a player (stream id of its play request). The payload is
    /// referenced, not copied.
    core::Status send_media(MediaKind kind, std::uint32_t timestamp, const core::Buffer& payload);
    /// True when chunks from encode_shared_media() with `chunk_size` are byte for byte what
    /// send_media() would write now, so a player can send the shard's shared copy.
    [[nodiscard]] bool accepts_shared_media(std::uint32_t chunk_size) const {
        return chunk_size == encoder_.chunk_size() && stream_id_ == kSharedStreamId;
    }
    /// Sends a media message encoded once for many players (see accepts_shared_media()).
    void send_shared_media(const core::Buffer& chunks) { out_.append(chunks.slice(0, chunks.size())); }
    /// Tells a player the stream ended (onStatus NetStream.Play.UnpublishNotify).
    void send_unpublish_notify();
    /// Tells a player the publisher is back (NetStream.Play.PublishNotify).
    void send_publish_notify();

    [[nodiscard]] bool handshake_done() const { return handshake_.done(); }
    [[nodiscard]] std::uint64_t bytes_in() const { return decoder_.bytes_received(); }

private:
    core::Status on_message(RtmpMessage&& msg);
    core::Status on_command(std::vector<Amf0Value>&& values);
    void send_command(std::uint32_t csid, std::uint32_t stream_id, std::string_view name, double transaction_id,
                      const Amf0Value& command_object, std::initializer_list<Amf0Value> args);
    void send_status(std::string_view level, std::string_view code, std::string_view description);
    void send(const RtmpMessage& msg);
    void send_raw(std::span<const std::uint8_t> bytes);

    enum class Role : std::uint8_t { none, publisher, player };

    Handler& handler_;
    ChunkSink& out_;
    Options options_;
    HandshakeServer handshake_;
    ChunkDecoder decoder_;
    ChunkEncoder encoder_;
    std::vector<std::uint8_t> scratch_;
    double connect_transaction_ = 1;
    double object_encoding_ = 0;
    double pending_transaction_ = 0;
    std::uint32_t stream_id_ = kSharedStreamId;
    Role role_ = Role::none;
    bool connected_ = false;
};

/// One media message as a player's chunk stream: fmt 0 header, fmt 3 continuations, the
/// session's chunk stream ids and message stream id 1, in one contiguous buffer. What
/// RtmpServerSession::send_media() writes, made once per shard instead of once per player.
/// Errc::invalid for a payload longer than 0xFFFFFF or a chunk size out of range.
core::Result<core::Buffer> encode_shared_media(MediaKind kind, std::uint32_t timestamp, const core::Buffer& payload,
                                               std::uint32_t chunk_size);

}  // namespace ringcast::proto::rtmp
