#include "load/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace ringcast::load {

void LatencyHistogram::add(double ms) {
    // A stamp a few microseconds in the future (the clocks are the same, the reads are not
    // ordered across processes) counts as zero.
    double clamped = std::max(ms, 0.0);
    auto bucket = static_cast<std::size_t>(clamped / kBucketMs);
    buckets_[std::min(bucket, kBuckets - 1)] += 1;
    ++count_;
    max_ = std::max(max_, clamped);
}

void LatencyHistogram::reset() {
    std::fill(buckets_.begin(), buckets_.end(), 0);
    count_ = 0;
    max_ = 0;
}

double LatencyHistogram::percentile(double q) const {
    if (count_ == 0) {
        return 0;
    }
    // Nearest rank: the smallest bucket with at least ceil(q * count) samples at or below it.
    auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
    rank = std::max<std::uint64_t>(rank, 1);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += buckets_[i];
        if (seen >= rank) {
            return std::min((static_cast<double>(i) + 0.5) * kBucketMs, max_);
        }
    }
    return max_;
}

double percentile_of(std::vector<double>& values, double q) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    auto rank = static_cast<std::size_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

void RunStats::add_error(std::string text) {
    ++error_count;
    if (errors.size() < kErrorsKept) {
        errors.push_back(std::move(text));
    }
}

namespace {

void append_json_string(fmt::memory_buffer& out, std::string_view text) {
    out.push_back('"');
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (byte < 0x20) {
            fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(byte));
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

// Three decimals: microsecond resolution is all the clocks give us, and it keeps the JSON short.
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

std::string report_json(const Report& r) {
    fmt::memory_buffer out;
    auto it = std::back_inserter(out);
    fmt::format_to(it, "{{\"players\": {}, \"connected\": {}, \"failed\": {}, \"duration_s\": {}, \"bytes\": {}, ",
                   r.players, r.connected, r.failed, round3(r.duration_s), r.bytes);
    fmt::format_to(it, "\"video_frames\": {}, \"audio_frames\": {}, \"mbps\": {}, ", r.video_frames, r.audio_frames,
                   round3(r.mbps));
    fmt::format_to(it, "\"startup_ms\": {{\"p50\": {}, \"p95\": {}, \"max\": {}}}, ", round3(r.startup_p50_ms),
                   round3(r.startup_p95_ms), round3(r.startup_max_ms));
    fmt::format_to(it, "\"setup_ms\": {{\"p50\": {}, \"p95\": {}}}, ", round3(r.setup_p50_ms), round3(r.setup_p95_ms));
    fmt::format_to(it, "\"latency_ms\": {{\"p50\": {}, \"p99\": {}, \"max\": {}}}, ", round3(r.latency_p50_ms),
                   round3(r.latency_p99_ms), round3(r.latency_max_ms));
    fmt::format_to(it, "\"players_lagging_500ms\": {}, \"lag_bound_ms\": {}, \"players_lagging\": {}, ",
                   r.players_lagging_500ms, round3(r.lag_bound_ms), r.players_lagging);
    fmt::format_to(it, "\"timestamp_regressions\": {}, ", r.timestamp_regressions);
    if (r.hls_playlists != 0 || r.hls_segments != 0) {
        fmt::format_to(it, "\"hls\": {{\"playlists\": {}, \"segments\": {}, \"segments_skipped\": {}}}, ",
                       r.hls_playlists, r.hls_segments, r.hls_segments_skipped);
    }
    fmt::format_to(it, "\"errors\": [");
    for (std::size_t i = 0; i < r.errors.size(); ++i) {
        if (i != 0) {
            fmt::format_to(it, ", ");
        }
        append_json_string(out, r.errors[i]);
    }
    fmt::format_to(it, "]}}\n");
    return fmt::to_string(out);
}

}  // namespace ringcast::load
