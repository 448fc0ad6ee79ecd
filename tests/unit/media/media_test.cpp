#include <gtest/gtest.h>

#include <vector>

#include "media/frame.h"
#include "media/gop_cache.h"
#include "media/jitter.h"
#include "media/stream.h"

namespace ringcast::media {
namespace {

core::Buffer bytes(std::initializer_list<std::uint8_t> list) {
    std::vector<std::uint8_t> v(list);
    return core::Buffer::copy_of(std::span<const std::uint8_t>(v));
}

MediaFrame avc_key(std::uint32_t ts) { return classify(FrameKind::video, ts, bytes({0x17, 0x01, 0, 0, 0, 0xAA})); }
MediaFrame avc_inter(std::uint32_t ts) { return classify(FrameKind::video, ts, bytes({0x27, 0x01, 0, 0, 0, 0xBB})); }
MediaFrame avc_header() { return classify(FrameKind::video, 0, bytes({0x17, 0x00, 0, 0, 0, 1, 0x64})); }
MediaFrame aac_header() { return classify(FrameKind::audio, 0, bytes({0xAF, 0x00, 0x12, 0x10})); }
MediaFrame aac(std::uint32_t ts) { return classify(FrameKind::audio, ts, bytes({0xAF, 0x01, 0x21})); }

TEST(MediaClassify, LegacyAndEnhancedHeaders) {
    EXPECT_EQ(avc_key(0).codec, Codec::h264);
    EXPECT_TRUE(avc_key(0).flags.keyframe);
    EXPECT_FALSE(avc_inter(0).flags.keyframe);
    EXPECT_TRUE(avc_header().flags.sequence_header);
    auto hevc_legacy = classify(FrameKind::video, 0, bytes({0x1C, 0x00, 0, 0, 0}));
    EXPECT_EQ(hevc_legacy.codec, Codec::h265);
    EXPECT_TRUE(hevc_legacy.flags.sequence_header);
    // Enhanced RTMP: IsExHeader | keyframe | PacketType SequenceStart, FourCC "hvc1".
    auto hevc_ex = classify(FrameKind::video, 0, bytes({0x90, 'h', 'v', 'c', '1', 1}));
    EXPECT_EQ(hevc_ex.codec, Codec::h265);
    EXPECT_TRUE(hevc_ex.flags.sequence_header);
    EXPECT_TRUE(hevc_ex.flags.keyframe);
    auto av1 = classify(FrameKind::video, 0, bytes({0x91, 'a', 'v', '0', '1', 1}));
    EXPECT_EQ(av1.codec, Codec::av1);
    EXPECT_FALSE(av1.flags.sequence_header);
    EXPECT_EQ(classify(FrameKind::video, 0, bytes({0xA1, 'v', 'p', '0', '9'})).codec, Codec::vp9);
    EXPECT_TRUE(aac_header().flags.sequence_header);
    EXPECT_EQ(aac(0).codec, Codec::aac);
    EXPECT_EQ(classify(FrameKind::audio, 0, bytes({0x2F, 0xFF})).codec, Codec::mp3);
}

TEST(MediaClassify, EnhancedAudioAndSequenceEnd) {
    // Enhanced RTMP v2 audio: SoundFormat 9 (ExHeader) | AudioPacketType, then the FourCC.
    auto opus_head = classify(FrameKind::audio, 0, bytes({0x90, 'O', 'p', 'u', 's', 'O', 'p', 'u', 's'}));
    EXPECT_EQ(opus_head.codec, Codec::opus);
    EXPECT_TRUE(opus_head.flags.sequence_header);
    auto opus_frame = classify(FrameKind::audio, 20, bytes({0x91, 'O', 'p', 'u', 's', 0xFC}));
    EXPECT_EQ(opus_frame.codec, Codec::opus);
    EXPECT_FALSE(opus_frame.flags.sequence_header);
    EXPECT_EQ(classify(FrameKind::audio, 0, bytes({0x90, 'm', 'p', '4', 'a', 0x12})).codec, Codec::aac);
    EXPECT_EQ(classify(FrameKind::audio, 0, bytes({0x91, '.', 'm', 'p', '3', 0xFF})).codec, Codec::mp3);
    auto flac = classify(FrameKind::audio, 0, bytes({0x90, 'f', 'L', 'a', 'C'}));
    EXPECT_EQ(flac.codec, Codec::other_audio);
    EXPECT_TRUE(flac.flags.sequence_header);
    EXPECT_FALSE(classify(FrameKind::audio, 0, bytes({0x90, 'O', 'p'})).flags.sequence_header);
    // An end of sequence flagged as a keyframe must not start a GOP.
    EXPECT_FALSE(classify(FrameKind::video, 0, bytes({0x92, 'h', 'v', 'c', '1'})).flags.keyframe);
}

TEST(MediaClassify, ShortPayloadsAreSafe) {
    for (FrameKind kind : {FrameKind::video, FrameKind::audio, FrameKind::data}) {
        auto empty = classify(kind, 0, core::Buffer());
        EXPECT_EQ(empty.codec, Codec::unknown);
        EXPECT_FALSE(empty.flags.sequence_header);
    }
    EXPECT_EQ(classify(FrameKind::video, 0, bytes({0x90, 'h', 'v'})).codec, Codec::unknown);
    EXPECT_FALSE(classify(FrameKind::video, 0, bytes({0x17})).flags.sequence_header);
}

TEST(Jitter, FullKeepsTimeMonotonicAcrossJumps) {
    JitterCorrector jitter(JitterMode::full);
    EXPECT_EQ(jitter.correct(5000), 0u);
    EXPECT_EQ(jitter.correct(5040), 40u);
    EXPECT_EQ(jitter.correct(5030), 30u);     // small reorder (audio/video interleave) kept
    EXPECT_EQ(jitter.correct(100), 40u);      // encoder restart: a 10 ms step, not a jump back
    EXPECT_EQ(jitter.correct(140), 80u);
    EXPECT_EQ(jitter.correct(900000), 90u);   // a jump forward too
}

TEST(Jitter, ANewPublisherContinuesTheTimelineInsteadOfRestartingIt) {
    for (JitterMode mode : {JitterMode::full, JitterMode::zero}) {
        JitterCorrector jitter(mode);
        EXPECT_EQ(jitter.correct(1000), 0u);
        EXPECT_EQ(jitter.correct(1040), 40u);
        jitter.reset();  // republish: the encoder starts over at 0
        EXPECT_EQ(jitter.correct(0), 50u) << "one default step after the last timestamp";
        EXPECT_EQ(jitter.correct(40), 90u);
    }
}

TEST(Jitter, ZeroAndOff) {
    JitterCorrector zero(JitterMode::zero);
    EXPECT_EQ(zero.correct(1000), 0u);
    EXPECT_EQ(zero.correct(1040), 40u);
    JitterCorrector off(JitterMode::off);
    EXPECT_EQ(off.correct(1000), 1000u);
}

struct Recorder final : FrameSink {
    std::vector<MediaFrame> frames;
    std::vector<bool> publishing;
    void on_frame(const MediaFrame& frame) override { frames.push_back(frame); }
    void on_publishing(bool on) override { publishing.push_back(on); }
};

TEST(StreamHub, LatePlayerGetsHeadersThenGopFromAKeyframe) {
    Stream stream("__defaultVhost__/live/s");
    stream.set_publishing(true);
    MediaFrame meta = classify(FrameKind::data, 0, bytes({2, 0, 1, 'x'}));
    meta.flags.metadata = true;
    stream.deliver(meta);
    stream.deliver(avc_header());
    stream.deliver(aac_header());
    stream.deliver(avc_inter(0));  // before any keyframe: not cached
    stream.deliver(avc_key(40));
    stream.deliver(aac(50));
    stream.deliver(avc_inter(80));
    Recorder late;
    stream.attach(late);
    ASSERT_EQ(late.frames.size(), 6u);
    EXPECT_TRUE(late.frames[0].flags.metadata);
    EXPECT_TRUE(late.frames[1].flags.sequence_header && late.frames[1].is_video());
    EXPECT_TRUE(late.frames[2].flags.sequence_header && late.frames[2].is_audio());
    EXPECT_TRUE(late.frames[3].flags.keyframe);
    EXPECT_EQ(late.frames[5].timestamp_ms, 80u);
    stream.deliver(avc_key(120));
    EXPECT_EQ(late.frames.size(), 7u);
    EXPECT_EQ(stream.cache().gop().size(), 1u) << "a new keyframe starts a new cached GOP";
}

TEST(StreamHub, PlayersStayAttachedAcrossRepublish) {
    Stream stream("v/a/s");
    Recorder early;
    stream.attach(early);  // before the publisher: gets nothing yet, waits
    EXPECT_TRUE(early.frames.empty());
    stream.set_publishing(true);
    stream.deliver(avc_header());
    stream.deliver(avc_key(0));
    stream.set_publishing(false);
    EXPECT_TRUE(stream.cache().gop().empty());
    EXPECT_FALSE(stream.cache().video_sequence_header().has_value());
    stream.set_publishing(true);
    stream.deliver(avc_key(0));
    EXPECT_EQ(early.frames.size(), 3u);
    EXPECT_EQ(early.publishing, (std::vector<bool>{true, false, true}));
}

TEST(StreamHub, SinkMayDetachItselfDuringDelivery) {
    Stream stream("v/a/s");
    struct SelfDetaching final : FrameSink {
        Stream* stream = nullptr;
        int frames = 0;
        void on_frame(const MediaFrame&) override {
            ++frames;
            stream->detach(*this);
        }
    } first;
    first.stream = &stream;
    Recorder second;
    stream.attach(first);
    stream.attach(second);
    stream.deliver(avc_key(0));
    stream.deliver(avc_key(40));
    EXPECT_EQ(first.frames, 1);
    EXPECT_EQ(second.frames.size(), 2u);
    EXPECT_EQ(stream.sink_count(), 1u);
}

TEST(StreamHub, GopCacheOffAndBound) {
    Stream stream("v/a/s");
    stream.cache().set_gop_cache(false, 0);
    stream.deliver(avc_key(0));
    EXPECT_TRUE(stream.cache().gop().empty());
    Stream bounded("v/a/b");
    bounded.cache().set_gop_cache(true, 3);
    bounded.deliver(avc_key(0));
    bounded.deliver(avc_inter(40));
    bounded.deliver(avc_inter(80));
    EXPECT_EQ(bounded.cache().gop().size(), 3u);
    bounded.deliver(avc_inter(120));
    EXPECT_TRUE(bounded.cache().gop().empty()) << "over gop_cache_max_frames the cache is dropped";
}

TEST(PlayerQueue, ShrinksToHeadersAndResumesAtKeyframe) {
    PlayerQueue queue(1000);
    queue.push(avc_header());
    queue.push(aac_header());
    queue.push(avc_key(0));
    for (std::uint32_t ts = 40; ts <= 1000; ts += 40) {
        queue.push(avc_inter(ts));
    }
    EXPECT_EQ(queue.shrinks(), 0u);
    queue.push(avc_inter(1040));  // 1040 ms queued > 1000: drop
    EXPECT_EQ(queue.shrinks(), 1u);
    ASSERT_EQ(queue.size(), 2u);
    EXPECT_TRUE(queue.front().flags.sequence_header);
    queue.push(avc_inter(1080));
    queue.push(aac(1090));
    EXPECT_EQ(queue.size(), 2u) << "frames before the next keyframe are dropped";
    queue.push(avc_key(2000));
    queue.push(avc_inter(2040));
    EXPECT_EQ(queue.size(), 4u);
    std::vector<MediaFrame> out;
    while (!queue.empty()) {
        out.push_back(queue.front());
        queue.pop_front();
    }
    EXPECT_TRUE(out[2].flags.keyframe);
}

TEST(PlayerQueue, AudioOnlyResumesImmediately) {
    PlayerQueue queue(500);
    queue.push(aac_header());
    for (std::uint32_t ts = 0; ts <= 600; ts += 23) {
        queue.push(aac(ts));
    }
    EXPECT_GE(queue.shrinks(), 1u);
    std::size_t before = queue.size();
    queue.push(aac(700));
    EXPECT_EQ(queue.size(), before + 1);
}

}  // namespace
}  // namespace ringcast::media
