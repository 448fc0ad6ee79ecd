#pragma once
// What a new player needs before live frames: the latest metadata and sequence headers, and
// (with `gop_cache on`) every frame since the last video keyframe, so it starts decoding at
// once instead of waiting for the next keyframe (SRS's SrsMetaCache + SrsGopCache).

#include <cstddef>
#include <optional>
#include <vector>

#include "media/frame.h"

namespace ringcast::media {

/// Owned by one Stream (owner shard or a mirror shard); shard-local.
class StartupCache {
public:
    /// SRS's SRS_PURE_AUDIO_GUESS_COUNT: this many audio frames with no video means "audio only";
    /// the GOP cache is then dropped, as SRS does.
    static constexpr std::size_t kPureAudioGuessCount = 115;

    void set_gop_cache(bool enabled, std::size_t max_frames) {
        gop_enabled_ = enabled;
        gop_frames_max_ = max_frames;
        if (!enabled) {
            gop_.clear();
        }
    }

    /// Records a frame; call for every frame of the stream, in order.
    void on_frame(const MediaFrame& frame);
    /// Forgets everything (the publisher left and a new one starts).
    void clear();

    [[nodiscard]] const std::optional<MediaFrame>& metadata() const { return metadata_; }
    [[nodiscard]] const std::optional<MediaFrame>& video_sequence_header() const { return video_header_; }
    [[nodiscard]] const std::optional<MediaFrame>& audio_sequence_header() const { return audio_header_; }
    [[nodiscard]] const std::vector<MediaFrame>& gop() const { return gop_; }

    /// Calls f(frame) for what a new player gets first, in order: metadata, video and audio
    /// sequence headers, then the cached GOP.
    template <class F>
    void replay(F&& f) const {
        for (const auto* header : {&metadata_, &video_header_, &audio_header_}) {
            if (header->has_value()) {
                f(**header);
            }
        }
        for (const MediaFrame& frame : gop_) {
            f(frame);
        }
    }

private:
    std::optional<MediaFrame> metadata_;
    std::optional<MediaFrame> video_header_;
    std::optional<MediaFrame> audio_header_;
    std::vector<MediaFrame> gop_;
    bool gop_enabled_ = true;
    std::size_t gop_frames_max_ = 2500;  // SRS's gop_cache_max_frames default
    std::size_t video_frames_seen_ = 0;
    std::size_t audio_since_video_ = 0;
};

}  // namespace ringcast::media
