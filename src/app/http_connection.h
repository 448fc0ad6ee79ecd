#pragma once
// HttpConnection: one accepted HTTP client on one shard. It reads requests (keep-alive,
// pipelining); a GET of a live http_remux mount (FLV, TS, AAC, MP3) turns it into a player fed by
// the same PlayerFeed, per-shard mirrors and shared per-frame buffers as RTMP players; a GET or
// HEAD of any other path is answered from http_server.dir (static_files.h) through the shard's
// ring; other requests get their status (405) and the connection serves the next one.
//
// A static file is answered without blocking the shard: statx of every path component, open,
// then read -> send -> read in 64 KiB pooled blocks, never more than kFileQueueBytesMax ahead
// of the socket, then close; all through io_uring. Requests pipelined behind a file answer wait
// (at most kPendingRequestsMax of them) and are answered in order.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "app/client_connection.h"
#include "app/player_feed.h"
#include "core/log.h"
#include "media/stream.h"
#include "proto/http/request_parser.h"
#include "proto/http/response_writer.h"
#include "uring/tcp_stream.h"

namespace ringcast::app {

class Shard;
struct Config;

/// A request path that names a live stream.
struct HttpRemuxMatch {
    std::string stream_key;  // "vhost/app/stream"
    media::HttpRemuxFormat format = media::HttpRemuxFormat::flv;
};

/// The stream an HTTP-FLV / TS / AAC / MP3 request path names, from the vhosts' http_remux
/// mounts ("[vhost]/[app]/[stream].flv"; "[vhost]/" is dropped for __defaultVhost__, and a
/// mount that starts with a host name matches the Host header); the mount's format with it.
std::optional<HttpRemuxMatch> match_http_remux_mount(const Config& config, std::string_view host,
                                                     std::string_view path);

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
    /// Static files: one read fills one pooled block (BufferPool::size_class_max).
    static constexpr std::size_t kFileChunkBytes = 64 * 1024;
    /// A file is read ahead of the socket by at most this much (bounded memory per download;
    /// the kernel's socket buffer keeps the link busy while the next chunk is read).
    static constexpr std::size_t kFileQueueBytesMax = 256 * 1024;
    /// Requests pipelined behind a file answer; one more closes the connection.
    static constexpr std::size_t kPendingRequestsMax = 8;

    HttpConnection(Shard& shard, std::uint64_t id, std::string peer, HttpRoles roles = {.streams_and_files = true});
    ~HttpConnection() override;
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    void open(int fd) override;
    void close(core::Error reason) override { stream_.close(reason); }
    [[nodiscard]] std::uint64_t id() const override { return id_; }
    [[nodiscard]] const uring::TcpStreamStats& io_stats() const override { return stream_.stats(); }
    bool describe(std::uint64_t now_ms, ClientPart& out) const override;
    void on_api_answer(ApiAnswer&& answer) override;

    // uring::TcpStream::Handler
    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_send_drained() override;
    void on_closed(core::Error reason) override;
    // media::FrameSink (as an HTTP-FLV, TS, AAC or MP3 player)
    void on_frame(const media::MediaFrame& frame) override;
    void on_publishing(bool publishing) override;

private:
    struct FileJob;  // a static file answer in progress (http_connection.cpp)
    enum class FileState : std::uint8_t { idle, stat, open, send };

    core::Status on_request(proto::http::HttpRequest&& request);
    void answer(proto::http::HttpRequest&& request);
    void start_stream(const proto::http::HttpRequest& request, HttpRemuxMatch match);
    /// Status line and headers; `content_length` is the body that follows (content_length
    /// framing), or for HEAD what GET would send.
    void send_head(int status, std::string_view content_type, proto::http::BodyFraming framing, bool keep_alive,
                   std::span<const proto::http::HeaderField> extra_headers = {}, std::uint64_t content_length = 0);
    void send_bytes(std::string_view bytes);
    void on_idle_timer();

    // Static files, in the order they run.
    void start_file(const proto::http::HttpRequest& request);
    void on_file_stat(std::int32_t res, std::uint32_t flags);
    void on_file_open(std::int32_t res, std::uint32_t flags);
    void read_file_chunk();
    void on_file_read(std::int32_t res, std::uint32_t flags);
    void close_file();
    void on_file_close(std::int32_t res, std::uint32_t flags);
    /// An answer without a file body (404, 301, 304, 416, 503...) that ends the job; `why` is
    /// for its log line, at `level` (trace or warn).
    void file_error_answer(int status, std::string_view why, std::span<const proto::http::HeaderField> extra_headers = {},
                           core::LogLevel level = core::LogLevel::trace);
    /// The job's last byte is queued: next request, or close when drained.
    void finish_file_answer(int status, std::uint64_t body_bytes);
    /// Answers requests that waited behind a file, until one starts another file.
    void answer_pending();
    /// After on_closed: frees the connection once no file operation is in flight.
    void release_when_idle();
    // PlayerFeed::Writer
    [[nodiscard]] bool can_write() const override;
    core::Status write_frame(const media::MediaFrame& frame) override;
    void on_duration_played(std::uint32_t duration_ms) override;

    [[nodiscard]] bool busy() const { return file_state_ != FileState::idle || awaiting_api_; }
    /// A request for the API or the exporter (roles_), if this is one.
    [[nodiscard]] bool is_api_request(const proto::http::HttpRequest& request) const;

    Shard& shard_;
    std::uint64_t id_;
    std::string peer_;
    HttpRoles roles_;
    bool awaiting_api_ = false;      // an API answer is being gathered from the shards
    bool api_keep_alive_ = true;
    bool api_head_only_ = false;
    bool answering_api_ = false;     // send_head() writes an API answer: http_api's crossdomain
    std::string flv_url_;            // the request target of an HTTP-FLV player, for the API
    uring::TcpStream stream_;
    proto::http::HttpRequestParser parser_;
    std::optional<PlayerFeed> feed_;
    std::string stream_key_;  // vhost/app/stream while playing
    bool chunked_ = false;    // HTTP/1.1 player: frames go in chunked framing
    media::HttpRemuxFormat format_ = media::HttpRemuxFormat::flv;  // what this player receives
    bool close_when_drained_ = false;
    uring::Timer idle_timer_;
    std::uint64_t requests_ = 0;

    // Static files. The Completions name this object: it is released only once
    // file_ops_in_flight_ is 0 (completion.h's lifetime rule).
    FileState file_state_ = FileState::idle;
    std::unique_ptr<FileJob> file_;  // made at the first file request, reused on keep-alive
    uring::Completion file_stat_;    // shared by the job's statx ops, which run in parallel
    uring::Completion file_open_;
    uring::Completion file_read_;
    uring::Completion file_close_;
    std::uint32_t file_ops_in_flight_ = 0;
    int file_fd_ = -1;
    bool file_read_in_flight_ = false;
    bool stream_closed_ = false;  // on_closed came; release waits for file ops
    bool released_ = false;
    bool answering_pending_ = false;
    std::deque<proto::http::HttpRequest> pending_;  // pipelined behind a file answer
    int pending_error_status_ = 0;  // a parse error behind a file answer: answered after it
    std::uint64_t idle_check_bytes_sent_ = 0;  // progress of a download, seen by the idle timer
    std::uint64_t files_answered_ = 0;
    std::uint64_t file_bytes_sent_ = 0;
};

}  // namespace ringcast::app
