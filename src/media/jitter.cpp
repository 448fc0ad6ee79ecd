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
        }
        return static_cast<std::uint32_t>(input - last_input_ms_);
    case JitterMode::full: break;
    }
    std::int64_t delta = input - last_input_ms_;
    if (!started_ || delta < -kJitterMaxMs || delta > kJitterMaxMs) {
        delta = started_ ? kDefaultFrameMs : 0;
    }
    started_ = true;
    last_output_ms_ = std::max<std::int64_t>(0, last_output_ms_ + delta);
    last_input_ms_ = input;
    return static_cast<std::uint32_t>(last_output_ms_);
}

void JitterCorrector::reset() {
    last_input_ms_ = 0;
    last_output_ms_ = -1;
    started_ = false;
}

}  // namespace ringcast::media
