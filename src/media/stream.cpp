#include "media/stream.h"

#include <algorithm>

namespace ringcast::media {

void Stream::set_publishing(bool publishing) {
    if (publishing == publishing_) {
        return;
    }
    publishing_ = publishing;
    if (!publishing) {
        // The next publisher may change codecs: its headers replace these, and an old GOP must
        // not be replayed in front of them.
        cache_.clear();
    }
    for (FrameSink* sink : sinks_) {
        sink->on_publishing(publishing);
    }
}

void Stream::deliver(const MediaFrame& frame) {
    cache_.on_frame(frame);
    ++frames_delivered;
    video_frames_delivered += frame.is_video() ? 1 : 0;
    audio_frames_delivered += frame.is_audio() ? 1 : 0;
    // A sink may detach itself (a player closing) from inside on_frame: finish the loop over a
    // stable vector, then remove.
    delivering_ = true;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        if (sinks_[i] != nullptr) {
            sinks_[i]->on_frame(frame);
        }
    }
    delivering_ = false;
    if (!detached_while_delivering_.empty()) {
        std::erase(sinks_, nullptr);
        detached_while_delivering_.clear();
    }
}

void Stream::attach(FrameSink& sink) {
    cache_.replay([&](const MediaFrame& frame) { sink.on_frame(frame); });
    sinks_.push_back(&sink);
}

void Stream::detach(FrameSink& sink) {
    auto it = std::find(sinks_.begin(), sinks_.end(), &sink);
    if (it == sinks_.end()) {
        return;
    }
    if (delivering_) {
        *it = nullptr;
        detached_while_delivering_.push_back(&sink);
    } else {
        sinks_.erase(it);
    }
}

void PlayerQueue::push(const MediaFrame& frame) {
    if (frame.flags.sequence_header) {
        (frame.is_video() ? video_header_ : audio_header_) = frame;
    }
    has_video_ |= frame.is_video();
    if (waiting_keyframe_) {
        const bool resumes = frame.is_video() && frame.flags.keyframe;
        if (!resumes && !frame.flags.sequence_header && !frame.flags.metadata) {
            ++dropped_frames_;
            return;
        }
        if (resumes) {
            waiting_keyframe_ = false;
        }
    }
    frames_.push_back(frame);
    if (duration_ms() > queue_length_ms_) {
        shrink();
    }
}

void PlayerQueue::pop_front() {
    ++head_;
    if (head_ == frames_.size()) {
        frames_.clear();
        head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= frames_.size()) {
        frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

std::uint32_t PlayerQueue::duration_ms() const {
    // Sequence headers and metadata carry stale timestamps (a shrink re-queues them in front):
    // measure from the first real frame.
    std::size_t first_index = head_;
    while (first_index < frames_.size() &&
           (frames_[first_index].flags.sequence_header || frames_[first_index].flags.metadata)) {
        ++first_index;
    }
    if (first_index + 1 >= frames_.size()) {
        return 0;
    }
    const std::uint32_t first = frames_[first_index].timestamp_ms;
    const std::uint32_t last = frames_.back().timestamp_ms;
    return last > first ? last - first : 0;
}

void PlayerQueue::shrink() {
    dropped_frames_ += size();
    ++shrinks_;
    frames_.clear();
    head_ = 0;
    for (const auto* header : {&video_header_, &audio_header_}) {
        if (header->has_value()) {
            frames_.push_back(**header);
        }
    }
    // Audio-only streams resume at once; with video, at the next keyframe.
    waiting_keyframe_ = has_video_;
}

}  // namespace ringcast::media
