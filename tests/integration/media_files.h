#pragma once
// What ffprobe says about a recorded media file, for the tests that record a stream.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ringcast::test {

/// Per-packet (codec type, dts in seconds) of a media file, in file order.
std::vector<std::pair<std::string, double>> packet_times(const std::string& path);

struct PacketCounts {
    std::map<std::string, int> per_type;  // "video", "audio"
    int regressions = 0;                  // a dts below the previous one of its type
};
PacketCounts count_packets(const std::string& path);

}  // namespace ringcast::test
