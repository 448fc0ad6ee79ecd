#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "media/hls_playlist.h"

namespace ringcast::media {
namespace {

HlsSegment segment(std::uint64_t seq, std::int64_t duration_ms, bool discontinuity = false) {
    return {seq, duration_ms, "livestream-" + std::to_string(seq) + ".ts",
            "./objs/nginx/html/live/livestream-" + std::to_string(seq) + ".ts", discontinuity};
}

std::vector<std::uint64_t> seqs_of(const HlsPlaylist& playlist) {
    std::vector<std::uint64_t> seqs;
    for (const HlsSegment& s : playlist) {
        seqs.push_back(s.seq);
    }
    return seqs;
}

TEST(HlsPlaylist, EmptyWindowRendersNothing) {
    // SRS refresh_m3u8 returns before writing anything while there is no segment.
    HlsPlaylist playlist;
    EXPECT_EQ(playlist.render(10'000), "");
    EXPECT_TRUE(playlist.empty());
}

TEST(HlsPlaylist, RendersSrsText) {
    HlsPlaylist playlist;
    playlist.append(segment(7, 10'005));
    playlist.append(segment(8, 9'960, true));
    playlist.append(segment(9, 40));
    EXPECT_EQ(playlist.render(10'000),
              "#EXTM3U\n"
              "#EXT-X-VERSION:3\n"
              "#EXT-X-MEDIA-SEQUENCE:7\n"
              "#EXT-X-TARGETDURATION:11\n"
              "#EXTINF:10.005, no desc\n"
              "livestream-7.ts\n"
              "#EXT-X-DISCONTINUITY\n"
              "#EXTINF:9.960, no desc\n"
              "livestream-8.ts\n"
              "#EXTINF:0.040, no desc\n"
              "livestream-9.ts\n");
}

TEST(HlsPlaylist, TargetDurationIsCeilOfLongestButNotBelowTheMinimum) {
    HlsPlaylist playlist;
    playlist.append(segment(0, 2'000));
    EXPECT_EQ(playlist.target_duration_s(0), 2);
    EXPECT_EQ(playlist.target_duration_s(2'000), 2);
    // hls_fragment 2 * hls_td_ratio 1.5: SRS's max_td floor.
    EXPECT_EQ(playlist.target_duration_s(3'000), 3);
    playlist.append(segment(1, 2'001));
    EXPECT_EQ(playlist.target_duration_s(2'000), 3);
    EXPECT_EQ(playlist.max_duration_ms(), 2'001);
    EXPECT_EQ(playlist.total_duration_ms(), 4'001);
}

TEST(HlsPlaylist, TrimKeepsTheSegmentThatCrossesTheWindow) {
    // SrsFragmentWindow::shrink: 2 s segments, window 10 s -> sums from the newest are
    // 2, 4, 6, 8, 10, 12: the sixth newest is the first to exceed 10 and it is kept.
    HlsPlaylist playlist;
    for (std::uint64_t seq = 0; seq < 9; ++seq) {
        playlist.append(segment(seq, 2'000));
    }
    const std::vector<HlsSegment> removed = playlist.trim(10'000);
    ASSERT_EQ(removed.size(), 3u);
    EXPECT_EQ(removed[0].seq, 0u);
    EXPECT_EQ(removed[2].seq, 2u);
    EXPECT_EQ(removed[0].path, "./objs/nginx/html/live/livestream-0.ts");
    EXPECT_EQ(seqs_of(playlist), (std::vector<std::uint64_t>{3, 4, 5, 6, 7, 8}));
    EXPECT_TRUE(playlist.trim(10'000).empty());
}

TEST(HlsPlaylist, TrimLeavesAShortWindowAlone) {
    HlsPlaylist playlist;
    for (std::uint64_t seq = 0; seq < 5; ++seq) {
        playlist.append(segment(seq, 2'000));
    }
    // Sum is exactly 10 s: not more than the window, nothing leaves.
    EXPECT_TRUE(playlist.trim(10'000).empty());
    EXPECT_EQ(playlist.size(), 5u);
}

TEST(HlsPlaylist, ZeroWindowKeepsOnlyTheNewest) {
    HlsPlaylist playlist;
    playlist.append(segment(0, 2'000));
    playlist.append(segment(1, 2'000));
    EXPECT_EQ(playlist.trim(0).size(), 1u);
    EXPECT_EQ(seqs_of(playlist), (std::vector<std::uint64_t>{1}));
}

TEST(HlsPlaylist, CountBoundAppliesOnTopOfTheWindow) {
    HlsPlaylist playlist(3);
    for (std::uint64_t seq = 0; seq < 5; ++seq) {
        playlist.append(segment(seq, 100));
    }
    const std::vector<HlsSegment> removed = playlist.trim(60'000);
    EXPECT_EQ(removed.size(), 2u);
    EXPECT_EQ(seqs_of(playlist), (std::vector<std::uint64_t>{2, 3, 4}));
    EXPECT_EQ(playlist.render(0).find("#EXT-X-MEDIA-SEQUENCE:2\n") != std::string::npos, true);
}

TEST(HlsPlaylist, TakeAllEmptiesTheWindow) {
    HlsPlaylist playlist;
    playlist.append(segment(4, 2'000));
    playlist.append(segment(5, 2'000));
    const std::vector<HlsSegment> all = playlist.take_all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1].seq, 5u);
    EXPECT_TRUE(playlist.empty());
    EXPECT_EQ(playlist.render(2'000), "");
}

}  // namespace
}  // namespace ringcast::media
