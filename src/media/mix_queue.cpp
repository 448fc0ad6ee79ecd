// SRS srs_app_source.cpp SrsMixQueue::push/pop, paraphrased; see mix_queue.h for the rule.
#include "media/mix_queue.h"

#include <utility>

namespace ringcast::media {

namespace {

/// a is earlier than b in 32-bit serial-number order (RFC 1982 style): wrap-aware, and the same
/// as a < b whenever the two are less than 2^31 ms apart.
bool earlier(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }

}  // namespace

void MixQueue::push(MediaFrame frame) {
    if (frame.is_video()) {
        ++videos_;
    } else {
        ++audios_;
    }
    // Frames mostly arrive in order, so scan from the back: the usual insert is an append.
    // Stopping at the first frame that is not later keeps ties in arrival order.
    std::size_t at = frames_.size();
    while (at > 0 && earlier(frame.timestamp_ms, frames_[at - 1].timestamp_ms)) {
        --at;
    }
    frames_.insert(frames_.begin() + static_cast<std::ptrdiff_t>(at), std::move(frame));
}

std::optional<MediaFrame> MixQueue::pop() {
    const bool pure_video = videos_ >= kPureAv && audios_ == 0;
    const bool pure_audio = audios_ >= kPureAv && videos_ == 0;
    const bool mixed = videos_ >= 1 && audios_ >= 1;
    if (!pure_video && !pure_audio && !mixed) {
        return std::nullopt;
    }
    MediaFrame frame = std::move(frames_.front());
    frames_.erase(frames_.begin());
    if (frame.is_video()) {
        --videos_;
    } else {
        --audios_;
    }
    return frame;
}

void MixQueue::clear() {
    frames_.clear();
    videos_ = 0;
    audios_ = 0;
}

}  // namespace ringcast::media
