#pragma once
// Connection: one accepted RTMP client on one shard, from accept to close; it never migrates.
// It is the glue between the socket (uring::TcpStream), the sans-I/O protocol session
// (proto::rtmp::RtmpServerSession) and the streams (StreamRegistry): a publisher's messages
// become MediaFrames sent to the stream's owner; a player is a FrameSink whose frames wait in a
// time-bounded PlayerQueue and go to the socket only while its send queue is short, so a slow
// player costs bounded memory and never slows anyone else.

#include <cstdint>
#include <optional>
#include <string>

#include "app/client_connection.h"
#include "app/player_feed.h"
#include "app/token_traverse.h"
#include "app/stream_registry.h"
#include "media/stream.h"
#include "proto/rtmp/server_session.h"
#include "uring/tcp_stream.h"

namespace ringcast::app {

class Shard;
struct VhostConfig;

/// Owned by its Shard's connection table; freed (deferred) after TcpStream reports closed.
class Connection final : public ClientConnection,
                         public uring::TcpStream::Handler,
                         public proto::rtmp::RtmpServerSession::Handler,
                         public proto::rtmp::ChunkSink,
                         public PublishHandle,
                         public media::FrameSink,
                         private PlayerFeed::Writer,
                         private TokenTraverse::Owner {
public:
    /// Bytes a player may have queued in its socket's send queue before frames wait in the
    /// PlayerQueue instead (where the time bound applies).
    static constexpr std::size_t kSendQueueBytesMax = 512 * 1024;
    /// SO_SNDBUF of a player's socket (the kernel doubles it).
    static constexpr int kSocketSendBufferBytes = 256 * 1024;

    Connection(Shard& shard, std::uint64_t id, std::string peer);
    ~Connection() override;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// SRS's SRS_CONSTS_RTMP_TIMEOUT: a client that has not started publishing or playing this
    /// long after it connected is closed.
    static constexpr std::uint32_t kIdentifyTimeoutMs = 30000;

    void open(int fd) override;
    void close(core::Error reason) override;
    [[nodiscard]] std::uint64_t id() const override { return id_; }
    [[nodiscard]] const std::string& peer() const { return peer_; }
    [[nodiscard]] const uring::TcpStreamStats& io_stats() const override { return stream_.stats(); }
    bool describe(std::uint64_t now_ms, ClientPart& out) const override;
    [[nodiscard]] bool closed() const { return stream_.closed(); }

    // uring::TcpStream::Handler
    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_send_drained() override;
    void on_closed(core::Error reason) override;
    // RtmpServerSession::Handler
    void on_connect(const proto::rtmp::ConnectRequest& request) override;
    void on_publish(const proto::rtmp::StreamRequest& request) override;
    void on_play(const proto::rtmp::StreamRequest& request) override;
    void on_media(proto::rtmp::MediaKind kind, std::uint32_t timestamp, core::Buffer payload, bool metadata) override;
    void on_unpublish() override;
    void on_pause(bool paused) override;
    // ChunkSink: the session's output
    void append(core::BufferSlice piece) override;
    // PublishHandle
    void on_publish_result(bool accepted) override;
    void on_publish_revoked() override;
    // FrameSink (as a player)
    void on_frame(const media::MediaFrame& frame) override;
    void on_publishing(bool publishing) override;

private:
    enum class Role : std::uint8_t { none, publisher_pending, publisher, player };

    std::string stream_name(const std::string& stream) const;
    // PlayerFeed::Writer
    [[nodiscard]] bool can_write() const override;
    core::Status write_frame(const media::MediaFrame& frame) override;
    void on_duration_played(std::uint32_t duration_ms) override;
    /// Closes clients that stall: before publish/play (kIdentifyTimeoutMs), and publishers that
    /// send no media for firstpkt_timeout (before the first frame) or normal_timeout.
    void on_idle_timer();
    void leave_stream();
    // TokenTraverse::Owner: the origin's answer to this client's connect
    void on_token_result(bool accepted, const std::string& reason) override;

    Shard& shard_;
    std::uint64_t id_;
    std::string peer_;
    uring::TcpStream stream_;
    proto::rtmp::RtmpServerSession session_;
    const VhostConfig* vhost_ = nullptr;
    std::string vhost_name_ = "__defaultVhost__";
    std::string app_;
    std::string tc_url_;
    std::string page_url_;
    std::string swf_url_;
    std::string stream_only_;  // the stream name alone, once publishing or playing
    std::string name_;    // vhost/app/stream once publishing or playing
    Role role_ = Role::none;
    std::optional<PlayerFeed> feed_;
    std::unique_ptr<TokenTraverse> token_;  // while the origin checks the connect (token_traverse)
    proto::rtmp::RtmpServerSession::ConnectAnswer connect_answer_;
    uring::Timer idle_timer_;
    std::uint64_t idle_since_ns_ = 0;  // accept, then publish start, then the last media message
    bool got_media_ = false;
    bool close_when_drained_ = false;
    std::uint64_t frames_sent_shared_ = 0;  // frames sent as the shard's shared chunks
};

}  // namespace ringcast::app
