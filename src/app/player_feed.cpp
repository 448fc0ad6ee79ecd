#include "app/player_feed.h"

#include "core/log.h"

namespace ringcast::app {

PlayerFeed::PlayerFeed(uring::Reactor& reactor, Writer& writer, const Settings& settings, std::uint64_t conn_id)
    : reactor_(reactor),
      writer_(writer),
      settings_(settings),
      conn_id_(conn_id),
      merge_span_ms_(merge_span_for(settings.mw_latency_ms, conn_id)),
      queue_(settings.queue_length_ms) {
    merge_timer_.bind<&PlayerFeed::on_merge_timer>(this);
}

std::uint32_t PlayerFeed::merge_span_for(std::uint32_t mw_latency_ms, std::uint64_t conn_id) {
    // Every player of a stream sees each frame in the same turn, so players that flushed
    // together (after a burst from the publisher, or joining in one turn) would flush together
    // for ever: one turn sending to thousands of sockets every mw_latency (50 ms at 4,000
    // players) while accepts, handshakes, the publisher and everyone else wait behind it. Each
    // player gets one of kMergeSpanGroups spans in (3/4 mw_latency, mw_latency]: the groups'
    // periods differ, so they drift apart after any burst and a turn sends to about one group.
    // Few groups rather than a span per player: a burst per group is cheaper on the CPU than a
    // send per frame arrival (fewer wake-ups on both ends), and short enough. No player waits
    // longer than mw_latency, as SRS promises.
    const std::uint32_t step_ms = mw_latency_ms / 4 / kMergeSpanGroups;
    const std::uint64_t mixed = conn_id * 0x9E3779B97F4A7C15ull;  // Fibonacci hashing
    return mw_latency_ms - static_cast<std::uint32_t>((mixed >> 32) % kMergeSpanGroups) * step_ms;
}

PlayerFeed::~PlayerFeed() { reactor_.cancel(merge_timer_); }

void PlayerFeed::push(const media::MediaFrame& frame) {
    if (ended_) {
        return;
    }
    queue_.push(frame);
    pump();
}

void PlayerFeed::set_paused(bool paused) {
    // SRS keeps a paused player attached, its queue bounded by queue_length; on unpause it goes
    // on from what the queue holds.
    paused_ = paused;
    if (!paused_) {
        pump();
    }
}

bool PlayerFeed::merge_ready() const {
    // SRS's SrsLiveConsumer::wait(): more than mw_msgs messages spanning mw_latency. Unlike
    // SRS, the first frames after play go at once: a player that joins just after a keyframe
    // shows a picture without waiting mw_latency.
    return flushing_ || merge_timer_fired_ || !sent_first_media_ ||
           (queue_.size() > settings_.mw_msgs && queue_.duration_ms() >= merge_span_ms_);
}

void PlayerFeed::on_merge_timer() {
    core::log::ConnScope scope(conn_id_);
    merge_timer_fired_ = true;
    pump();
    merge_timer_fired_ = false;
}

bool PlayerFeed::duration_played(const media::MediaFrame& frame) {
    if (!settings_.duration_ms || frame.flags.sequence_header || frame.flags.metadata) {
        return false;
    }
    if (!first_timestamp_ms_) {
        first_timestamp_ms_ = frame.timestamp_ms;
    }
    return frame.timestamp_ms - *first_timestamp_ms_ >= *settings_.duration_ms;
}

void PlayerFeed::pump() {
    if (ended_ || paused_ || queue_.empty()) {
        return;
    }
    if (!merge_ready()) {
        if (!merge_timer_.armed()) {
            reactor_.arm(merge_timer_, merge_span_ms_);
        }
        return;
    }
    reactor_.cancel(merge_timer_);
    ++flushes_;
    while (!queue_.empty() && writer_.can_write()) {
        const media::MediaFrame& frame = queue_.front();
        if (duration_played(frame)) {
            ended_ = true;
            writer_.on_duration_played(*settings_.duration_ms);
            return;
        }
        if (!writer_.write_frame(frame)) {
            ended_ = true;
            return;
        }
        ++frames_sent_;
        sent_first_media_ |= !frame.flags.sequence_header && !frame.flags.metadata;
        queue_.pop_front();
    }
    flushing_ = !queue_.empty();
}

}  // namespace ringcast::app
