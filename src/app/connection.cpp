#include "app/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "app/shard.h"
#include "app/upstream_link.h"
#include "core/log.h"

namespace ringcast::app {

namespace {

proto::rtmp::RtmpServerSession::Options session_options(const Config& config) {
    proto::rtmp::RtmpServerSession::Options options;
    options.out_chunk_size = static_cast<std::uint32_t>(config.rtmp.chunk_size);
    return options;
}

media::FrameKind frame_kind(proto::rtmp::MediaKind kind) {
    switch (kind) {
    case proto::rtmp::MediaKind::audio: return media::FrameKind::audio;
    case proto::rtmp::MediaKind::video: return media::FrameKind::video;
    case proto::rtmp::MediaKind::data: break;
    }
    return media::FrameKind::data;
}

proto::rtmp::MediaKind message_kind(media::FrameKind kind) {
    switch (kind) {
    case media::FrameKind::audio: return proto::rtmp::MediaKind::audio;
    case media::FrameKind::video: return proto::rtmp::MediaKind::video;
    case media::FrameKind::data: break;
    }
    return proto::rtmp::MediaKind::data;
}

}  // namespace

Connection::Connection(Shard& shard, std::uint64_t id, std::string peer)
    : shard_(shard), id_(id), peer_(std::move(peer)), stream_(shard.reactor(), shard.recv_buffers(), *this),
      session_(*this, *this, session_options(shard.config())) {
    idle_timer_.bind<&Connection::on_idle_timer>(this);
}

Connection::~Connection() {
    shard_.reactor().cancel(idle_timer_);
    if (token_) {
        // Its connection to the origin may still be closing: the shard keeps it until it has.
        token_->abandon();
        shard_.cluster().adopt(std::move(token_));
    }
}

void Connection::open(int fd) {
    stream_.open(fd);
    idle_since_ns_ = shard_.reactor().now_ns();
    shard_.reactor().arm(idle_timer_, kIdentifyTimeoutMs);
}

void Connection::on_idle_timer() {
    core::log::ConnScope scope(id_);
    if (role_ == Role::player || !stream_.is_open()) {
        return;
    }
    std::uint64_t timeout_ms = kIdentifyTimeoutMs;
    std::string_view waiting_for = "publish or play";
    if (role_ == Role::publisher) {
        const PublishConfig publish = vhost_ != nullptr ? vhost_->publish : PublishConfig{};
        timeout_ms = static_cast<std::uint64_t>(got_media_ ? publish.normal_timeout_ms : publish.firstpkt_timeout_ms);
        waiting_for = got_media_ ? "media (normal_timeout)" : "the first media message (firstpkt_timeout)";
    }
    const std::uint64_t idle_ms = (shard_.reactor().now_ns() - idle_since_ns_) / 1'000'000;
    if (idle_ms < timeout_ms) {
        shard_.reactor().arm(idle_timer_, timeout_ms - idle_ms);
        return;
    }
    RC_WARN("{}: no {} for {} ms; closing", peer_, waiting_for, idle_ms);
    stream_.close(core::Error::make(core::Errc::timeout, "idle"));
}

void Connection::close(core::Error reason) { stream_.close(reason); }

void Connection::on_data(std::span<const std::uint8_t> bytes) {
    core::log::ConnScope scope(id_);
    auto status = session_.feed(bytes);
    if (!status) {
        RC_WARN("{} from {}; closing", status.error().describe(), peer_);
        stream_.close(status.error());
    }
}

void Connection::append(core::BufferSlice piece) { stream_.send(std::move(piece)); }

void Connection::on_send_drained() {
    if (close_when_drained_) {
        stream_.close(core::Error::make(core::Errc::closed, "refused"));
        return;
    }
    if (feed_) {
        feed_->pump();
    }
}

bool Connection::describe(std::uint64_t now_ms, ClientPart& out) const {
    if (role_ != Role::publisher && role_ != Role::player) {
        return false;
    }
    describe_common(now_ms, peer_, out);
    out.snapshot.tc_url = tc_url_;
    out.snapshot.page_url = page_url_;
    out.snapshot.swf_url = swf_url_;
    out.snapshot.name = stream_only_;
    // ffmpeg, OBS and every encoder of today publish FMLE-style (releaseStream, FCPublish).
    out.snapshot.type = role_ == Role::publisher ? api::ClientType::fmle_publish : api::ClientType::rtmp_play;
    out.publisher = role_ == Role::publisher;
    out.stream_key = name_;
    out.vhost = vhost_name_;
    out.app = app_;
    return true;
}

void Connection::on_connect(const proto::rtmp::ConnectRequest& request) {
    const Config& config = shard_.config();
    vhost_ = config.find_vhost(request.vhost);
    if (vhost_ != nullptr) {
        vhost_name_ = vhost_->name;
    } else {
        vhost_ = config.find_vhost("__defaultVhost__");
    }
    if (vhost_ != nullptr && !vhost_->enabled) {
        RC_WARN("connect to disabled vhost {} refused", vhost_name_);
        session_.reject_connect("vhost disabled");
        close_when_drained_ = true;
        return;
    }
    if (connect_comes_from(request.args, shard_.shared().service_id)) {
        // An edge or forward of this very server: serving it would feed the stream to itself.
        RC_WARN("connect from this server itself refused (loop): app={} tcUrl={}", request.app, request.tc_url);
        session_.reject_connect("loop: the upstream is this server");
        close_when_drained_ = true;
        return;
    }
    app_ = request.app;
    tc_url_ = request.tc_url;
    page_url_ = request.page_url;
    swf_url_ = request.swf_url;
    RC_TRACE("connect app={} vhost={} tcUrl={} flashVer={}", request.app, vhost_name_, request.tc_url, request.flash_ver);
    proto::rtmp::RtmpServerSession::ConnectAnswer answer;
    answer.out_chunk_size = static_cast<std::uint32_t>(config.rtmp.chunk_size);
    if (vhost_ != nullptr) {
        answer.out_chunk_size = static_cast<std::uint32_t>(vhost_->chunk_size.value_or(config.rtmp.chunk_size));
        answer.out_ack_window = static_cast<std::uint32_t>(vhost_->out_ack_size);
        answer.in_ack_window = static_cast<std::uint32_t>(vhost_->in_ack_size);
    }
    if (vhost_ != nullptr && vhost_->cluster.edge && vhost_->cluster.token_traverse) {
        // The origin answers first; the client hears nothing until then.
        connect_answer_ = answer;
        token_ = std::make_unique<TokenTraverse>(
            shard_.reactor(), shard_.recv_buffers(), static_cast<TokenTraverse::Owner&>(*this), vhost_->cluster,
            TokenTraverse::ClientConnect{vhost_name_, request.app, request.param, request.args},
            shard_.shared().service_id);
        token_->start();
        return;
    }
    session_.accept_connect(answer);
}

void Connection::on_token_result(bool accepted, const std::string& reason) {
    core::log::ConnScope scope(id_);
    if (!accepted) {
        RC_WARN("connect refused by the origin (token_traverse): {}", reason);
        session_.reject_connect(reason);
        close_when_drained_ = true;
        return;
    }
    RC_TRACE("connect accepted by the origin (token_traverse)");
    session_.accept_connect(connect_answer_);
}

std::string Connection::stream_name(const std::string& stream) const { return vhost_name_ + "/" + app_ + "/" + stream; }

void Connection::on_publish(const proto::rtmp::StreamRequest& request) {
    name_ = stream_name(request.stream);
    stream_only_ = request.stream;
    role_ = Role::publisher_pending;
    RC_TRACE("publish {}", name_);
    shard_.streams().request_publish(name_, *this);
}

void Connection::on_publish_result(bool accepted) {
    core::log::ConnScope scope(id_);
    if (!accepted) {
        RC_WARN("publish {} refused: NetStream.Publish.BadName, the stream is already publishing", name_);
        role_ = Role::none;
        session_.reject_publish("Stream already publishing");
        close_when_drained_ = true;
        return;
    }
    role_ = Role::publisher;
    session_.accept_publish();
    const PublishConfig publish = vhost_ != nullptr ? vhost_->publish : PublishConfig{};
    idle_since_ns_ = shard_.reactor().now_ns();
    shard_.reactor().arm(idle_timer_, static_cast<std::uint64_t>(publish.firstpkt_timeout_ms));
}

void Connection::on_publish_revoked() {
    core::log::ConnScope scope(id_);
    RC_WARN("publish {} taken back: no origin takes the stream any more", name_);
    close(core::Error::make(core::Errc::closed, "edge push lost its origin"));
}

void Connection::on_media(proto::rtmp::MediaKind kind, std::uint32_t timestamp, core::Buffer payload, bool metadata) {
    if (role_ != Role::publisher) {
        return;
    }
    // The idle timer compares against this when it fires; no timer work per message.
    idle_since_ns_ = shard_.reactor().now_ns();
    if (!got_media_) {
        got_media_ = true;
        const PublishConfig publish = vhost_ != nullptr ? vhost_->publish : PublishConfig{};
        shard_.reactor().arm(idle_timer_, static_cast<std::uint64_t>(publish.normal_timeout_ms));
    }
    media::MediaFrame frame = media::classify(frame_kind(kind), timestamp, std::move(payload));
    frame.flags.metadata = metadata;
    if (kind == proto::rtmp::MediaKind::data && !metadata) {
        return;  // other script data (onTextData, onCuePoint) is not relayed yet
    }
    shard_.streams().publish_frame(*this, std::move(frame));
}

void Connection::on_unpublish() {
    if (role_ == Role::publisher || role_ == Role::publisher_pending) {
        RC_TRACE("unpublish {}", name_);
        shard_.streams().unpublish(*this);
        role_ = Role::none;
    }
}

void Connection::on_play(const proto::rtmp::StreamRequest& request) {
    name_ = stream_name(request.stream);
    stream_only_ = request.stream;
    role_ = Role::player;
    const PlayConfig play = vhost_ != nullptr ? vhost_->play : PlayConfig{};
    PlayerFeed::Settings feed{.queue_length_ms = static_cast<std::uint32_t>(play.queue_length_s * 1000),
                              .mw_latency_ms = static_cast<std::uint32_t>(play.mw_latency_ms),
                              .mw_msgs = static_cast<std::size_t>(play.mw_msgs),
                              .duration_ms = std::nullopt};
    // play's duration argument (ms, as librtmp sends it): SRS ends playback after this much media.
    if (request.duration > 0) {
        feed.duration_ms = static_cast<std::uint32_t>(std::min(request.duration, 4e9));
    }
    feed_.emplace(shard_.reactor(), static_cast<PlayerFeed::Writer&>(*this), feed, id_);
    // Bound what the kernel may hold for this player too: loopback and LAN sockets autotune their
    // send buffer to megabytes, which would hide a slow player's lag from queue_length.
    int sndbuf_bytes = kSocketSendBufferBytes;
    ::setsockopt(stream_.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf_bytes, sizeof sndbuf_bytes);
    if (vhost_ != nullptr && vhost_->tcp_nodelay) {
        int on = 1;
        ::setsockopt(stream_.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    RC_TRACE("play {}{}", name_, request.param);
    session_.accept_play();
    shard_.streams().play(name_, *this, media::HttpRemuxFormat::flv, request.param);
}

void Connection::on_frame(const media::MediaFrame& frame) {
    if (role_ != Role::player || !stream_.is_open() || !feed_) {
        return;
    }
    feed_->push(frame);
}

bool Connection::can_write() const { return stream_.is_open() && stream_.queued_bytes() < kSendQueueBytesMax; }

core::Status Connection::write_frame(const media::MediaFrame& frame) {
    if (!frame.rtmp_chunks.empty() && session_.accepts_shared_media(frame.rtmp_chunk_size)) {
        session_.send_shared_media(frame.rtmp_chunks);
        ++frames_sent_shared_;
        return {};
    }
    auto status = session_.send_media(message_kind(frame.kind), frame.timestamp_ms, frame.payload);
    if (!status) {
        stream_.close(status.error());
    }
    return status;
}

void Connection::on_duration_played(std::uint32_t duration_ms) {
    RC_TRACE("play {}: the requested duration of {} ms is played; closing", name_, duration_ms);
    close_when_drained_ = true;
    leave_stream();  // safe inside a delivery: the Stream defers the removal
    if (stream_.queued_bytes() == 0) {
        stream_.close(core::Error::make(core::Errc::closed, "duration played"));
    }
}

void Connection::on_pause(bool paused) {
    if (feed_) {
        feed_->set_paused(paused);
    }
}

void Connection::on_publishing(bool publishing) {
    // No NetStream.Play.UnpublishNotify: ffmpeg and librtmp end playback on it, and SRS does not
    // send it either; players simply wait for the next publisher.
    RC_TRACE("play {}: publisher {}", name_, publishing ? "started" : "left");
}

void Connection::leave_stream() {
    if (role_ == Role::publisher || role_ == Role::publisher_pending) {
        shard_.streams().unpublish(*this);
    } else if (role_ == Role::player) {
        shard_.streams().stop_play(name_, *this);
    }
    role_ = Role::none;
}

void Connection::on_closed(core::Error reason) {
    core::log::ConnScope scope(id_);
    leave_stream();
    shard_.reactor().cancel(idle_timer_);
    const auto& stats = stream_.stats();
    RC_TRACE("closed {}: {}, received {} bytes, sent {} bytes, {} frames sent ({} shared) in {} flushes, {} dropped",
             peer_, reason.describe(), stats.bytes_received, stats.bytes_sent, feed_ ? feed_->frames_sent() : 0,
             frames_sent_shared_, feed_ ? feed_->flushes() : 0, feed_ ? feed_->dropped_frames() : 0);
    feed_.reset();
    shard_.release_connection(*this);
}

}  // namespace ringcast::app
