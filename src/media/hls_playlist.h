#pragma once
// The HLS media playlist (RFC 8216 section 4.3) of a live stream, as SRS writes it: the list of
// finished segments in the sliding window, the window trimming, and the m3u8 text. Pure logic:
// no files, no clock. HlsSegmenter (hls_segmenter.h) decides when segments start and end and
// feeds this list; the integrator writes the text and deletes the files it is told to.
//
// The text is SRS's (srs_app_hls.cpp SrsHlsMuxer::do_refresh_m3u8, SRS 7), byte for byte:
//
//   #EXTM3U
//   #EXT-X-VERSION:3
//   #EXT-X-MEDIA-SEQUENCE:<seq of the first segment in the window>
//   #EXT-X-TARGETDURATION:<ceil(max(longest segment, hls_fragment * hls_td_ratio)) seconds>
//   #EXT-X-DISCONTINUITY            (before a segment marked discontinuous)
//   #EXTINF:<seconds, 3 decimals>, no desc
//   <uri>
//   ...
//
// LF line ends, no EXT-X-ENDLIST (SRS never ends a live playlist, not even on unpublish), and
// nothing at all for an empty window (SRS writes no m3u8 until a segment exists).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace ringcast::media {

/// One finished segment as the playlist lists it.
struct HlsSegment {
    std::uint64_t seq = 0;          // EXT-X-MEDIA-SEQUENCE number
    std::int64_t duration_ms = 0;   // EXTINF, from its first frame to the next segment's first frame
    std::string uri;                // the playlist line (hls_entry_prefix + path relative to the m3u8)
    std::string path;               // the file on disk (hls_path + hls_ts_file), what cleanup deletes
    bool discontinuity = false;     // EXT-X-DISCONTINUITY before it (republish, codec change)
};

/// The sliding window of finished segments, oldest first.
///
/// Owned by one HlsSegmenter on the stream's owner shard; not thread-safe. Bounded twice: by
/// duration (trim(window_ms), SRS's rule) and by count (segments_max, ours: SRS has no bound,
/// and a huge hls_window with tiny segments would otherwise grow it without limit).
class HlsPlaylist {
public:
    /// Enough for hls_window 86400 with 2 s segments, with room to spare.
    static constexpr std::size_t kSegmentsMaxDefault = 65536;

    explicit HlsPlaylist(std::size_t segments_max = kSegmentsMaxDefault)
        : segments_max_(segments_max == 0 ? 1 : segments_max) {}

    /// Takes effect at the next trim().
    void set_segments_max(std::size_t segments_max) { segments_max_ = segments_max == 0 ? 1 : segments_max; }

    /// Adds a finished segment at the end. Call trim() after it, as SRS shrinks after every
    /// segment close.
    void append(HlsSegment segment) { segments_.push_back(std::move(segment)); }

    /// SRS SrsFragmentWindow::shrink: walking from the newest segment back, the first segment at
    /// which the summed duration exceeds window_ms is the oldest one kept; everything older
    /// leaves. So the window holds a little more than window_ms (up to one segment more): with
    /// 2 s segments and hls_window 10 it lists 6 segments, 12 s. Then, ours, the oldest leave
    /// while more than segments_max remain. Returns what left, oldest first, so the caller can
    /// delete their files (hls_cleanup).
    std::vector<HlsSegment> trim(std::int64_t window_ms);

    /// Empties the window (hls_dispose) and returns every segment that was in it.
    std::vector<HlsSegment> take_all();

    /// The m3u8 text (see the top of this file); empty when the window is. Target duration is
    /// never below target_duration_min_ms: SRS passes hls_fragment * hls_td_ratio (its max_td)
    /// so the value starts at the configured size instead of following the first short segment.
    [[nodiscard]] std::string render(std::int64_t target_duration_min_ms) const;

    /// ceil(max(longest segment, target_duration_min_ms) / 1000): EXT-X-TARGETDURATION.
    [[nodiscard]] std::int64_t target_duration_s(std::int64_t target_duration_min_ms) const;
    /// The longest EXTINF in the window, 0 when empty.
    [[nodiscard]] std::int64_t max_duration_ms() const;
    /// Sum of the EXTINFs in the window.
    [[nodiscard]] std::int64_t total_duration_ms() const;

    [[nodiscard]] bool empty() const { return segments_.empty(); }
    [[nodiscard]] std::size_t size() const { return segments_.size(); }
    [[nodiscard]] std::size_t segments_max() const { return segments_max_; }
    [[nodiscard]] const HlsSegment& at(std::size_t index) const { return segments_.at(index); }
    [[nodiscard]] const HlsSegment& front() const { return segments_.front(); }
    [[nodiscard]] const HlsSegment& back() const { return segments_.back(); }
    [[nodiscard]] auto begin() const { return segments_.begin(); }
    [[nodiscard]] auto end() const { return segments_.end(); }

private:
    std::deque<HlsSegment> segments_;
    std::size_t segments_max_;
};

}  // namespace ringcast::media
