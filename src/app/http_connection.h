#pragma once
// HttpConnection: one accepted HTTP client on one shard. It reads requests (keep-alive,
// pipelining); a GET of a live HTTP-FLV mount (vhost http_remux) turns it into a player fed by
// the same PlayerFeed, per-shard mirrors and shared per-frame buffers as RTMP players; other
// requests get their status (404, 405, HEAD answers) and the connection serves the next one.

#include <cstdint>
#include <optional>
#include <string>

#include "app/client_connection.h"
#include "app/player_feed.h"
#include "media/stream.h"
#include "proto/http/request_parser.h"
#include "proto/http/response_writer.h"
#include "uring/tcp_stream.h"

namespace ringcast::app {

class Shard;
struct Config;

/// The stream key ("vhost/app/stream") an HTTP-FLV request path names, from the vhosts'
/// http_remux mounts ("[vhost]/[app]/[stream].flv"; "[vhost]/" is dropped for
/// __defaultVhost__, and a mount that starts with a host name matches the Host header).
std::optional<std::string> match_http_flv_mount(const Config& config, std::string_view host, std::string_view path);

/// Owned by its Shard's connection table; freed (deferred) after TcpStream reports closed.
class HttpConnection final : public ClientConnection,
                             public uring::TcpStream::Handler,
                             public media::FrameSink,
                             private PlayerFeed::Writer {
public:
    /// Same bounds as RTMP players (see Connection).
    static constexpr std::size_t kSendQueueBytesMax = 512 * 1024;
    static constexpr int kSocketSendBufferBytes = 256 * 1024;
    /// A client that sends no complete request this long after connecting or after its last
    /// answer is closed (SRS's HTTP read timeout is of this order).
    static constexpr std::uint32_t kIdleTimeoutMs = 30000;

    HttpConnection(Shard& shard, std::uint64_t id, std::string peer);
    ~HttpConnection() override;
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    void open(int fd) override;
    void close(core::Error reason) override { stream_.close(reason); }
    [[nodiscard]] std::uint64_t id() const override { return id_; }

    // uring::TcpStream::Handler
    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_send_drained() override;
    void on_closed(core::Error reason) override;
    // media::FrameSink (as an HTTP-FLV player)
    void on_frame(const media::MediaFrame& frame) override;

private:
    core::Status on_request(proto::http::HttpRequest&& request);
    void start_flv(const proto::http::HttpRequest& request, std::string stream_key);
    /// Status line and headers (an empty body for content_length framing).
    void send_head(int status, std::string_view content_type, proto::http::BodyFraming framing, bool keep_alive,
                   std::span<const proto::http::HeaderField> extra_headers = {});
    void send_bytes(std::string_view bytes);
    void on_idle_timer();
    // PlayerFeed::Writer
    [[nodiscard]] bool can_write() const override;
    core::Status write_frame(const media::MediaFrame& frame) override;
    void on_duration_played(std::uint32_t duration_ms) override;

    Shard& shard_;
    std::uint64_t id_;
    std::string peer_;
    uring::TcpStream stream_;
    proto::http::HttpRequestParser parser_;
    std::optional<PlayerFeed> feed_;
    std::string stream_key_;  // vhost/app/stream while playing
    bool chunked_ = false;    // HTTP/1.1 player: frames go in chunked framing
    bool close_when_drained_ = false;
    uring::Timer idle_timer_;
    std::uint64_t requests_ = 0;
};

}  // namespace ringcast::app
