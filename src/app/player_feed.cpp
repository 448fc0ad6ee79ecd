#include "app/player_feed.h"

#include "core/log.h"

namespace ringcast::app {

PlayerFeed::PlayerFeed(uring::Reactor& reactor, Writer& writer, const Settings& settings, std::uint64_t conn_id)
    : reactor_(reactor), writer_(writer), settings_(settings), conn_id_(conn_id), queue_(settings.queue_length_ms) {
    merge_timer_.bind<&PlayerFeed::on_merge_timer>(this);
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
           (queue_.size() > settings_.mw_msgs && queue_.duration_ms() >= settings_.mw_latency_ms);
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
            reactor_.arm(merge_timer_, settings_.mw_latency_ms);
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
