#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "media/hls_segmenter.h"

namespace ringcast::media {
namespace {

// Wall clock of the frame at timestamp 0 (2023-11-14T22:13:20Z); frames arrive in real time.
constexpr std::int64_t kWallClockBase_ms = 1'700'000'000'000;
// 2006-01-02T15:04:05.999Z, SRS's (and Go's) reference time for the date variables.
constexpr std::int64_t kReferenceTime_ms = 1'136'214'245'999;

HlsFrame video(std::uint32_t ts, bool keyframe) { return {FrameKind::video, keyframe, false, ts}; }
HlsFrame audio(std::uint32_t ts) { return {FrameKind::audio, false, false, ts}; }
HlsFrame video_header(std::uint32_t ts = 0) { return {FrameKind::video, true, true, ts}; }
HlsFrame audio_header(std::uint32_t ts = 0) { return {FrameKind::audio, false, true, ts}; }

/// `count` frames at 25 fps from `start_ms`, a keyframe every `gop_frames`.
std::vector<HlsFrame> video_frames(int count, int gop_frames, std::uint32_t start_ms = 0) {
    std::vector<HlsFrame> frames;
    for (int i = 0; i < count; ++i) {
        frames.push_back(video(start_ms + static_cast<std::uint32_t>(i) * 40, i % gop_frames == 0));
    }
    return frames;
}

/// AAC at 44.1 kHz: 1024 samples a frame, about 23.2 ms, timestamps rounded to ms as FLV does.
std::vector<HlsFrame> audio_frames(int count, std::uint32_t start_ms = 0) {
    std::vector<HlsFrame> frames;
    for (int i = 0; i < count; ++i) {
        const auto offset = static_cast<std::uint32_t>((static_cast<std::int64_t>(i) * 1024 * 1000 + 22050) / 44100);
        frames.push_back(audio(start_ms + offset));
    }
    return frames;
}

/// Interleaved by timestamp; on a tie the video frame goes first.
std::vector<HlsFrame> interleave(std::vector<HlsFrame> videos, const std::vector<HlsFrame>& audios) {
    videos.insert(videos.end(), audios.begin(), audios.end());
    std::stable_sort(videos.begin(), videos.end(),
                     [](const HlsFrame& a, const HlsFrame& b) { return a.timestamp_ms < b.timestamp_ms; });
    return videos;
}

HlsSettings settings_2s() {
    HlsSettings settings;
    settings.fragment_ms = 2'000;
    settings.window_ms = 60'000;
    return settings;
}

/// Plays the integrator: follows every decision and records what it was told to do.
struct Recorder {
    explicit Recorder(HlsSettings settings) : segmenter(std::move(settings)) {}

    void publish(std::int64_t now_ms = kWallClockBase_ms, std::string stream = "livestream") {
        ASSERT_TRUE(segmenter.on_publish({"__defaultVhost__", "live", std::move(stream)}, now_ms).has_value());
    }
    HlsDecision feed(const HlsFrame& frame, std::int64_t now_ms) {
        const HlsDecision decision = segmenter.on_frame(frame, now_ms);
        absorb(decision);
        if (decision.open_segment) {
            opened_at.push_back(frame.timestamp_ms);
            opened_by.push_back(frame);
            EXPECT_NE(segmenter.current_segment(), nullptr);
        }
        return decision;
    }
    void feed_all(const std::vector<HlsFrame>& frames, std::int64_t base_ms = kWallClockBase_ms) {
        for (const HlsFrame& frame : frames) {
            const HlsDecision decision = feed(frame, base_ms + frame.timestamp_ms);
            EXPECT_TRUE(decision.write_frame);
        }
    }
    void unpublish() { absorb(segmenter.on_unpublish()); }
    void absorb(const HlsDecision& decision) {
        if (decision.close_segment) {
            closed.push_back(segmenter.closed_segment());
        }
        if (decision.playlist_changed) {
            playlists.push_back(segmenter.playlist_text());
            EXPECT_FALSE(playlists.back().empty());
        }
        std::vector<std::string> files = segmenter.take_files_to_delete();
        EXPECT_EQ(decision.files_to_delete, !files.empty());
        deleted.insert(deleted.end(), files.begin(), files.end());
    }
    std::vector<std::int64_t> durations() const {
        std::vector<std::int64_t> result;
        for (const HlsClosedSegment& segment : closed) {
            result.push_back(segment.duration_ms);
        }
        return result;
    }

    HlsSegmenter segmenter;
    std::vector<HlsClosedSegment> closed;
    std::vector<std::uint32_t> opened_at;  // timestamp of the frame that opened each segment
    std::vector<HlsFrame> opened_by;
    std::vector<std::string> deleted;
    std::vector<std::string> playlists;  // the text after every playlist_changed
};

std::vector<std::uint32_t> every(std::uint32_t step_ms, std::uint32_t until_ms) {
    std::vector<std::uint32_t> result;
    for (std::uint32_t t = 0; t <= until_ms; t += step_ms) {
        result.push_back(t);
    }
    return result;
}

// --- when segments are cut ----------------------------------------------------------------------

TEST(HlsSegmenter, CutsAtEveryKeyframeWhenTheGopMatchesTheFragment) {
    // 25 fps, 2 s GOP, hls_fragment 2: every keyframe after the first starts a segment.
    Recorder r(settings_2s());
    r.publish();
    r.feed_all(video_frames(750, 50));  // 0 .. 29960 ms, video only
    EXPECT_EQ(r.opened_at, every(2'000, 28'000));
    for (const HlsFrame& frame : r.opened_by) {
        EXPECT_TRUE(frame.keyframe);
    }
    ASSERT_EQ(r.closed.size(), 14u);
    for (std::size_t i = 0; i < r.closed.size(); ++i) {
        EXPECT_EQ(r.closed[i].seq, i);
        EXPECT_EQ(r.closed[i].duration_ms, 2'000);  // first frame to the next segment's first frame
        EXPECT_TRUE(r.closed[i].kept);
    }
    r.unpublish();
    ASSERT_EQ(r.closed.size(), 15u);
    EXPECT_EQ(r.closed.back().duration_ms, 1'960);  // to its last frame
    EXPECT_FALSE(r.segmenter.publishing());
}

TEST(HlsSegmenter, LongGopWithTdRatioCutsAtTheKeyframe) {
    // GOP 3 s, hls_fragment 2, hls_td_ratio 1.5: the segment may run to 3 s for its keyframe.
    HlsSettings settings = settings_2s();
    settings.td_ratio = 1.5;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(300, 75));  // 0 .. 11960
    EXPECT_EQ(r.opened_at, every(3'000, 9'000));
    EXPECT_EQ(r.durations(), (std::vector<std::int64_t>{3'000, 3'000, 3'000}));
    EXPECT_NE(r.playlists.back().find("#EXT-X-TARGETDURATION:3\n"), std::string::npos);
}

TEST(HlsSegmenter, TdRatioMovesTheCutPointAsSrs7Does) {
    // SRS 7 is_segment_overflow compares with max_td = fragment * td_ratio: with a 1 s GOP,
    // fragment 2 and ratio 1.5 the keyframes at 2 s are passed over and the cut is at 3 s.
    HlsSettings settings = settings_2s();
    settings.td_ratio = 1.5;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(250, 25));  // 0 .. 9960
    EXPECT_EQ(r.opened_at, every(3'000, 9'000));
}

TEST(HlsSegmenter, LongGopWithoutTdRatioWaitsForTheKeyframe) {
    Recorder r(settings_2s());
    r.publish();
    r.feed_all(video_frames(300, 75));
    EXPECT_EQ(r.opened_at, every(3'000, 9'000));
}

TEST(HlsSegmenter, WaitKeyframeOffCutsAtTheFirstFramePastTheFragment) {
    HlsSettings settings = settings_2s();
    settings.wait_keyframe = false;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(300, 75));
    EXPECT_EQ(r.opened_at, every(2'000, 10'000));
    EXPECT_EQ(r.durations(), (std::vector<std::int64_t>{2'000, 2'000, 2'000, 2'000, 2'000}));
    EXPECT_FALSE(r.opened_by[1].keyframe);  // 2000 ms is inside the 3 s GOP
}

TEST(HlsSegmenter, PureAudioCutsAtFragmentTimesAofRatio) {
    HlsSettings settings = settings_2s();
    settings.aof_ratio = 1.5;  // cut at 3 s
    Recorder r(settings);
    r.publish();
    const std::vector<HlsFrame> frames = audio_frames(600);  // about 13.9 s
    r.feed_all(frames);
    ASSERT_EQ(r.closed.size(), 4u);
    for (std::size_t i = 0; i < r.closed.size(); ++i) {
        // The first frame at or past 3 s cuts; AAC frames are 23 ms apart.
        EXPECT_GE(r.closed[i].duration_ms, 3'000);
        EXPECT_LT(r.closed[i].duration_ms, 3'024);
        EXPECT_EQ(r.closed[i].duration_ms, static_cast<std::int64_t>(r.opened_at[i + 1]) - r.opened_at[i]);
    }
    // hls_td_ratio does not matter for audio; the playlist's target is ceil(3.0xx) = 4.
    EXPECT_NE(r.playlists.back().find("#EXT-X-TARGETDURATION:4\n"), std::string::npos);
}

TEST(HlsSegmenter, PureAudioDefaultAofRatioIsTwoPointOne) {
    Recorder r(settings_2s());
    r.publish();
    r.feed_all(audio_frames(400));  // about 9.3 s
    ASSERT_GE(r.closed.size(), 1u);
    EXPECT_GE(r.closed[0].duration_ms, 4'200);
    EXPECT_LT(r.closed[0].duration_ms, 4'224);
}

TEST(HlsSegmenter, InterleavedAudioVideoCutsOnlyAtKeyframes) {
    Recorder r(settings_2s());
    r.publish();
    r.feed_all(interleave(video_frames(250, 50), audio_frames(430)));  // 10 s
    EXPECT_EQ(r.opened_at, every(2'000, 8'000));
    for (const HlsFrame& frame : r.opened_by) {
        EXPECT_EQ(frame.kind, FrameKind::video);
        EXPECT_TRUE(frame.keyframe);
    }
    EXPECT_EQ(r.durations(), (std::vector<std::int64_t>{2'000, 2'000, 2'000, 2'000}));
}

TEST(HlsSegmenter, AudioBoundsTheSegmentsOfAVeryLongGop) {
    // SRS checks the audio "absolute overflow" on every audio frame, video or not: a 10 s GOP
    // with hls_fragment 2 is cut by audio at 4.2 s (aof 2.1). Video alone waits for the keyframe.
    Recorder with_audio(settings_2s());
    with_audio.publish();
    with_audio.feed_all(interleave(video_frames(300, 250), audio_frames(520)));  // 12 s
    ASSERT_GE(with_audio.closed.size(), 1u);
    EXPECT_GE(with_audio.closed[0].duration_ms, 4'200);
    EXPECT_LT(with_audio.closed[0].duration_ms, 4'224);
    EXPECT_EQ(with_audio.opened_by[1].kind, FrameKind::audio);

    Recorder video_only(settings_2s());
    video_only.publish();
    video_only.feed_all(video_frames(300, 250));
    EXPECT_EQ(video_only.opened_at, (std::vector<std::uint32_t>{0, 10'000}));
}

TEST(HlsSegmenter, NoCutBelowTwoHundredMilliseconds) {
    // Keyframes every 80 ms with a tiny fragment: SRS never cuts a segment under 200 ms.
    HlsSettings settings = settings_2s();
    settings.fragment_ms = 50;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(20, 2));  // 0 .. 760, keyframe every 80 ms
    EXPECT_EQ(r.opened_at, (std::vector<std::uint32_t>{0, 240, 480, 720}));
}

TEST(HlsSegmenter, TimestampsWrapPast32Bits) {
    Recorder r(settings_2s());
    r.publish();
    const std::uint32_t start = 0xFFFFFFFFu - 2'999;  // wraps 3 s in
    r.feed_all(video_frames(250, 50, start));
    EXPECT_EQ(r.durations(), (std::vector<std::int64_t>{2'000, 2'000, 2'000, 2'000}));
}

// --- window and sequence numbers --------------------------------------------------------------------

TEST(HlsSegmenter, WindowTrimsAndSequenceAdvancesOverThirtySeconds) {
    HlsSettings settings = settings_2s();
    settings.window_ms = 10'000;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(750, 50));  // 30 s
    r.unpublish();

    ASSERT_EQ(r.closed.size(), 15u);
    ASSERT_EQ(r.playlists.size(), 15u);
    for (std::size_t k = 0; k < r.playlists.size(); ++k) {
        // After segment k closes the window holds k-5 .. k: six 2 s segments exceed 10 s, and
        // the one that crosses the window stays (SRS shrink).
        const std::size_t first = k >= 5 ? k - 5 : 0;
        EXPECT_NE(r.playlists[k].find("#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first) + "\n"), std::string::npos)
            << r.playlists[k];
    }
    const HlsPlaylist& window = r.segmenter.playlist();
    ASSERT_EQ(window.size(), 6u);
    EXPECT_EQ(window.front().seq, 9u);
    EXPECT_EQ(window.back().seq, 14u);
    EXPECT_EQ(window.total_duration_ms(), 5 * 2'000 + 1'960);

    ASSERT_EQ(r.deleted.size(), 9u);  // hls_cleanup on: segments 0 .. 8 left the window
    for (std::size_t seq = 0; seq < r.deleted.size(); ++seq) {
        EXPECT_EQ(r.deleted[seq], "./objs/nginx/html/live/livestream-" + std::to_string(seq) + ".ts");
    }
    EXPECT_EQ(r.segmenter.next_seq(), 15u);
}

TEST(HlsSegmenter, CleanupOffKeepsFilesThatLeaveTheWindow) {
    HlsSettings settings = settings_2s();
    settings.window_ms = 4'000;
    settings.cleanup = false;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(500, 50));
    EXPECT_TRUE(r.deleted.empty());
    EXPECT_EQ(r.segmenter.playlist().size(), 3u);
}

TEST(HlsSegmenter, ExactPlaylistAndPaths) {
    Recorder r(settings_2s());
    r.publish();
    r.feed_all(video_frames(150, 50));  // 0 .. 5960
    const HlsOpenSegment* open = r.segmenter.current_segment();
    ASSERT_NE(open, nullptr);
    EXPECT_EQ(open->seq, 2u);
    EXPECT_EQ(open->temp_path, "./objs/nginx/html/live/livestream-2.ts.tmp");
    r.unpublish();

    EXPECT_EQ(r.segmenter.playlist_path(), "./objs/nginx/html/live/livestream.m3u8");
    EXPECT_EQ(r.segmenter.playlist_url(), "live/livestream.m3u8");
    ASSERT_EQ(r.closed.size(), 3u);
    EXPECT_EQ(r.closed[0].temp_path, "./objs/nginx/html/live/livestream-0.ts.tmp");
    EXPECT_EQ(r.closed[0].final_path, "./objs/nginx/html/live/livestream-0.ts");
    EXPECT_EQ(r.closed[0].uri, "livestream-0.ts");
    EXPECT_EQ(r.segmenter.playlist_text(),
              "#EXTM3U\n"
              "#EXT-X-VERSION:3\n"
              "#EXT-X-MEDIA-SEQUENCE:0\n"
              "#EXT-X-TARGETDURATION:2\n"
              "#EXTINF:2.000, no desc\n"
              "livestream-0.ts\n"
              "#EXTINF:2.000, no desc\n"
              "livestream-1.ts\n"
              "#EXTINF:1.960, no desc\n"
              "livestream-2.ts\n");
    EXPECT_EQ(r.playlists.back(), r.segmenter.playlist_text());
}

TEST(HlsSegmenter, TinySegmentAtUnpublishIsDroppedAndItsSeqReused) {
    Recorder r(settings_2s());
    r.publish();
    r.feed_all({video(0, true), video(40, false)});
    r.unpublish();
    ASSERT_EQ(r.closed.size(), 1u);
    EXPECT_FALSE(r.closed[0].kept);  // 40 ms < 100 ms (SRS_HLS_SEGMENT_MIN_DURATION)
    EXPECT_TRUE(r.playlists.empty());
    EXPECT_EQ(r.segmenter.next_seq(), 0u);
    EXPECT_EQ(r.segmenter.playlist_text(), "");
}

// --- publish, republish, frame routing -------------------------------------------------------------

TEST(HlsSegmenter, RepublishContinuesTheSequenceWithADiscontinuity) {
    Recorder r(settings_2s());
    r.publish();
    r.feed(video_header(), kWallClockBase_ms);
    r.feed(audio_header(), kWallClockBase_ms);
    r.feed_all(video_frames(100, 50));  // seq 0 (2 s) and seq 1 (1.96 s)
    r.unpublish();
    ASSERT_EQ(r.closed.size(), 2u);
    EXPECT_FALSE(r.closed[0].discontinuity);  // the first publish's start is not a discontinuity

    // The encoder comes back; its timestamps start at 0 again.
    const std::int64_t later_ms = kWallClockBase_ms + 60'000;
    r.publish(later_ms);
    r.feed(video_header(), later_ms);
    r.feed(audio_header(), later_ms);
    r.feed_all(video_frames(100, 50), later_ms);
    r.unpublish();
    ASSERT_EQ(r.closed.size(), 4u);
    EXPECT_EQ(r.closed[2].seq, 2u);
    EXPECT_TRUE(r.closed[2].discontinuity);
    EXPECT_FALSE(r.closed[3].discontinuity);
    const std::string text = r.segmenter.playlist_text();
    EXPECT_NE(text.find("livestream-1.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\nlivestream-2.ts\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("#EXT-X-DISCONTINUITY"), text.rfind("#EXT-X-DISCONTINUITY"));  // only once
}

TEST(HlsSegmenter, CodecChangeMidPublishMarksTheCurrentSegment) {
    Recorder r(settings_2s());
    r.publish();
    r.feed(video_header(), kWallClockBase_ms);
    r.feed_all(video_frames(30, 50));  // 0 .. 1160
    const HlsDecision decision = r.feed(video_header(1'200), kWallClockBase_ms + 1'200);
    EXPECT_TRUE(decision.write_frame);  // the muxer needs the new codec configuration
    EXPECT_FALSE(decision.open_segment);
    const HlsOpenSegment* marked = r.segmenter.current_segment();
    ASSERT_NE(marked, nullptr);
    EXPECT_TRUE(marked->discontinuity);
    r.feed_all(video_frames(75, 50, 1'200));
    ASSERT_EQ(r.closed.size(), 1u);
    EXPECT_TRUE(r.closed[0].discontinuity);
    const HlsOpenSegment* next = r.segmenter.current_segment();
    ASSERT_NE(next, nullptr);
    EXPECT_FALSE(next->discontinuity);
}

TEST(HlsSegmenter, RoutesFramesByKindAndState) {
    HlsSegmenter segmenter(settings_2s());
    // Not published yet: nothing.
    HlsDecision decision = segmenter.on_frame(video(0, true), kWallClockBase_ms);
    EXPECT_FALSE(decision.write_frame || decision.open_segment || decision.close_segment);

    ASSERT_TRUE(segmenter.on_publish({"__defaultVhost__", "live", "livestream"}, kWallClockBase_ms).has_value());
    // Script data is not part of HLS.
    decision = segmenter.on_frame({FrameKind::data, false, false, 0}, kWallClockBase_ms);
    EXPECT_FALSE(decision.write_frame || decision.open_segment);
    // A sequence header goes to the muxer but opens nothing.
    decision = segmenter.on_frame(audio_header(), kWallClockBase_ms);
    EXPECT_TRUE(decision.write_frame);
    EXPECT_FALSE(decision.open_segment);
    EXPECT_EQ(segmenter.current_segment(), nullptr);
    // The first media frame opens the first segment.
    decision = segmenter.on_frame(audio(0), kWallClockBase_ms);
    EXPECT_TRUE(decision.write_frame && decision.open_segment);
    EXPECT_FALSE(decision.close_segment || decision.playlist_changed);

    // A second on_publish while publishing changes nothing (SRS "support multiple publish").
    ASSERT_TRUE(segmenter.on_publish({"__defaultVhost__", "live", "other"}, kWallClockBase_ms).has_value());
    EXPECT_EQ(segmenter.playlist_url(), "live/livestream.m3u8");
    const HlsOpenSegment* open = segmenter.current_segment();
    ASSERT_NE(open, nullptr);
    EXPECT_EQ(open->seq, 0u);

    decision = segmenter.on_unpublish();
    EXPECT_TRUE(decision.close_segment);
    decision = segmenter.on_unpublish();  // twice: nothing more
    EXPECT_FALSE(decision.close_segment);
    decision = segmenter.on_frame(audio(40), kWallClockBase_ms);
    EXPECT_FALSE(decision.write_frame);
}

TEST(HlsSegmenter, RejectsUnusableSettings) {
    HlsSettings settings = settings_2s();
    settings.fragment_ms = 0;
    HlsSegmenter segmenter(settings);
    const core::Status status = segmenter.on_publish({"v", "live", "s"}, kWallClockBase_ms);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code, core::Errc::invalid);
    EXPECT_FALSE(segmenter.publishing());
    EXPECT_FALSE(segmenter.on_frame(video(0, true), kWallClockBase_ms).write_frame);

    settings = settings_2s();
    settings.aof_ratio = 0;
    EXPECT_FALSE(validate_hls_settings(settings).has_value());
    settings = settings_2s();
    settings.td_ratio = -1;
    EXPECT_FALSE(validate_hls_settings(settings).has_value());
    settings = settings_2s();
    settings.ts_file.clear();
    EXPECT_FALSE(validate_hls_settings(settings).has_value());
    EXPECT_TRUE(validate_hls_settings(settings_2s()).has_value());
}

// --- dispose ----------------------------------------------------------------------------------------

TEST(HlsSegmenter, DisposeRemovesEverythingAfterTheTimeout) {
    HlsSettings settings = settings_2s();
    settings.dispose_ms = 120'000;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(150, 50));
    r.unpublish();
    const std::int64_t last_frame_ms = kWallClockBase_ms + 5'960;
    ASSERT_EQ(r.segmenter.playlist().size(), 3u);

    r.absorb(r.segmenter.on_tick(last_frame_ms + 120'000));  // not more than the timeout yet
    EXPECT_TRUE(r.deleted.empty());
    const HlsDecision decision = r.segmenter.on_tick(last_frame_ms + 120'001);
    EXPECT_TRUE(decision.files_to_delete);
    EXPECT_FALSE(decision.close_segment);
    r.absorb(decision);
    EXPECT_EQ(r.deleted, (std::vector<std::string>{"./objs/nginx/html/live/livestream-0.ts",
                                                   "./objs/nginx/html/live/livestream-1.ts",
                                                   "./objs/nginx/html/live/livestream-2.ts",
                                                   "./objs/nginx/html/live/livestream.m3u8"}));
    EXPECT_TRUE(r.segmenter.playlist().empty());
    // Once only.
    EXPECT_FALSE(r.segmenter.on_tick(last_frame_ms + 500'000).files_to_delete);
    EXPECT_EQ(r.segmenter.next_seq(), 3u);  // the sequence goes on
}

TEST(HlsSegmenter, DisposeZeroNeverDisposes) {
    HlsSettings settings = settings_2s();
    settings.dispose_ms = 0;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(150, 50));
    r.unpublish();
    EXPECT_FALSE(r.segmenter.on_tick(kWallClockBase_ms + 10'000'000).files_to_delete);
}

TEST(HlsSegmenter, StalledPublisherIsDisposedAndIgnoredUntilItPublishesAgain) {
    HlsSettings settings = settings_2s();
    settings.dispose_ms = 10'000;
    Recorder r(settings);
    r.publish();
    r.feed_all(video_frames(120, 50));  // 0 .. 4760; seq 2 is open
    const HlsDecision decision = r.segmenter.on_tick(kWallClockBase_ms + 4'760 + 10'001);
    r.absorb(decision);
    ASSERT_TRUE(decision.close_segment);
    EXPECT_FALSE(r.closed.back().kept);  // delete its temp file
    EXPECT_EQ(r.closed.back().temp_path, "./objs/nginx/html/live/livestream-2.ts.tmp");
    EXPECT_EQ(r.deleted.size(), 3u);  // seq 0, 1 and the m3u8
    EXPECT_FALSE(r.segmenter.publishing());
    // The publisher wakes up: SRS has turned HLS off for this publish.
    EXPECT_FALSE(r.segmenter.on_frame(video(4'800, false), kWallClockBase_ms + 20'000).write_frame);
    r.unpublish();
    EXPECT_EQ(r.closed.size(), 3u);

    r.publish(kWallClockBase_ms + 30'000);
    r.feed_all(video_frames(60, 50), kWallClockBase_ms + 30'000);
    EXPECT_EQ(r.closed.back().seq, 3u);
    EXPECT_TRUE(r.closed.back().discontinuity);
}

// --- names and paths --------------------------------------------------------------------------------

TEST(HlsTemplate, ExpandsStreamSeqDurationAndDateVariables) {
    HlsTemplateValues values;
    values.vhost = "__defaultVhost__";
    values.app = "live";
    values.stream = "cam1";
    values.seq = 42;
    values.time = hls_calendar_time(kReferenceTime_ms, /*utc=*/true);
    values.duration_ms = 2'005;
    EXPECT_EQ(expand_hls_template("[vhost]/[app]/[stream]-[seq].ts", values), "__defaultVhost__/live/cam1-42.ts");
    EXPECT_EQ(expand_hls_template("[app]/[2006]/[01]/[02]/[stream]-[15][04][05]-[999].ts", values),
              "live/2006/01/02/cam1-150405-999.ts");
    EXPECT_EQ(expand_hls_template("[stream]-[timestamp]-[duration].ts", values), "cam1-1136214245999-2005.ts");
    values.timestamp_override = 568107122;  // hls_ts_floor's piece number
    EXPECT_EQ(expand_hls_template("[stream]-[timestamp].ts", values), "cam1-568107122.ts");
}

TEST(HlsTemplate, KeepsUnknownAndMissingVariables) {
    HlsTemplateValues values;
    values.app = "live";
    values.stream = "s";
    EXPECT_EQ(expand_hls_template("[app]/[stream]-[seq]-[foo]-[2006].ts", values), "live/s-[seq]-[foo]-[2006].ts");
    values.seq = 7;
    EXPECT_EQ(expand_hls_template("[[seq]] [seq", values), "[7] [seq");
    EXPECT_EQ(expand_hls_template("", values), "");
}

TEST(HlsTemplate, InsertedValuesAreNotExpandedAgain) {
    HlsTemplateValues values;
    values.app = "live";
    values.stream = "[seq][app]";
    values.seq = 3;
    EXPECT_EQ(expand_hls_template("[app]/[stream]-[seq].ts", values), "live/[seq][app]-3.ts");
}

TEST(HlsTemplate, CalendarTimeFieldsInUtc) {
    const HlsCalendarTime time = hls_calendar_time(kReferenceTime_ms, /*utc=*/true);
    EXPECT_EQ(time.year, 2006);
    EXPECT_EQ(time.month, 1);
    EXPECT_EQ(time.day, 2);
    EXPECT_EQ(time.hour, 15);
    EXPECT_EQ(time.minute, 4);
    EXPECT_EQ(time.second, 5);
    EXPECT_EQ(time.millisecond, 999);
    EXPECT_EQ(time.unix_ms, kReferenceTime_ms);
}

TEST(HlsSegmenter, SegmentNamesUseTheWallClockAndTheFinalDuration) {
    HlsSettings settings = settings_2s();
    settings.utc_time = true;
    settings.ts_file = "[app]/[2006][01][02]/[stream]-[15][04][05][999]-[seq]-[duration].ts";
    Recorder r(settings);
    r.publish(kReferenceTime_ms);
    r.feed_all(video_frames(100, 50), kReferenceTime_ms);
    EXPECT_EQ(r.closed[0].temp_path, "./objs/nginx/html/live/20060102/livestream-150405999-0-[duration].ts.tmp");
    EXPECT_EQ(r.closed[0].final_path, "./objs/nginx/html/live/20060102/livestream-150405999-0-2000.ts");
    EXPECT_EQ(r.closed[0].uri, "20060102/livestream-150405999-0-2000.ts");
    // The second segment opened by the keyframe at 2 s of wall clock later.
    const HlsOpenSegment* second = r.segmenter.current_segment();
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(second->temp_path,
              "./objs/nginx/html/live/20060102/livestream-150407999-1-[duration].ts.tmp");
}

TEST(HlsSegmenter, EntryPrefixAsSrs) {
    HlsSettings settings = settings_2s();
    settings.entry_prefix = "http://your-server";
    Recorder without_slash(settings);
    without_slash.publish();
    without_slash.feed_all(video_frames(60, 50));
    // No trailing '/': SRS adds '/' and the m3u8's directory.
    EXPECT_EQ(without_slash.closed.at(0).uri, "http://your-server/live/livestream-0.ts");

    settings.entry_prefix = "http://cdn.example/hls/live/";
    Recorder with_slash(settings);
    with_slash.publish();
    with_slash.feed_all(video_frames(60, 50));
    // A trailing '/': SRS appends the segment name alone.
    EXPECT_EQ(with_slash.closed.at(0).uri, "http://cdn.example/hls/live/livestream-0.ts");
}

TEST(HlsSegmenter, SegmentUriIsRelativeToThePlaylistDirectory) {
    HlsSettings settings = settings_2s();
    settings.path_root = "/var/hls/";
    settings.ts_file = "[app]/ts/[stream]-[seq].ts";
    Recorder below(settings);
    below.publish();
    below.feed_all(video_frames(60, 50));
    EXPECT_EQ(below.closed.at(0).final_path, "/var/hls/live/ts/livestream-0.ts");
    EXPECT_EQ(below.closed.at(0).uri, "ts/livestream-0.ts");
    EXPECT_EQ(below.segmenter.playlist_path(), "/var/hls/live/livestream.m3u8");

    settings.ts_file = "segments/[app]2/[stream]-[seq].ts";
    settings.m3u8_file = "[app]/index/[stream].m3u8";
    Recorder beside(settings);
    beside.publish();
    beside.feed_all(video_frames(60, 50));
    EXPECT_EQ(beside.closed.at(0).uri, "../../segments/live2/livestream-0.ts");

    settings.m3u8_file = "[stream].m3u8";  // at the root
    Recorder root(settings);
    root.publish();
    root.feed_all(video_frames(60, 50));
    EXPECT_EQ(root.closed.at(0).uri, "segments/live2/livestream-0.ts");
    EXPECT_EQ(root.segmenter.playlist_path(), "/var/hls/livestream.m3u8");
}

TEST(HlsSegmenter, StreamNamesThatWouldLeaveHlsPathAreRejected) {
    // Rejected, not sanitized: a sanitized name would not be where a player asks for it
    // (/live/../../etc/passwd.m3u8) and could collide with another stream's files.
    for (const char* stream : {"../../etc/passwd", "..", "a/../../b", "x/../.."}) {
        HlsSettings settings = settings_2s();
        settings.m3u8_file = "[app]/[stream]/index.m3u8";
        HlsSegmenter segmenter(settings);
        const core::Status status = segmenter.on_publish({"__defaultVhost__", "live", stream}, kWallClockBase_ms);
        ASSERT_FALSE(status.has_value()) << stream;
        EXPECT_EQ(status.error().code, core::Errc::invalid);
        EXPECT_FALSE(segmenter.publishing());
        EXPECT_FALSE(segmenter.on_frame(video(0, true), kWallClockBase_ms).write_frame);
        EXPECT_EQ(segmenter.current_segment(), nullptr);
    }
    // The ts template is checked too, and the app name as well as the stream name.
    HlsSegmenter by_app(settings_2s());
    EXPECT_FALSE(by_app.on_publish({"__defaultVhost__", "../..", "s"}, kWallClockBase_ms).has_value());
    // A control character would inject a line into the m3u8.
    HlsSegmenter by_newline(settings_2s());
    EXPECT_FALSE(by_newline.on_publish({"__defaultVhost__", "live", "a\n#EXT-X-ENDLIST"}, kWallClockBase_ms).has_value());
    // A name that only looks odd stays inside and is accepted.
    HlsSegmenter dots(settings_2s());
    EXPECT_TRUE(dots.on_publish({"__defaultVhost__", "live", "..."}, kWallClockBase_ms).has_value());
    EXPECT_EQ(dots.playlist_path(), "./objs/nginx/html/live/....m3u8");
}

TEST(HlsSegmenter, PathsStayUnderTheRootWhateverTheSlashes) {
    HlsSettings settings = settings_2s();
    settings.m3u8_file = "/[app]//./[stream].m3u8";
    settings.ts_file = "//[app]/./[stream]-[seq].ts";
    Recorder r(settings);
    r.publish(kWallClockBase_ms, "/abs");
    r.feed_all(video_frames(60, 50));
    EXPECT_EQ(r.segmenter.playlist_path(), "./objs/nginx/html/live/abs.m3u8");
    EXPECT_EQ(r.closed.at(0).final_path, "./objs/nginx/html/live/abs-0.ts");
}

TEST(HlsSegmenter, UriIsPercentEncodedButThePathIsNot) {
    Recorder r(settings_2s());
    r.publish(kWallClockBase_ms, "my cam#1:a?b%");
    r.feed_all(video_frames(60, 50));
    EXPECT_EQ(r.closed.at(0).final_path, "./objs/nginx/html/live/my cam#1:a?b%-0.ts");
    EXPECT_EQ(r.closed.at(0).uri, "my%20cam%231%3Aa%3Fb%25-0.ts");
}

TEST(HlsSegmenter, TsFloorNamesSegmentsByPieceAndShiftsTheCut) {
    // hls_ts_floor: [timestamp] = floor(now / fragment), starting one behind and advancing by one
    // per segment; deviation -1 lowers the cut point by 0.3 * fragment = 600 ms.
    HlsSettings settings = settings_2s();
    settings.ts_floor = true;
    settings.ts_file = "[app]/[stream]-[timestamp].ts";
    Recorder r(settings);
    const std::int64_t start_ms = 1'000'000'000;  // piece 500000 exactly
    r.publish(start_ms);
    r.feed_all(video_frames(250, 25), start_ms);  // 1 s GOP, 10 s
    EXPECT_EQ(r.closed.at(0).final_path, "./objs/nginx/html/live/livestream-499999.ts");
    EXPECT_EQ(r.closed.at(1).final_path, "./objs/nginx/html/live/livestream-500000.ts");
    EXPECT_EQ(r.segmenter.floor_deviation(), -1);
    // Cut at the first keyframe at or past 2000 - 600 = 1400 ms: every 2 s keyframe.
    EXPECT_EQ(r.opened_at, every(2'000, 8'000));

    HlsSettings off = settings_2s();
    EXPECT_EQ(HlsSegmenter(off).floor_deviation(), 0);
}

// --- abandon_segment (hls_on_error) ---------------------------------------------------------------

TEST(HlsSegmenter, AbandonedSegmentIsNotKeptAndTheNextStartsWithADiscontinuity) {
    Recorder r(settings_2s());
    r.publish();
    const std::vector<HlsFrame> frames = video_frames(250, 50);  // 0 .. 9960, keyframes every 2 s
    for (const HlsFrame& frame : frames) {
        if (frame.timestamp_ms == 2'040) {
            r.segmenter.abandon_segment();  // segment 1 (2000 .. 4000) is dropped
            const HlsOpenSegment* current = r.segmenter.current_segment();
            EXPECT_TRUE(current != nullptr && current->abandoned);
        }
        r.feed(frame, kWallClockBase_ms + frame.timestamp_ms);
    }
    EXPECT_EQ(r.opened_at, every(2'000, 8'000)) << "cut points are unchanged";
    ASSERT_GE(r.closed.size(), 3u);
    EXPECT_TRUE(r.closed[0].kept);
    EXPECT_EQ(r.closed[1].seq, 1u);
    EXPECT_FALSE(r.closed[1].kept);
    EXPECT_TRUE(r.closed[2].kept);
    EXPECT_EQ(r.closed[2].seq, 1u) << "the dropped segment's number goes to the next one";
    EXPECT_TRUE(r.closed[2].discontinuity);
    EXPECT_EQ(r.closed[3].seq, 2u);
    const std::string& text = r.playlists.back();
    EXPECT_NE(text.find("#EXT-X-MEDIA-SEQUENCE:0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("livestream-0.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\nlivestream-1.ts\n"
                        "#EXTINF:2.000, no desc\nlivestream-2.ts"),
              std::string::npos)
        << text;
    EXPECT_EQ(r.playlists.size(), 3u) << "closing the dropped segment does not rewrite the playlist";
}

}  // namespace
}  // namespace ringcast::media
