#pragma once
// Test media: what ffprobe says about a recorded file, and ffmpeg publishing a test pattern.

#include <map>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "integration/harness.h"

namespace ringcast::test {

/// Per-packet (codec type, dts in seconds) of a media file, in file order.
std::vector<std::pair<std::string, double>> packet_times(const std::string& path);

struct PacketCounts {
    std::map<std::string, int> per_type;  // "video", "audio"
    int regressions = 0;                  // a dts below the previous one of its type
};
PacketCounts count_packets(const std::string& path);

/// ffmpeg publishing `seconds` of testsrc2 640x360 at 25 fps (libx264, 2 s GOP) and a 440 Hz
/// sine (AAC) to `url` in real time, as most tests need.
Process publish_test_pattern(const std::string& url, int seconds, std::string_view video_bitrate = "2M");

}  // namespace ringcast::test
