#include "load/hls_player.h"

#include <algorithm>
#include <charconv>

#include "core/clock.h"

namespace ringcast::load {
namespace {

std::string_view trim_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        line.remove_prefix(1);
    }
    return line;
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end != text.data();
}

/// One playlist parse at a time on the one loop thread: the entries are shared scratch, so a
/// player holds only its small queue between polls.
HlsPlaylistView& playlist_scratch() {
    static HlsPlaylistView view;
    return view;
}

}  // namespace

bool parse_hls_playlist(std::string_view text, HlsPlaylistView& out, std::string& error) {
    out.media_sequence = 0;
    out.target_duration_ms = 0;
    out.first = 0;
    out.count = 0;
    out.ended = false;
    bool header = false;
    bool extinf = false;
    std::uint64_t seq = 0;
    bool seq_started = false;
    while (!text.empty()) {
        const std::size_t lf = text.find('\n');
        const std::string_view line = trim_line(text.substr(0, lf));
        text = lf == std::string_view::npos ? std::string_view{} : text.substr(lf + 1);
        if (!header) {
            if (line != "#EXTM3U") {
                error = "playlist: no #EXTM3U";
                return false;
            }
            header = true;
            continue;
        }
        if (line.empty()) {
            continue;
        }
        if (line.starts_with("#EXT-X-MEDIA-SEQUENCE:")) {
            if (!parse_u64(line.substr(22), out.media_sequence)) {
                error = "playlist: bad EXT-X-MEDIA-SEQUENCE";
                return false;
            }
        } else if (line.starts_with("#EXT-X-TARGETDURATION:")) {
            std::uint64_t seconds = 0;
            if (!parse_u64(line.substr(22), seconds) || seconds > 3600) {
                error = "playlist: bad EXT-X-TARGETDURATION";
                return false;
            }
            out.target_duration_ms = static_cast<std::uint32_t>(seconds * 1000);
        } else if (line.starts_with("#EXTINF:")) {
            extinf = true;
        } else if (line == "#EXT-X-ENDLIST") {
            out.ended = true;
        } else if (line.front() != '#') {
            if (!extinf) {
                error = "playlist: URI without #EXTINF (a master playlist?)";
                return false;
            }
            if (line.size() > HlsPlaylistView::kUriBytesMax) {
                error = "playlist: URI too long";
                return false;
            }
            if (!seq_started) {
                seq = out.media_sequence;  // the tag comes before the first segment (RFC 8216 4.3.3.2)
                seq_started = true;
            }
            // Keep the newest kSegmentsMax: a ring overwriting the oldest.
            const std::size_t slot = (out.first + out.count) % HlsPlaylistView::kSegmentsMax;
            out.entries[slot].seq = seq++;
            out.entries[slot].uri.assign(line);
            if (out.count < HlsPlaylistView::kSegmentsMax) {
                ++out.count;
            } else {
                out.first = (out.first + 1) % HlsPlaylistView::kSegmentsMax;
            }
            extinf = false;
        }
    }
    if (!header) {
        error = "playlist: empty";
        return false;
    }
    return true;
}

std::string resolve_hls_uri(std::string_view playlist_target, std::string_view uri) {
    if (uri.starts_with("http://") || uri.starts_with("https://")) {
        const std::size_t host_start = uri.find("//") + 2;
        const std::size_t path = uri.find('/', host_start);
        return path == std::string_view::npos ? std::string("/") : std::string(uri.substr(path));
    }
    if (uri.starts_with("/")) {
        return std::string(uri);
    }
    const std::string_view path = playlist_target.substr(0, playlist_target.find('?'));
    const std::size_t slash = path.rfind('/');
    std::string out(path.substr(0, slash == std::string_view::npos ? 0 : slash + 1));
    out += uri;
    return out;
}

HlsPlayer::HlsPlayer(PlayerContext& context, std::uint32_t index) : Player(context, index), url_(*context.http_url) {
    timer_.bind<&HlsPlayer::on_timer>(this);
}

HlsPlayer::~HlsPlayer() { context_.reactor.cancel(timer_); }

void HlsPlayer::connect() {
    first_request_ns_ = core::monotonic_ns();
    open_connection();
}

void HlsPlayer::open_connection() {
    reconnect_due_ = false;
    responses_since_connect_ = false;
    uring::TcpClient::Handler& handler = *this;  // a private base: converted here, not in make_unique
    tcp_ = std::make_unique<uring::TcpClient>(context_.reactor, context_.buffers, handler);
    tcp_->start(context_.address, false);
}

void HlsPlayer::close_connection(core::Error reason) {
    context_.reactor.cancel(timer_);
    reconnect_due_ = false;
    if (tcp_) {
        tcp_->close(reason);
    }
}

const char* HlsPlayer::setup_step() const {
    if (!tcp_ || !tcp_->open()) {
        return "the TCP connect";
    }
    return ignore_body_ || timer_.armed() ? "the playlist (404 until the server has a first segment)"
                                          : "the first playlist response";
}

void HlsPlayer::on_connected() {
    if (request_ == Request::none) {
        request_ = Request::playlist;
        target_ = url_.target;
    }
    send_request();  // the request the old connection lost, or the first playlist
}

void HlsPlayer::send_request() {
    response_ = proto::http::HttpResponseReader{};
    response_bytes_ = false;
    ignore_body_ = false;
    if (request_ == Request::playlist) {
        playlist_text_.clear();
        playlist_requested_ns_ = core::monotonic_ns();
    } else {
        ts_.start_segment();
    }
    // What hls.js's XHR sends, minus the browser's headers; keep-alive is HTTP/1.1's default.
    const std::string request = "GET " + target_ + " HTTP/1.1\r\nHost: " + url_.host_header +
                                "\r\nUser-Agent: ringcast-load\r\nAccept: */*\r\n\r\n";
    tcp_->send(core::Buffer::copy_of(std::span<const std::uint8_t>(
                                         reinterpret_cast<const std::uint8_t*>(request.data()), request.size()))
                   .slice());
}

void HlsPlayer::on_data(std::span<const std::uint8_t> bytes) {
    record_bytes(bytes.size());
    if (done()) {
        return;
    }
    if (request_ == Request::none) {
        fail("bytes from the server with no request out");
        return;
    }
    response_bytes_ = true;
    if (auto fed = response_.feed(bytes, *this); !fed) {
        if (!done()) {
            fail(std::string(fed.error().describe()));
        }
        return;
    }
    if (response_.body_done()) {
        response_done();
    }
}

void HlsPlayer::on_closed(core::Error reason) {
    if (done()) {
        return;
    }
    if (reason.code == core::Errc::closed) {
        // A body that runs to the close ends here.
        if (request_ != Request::none && response_.head_done() && response_.head().close_delimited &&
            response_.finish()) {
            response_done();
            if (done()) {
                return;
            }
        }
        const bool between_responses = request_ == Request::none || !response_bytes_ || response_.body_done();
        if (between_responses && responses_since_connect_) {
            // The server ended the keep-alive: a new connection, from the timer (this callback
            // runs inside the old uring::TcpClient), carrying on where this one stopped.
            reconnect_due_ = true;
            context_.reactor.cancel(timer_);
            context_.reactor.arm(timer_, 0);
            return;
        }
        if (!between_responses) {
            fail("the server closed in the middle of a response (" + target_ + ")");
            return;
        }
    }
    closed_by_peer(reason);
}

core::Status HlsPlayer::on_head(const proto::http::ParsedResponseHead& head) {
    if (head.status == 404 && request_ == Request::playlist && !have_playlist_ &&
        core::monotonic_ns() - first_request_ns_ < static_cast<std::int64_t>(kPlaylistWaitMs) * 1'000'000) {
        ignore_body_ = true;
        return {};
    }
    if (head.status != 200) {
        fail("HTTP status " + std::to_string(head.status) + " for " + target_);
        return core::fail(core::Errc::protocol, "http response: status not 200");  // stops the feed
    }
    if (request_ == Request::playlist) {
        mark_playing();  // the first 200 playlist is this protocol's NetStream.Play.Start
    }
    return {};
}

core::Status HlsPlayer::on_body(std::span<const std::uint8_t> bytes) {
    if (done() || ignore_body_) {
        return {};
    }
    if (request_ == Request::playlist) {
        if (playlist_text_.size() + bytes.size() > kPlaylistBytesMax) {
            return core::fail(core::Errc::too_large, "playlist larger than 64 KiB");
        }
        playlist_text_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        return {};
    }
    if (auto fed = ts_.feed(bytes, *this); !fed) {
        return core::fail(fed.error());  // on_data's fail() reports it
    }
    return {};
}

void HlsPlayer::on_ts_video(std::uint32_t dts_ms, bool keyframe, std::optional<std::uint64_t> stamp_ns) {
    record_video_frame(dts_ms, keyframe, stamp_ns);
}

void HlsPlayer::on_ts_audio(std::uint32_t dts_ms) { record_audio(dts_ms); }

void HlsPlayer::response_done() {
    responses_since_connect_ = true;
    const Request finished = request_;
    request_ = Request::none;
    if (ignore_body_) {
        ignore_body_ = false;
        context_.reactor.arm(timer_, kPlaylistRetryMs);  // 404 before the first segment: again soon
        return;
    }
    if (finished == Request::playlist) {
        playlist_done();
    } else {
        if (auto finished_ts = ts_.finish_segment(*this); !finished_ts) {
            fail(std::string(finished_ts.error().describe()) + " in " + target_);
            return;
        }
        if (context_.counting) {
            ++context_.stats.hls_segments;
        }
    }
    if (!done()) {
        next_request();
    }
}

void HlsPlayer::playlist_done() {
    HlsPlaylistView& view = playlist_scratch();
    std::string error;
    if (!parse_hls_playlist(playlist_text_, view, error)) {
        fail(error);
        return;
    }
    if (context_.counting) {
        ++context_.stats.hls_playlists;
    }
    if (view.target_duration_ms != 0) {
        target_duration_ms_ = view.target_duration_ms;
    }
    if (view.count == 0) {
        return;
    }
    const std::uint64_t newest = view.at(view.count - 1).seq;
    if (!have_playlist_) {
        have_playlist_ = true;
        const std::uint64_t oldest = view.at(0).seq;
        next_seq_ = newest + 1 >= oldest + kStartSegmentsFromEnd ? newest + 1 - kStartSegmentsFromEnd : oldest;
    }
    for (std::size_t i = 0; i < view.count; ++i) {
        const HlsPlaylistView::Entry& entry = view.at(i);
        if (entry.seq < next_seq_) {
            continue;
        }
        if (entry.seq > next_seq_ && context_.counting) {
            context_.stats.hls_segments_skipped += entry.seq - next_seq_;  // left the window unfetched
        }
        if (queue_count_ == kQueueMax) {
            // Too far behind: drop the oldest queued, as a player seeking back to the edge would.
            queue_first_ = (queue_first_ + 1) % kQueueMax;
            --queue_count_;
            if (context_.counting) {
                ++context_.stats.hls_segments_skipped;
            }
        }
        Queued& slot = queue_[(queue_first_ + queue_count_) % kQueueMax];
        slot.seq = entry.seq;
        slot.target = resolve_hls_uri(url_.target, entry.uri);
        ++queue_count_;
        next_seq_ = entry.seq + 1;
    }
    // A media sequence that went backwards (the server restarted its numbering) is not
    // followed: the player waits for numbers it has not seen, as it cannot tell new from old.
}

void HlsPlayer::next_request() {
    if (queue_count_ != 0) {
        Queued& next = queue_[queue_first_];
        queue_first_ = (queue_first_ + 1) % kQueueMax;
        --queue_count_;
        request_ = Request::segment;
        target_ = std::move(next.target);
        send_request();
        return;
    }
    // Nothing left to fetch: reload half a target duration after the last playlist request.
    const std::int64_t due_ns = playlist_requested_ns_ + static_cast<std::int64_t>(target_duration_ms_) * 500'000;
    const std::int64_t wait_ns = std::max<std::int64_t>(due_ns - core::monotonic_ns(), 0);
    context_.reactor.arm_ns(timer_, static_cast<std::uint64_t>(wait_ns));
}

void HlsPlayer::on_timer() {
    if (done()) {
        return;
    }
    if (reconnect_due_) {
        open_connection();  // on_connected resends request_ if one was out
        return;
    }
    if (!tcp_ || !tcp_->open()) {
        return;  // a reconnect is in progress; on_connected asks for the playlist
    }
    request_ = Request::playlist;
    target_ = url_.target;
    send_request();
}

}  // namespace ringcast::load
