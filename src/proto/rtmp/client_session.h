#pragma once
// RtmpClientSession: the client side of one outgoing RTMP connection, sans-I/O (edge pull, edge
// push and forward, token_traverse). Bytes in through feed(); bytes out through a ChunkSink
// (handshake bytes, then chunk pieces whose media payloads are shared, never copied); events
// out through a Handler. Commands go out the way ffmpeg, librtmp and SRS's SrsSimpleRtmpClient
// send them, so ringcast, SRS and nginx-rtmp origins all answer.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer.h"
#include "core/result.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/chunk_decoder.h"
#include "proto/rtmp/chunk_encoder.h"
#include "proto/rtmp/handshake.h"
#include "proto/rtmp/media_message.h"

namespace ringcast::proto::rtmp {

struct ClientSessionOptions {
    enum class Mode : std::uint8_t {
        play,          // pull a stream (edge)
        publish,       // push a stream (edge push, forward)
        connect_only,  // connect and stop there (token_traverse)
    };
    Mode mode = Mode::play;
    std::string app;        // sent as is, "?param" included (SRS puts the client's param there)
    std::string tc_url;     // rtmp://host:port/app[?param]
    std::string stream;     // sent as is, "?param" included
    std::string flash_ver = "LNX 9,0,124,2";  // what SRS's edge sends
    std::string page_url;   // omitted from connect when empty
    std::string swf_url;    // omitted from connect when empty
    /// The optional value after connect's command object: SRS forwards the client's connect
    /// args there (token_traverse); our loop-protection list travels in it.
    std::optional<Amf0Value> connect_args;
    std::uint32_t out_chunk_size = 60000;  // 1..0xFFFFFF
    std::uint32_t ack_window = 2500000;    // Window Acknowledgement Size we announce
    std::uint32_t buffer_length_ms = 3000;  // play: SetBufferLength, as ffmpeg
    ChunkDecoderLimits limits = {};
    HandshakeClient::Options handshake = {};
};

/// What connect's _result said.
struct ConnectResult {
    std::string code;         // NetConnection.Connect.Success
    std::string description;
    std::optional<Amf0Value> data;  // SRS: srs_server_ip, srs_pid, srs_id, srs_server, ...
};

class RtmpClientSession {
public:
    /// Where the peer said no.
    enum class Stage : std::uint8_t { connect, create_stream, publish, play };

    /// Implemented by the connection; every call happens inside feed() (none from start() or
    /// the send_ calls). A handler may call the send_ functions, never feed().
    class Handler {
    public:
        virtual ~Handler() = default;
        virtual void on_connected(const ConnectResult& result) = 0;
        /// play: NetStream.Play.Start; publish: NetStream.Publish.Start (send_media() works from
        /// here on); connect_only: connect's _result.
        virtual void on_ready() = 0;
        /// play: audio, video and data. `metadata` marks onMetaData, whose payload is always a
        /// plain onMetaData (an @setDataFrame is unwrapped, as RtmpServerSession does).
        virtual void on_media(MediaKind kind, std::uint32_t timestamp, core::Buffer payload, bool metadata) = 0;
        /// connect or createStream _error, or an onStatus of level error (NetStream.Publish.BadName,
        /// NetStream.Play.StreamNotFound, ...). feed() then returns an error: close.
        virtual void on_rejected(Stage stage, std::string code, std::string description) = 0;
        /// play: NetStream.Play.UnpublishNotify, NetStream.Play.Stop or User Control StreamEOF
        /// ("StreamEOF"), once until the stream starts again (nginx-rtmp sends two of them).
        virtual void on_stream_end(std::string code) { (void)code; }
    };

    RtmpClientSession(Handler& handler, ChunkSink& out, ClientSessionOptions options);

    /// Writes C0C1. Call once, before feed(). Errc::invalid for a bad out_chunk_size.
    core::Status start();
    /// Bytes from the socket. An error means: log it and close the connection. Errors are
    /// sticky: every later call returns the same one.
    core::Status feed(std::span<const std::uint8_t> bytes);

    /// publish, once ready(): one media message on our stream; the payload is referenced, not
    /// copied. Errc::invalid before ready() or for a payload longer than 0xFFFFFF.
    core::Status send_media(MediaKind kind, std::uint32_t timestamp, const core::Buffer& payload);
    /// publish: a plain onMetaData payload, sent wrapped in @setDataFrame as ffmpeg sends it.
    core::Status send_metadata(std::uint32_t timestamp, const core::Buffer& on_metadata_payload);
    /// The polite end, as ffmpeg closes: FCUnpublish (publish) and deleteStream. Nothing before
    /// the stream exists; send_media() fails afterwards.
    void send_unpublish();

    [[nodiscard]] bool handshake_done() const { return phase_ > Phase::handshaking; }
    /// connect's _result arrived.
    [[nodiscard]] bool connected() const { return connected_; }
    [[nodiscard]] bool ready() const { return phase_ == Phase::ready; }
    [[nodiscard]] bool failed() const { return error_.has_value(); }
    /// Every byte fed, handshake included.
    [[nodiscard]] std::uint64_t bytes_in() const { return bytes_in_; }
    /// The message stream createStream gave us (0 before).
    [[nodiscard]] std::uint32_t stream_id() const { return stream_id_; }
    [[nodiscard]] const ClientSessionOptions& options() const { return options_; }

private:
    enum class Phase : std::uint8_t { idle, handshaking, connecting, creating_stream, starting, ready, closed };

    core::Status feed_chunks(std::span<const std::uint8_t> bytes);
    core::Status on_message(RtmpMessage&& msg);
    core::Status on_user_control(const RtmpMessage& msg);
    core::Status on_command(std::vector<Amf0Value>&& values);
    core::Status on_result(double transaction, std::vector<Amf0Value>& values);
    core::Status on_error(double transaction, const std::vector<Amf0Value>& values);
    core::Status on_status(const Amf0Value& info);
    core::Status on_media(MediaMessage&& media);
    core::Status reject(Stage stage, const Amf0Value* info, const char* why);
    void stream_end(std::string code);
    void send_connect();
    void send_create_stream();
    void send_window_ack_size();
    void send_command(std::uint32_t csid, std::uint32_t stream_id, std::string_view name, double transaction,
                      std::initializer_list<Amf0Value> args);
    void send(const RtmpMessage& msg);
    void send_raw(std::span<const std::uint8_t> bytes);
    core::Status fail(core::Error error);

    Handler& handler_;
    ChunkSink& out_;
    ClientSessionOptions options_;
    std::optional<HandshakeClient> handshake_;  // dropped once done: it holds ~3 KB
    ChunkDecoder decoder_;
    ChunkEncoder encoder_;
    std::vector<std::uint8_t> scratch_;
    std::uint64_t bytes_in_ = 0;
    std::uint32_t stream_id_ = 0;
    std::optional<core::Error> error_;
    Phase phase_ = Phase::idle;
    bool connected_ = false;
    bool window_ack_sent_ = false;
    bool stream_ended_ = false;
};

}  // namespace ringcast::proto::rtmp
