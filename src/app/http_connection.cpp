#include "app/http_connection.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include "app/http_flv.h"
#include "app/shard.h"
#include "core/log.h"
#include "media/flv.h"

namespace ringcast::app {

namespace {

constexpr std::string_view kDefaultVhost = "__defaultVhost__";

/// Matches `path` against a mount path with [app] and [stream] placeholders, each one or more
/// characters other than '/'.
bool match_mount_path(std::string_view pattern, std::string_view path, std::string& app, std::string& stream) {
    std::size_t p = 0;
    std::size_t i = 0;
    while (p < pattern.size()) {
        std::string* capture = nullptr;
        std::size_t token = 0;
        if (pattern.substr(p).starts_with("[app]")) {
            capture = &app;
            token = 5;
        } else if (pattern.substr(p).starts_with("[stream]")) {
            capture = &stream;
            token = 8;
        }
        if (capture == nullptr) {
            if (i >= path.size() || path[i] != pattern[p]) {
                return false;
            }
            ++p;
            ++i;
            continue;
        }
        p += token;
        // Up to the next literal of the pattern (the stream may hold dots: "a.b.flv").
        const char stop = p < pattern.size() ? pattern[p] : '\0';
        std::size_t end = stop == '\0' ? path.size() : path.rfind(stop);
        const std::size_t slash = path.find('/', i);
        if (stop != '/' && slash != std::string_view::npos && slash < end) {
            return false;
        }
        if (stop == '/') {
            end = slash;
        }
        if (end == std::string_view::npos || end <= i) {
            return false;
        }
        capture->assign(path.substr(i, end - i));
        i = end;
    }
    return i == path.size();
}

}  // namespace

std::optional<std::string> match_http_flv_mount(const Config& config, std::string_view host, std::string_view path) {
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
        host = host.substr(0, colon);
    }
    for (const VhostConfig& vhost : config.vhosts) {
        if (!vhost.enabled || !vhost.http_remux.enabled) {
            continue;
        }
        std::string pattern = vhost.http_remux.mount;
        const bool is_default = vhost.name == kDefaultVhost;
        if (auto at = pattern.find("[vhost]"); at != std::string::npos) {
            if (is_default) {
                pattern.erase(at, pattern.compare(at, 8, "[vhost]/") == 0 ? 8 : 7);
                if (!pattern.starts_with('/')) {
                    pattern.insert(0, 1, '/');  // SRS: "[vhost]/[app]/[stream].flv" is "/live/s.flv"
                }
            } else {
                pattern.replace(at, 7, vhost.name);
            }
        }
        std::string_view mount_path = pattern;
        if (!mount_path.starts_with('/')) {
            // "host/app/stream.flv": the first part names the Host the request must carry.
            const auto slash = mount_path.find('/');
            if (slash == std::string_view::npos || mount_path.substr(0, slash) != host) {
                continue;
            }
            mount_path.remove_prefix(slash);
        }
        std::string app;
        std::string stream;
        if (match_mount_path(mount_path, path, app, stream)) {
            return vhost.name + "/" + app + "/" + stream;
        }
    }
    return std::nullopt;
}

HttpConnection::HttpConnection(Shard& shard, std::uint64_t id, std::string peer)
    : shard_(shard), id_(id), peer_(std::move(peer)), stream_(shard.reactor(), shard.recv_buffers(), *this) {
    idle_timer_.bind<&HttpConnection::on_idle_timer>(this);
}

HttpConnection::~HttpConnection() { shard_.reactor().cancel(idle_timer_); }

void HttpConnection::open(int fd) {
    stream_.open(fd);
    shard_.reactor().arm(idle_timer_, kIdleTimeoutMs);
}

void HttpConnection::on_idle_timer() {
    core::log::ConnScope scope(id_);
    if (feed_ || !stream_.is_open()) {
        return;
    }
    RC_WARN("{}: no HTTP request for {} ms; closing", peer_, kIdleTimeoutMs);
    stream_.close(core::Error::make(core::Errc::timeout, "http idle"));
}

void HttpConnection::on_data(std::span<const std::uint8_t> bytes) {
    core::log::ConnScope scope(id_);
    auto status = parser_.feed(bytes, [this](proto::http::HttpRequest&& request) { return on_request(std::move(request)); });
    if (status) {
        return;
    }
    if (const int code = parser_.error_status(); code != 0 && !feed_) {
        RC_WARN("{} from {}; answering {}", status.error().describe(), peer_, code);
        send_head(code, "text/plain", proto::http::BodyFraming::content_length, false);
        close_when_drained_ = true;
        return;
    }
    RC_WARN("{} from {}; closing", status.error().describe(), peer_);
    stream_.close(status.error());
}

core::Status HttpConnection::on_request(proto::http::HttpRequest&& request) {
    ++requests_;
    if (feed_ || close_when_drained_) {
        return {};  // a player's connection carries no further requests
    }
    shard_.reactor().arm(idle_timer_, kIdleTimeoutMs);
    using proto::http::HttpMethod;
    const bool keep_alive = request.keep_alive;
    if (request.method != HttpMethod::get && request.method != HttpMethod::head) {
        const proto::http::HeaderField allow[] = {{"Allow", "GET, HEAD"}};
        send_head(405, "text/plain", proto::http::BodyFraming::content_length, keep_alive, allow);
        close_when_drained_ = !keep_alive;
        return {};
    }
    const std::string_view host = request.header("Host").value_or("");
    std::optional<std::string> key = match_http_flv_mount(shard_.config(), host, request.path);
    if (!key) {
        RC_TRACE("{} {}: 404", request.method_name, request.target);
        send_head(404, "text/plain", proto::http::BodyFraming::content_length, keep_alive);
        close_when_drained_ = !keep_alive;
        return {};
    }
    if (request.method == HttpMethod::head) {
        send_head(200, "video/x-flv", proto::http::BodyFraming::until_close, false);
        close_when_drained_ = true;
        return {};
    }
    start_flv(request, std::move(*key));
    return {};
}

void HttpConnection::start_flv(const proto::http::HttpRequest& request, std::string stream_key) {
    stream_key_ = std::move(stream_key);
    // HTTP/1.1 gets chunked framing (a client can tell a cut stream from its end); HTTP/1.0 a
    // body that ends with the connection.
    chunked_ = request.version_minor >= 1;
    send_head(200, "video/x-flv",
              chunked_ ? proto::http::BodyFraming::chunked : proto::http::BodyFraming::until_close, chunked_);
    core::Buffer header = media::flv_file_header(true, true);
    if (chunked_) {
        send_bytes(fmt::format("{:x}\r\n", header.size()));
        stream_.send(header.slice(0, header.size()));
        send_bytes("\r\n");
    } else {
        stream_.send(header.slice(0, header.size()));
    }
    const std::string_view vhost_name = std::string_view(stream_key_).substr(0, stream_key_.find('/'));
    const VhostConfig* vhost = shard_.config().find_vhost(vhost_name);
    const PlayConfig play = vhost != nullptr ? vhost->play : PlayConfig{};
    PlayerFeed::Settings settings{.queue_length_ms = static_cast<std::uint32_t>(play.queue_length_s * 1000),
                                  .mw_latency_ms = static_cast<std::uint32_t>(play.mw_latency_ms),
                                  .mw_msgs = static_cast<std::size_t>(play.mw_msgs),
                                  .duration_ms = std::nullopt};
    feed_.emplace(shard_.reactor(), static_cast<PlayerFeed::Writer&>(*this), settings, id_);
    int sndbuf_bytes = kSocketSendBufferBytes;
    ::setsockopt(stream_.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf_bytes, sizeof sndbuf_bytes);
    shard_.reactor().cancel(idle_timer_);
    RC_TRACE("play {} over HTTP-FLV ({})", stream_key_, request.target);
    shard_.streams().play(stream_key_, *this);
}

void HttpConnection::send_head(int status, std::string_view content_type, proto::http::BodyFraming framing,
                               bool keep_alive, std::span<const proto::http::HeaderField> extra_headers) {
    proto::http::HttpResponseHead head;
    head.status = static_cast<std::uint16_t>(status);
    head.framing = framing;
    head.content_length = 0;
    head.content_type = content_type;
    head.keep_alive = keep_alive;
    head.cors = shard_.config().http_server.crossdomain;
    head.headers = extra_headers;
    std::vector<std::uint8_t> bytes;
    proto::http::write_response_head(head, bytes);
    core::Buffer buffer = core::Buffer::copy_of(std::span<const std::uint8_t>(bytes));
    stream_.send(buffer.slice(0, buffer.size()));
}

void HttpConnection::send_bytes(std::string_view bytes) {
    core::Buffer buffer = core::Buffer::copy_of(bytes);
    stream_.send(buffer.slice(0, buffer.size()));
}

void HttpConnection::on_frame(const media::MediaFrame& frame) {
    if (feed_ && stream_.is_open()) {
        feed_->push(frame);
    }
}

bool HttpConnection::can_write() const { return stream_.is_open() && stream_.queued_bytes() < kSendQueueBytesMax; }

core::Status HttpConnection::write_frame(const media::MediaFrame& frame) {
    if (frame.http_flv_chunk.empty()) {
        // Not made for this frame (or not representable: then this encodes nothing either).
        media::MediaFrame own = frame;
        encode_http_flv_chunk(own);
        if (own.http_flv_chunk.empty()) {
            return {};
        }
        return write_frame(own);
    }
    if (chunked_) {
        stream_.send(frame.http_flv_chunk.slice(0, frame.http_flv_chunk.size()));
    } else {
        stream_.send(frame.http_flv_chunk.slice(frame.http_flv_tag_offset, frame.http_flv_tag_bytes));
    }
    return {};
}

void HttpConnection::on_duration_played(std::uint32_t) {}

void HttpConnection::on_send_drained() {
    if (close_when_drained_) {
        stream_.close(core::Error::make(core::Errc::closed, "answered"));
        return;
    }
    if (feed_) {
        feed_->pump();
    }
}

void HttpConnection::on_closed(core::Error reason) {
    core::log::ConnScope scope(id_);
    if (feed_) {
        shard_.streams().stop_play(stream_key_, *this);
    }
    shard_.reactor().cancel(idle_timer_);
    const auto& stats = stream_.stats();
    RC_TRACE("closed {} (http): {}, {} requests, sent {} bytes, {} frames in {} flushes, {} dropped", peer_,
             reason.describe(), requests_, stats.bytes_sent, feed_ ? feed_->frames_sent() : 0,
             feed_ ? feed_->flushes() : 0, feed_ ? feed_->dropped_frames() : 0);
    feed_.reset();
    shard_.release_connection(*this);
}

}  // namespace ringcast::app
