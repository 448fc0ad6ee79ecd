// SRS srs_app_source.cpp SrsRtmpJitter::correct, paraphrased.
#include "media/jitter.h"

#include <algorithm>

namespace ringcast::media {

std::uint32_t JitterCorrector::correct(std::uint32_t timestamp_ms) {
    const auto input = static_cast<std::int64_t>(timestamp_ms);
    switch (mode_) {
    case JitterMode::off: return timestamp_ms;
    case JitterMode::zero:
        if (!started_) {
            started_ = true;
            last_input_ms_ = input;
            zero_offset_ms_ = last_output_ms_ < 0 ? 0 : last_output_ms_ + kDefaultFrameMs;
        }
        last_output_ms_ = std::max<std::int64_t>(0, input - last_input_ms_ + zero_offset_ms_);
        return static_cast<std::uint32_t>(last_output_ms_);
    case JitterMode::full: break;
    }
    std::int64_t delta = input - last_input_ms_;
    if (!started_ || delta < -kJitterMaxMs || delta > kJitterMaxMs) {
        // A new stream starts at 0; a new publisher of it goes on one step after the last one.
        delta = last_output_ms_ < 0 ? 0 : kDefaultFrameMs;
    }
    started_ = true;
    last_output_ms_ = std::max<std::int64_t>(0, last_output_ms_ + delta);
    last_input_ms_ = input;
    return static_cast<std::uint32_t>(last_output_ms_);
}

void JitterCorrector::reset() {
    // The output keeps going from where it was: players that stay attached across a republish
    // never see time go back (SRS keeps a jitter per player for the same effect).
    last_input_ms_ = 0;
    started_ = false;
}

}  // namespace ringcast::media
