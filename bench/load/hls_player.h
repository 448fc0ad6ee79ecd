#pragma once
// One HLS player: a state machine on one keep-alive HTTP/1.1 connection, one request at a time.
// GET the media playlist; fetch, in order, every listed segment it has not fetched yet; when
// none is left, wait until half a target duration has passed since the last playlist request
// and GET the playlist again (RFC 8216 6.3.4's reload interval for an unchanged playlist, the
// shortest a player may use, so the server sees the most playlist traffic a compliant player
// makes). Segments are read as MPEG-TS while they arrive (TsReader) and each video access unit
// goes to Player with its DTS, keyframe flag and latency stamp; nothing holds a whole segment
// or a whole frame.
//
// Where it starts: like hls.js (liveSyncDurationCount 3), at the third segment from the end of
// the first playlist (or the first, when fewer are listed). Segments are fetched as fast as the
// server sends them, as hls.js does when its buffer has room, so latency here is the age of a
// frame when its bytes arrive: about one segment duration plus the reload wait for a segment's
// first frame once the player is at the edge, and more for the three segments it starts with.
// A real player renders about three segments later than it downloads; that part is client-side
// buffering, not the server's doing, and is not added.
//
// Errors: a status other than 200 fails the player, except 404 for the playlist before its
// first 200 (the server writes no playlist until the first segment is done, a few seconds
// after the publisher starts): that is retried every kPlaylistRetryMs for kPlaylistWaitMs. A
// close by the server between responses (keep-alive ended) reconnects and goes on; a close in
// the middle of a response fails the player, as does one right after a reconnect.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proto/http/response_reader.h"
#include "load/player.h"
#include "uring/tcp_client.h"
#include "load/ts_reader.h"
#include "uring/reactor.h"

namespace ringcast::load {

/// The parts of a media playlist a player uses, bounded: at most kSegmentsMax entries (the
/// newest kept) and kUriBytesMax per URI.
struct HlsPlaylistView {
    static constexpr std::size_t kSegmentsMax = 64;
    static constexpr std::size_t kUriBytesMax = 1024;
    struct Entry {
        std::uint64_t seq = 0;
        std::string uri;
    };
    std::uint64_t media_sequence = 0;
    std::uint32_t target_duration_ms = 0;  // 0 when absent
    Entry entries[kSegmentsMax];
    std::size_t first = 0;  // ring: entries[(first + i) % kSegmentsMax], i < count
    std::size_t count = 0;
    bool ended = false;  // EXT-X-ENDLIST

    [[nodiscard]] const Entry& at(std::size_t i) const { return entries[(first + i) % kSegmentsMax]; }
};

/// Parses m3u8 text into `out`; false with `error` when it is not a media playlist.
bool parse_hls_playlist(std::string_view text, HlsPlaylistView& out, std::string& error);

/// The request target for `uri` listed in the playlist at `playlist_target` ("/live/s.m3u8"):
/// relative URIs resolve against the playlist's directory; absolute http:// URIs keep their
/// path only (the player talks to the one server it was given).
std::string resolve_hls_uri(std::string_view playlist_target, std::string_view uri);

class HlsPlayer final : public Player,
                        private uring::TcpClient::Handler,
                        private proto::http::HttpResponseReader::Sink,
                        private TsReader::Sink {
public:
    static constexpr std::size_t kPlaylistBytesMax = 64 * 1024;
    static constexpr std::uint64_t kPlaylistRetryMs = 500;
    static constexpr std::uint64_t kPlaylistWaitMs = 30'000;
    /// Segments queued to fetch; more than this behind and the oldest are skipped (counted).
    static constexpr std::size_t kQueueMax = 8;
    /// hls.js's liveSyncDurationCount.
    static constexpr std::size_t kStartSegmentsFromEnd = 3;

    /// context.http_url is set and context.hls.
    HlsPlayer(PlayerContext& context, std::uint32_t index);
    ~HlsPlayer() override;

    [[nodiscard]] bool closed() const override { return !tcp_ || tcp_->closed() || tcp_->idle(); }

private:
    enum class Request : std::uint8_t { none, playlist, segment };

    void connect() override;
    void close_connection(core::Error reason) override;
    [[nodiscard]] const char* setup_step() const override;

    void on_connected() override;
    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_closed(core::Error reason) override;

    core::Status on_head(const proto::http::ParsedResponseHead& head) override;
    core::Status on_body(std::span<const std::uint8_t> bytes) override;

    void on_ts_video(std::uint32_t dts_ms, bool keyframe, std::optional<std::uint64_t> stamp_ns) override;
    void on_ts_audio(std::uint32_t dts_ms) override;

    void send_request();
    void response_done();
    void playlist_done();
    void next_request();
    void on_timer();
    void open_connection();

    const HttpUrl& url_;
    std::unique_ptr<uring::TcpClient> tcp_;  // replaced on reconnect, from the timer, never inside its own callback
    proto::http::HttpResponseReader response_;
    TsReader ts_;
    uring::Timer timer_;  // the next playlist reload, a 404 retry or a reconnect

    Request request_ = Request::none;
    std::string target_;  // of request_
    bool ignore_body_ = false;  // a 404 playlist being retried
    bool response_bytes_ = false;  // any byte of the current response came
    bool reconnect_due_ = false;
    bool responses_since_connect_ = false;
    std::string playlist_text_;  // the response being read, up to kPlaylistBytesMax

    bool have_playlist_ = false;
    std::uint64_t next_seq_ = 0;  // the next segment to fetch
    struct Queued {
        std::uint64_t seq = 0;
        std::string target;
    };
    Queued queue_[kQueueMax];
    std::size_t queue_first_ = 0;
    std::size_t queue_count_ = 0;
    std::uint32_t target_duration_ms_ = 2000;
    std::int64_t playlist_requested_ns_ = 0;
    std::int64_t first_request_ns_ = 0;
};

}  // namespace ringcast::load
