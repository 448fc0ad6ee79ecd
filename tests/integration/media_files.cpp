#include "integration/media_files.h"

#include <cstdlib>
#include <sstream>

#include "integration/harness.h"

namespace ringcast::test {

std::vector<std::pair<std::string, double>> packet_times(const std::string& path) {
    ProcessResult r = run_command({"ffprobe", "-v", "error", "-show_entries", "packet=codec_type,dts_time", "-of",
                                   "csv=p=0", path},
                                  std::chrono::seconds(30));
    std::vector<std::pair<std::string, double>> packets;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        auto comma = line.find(',');
        if (comma != std::string::npos) {
            packets.emplace_back(line.substr(0, comma), std::atof(line.c_str() + comma + 1));
        }
    }
    return packets;
}

PacketCounts count_packets(const std::string& path) {
    PacketCounts counts;
    std::map<std::string, double> last;
    for (auto& [type, dts] : packet_times(path)) {
        if (last.count(type) != 0 && dts < last[type]) {
            ++counts.regressions;
        }
        last[type] = dts;
        ++counts.per_type[type];
    }
    return counts;
}

Process publish_test_pattern(const std::string& url, int seconds, std::string_view video_bitrate) {
    return Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                           "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                           "-t", std::to_string(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune",
                           "zerolatency", "-b:v", std::string(video_bitrate), "-g", "50", "-c:a", "aac", "-b:a", "128k",
                           "-f", "flv", url});
}

}  // namespace ringcast::test
