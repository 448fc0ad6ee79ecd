#pragma once
// What a load run measures, in fixed-size structures: the tool shares one core with nothing
// else to spare, so recording a sample is an array increment, never an allocation.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::load {

/// Latencies in 0.1 ms buckets up to 10 s (a server that forwards at once, like nginx-rtmp,
/// shows sub-millisecond figures on loopback); later samples land in the last bucket, and the
/// exact maximum is kept beside the buckets so an outlier is never rounded away.
class LatencyHistogram {
public:
    static constexpr double kBucketMs = 0.1;
    static constexpr std::size_t kBuckets = 100'001;

    LatencyHistogram() : buckets_(kBuckets, 0) {}

    void add(double ms);
    void reset();
    /// q in [0, 1]; the middle of the bucket holding that rank, capped at the exact maximum.
    /// 0 when empty.
    [[nodiscard]] double percentile(double q) const;
    [[nodiscard]] double max() const { return max_; }
    [[nodiscard]] std::uint64_t count() const { return count_; }

private:
    std::vector<std::uint64_t> buckets_;  // 800 KB: on the heap, allocated once
    std::uint64_t count_ = 0;
    double max_ = 0;
};

/// Percentile of an unsorted sample (sorts it); 0 when empty. For per-player values collected
/// once at the end of a run.
double percentile_of(std::vector<double>& values, double q);

/// Counters of the whole run, owned by the run and written by every player and the publisher
/// on the one loop thread.
struct RunStats {
    static constexpr std::size_t kErrorsKept = 10;

    std::uint64_t bytes = 0;
    std::uint64_t bytes_this_second = 0;
    std::uint64_t video_frames = 0;
    std::uint64_t audio_frames = 0;
    std::uint64_t timestamp_regressions = 0;
    std::uint32_t players_started = 0;
    std::uint32_t players_playing = 0;  // playing right now
    std::uint32_t players_connected = 0;  // ever reached playing
    std::uint32_t players_failed = 0;
    // HLS players only: requests that got a whole 200 response, and segments a player never
    // fetched because the playlist window had moved past them (a player falling behind).
    std::uint64_t hls_playlists = 0;
    std::uint64_t hls_segments = 0;
    std::uint64_t hls_segments_skipped = 0;
    LatencyHistogram latency;  // after the warmup only
    LatencyHistogram latency_this_second;
    std::uint64_t error_count = 0;
    std::vector<std::string> errors;  // the first kErrorsKept

    void add_error(std::string text);
};

/// The final report's numbers, computed once when the run stops.
struct Report {
    std::uint32_t players = 0;
    std::uint32_t connected = 0;
    std::uint32_t failed = 0;
    double duration_s = 0;
    std::uint64_t bytes = 0;
    std::uint64_t video_frames = 0;
    std::uint64_t audio_frames = 0;
    double mbps = 0;
    double startup_p50_ms = 0;
    double startup_p95_ms = 0;
    double startup_max_ms = 0;
    double setup_p50_ms = 0;
    double setup_p95_ms = 0;
    double latency_p50_ms = 0;
    double latency_p99_ms = 0;
    double latency_max_ms = 0;
    std::uint32_t players_lagging_500ms = 0;
    // Players whose latency went over lag_bound_ms (--lag-ms; 500 unless given, so the same
    // as players_lagging_500ms then): HLS latency is seconds by design.
    double lag_bound_ms = 500;
    std::uint32_t players_lagging = 0;
    std::uint64_t timestamp_regressions = 0;
    std::uint64_t hls_playlists = 0;
    std::uint64_t hls_segments = 0;
    std::uint64_t hls_segments_skipped = 0;
    std::vector<std::string> errors;
};

/// The report as one JSON object (the perf scripts' contract: key names and order fixed).
std::string report_json(const Report& report);

}  // namespace ringcast::load
