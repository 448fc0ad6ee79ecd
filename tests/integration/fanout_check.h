#pragma once
// Many players of one stream, read by one thread with poll(): each player's bytes go to its own
// parser (RTMP chunks, FLV tags), which records (timestamp, bytes) per media message. Then every
// player is compared on the media all of them should have: the window of timestamps all of them
// covered (players that joined after a keyframe start there; sequence headers are left out).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace ringcast::test {

struct FanoutPlayer {
    int fd = -1;
    std::size_t bytes = 0;
    /// Parses the bytes read; false when they do not decode.
    std::function<bool(std::span<const std::uint8_t>)> feed;
    std::vector<std::pair<std::uint32_t, std::size_t>> media;  // (timestamp, payload bytes), no sequence headers
    int regressions = 0;  // a timestamp below the previous one of its kind
    bool failed = false;

    /// Records one audio (8) or video (9) message.
    void record(int kind, std::uint32_t timestamp, std::span<const std::uint8_t> payload);

private:
    std::uint32_t last_[2] = {0, 0};
    bool seen_[2] = {false, false};
};

struct FanoutResult {
    std::uint32_t window_ms = 0;
    std::size_t most_bytes = 0;    // media bytes of the best-served player in the window
    std::size_t least_bytes = 0;
    int short_players = 0;         // under 95% of most_bytes
    int regressions = 0;
    int failed = 0;
    std::string describe() const;
};

/// Reads every player for `duration`, closes them, and compares them.
FanoutResult run_fanout(std::vector<std::unique_ptr<FanoutPlayer>>& players, std::chrono::milliseconds duration);

/// AVC or AAC sequence header (they carry timestamp 0 whenever a player joins).
bool is_sequence_header(int kind, std::span<const std::uint8_t> payload);

}  // namespace ringcast::test
