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

}  // namespace ringcast::test
