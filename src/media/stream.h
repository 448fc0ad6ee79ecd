#pragma once
// Stream: the fan-out point of one live stream on one shard. On the owner shard it is fed by
// the publisher; on every other shard with players it is a mirror fed by the owner. Either way
// it keeps the startup cache and hands every frame to its sinks (local players, and on the
// owner, one sink per subscribed shard). A sink that attaches first gets the startup cache.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "media/frame.h"
#include "media/gop_cache.h"

namespace ringcast::media {

/// Receives a stream's frames. Implemented by players and by the owner's per-shard relays.
/// A sink must detach before it dies; the Stream does not own it.
class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void on_frame(const MediaFrame& frame) = 0;
    /// The publisher started (true) or left (false). Players stay attached across a republish.
    virtual void on_publishing(bool publishing) { (void)publishing; }
};

/// Shard-local; owned by the shard's stream table.
class Stream {
public:
    explicit Stream(std::string key) : key_(std::move(key)) {}

    [[nodiscard]] const std::string& key() const { return key_; }
    [[nodiscard]] bool publishing() const { return publishing_; }
    [[nodiscard]] std::size_t sink_count() const { return sinks_.size(); }
    [[nodiscard]] const StartupCache& cache() const { return cache_; }
    StartupCache& cache() { return cache_; }

    void set_publishing(bool publishing);
    /// Caches and delivers a frame to every sink.
    void deliver(const MediaFrame& frame);
    /// Adds a sink and replays the startup cache into it first.
    void attach(FrameSink& sink);
    void detach(FrameSink& sink);

    std::uint64_t frames_delivered = 0;
    std::uint64_t video_frames_delivered = 0;
    std::uint64_t audio_frames_delivered = 0;

private:
    std::string key_;
    StartupCache cache_;
    std::vector<FrameSink*> sinks_;
    bool publishing_ = false;
    bool delivering_ = false;
    std::vector<FrameSink*> detached_while_delivering_;
};

/// A player's queue of frames not yet handed to its socket, bounded in media time
/// (`queue_length`). When the player falls behind by more than that, everything queued is
/// dropped (SRS's shrink) and the player resumes at the next video keyframe, after the
/// sequence headers again, so a slow player never grows memory and never sees a broken GOP.
class PlayerQueue {
public:
    explicit PlayerQueue(std::uint32_t queue_length_ms) : queue_length_ms_(queue_length_ms) {}

    void push(const MediaFrame& frame);
    [[nodiscard]] bool empty() const { return head_ == frames_.size(); }
    [[nodiscard]] std::size_t size() const { return frames_.size() - head_; }
    const MediaFrame& front() const { return frames_[head_]; }
    void pop_front();
    /// Media time spanned by the queue, in ms.
    [[nodiscard]] std::uint32_t duration_ms() const;

    [[nodiscard]] std::uint64_t dropped_frames() const { return dropped_frames_; }
    [[nodiscard]] std::uint64_t shrinks() const { return shrinks_; }

private:
    void shrink();

    std::uint32_t queue_length_ms_;
    std::vector<MediaFrame> frames_;
    std::size_t head_ = 0;
    std::optional<MediaFrame> video_header_;
    std::optional<MediaFrame> audio_header_;
    bool has_video_ = false;
    bool waiting_keyframe_ = false;
    std::uint64_t dropped_frames_ = 0;
    std::uint64_t shrinks_ = 0;
};

}  // namespace ringcast::media
