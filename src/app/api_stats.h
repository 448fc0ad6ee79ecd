#pragma once
// What one shard knows for the HTTP API, gathered on that shard and sent (moved, by value) to
// the shard answering the request, which merges every shard's report into SRS's snapshots
// (api/stats.h). A stream's owner knows its publisher and codecs; every shard knows its own
// players of it. Built only per API request or scrape, never per message.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/stats.h"

namespace ringcast::app {

/// A 30 s rate from byte counters sampled every kSampleIntervalMs (SRS's kbps "30s" figures).
class TrafficWindow {
public:
    static constexpr std::uint64_t kSampleIntervalMs = 10'000;
    static constexpr std::uint64_t kWindowMs = 30'000;

    explicit TrafficWindow(std::uint64_t start_ms = 0) { points_[0] = {start_ms, 0, 0}; }
    void sample(std::uint64_t now_ms, std::uint64_t sent_bytes, std::uint64_t received_bytes);
    [[nodiscard]] api::Kbps kbps(std::uint64_t now_ms, std::uint64_t sent_bytes, std::uint64_t received_bytes) const;

private:
    struct Point {
        std::uint64_t ms = 0;
        std::uint64_t sent = 0;
        std::uint64_t received = 0;
    };
    // Three intervals of the window plus the sample that opens it.
    std::array<Point, kWindowMs / kSampleIntervalMs + 1> points_{};
    std::size_t count_ = 1;
    std::size_t next_ = 1;
};

/// One shard's view of one stream.
struct StreamPart {
    std::string key;  // "vhost/app/stream"
    bool owner = false;
    bool publishing = false;
    std::uint64_t video_frames = 0;  // owner: frames delivered
    std::uint64_t audio_frames = 0;
    std::optional<api::VideoInfo> video;  // owner: from the sequence headers
    std::optional<api::AudioInfo> audio;
    std::vector<api::UpstreamSnapshot> upstreams;  // owner: edge pull, forwarders
};

/// One client (publisher or player) on a shard.
struct ClientPart {
    api::ClientSnapshot snapshot;  // ids left empty: the merging shard fills them
    std::string stream_key;        // "vhost/app/stream"
    std::string vhost;
    std::string app;
    bool publisher = false;
};

struct ShardReport {
    api::ShardSnapshot shard;
    std::vector<StreamPart> streams;
    std::vector<ClientPart> clients;
};

using ShardReportPtr = std::shared_ptr<const ShardReport>;


}  // namespace ringcast::app
