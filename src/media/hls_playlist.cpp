// HLS media playlist: SRS 7 srs_app_fragment.cpp (SrsFragmentWindow) and srs_app_hls.cpp
// (SrsHlsMuxer::do_refresh_m3u8, do_refresh_m3u8_segment), paraphrased. RFC 8216 section 4.3.
#include "media/hls_playlist.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace ringcast::media {

std::vector<HlsSegment> HlsPlaylist::trim(std::int64_t window_ms) {
    // SRS: sum from the newest; remove everything before the index where the sum first exceeds
    // the window. The segment that crosses the window stays.
    std::size_t remove_count = 0;
    std::int64_t summed_ms = 0;
    for (std::size_t i = segments_.size(); i-- > 0;) {
        summed_ms += segments_[i].duration_ms;
        if (summed_ms > window_ms) {
            remove_count = i;
            break;
        }
    }
    remove_count = std::max(remove_count, segments_.size() > segments_max_ ? segments_.size() - segments_max_ : 0);

    std::vector<HlsSegment> removed;
    removed.reserve(remove_count);
    for (std::size_t i = 0; i < remove_count; ++i) {
        removed.push_back(std::move(segments_.front()));
        segments_.pop_front();
    }
    return removed;
}

std::vector<HlsSegment> HlsPlaylist::take_all() {
    std::vector<HlsSegment> all(std::make_move_iterator(segments_.begin()), std::make_move_iterator(segments_.end()));
    segments_.clear();
    return all;
}

std::int64_t HlsPlaylist::max_duration_ms() const {
    std::int64_t longest_ms = 0;
    for (const HlsSegment& segment : segments_) {
        longest_ms = std::max(longest_ms, segment.duration_ms);
    }
    return longest_ms;
}

std::int64_t HlsPlaylist::total_duration_ms() const {
    std::int64_t total_ms = 0;
    for (const HlsSegment& segment : segments_) {
        total_ms += segment.duration_ms;
    }
    return total_ms;
}

std::int64_t HlsPlaylist::target_duration_s(std::int64_t target_duration_min_ms) const {
    // SRS: ceil(srsu2msi(max(max_duration, max_td)) / 1000.0), i.e. ceil over whole ms.
    const std::int64_t longest_ms = std::max<std::int64_t>(std::max(max_duration_ms(), target_duration_min_ms), 0);
    return (longest_ms + 999) / 1000;
}

std::string HlsPlaylist::render(std::int64_t target_duration_min_ms) const {
    if (segments_.empty()) {
        return {};
    }
    fmt::memory_buffer text;
    auto out = std::back_inserter(text);
    // SRS 7 dropped EXT-X-ALLOW-CACHE (deprecated since protocol version 7); version stays 3
    // because EXTINF carries decimals (RFC 8216 section 7: floating EXTINF needs version 3).
    fmt::format_to(out, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:{}\n#EXT-X-TARGETDURATION:{}\n",
                   segments_.front().seq, target_duration_s(target_duration_min_ms));
    for (const HlsSegment& segment : segments_) {
        if (segment.discontinuity) {
            fmt::format_to(out, "#EXT-X-DISCONTINUITY\n");
        }
        // SRS prints duration_ms / 1000.0 with precision 3 and the title " no desc"; integer
        // arithmetic gives the same digits without floating-point rounding.
        const std::int64_t duration_ms = std::max<std::int64_t>(segment.duration_ms, 0);
        fmt::format_to(out, "#EXTINF:{}.{:03}, no desc\n{}\n", duration_ms / 1000, duration_ms % 1000, segment.uri);
    }
    return fmt::to_string(text);
}

}  // namespace ringcast::media
