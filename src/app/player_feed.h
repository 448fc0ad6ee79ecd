#pragma once
// PlayerFeed: the player side every delivery protocol shares (RTMP now, HTTP-FLV next): frames
// wait in a time-bounded PlayerQueue and go to the socket by SRS's merged-write rule, while the
// socket's send queue is short; pause holds them; a play duration ends playback. The protocol
// connection only says how one frame is written and whether its socket can take more.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/result.h"
#include "media/frame.h"
#include "media/stream.h"
#include "uring/reactor.h"

namespace ringcast::app {

/// Owned by one player connection, on its shard; the Reactor and the Writer outlive it.
class PlayerFeed {
public:
    class Writer {
    public:
        virtual ~Writer() = default;
        /// False while the socket's send queue is full: the connection calls pump() again when
        /// it drains.
        [[nodiscard]] virtual bool can_write() const = 0;
        /// Writes one frame. An error stops this flush; the writer closes its connection.
        virtual core::Status write_frame(const media::MediaFrame& frame) = 0;
        /// The play request's duration (ms) has been played: the connection ends playback.
        virtual void on_duration_played(std::uint32_t duration_ms) = 0;
    };

    struct Settings {
        std::uint32_t queue_length_ms = 30000;
        std::uint32_t mw_latency_ms = 350;
        std::size_t mw_msgs = 8;
        std::optional<std::uint32_t> duration_ms;  // play's duration argument, if > 0
    };

    PlayerFeed(uring::Reactor& reactor, Writer& writer, const Settings& settings, std::uint64_t conn_id);
    ~PlayerFeed();
    PlayerFeed(const PlayerFeed&) = delete;
    PlayerFeed& operator=(const PlayerFeed&) = delete;

    /// A frame of the stream: queued, then written if the merged-write rule allows.
    void push(const media::MediaFrame& frame);
    /// Writes what the rule allows while the writer can take it; call when the socket drains.
    void pump();
    void set_paused(bool paused);

    [[nodiscard]] std::uint64_t frames_sent() const { return frames_sent_; }
    [[nodiscard]] std::uint64_t flushes() const { return flushes_; }
    [[nodiscard]] std::uint64_t dropped_frames() const { return queue_.dropped_frames(); }

    static constexpr std::uint32_t kMergeSpanGroups = 8;
    /// This player's merge span: mw_latency, less one of kMergeSpanGroups steps within a quarter
    /// of it, chosen by connection.
    static std::uint32_t merge_span_for(std::uint32_t mw_latency_ms, std::uint64_t conn_id);

private:
    [[nodiscard]] bool merge_ready() const;
    void on_merge_timer();
    /// True when `frame` is past the requested duration.
    bool duration_played(const media::MediaFrame& frame);

    uring::Reactor& reactor_;
    Writer& writer_;
    Settings settings_;
    std::uint64_t conn_id_;
    std::uint32_t merge_span_ms_;
    media::PlayerQueue queue_;
    // Frames wait until the rule holds or the timer armed at the first waiting frame fires; a
    // flush cut short by a full send queue goes on when it drains (flushing_).
    uring::CoarseTimer merge_timer_;
    bool merge_timer_fired_ = false;
    bool flushing_ = false;
    bool sent_first_media_ = false;  // until then frames go at once (startup)
    bool paused_ = false;
    bool ended_ = false;
    std::optional<std::uint32_t> first_timestamp_ms_;
    std::uint64_t frames_sent_ = 0;
    std::uint64_t flushes_ = 0;
};

}  // namespace ringcast::app
