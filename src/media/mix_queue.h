#pragma once
// MixQueue: SRS's `mix_correct` (srs_app_source.cpp SrsMixQueue, the same in SRS 3 through 7).
// Some encoders send audio and video each in order but interleaved badly (video a few frames
// ahead of audio or the reverse). With `mix_correct on` every audio and video message of a
// published stream goes through this queue, which hands them on in timestamp order:
//
//   push(frame)  inserts by timestamp; equal timestamps keep arrival order (SRS's multimap);
//   pop()        yields the earliest frame when the queue holds
//                  at least one video and one audio frame, or
//                  kPureAv (10) video frames and no audio (a pure-video stream), or
//                  kPureAv audio frames and no video (a pure-audio stream);
//                otherwise nothing.
//
// SRS calls pop() exactly once after each push() (SrsLiveSource::on_frame); mix() does both.
// Used that way the queue holds at most kPureAv frames between a push and its pop and at most
// kPureAv - 1 afterwards, whatever the input: a pop fails only while every queued frame is of
// one kind and there are fewer than kPureAv of them, and whenever size() >= kPureAv a pop
// succeeds. A stream that is mixed runs one frame in, one frame out; a pure stream is delayed
// by kPureAv - 1 frames.
//
// What goes in: audio and video frames, sequence headers included (SRS pushes every audio and
// video message; on_audio_imp/on_video_imp run after the pop). Metadata (script data) bypasses
// the queue and is delivered at once, as SRS's on_meta_data does. A non-video frame pushed
// anyway is counted as audio, as in SRS, so the bound above still holds.
//
// Timestamps: push the publisher's timestamps (SRS orders by the message timestamp before any
// per-player jitter correction). SRS's note in full.conf: to use mix_correct, atc should be on
// or time_jitter off. Unlike SRS, which compares raw 32-bit values, the order is
// wrap-aware (serial-number arithmetic), so an `atc` stream whose absolute time wraps past
// 2^32 ms, or a jump of more than 2^31 ms, keeps arrival order instead of letting the
// wrapped frames overtake the queued ones. Differences below 2^31 ms order as in SRS.
//
// Lifecycle: SRS clears the queue when a publisher starts (and when a reload toggles
// mix_correct); frames still queued when a publisher leaves are dropped, never flushed.
// Shard-local, one per published stream on its owner shard; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "media/frame.h"

namespace ringcast::media {

class MixQueue {
public:
    /// SRS_MIX_CORRECT_PURE_AV: frames of one kind, with none of the other, that let the
    /// earliest one go (a pure-audio or pure-video stream).
    static constexpr std::size_t kPureAv = 10;
    /// Most frames the queue can hold when every push() is followed by one pop() (between the
    /// two). After the pop it holds at most kMaxQueued - 1.
    static constexpr std::size_t kMaxQueued = kPureAv;

    MixQueue() { frames_.reserve(kMaxQueued + 1); }

    /// Inserts a frame after every queued frame whose timestamp is not later than its own.
    void push(MediaFrame frame);
    /// The earliest queued frame if SRS's rule allows one out (see above), else nothing.
    std::optional<MediaFrame> pop();
    /// push(frame) then pop(): what SRS does per audio/video message. The way to use the queue.
    std::optional<MediaFrame> mix(MediaFrame frame) {
        push(std::move(frame));
        return pop();
    }
    /// Drops everything queued (a publisher starts or leaves, or mix_correct is switched).
    void clear();

    [[nodiscard]] std::size_t size() const { return frames_.size(); }
    [[nodiscard]] bool empty() const { return frames_.empty(); }
    [[nodiscard]] std::size_t video_count() const { return videos_; }
    /// Audio frames queued (and any non-video frame pushed, counted as audio like SRS).
    [[nodiscard]] std::size_t audio_count() const { return audios_; }

private:
    std::vector<MediaFrame> frames_;  // ordered by timestamp, ties in arrival order
    std::size_t videos_ = 0;
    std::size_t audios_ = 0;
};

}  // namespace ringcast::media
