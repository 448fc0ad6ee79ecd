#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "media/mix_queue.h"

namespace ringcast::media {
namespace {

// Payload byte 0 is the FLV tag header; the last byte tags the frame so tests can tell
// frames with equal timestamps apart.
MediaFrame video(std::uint32_t ts, std::uint8_t tag = 0) {
    const std::uint8_t bytes[] = {0x27, 0x01, 0, 0, 0, tag};
    return classify(FrameKind::video, ts, core::Buffer::copy_of(std::span<const std::uint8_t>(bytes)));
}
MediaFrame video_header(std::uint8_t tag = 0) {
    const std::uint8_t bytes[] = {0x17, 0x00, 0, 0, 0, tag};
    return classify(FrameKind::video, 0, core::Buffer::copy_of(std::span<const std::uint8_t>(bytes)));
}
MediaFrame audio(std::uint32_t ts, std::uint8_t tag = 0) {
    const std::uint8_t bytes[] = {0xAF, 0x01, tag};
    return classify(FrameKind::audio, ts, core::Buffer::copy_of(std::span<const std::uint8_t>(bytes)));
}
MediaFrame audio_header(std::uint8_t tag = 0) {
    const std::uint8_t bytes[] = {0xAF, 0x00, tag};
    return classify(FrameKind::audio, 0, core::Buffer::copy_of(std::span<const std::uint8_t>(bytes)));
}
std::uint8_t tag_of(const MediaFrame& frame) { return frame.payload.span().back(); }

/// Feeds frames the SRS way (one pop per push) and collects what comes out, checking the bound
/// after every step.
std::vector<MediaFrame> run(MixQueue& queue, const std::vector<MediaFrame>& in) {
    std::vector<MediaFrame> out;
    for (const MediaFrame& frame : in) {
        queue.push(frame);
        EXPECT_LE(queue.size(), MixQueue::kMaxQueued);
        if (auto popped = queue.pop()) {
            out.push_back(std::move(*popped));
        }
        EXPECT_LT(queue.size(), MixQueue::kMaxQueued);
        EXPECT_EQ(queue.size(), queue.video_count() + queue.audio_count());
    }
    return out;
}

bool non_decreasing(const std::vector<MediaFrame>& frames) {
    return std::is_sorted(frames.begin(), frames.end(),
                          [](const MediaFrame& a, const MediaFrame& b) { return a.timestamp_ms < b.timestamp_ms; });
}

TEST(MixQueue, EmptyQueueYieldsNothing) {
    MixQueue queue;
    EXPECT_FALSE(queue.pop().has_value());
    EXPECT_TRUE(queue.empty());
}

TEST(MixQueue, OneOfEachKindLetsTheEarliestOut) {
    MixQueue queue;
    EXPECT_FALSE(queue.mix(video(40)).has_value());
    auto first = queue.mix(audio(20));
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(first->is_audio());
    EXPECT_EQ(first->timestamp_ms, 20u);
    // Only the video is left: one kind, fewer than kPureAv, so it waits.
    EXPECT_FALSE(queue.pop().has_value());
    EXPECT_EQ(queue.size(), 1u);
    EXPECT_EQ(queue.video_count(), 1u);
    EXPECT_EQ(queue.audio_count(), 0u);
}

TEST(MixQueue, ReordersVideoThatRunsAheadOfAudio) {
    // The encoder sends video in bursts 5 frames (200 ms) ahead of audio; each kind is in order.
    std::vector<MediaFrame> in;
    std::uint32_t next_video = 0;
    std::uint32_t next_audio = 0;
    for (int burst = 0; burst < 40; ++burst) {
        for (int i = 0; i < 5; ++i, next_video += 40) {
            in.push_back(video(next_video));
        }
        while (next_audio + 200 < next_video) {
            in.push_back(audio(next_audio));
            next_audio += 23;
        }
    }
    ASSERT_FALSE(non_decreasing(in));
    MixQueue queue;
    auto out = run(queue, in);
    EXPECT_TRUE(non_decreasing(out));
    EXPECT_GE(out.size() + MixQueue::kMaxQueued, in.size());
    EXPECT_EQ(out.size() + queue.size(), in.size());
}

TEST(MixQueue, EqualTimestampsKeepArrivalOrder) {
    MixQueue queue;
    std::vector<MediaFrame> in = {video(100, 1), audio(100, 2), video(100, 3), audio(100, 4),
                                  video(100, 5), audio(100, 6), video(200, 7), audio(200, 8)};
    auto out = run(queue, in);
    ASSERT_EQ(out.size(), 7u);
    for (std::size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(tag_of(out[i]), i + 1) << i;
    }
}

TEST(MixQueue, SequenceHeadersGoThroughTheQueueInOrder) {
    // SRS pushes sequence headers like any audio/video message; at equal timestamps they stay
    // ahead of the frames that follow them.
    MixQueue queue;
    std::vector<MediaFrame> in = {video_header(1), audio_header(2), video(0, 3), audio(0, 4), audio(23, 5),
                                  video(40, 6), audio(46, 7)};
    auto out = run(queue, in);
    // Two pushes let nothing out (the first, and a(23) while only audio was queued), so v(40)
    // and a(46) are still queued.
    ASSERT_EQ(out.size(), 5u);
    EXPECT_EQ(queue.size(), 2u);
    EXPECT_TRUE(out[0].flags.sequence_header);
    EXPECT_TRUE(out[0].is_video());
    EXPECT_TRUE(out[1].flags.sequence_header);
    EXPECT_TRUE(out[1].is_audio());
    for (std::size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(tag_of(out[i]), i + 1) << i;
    }
}

TEST(MixQueue, PureAudioFlowsAfterKPureAvFrames) {
    MixQueue queue;
    std::vector<MediaFrame> in;
    for (std::uint32_t i = 0; i < 100; ++i) {
        in.push_back(audio(i * 23));
    }
    std::vector<MediaFrame> out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        auto popped = queue.mix(in[i]);
        // Held until kPureAv audio frames are queued, then one out per one in.
        EXPECT_EQ(popped.has_value(), i + 1 >= MixQueue::kPureAv) << i;
        if (popped) {
            out.push_back(std::move(*popped));
        }
    }
    ASSERT_EQ(out.size(), in.size() - (MixQueue::kPureAv - 1));
    EXPECT_EQ(queue.size(), MixQueue::kPureAv - 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(out[i].timestamp_ms, in[i].timestamp_ms);
    }
}

TEST(MixQueue, PureVideoFlowsAfterKPureAvFrames) {
    MixQueue queue;
    std::vector<MediaFrame> in;
    in.push_back(video_header());
    for (std::uint32_t i = 0; i < 100; ++i) {
        in.push_back(video(i * 40));
    }
    auto out = run(queue, in);
    ASSERT_EQ(out.size(), in.size() - (MixQueue::kPureAv - 1));
    EXPECT_TRUE(out.front().flags.sequence_header);
    EXPECT_TRUE(non_decreasing(out));
    EXPECT_EQ(queue.video_count(), MixQueue::kPureAv - 1);
}

TEST(MixQueue, StreamThatLosesOneKindKeepsFlowing) {
    // Mixed, then the audio stops: the queue falls back to the pure-video rule.
    MixQueue queue;
    std::vector<MediaFrame> in;
    for (std::uint32_t i = 0; i < 20; ++i) {
        in.push_back(video(i * 40));
        in.push_back(audio(i * 40 + 5));
    }
    for (std::uint32_t i = 20; i < 60; ++i) {
        in.push_back(video(i * 40));
    }
    auto out = run(queue, in);
    EXPECT_TRUE(non_decreasing(out));
    EXPECT_EQ(out.size() + queue.size(), in.size());
    EXPECT_LT(queue.size(), MixQueue::kPureAv);
    EXPECT_EQ(queue.audio_count(), 0u);
}

TEST(MixQueue, BoundHoldsForAnyInput) {
    // Random kinds (including long one-kind runs) and random, even backwards, timestamps.
    std::mt19937 rng(12345);
    MixQueue queue;
    std::size_t in_count = 0;
    std::size_t out_count = 0;
    for (int i = 0; i < 20000; ++i) {
        const bool run_of_one_kind = (i / 200) % 3 == 0;
        const bool is_video = run_of_one_kind ? (i / 600) % 2 == 0 : rng() % 2 == 0;
        const auto ts = static_cast<std::uint32_t>(rng() % 5000);
        queue.push(is_video ? video(ts) : audio(ts));
        ++in_count;
        ASSERT_LE(queue.size(), MixQueue::kMaxQueued);
        // Whenever kMaxQueued frames are held, the rule always lets one out.
        if (queue.size() >= MixQueue::kMaxQueued) {
            ASSERT_TRUE(queue.pop().has_value());
            ++out_count;
        } else if (queue.pop()) {
            ++out_count;
        }
        ASSERT_LT(queue.size(), MixQueue::kMaxQueued);
        ASSERT_EQ(queue.size(), queue.video_count() + queue.audio_count());
        ASSERT_EQ(in_count, out_count + queue.size());
    }
}

TEST(MixQueue, OutputIsOrderedWhenEachKindIsOrderedAndTheSkewIsSmall) {
    // Each kind monotonic; video skewed against audio by a random amount of up to 4 frames.
    std::mt19937 rng(7);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<MediaFrame> videos;
        std::vector<MediaFrame> audios;
        for (std::uint32_t i = 0; i < 200; ++i) {
            videos.push_back(video(i * 40));
            audios.push_back(audio(i * 40 + 20));
        }
        const auto skew = static_cast<std::size_t>(rng() % 5);
        std::vector<MediaFrame> in;
        std::size_t v = 0;
        std::size_t a = 0;
        while (v < videos.size() || a < audios.size()) {
            if (v < videos.size() && (a >= audios.size() || v <= a + skew)) {
                in.push_back(videos[v++]);
            } else {
                in.push_back(audios[a++]);
            }
        }
        MixQueue queue;
        auto out = run(queue, in);
        EXPECT_TRUE(non_decreasing(out)) << "skew " << skew;
    }
}

TEST(MixQueue, ClearForgetsFramesAndCounts) {
    MixQueue queue;
    for (std::uint32_t i = 0; i < 5; ++i) {
        queue.push(video(i * 40));
    }
    queue.clear();
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.video_count(), 0u);
    EXPECT_EQ(queue.audio_count(), 0u);
    // A fresh publisher: one audio alone is held again (pure-audio rule from zero).
    EXPECT_FALSE(queue.mix(audio(0)).has_value());
    auto out = queue.mix(video(0));
    ASSERT_TRUE(out.has_value());
    EXPECT_TRUE(out->is_audio());
}

TEST(MixQueue, TimestampWrapKeepsArrivalOrder) {
    // An atc stream crossing 2^32 ms: the wrapped frames must not overtake the queued ones.
    MixQueue queue;
    std::vector<MediaFrame> in;
    std::uint32_t ts = 0xFFFFFF00u;
    for (int i = 0; i < 40; ++i, ts += 20) {
        in.push_back(i % 2 == 0 ? video(ts, static_cast<std::uint8_t>(i)) : audio(ts, static_cast<std::uint8_t>(i)));
    }
    auto out = run(queue, in);
    ASSERT_EQ(out.size(), in.size() - 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(tag_of(out[i]), i) << i;
    }
}

TEST(MixQueue, NonVideoFramesCountAsAudio) {
    // Metadata should bypass the queue; if pushed anyway it counts as audio (as in SRS), so
    // it neither stalls the queue nor breaks the bound.
    MixQueue queue;
    const std::uint8_t bytes[] = {0x02, 0x00, 0x0A};
    auto data = classify(FrameKind::data, 0, core::Buffer::copy_of(std::span<const std::uint8_t>(bytes)));
    EXPECT_FALSE(queue.mix(data).has_value());
    EXPECT_EQ(queue.audio_count(), 1u);
    auto out = queue.mix(video(0));
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->kind, FrameKind::data);
}

TEST(MixQueue, FramesShareTheirPayload) {
    MixQueue queue;
    auto frame = video(0);
    queue.push(frame);
    EXPECT_EQ(frame.payload.use_count(), 2u);
    queue.clear();
    EXPECT_EQ(frame.payload.use_count(), 1u);
}

}  // namespace
}  // namespace ringcast::media
