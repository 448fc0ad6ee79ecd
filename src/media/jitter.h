#pragma once
// Timestamp correction of a published stream, SRS's `time_jitter` (SrsRtmpJitter):
//   full: keep timestamps monotonic; a jump of more than 250 ms either way (encoder restart,
//         wrap, broken source) is replaced by a 10 ms step, so players never see time go back;
//   zero: only shift the stream to start at 0;
//   off:  pass timestamps through.
// `atc on` (absolute time) disables correction, as in SRS.

#include <cstdint>

namespace ringcast::media {

enum class JitterMode : std::uint8_t { full, zero, off };

/// One per published stream, on the stream's owner shard.
class JitterCorrector {
public:
    static constexpr std::int64_t kJitterMaxMs = 250;
    static constexpr std::int64_t kDefaultFrameMs = 10;

    explicit JitterCorrector(JitterMode mode = JitterMode::full) : mode_(mode) {}

    void set_mode(JitterMode mode) { mode_ = mode; }
    /// Returns the corrected timestamp of an audio/video frame.
    std::uint32_t correct(std::uint32_t timestamp_ms);
    /// A new publisher: its own timestamps start over, the output continues after the last one.
    void reset();

private:
    JitterMode mode_;
    std::int64_t last_input_ms_ = 0;
    std::int64_t last_output_ms_ = -1;  // -1: nothing output yet
    std::int64_t zero_offset_ms_ = 0;
    bool started_ = false;
};

}  // namespace ringcast::media
