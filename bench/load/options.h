#pragma once
// The command line of ringcast-load. perf/ scripts are written against it: change it only
// together with them.

#include <cstdint>
#include <optional>
#include <string>

#include "load/rtmp_url.h"

namespace ringcast::load {

struct LoadOptions {
    std::optional<RtmpUrl> publish;
    std::string flv;
    std::optional<RtmpUrl> play;       // --play rtmp://...: RTMP players
    std::optional<HttpUrl> play_http;  // --play http://...: HTTP-FLV players (HLS: play_hls)
    bool play_hls = false;             // play_http's path ends in .m3u8: HLS players
    std::uint32_t players = 1;
    double ramp_per_s = 500;
    double duration_s = 30;
    double warmup_s = 5;
    double lag_ms = 500;  // a player is lagging once its latency exceeded this (after the warmup)
    std::string json_path;  // empty: stdout
    bool allow_remote = false;
};

inline bool has_players(const LoadOptions& options) { return options.play || options.play_http; }

enum class ParseOutcome : std::uint8_t { run, help, error };

/// Parses and checks argv; on error `error` says why.
ParseOutcome parse_options(int argc, char** argv, LoadOptions& out, std::string& error);

/// The usage text for --help and for errors.
const char* usage();

}  // namespace ringcast::load
