// SRS srs_app_source.cpp SrsGopCache::cache and SrsMetaCache, paraphrased.
#include "media/gop_cache.h"

namespace ringcast::media {

void StartupCache::on_frame(const MediaFrame& frame) {
    if (frame.flags.metadata) {
        metadata_ = frame;
        return;
    }
    if (frame.flags.sequence_header) {
        (frame.is_video() ? video_header_ : audio_header_) = frame;
        return;
    }
    if (!gop_enabled_) {
        return;
    }
    if (frame.is_video()) {
        ++video_frames_seen_;
        audio_since_video_ = 0;
    }
    if (video_frames_seen_ == 0) {
        return;  // audio only so far: SRS keeps no GOP for pure audio
    }
    if (frame.is_audio() && ++audio_since_video_ > kPureAudioGuessCount) {
        gop_.clear();
        video_frames_seen_ = 0;
        return;
    }
    if (frame.is_video() && frame.flags.keyframe) {
        gop_.clear();
    }
    if (gop_.empty() && !(frame.is_video() && frame.flags.keyframe)) {
        return;  // a cached GOP always starts at a keyframe
    }
    gop_.push_back(frame);
    if (gop_frames_max_ > 0 && gop_.size() > gop_frames_max_) {
        gop_.clear();
    }
}

void StartupCache::clear() {
    metadata_.reset();
    video_header_.reset();
    audio_header_.reset();
    gop_.clear();
    video_frames_seen_ = 0;
    audio_since_video_ = 0;
}

}  // namespace ringcast::media
