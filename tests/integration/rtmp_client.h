#pragma once
// Minimal raw RTMP clients for tests that need control over every byte or many connections:
// - start_raw_player: handshake, connect, createStream, play; the caller reads the socket itself
//   (slow readers, hundreds of players), or through an RtmpReader;
// - RtmpReader: decodes the messages arriving on a client socket (chunk decoder + AMF0);
// - RtmpPublisher: publishes the way ffmpeg does (connect, releaseStream, FCPublish,
//   createStream, publish, then audio/video/data messages with the caller's timestamps and
//   payload bytes), so tests can send codecs no real client at hand can (HEVC, AV1, VP9, Opus
//   over enhanced RTMP).
// Only 127.0.0.1; every wait is bounded by a timeout.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/rtmp/amf0.h"
#include "proto/rtmp/chunk_decoder.h"
#include "proto/rtmp/chunk_encoder.h"
#include "proto/rtmp/message.h"

namespace ringcast::test {

/// Connects to 127.0.0.1:port, plays app/stream and returns the blocking socket, or -1.
/// `rcvbuf_bytes` > 0 sets SO_RCVBUF before connecting.
int start_raw_player(std::uint16_t port, const std::string& app, const std::string& stream, int rcvbuf_bytes = 0);

struct RawPlayerOptions {
    int rcvbuf_bytes = 0;        // > 0: SO_RCVBUF before connecting
    bool amf3_commands = false;  // connect with objectEncoding 3 and send commands as type 17, as Flash does
};
int start_raw_player(std::uint16_t port, const std::string& app, const std::string& stream,
                     const RawPlayerOptions& options);

/// Sends an AMF0 command (transaction 0, null command object, then `args`) on message stream 1
/// of a socket start_raw_player() returned, e.g. pause.
bool send_player_command(int fd, std::string_view name, std::initializer_list<proto::rtmp::Amf0Value> args);

/// Reads and decodes the RTMP messages arriving on a client socket whose handshake is done. Does
/// not own the socket. Set Chunk Size, Abort and Window Acknowledgement Size from the server are
/// applied by the decoder and handed out like any other message.
class RtmpReader {
public:
    explicit RtmpReader(int fd) : fd_(fd) {}

    /// Bytes that arrived with the end of the handshake (they belong to the chunk stream).
    bool feed(std::span<const std::uint8_t> bytes);

    /// The next message, or nullopt when none arrives within `timeout`, the peer closes, or the
    /// chunk stream does not decode (then error() says why).
    std::optional<proto::rtmp::RtmpMessage> next(std::chrono::milliseconds timeout);

    /// Reads until an onStatus whose info object has `code` (e.g. "NetStream.Play.Start"). Other
    /// commands are dropped; media and data messages met on the way are kept for next(). False
    /// at the timeout, on close, or on an onStatus of level "error" (error() says which).
    bool wait_for_status(std::string_view code, std::chrono::milliseconds timeout);

    /// Reads until the `_result` (or `_error`) of `transaction_id`; returns its AMF0 values
    /// (name, transaction id, command object, args...), or nullopt at the timeout or on `_error`.
    std::optional<std::vector<proto::rtmp::Amf0Value>> wait_for_result(double transaction_id,
                                                                       std::chrono::milliseconds timeout);

    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] bool closed() const { return closed_; }

private:
    /// Waits up to `timeout` for bytes and decodes them into ready_.
    bool receive(std::chrono::milliseconds timeout);

    enum class Verdict : std::uint8_t { other, found, failed };
    using CommandVerdict = std::function<Verdict(const std::vector<proto::rtmp::Amf0Value>&)>;
    /// Reads AMF0 commands (named, as every server answer is) until `verdict` says found (their
    /// values are returned) or failed; media and data messages met on the way are held for
    /// next(). `what` names the awaited command in error().
    std::optional<std::vector<proto::rtmp::Amf0Value>> wait_for_command(std::chrono::milliseconds timeout,
                                                                       const std::string& what,
                                                                       const CommandVerdict& verdict);

    int fd_;
    proto::rtmp::ChunkDecoder decoder_;
    std::deque<proto::rtmp::RtmpMessage> ready_;  // decoded, not yet returned
    std::deque<proto::rtmp::RtmpMessage> held_;   // non-command messages skipped by a wait_for_*
    std::string error_;
    bool closed_ = false;
};

/// A raw RTMP publisher. Not thread-safe; owns its socket.
class RtmpPublisher {
public:
    struct Options {
        /// Our outgoing chunk size, announced with Set Chunk Size after connect (ffmpeg: 4096).
        std::uint32_t chunk_size = 4096;
        std::chrono::milliseconds timeout = std::chrono::seconds(5);
    };

    RtmpPublisher() = default;
    RtmpPublisher(const RtmpPublisher&) = delete;
    RtmpPublisher& operator=(const RtmpPublisher&) = delete;
    ~RtmpPublisher() { close(); }

    /// Connects to 127.0.0.1:port and publishes app/stream as ffmpeg does: handshake; connect and
    /// its `_result`; Set Chunk Size; releaseStream, FCPublish, createStream and its `_result`;
    /// publish "live" on the new stream id; then waits for NetStream.Publish.Start. False (see
    /// error()) on any failure or after options.timeout.
    bool start(std::uint16_t port, const std::string& app, const std::string& stream, Options options);
    bool start(std::uint16_t port, const std::string& app, const std::string& stream) {
        return start(port, app, stream, Options{});
    }

    /// One message on the published stream with this timestamp and payload, unchanged. Audio
    /// goes on chunk stream 4, video on 6, data on 5, with ffmpeg-style header compression
    /// (fmt 1/2/3 against the previous message of the chunk stream).
    bool send(std::uint8_t type_id, std::uint32_t timestamp, std::span<const std::uint8_t> payload);
    bool send_audio(std::uint32_t timestamp, std::span<const std::uint8_t> payload) {
        return send(proto::rtmp::message_type::audio, timestamp, payload);
    }
    bool send_video(std::uint32_t timestamp, std::span<const std::uint8_t> payload) {
        return send(proto::rtmp::message_type::video, timestamp, payload);
    }
    bool send_data(std::uint32_t timestamp, std::span<const std::uint8_t> payload) {
        return send(proto::rtmp::message_type::amf0_data, timestamp, payload);
    }

    /// FCUnpublish and deleteStream, as ffmpeg sends them when it ends.
    bool unpublish();
    void close();

    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] std::uint32_t stream_id() const { return stream_id_; }
    [[nodiscard]] const std::string& error() const { return error_; }

private:
    bool fail(std::string what);
    bool send_command(std::uint32_t stream_id, std::uint32_t csid, std::string_view name, double transaction_id,
                      const proto::rtmp::Amf0Value& object, std::initializer_list<proto::rtmp::Amf0Value> args);
    bool send_message(const proto::rtmp::RtmpMessage& message);

    int fd_ = -1;
    proto::rtmp::ChunkEncoder encoder_{proto::rtmp::ChunkEncoderOptions{
        .chunk_size = proto::rtmp::default_chunk_size, .compression = proto::rtmp::HeaderCompression::per_connection}};
    std::optional<RtmpReader> reader_;
    std::uint32_t stream_id_ = 0;
    std::string stream_name_;
    double next_transaction_ = 1;
    std::string error_;
};

}  // namespace ringcast::test
