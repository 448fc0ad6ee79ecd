// A player that reads at a tenth of the stream's rate must not slow the publisher or other
// players, and the server's memory for it must stay within queue_length.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/rtmp_client.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::atol(line.c_str() + 6);
        }
    }
    return -1;
}

TEST(RtmpSlowPlayer, DoesNotSlowThePublisherOrOtherPlayersAndStaysBounded) {
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    std::string conf = dir.write_file(
        "slow.conf", "daemon off;\nsrs_log_tank console;\nworkers 2;\npid " + dir.path() + "/p.pid;\nlisten " +
                         std::to_string(port) + ";\nvhost __defaultVhost__ {\n  play {\n    queue_length 3;\n  }\n}\n");
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    ASSERT_TRUE(wait_for_output(
        server, [](const std::string&, const std::string& err) { return err.find("ringcast ready") != std::string::npos; },
        10s));
    std::string url = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/slow";
    // ~2 Mbps, 16 s, encoded in real time.
    Process publisher = Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                                        "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine", "-t", "16", "-c:v",
                                        "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-b:v", "2M", "-g", "50",
                                        "-c:a", "aac", "-f", "flv", url});
    std::this_thread::sleep_for(2s);
    const long rss_before = rss_kib(server.pid());

    int slow = start_raw_player(port, "live", "slow", 32 * 1024);
    ASSERT_GE(slow, 0);
    std::string fast_out = dir.path() + "/fast.flv";
    Process fast = Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-i", url, "-t", "10", "-c", "copy",
                                   "-y", fast_out});
    // The slow player reads 25 KB/s, a tenth of the stream, for 11 s.
    std::uint8_t buffer[2500];
    std::size_t slow_bytes = 0;
    long rss_max = rss_before;
    for (int i = 0; i < 110; ++i) {
        ssize_t n = ::recv(slow, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            slow_bytes += static_cast<std::size_t>(n);
        }
        rss_max = std::max(rss_max, rss_kib(server.pid()));
        std::this_thread::sleep_for(100ms);
    }
    ProcessResult fast_result = fast.wait(20s);
    ::close(slow);
    ASSERT_EQ(fast_result.exit_code, 0) << fast_result.err;
    ProcessResult probe = run_command({"ffprobe", "-v", "error", "-select_streams", "v", "-count_packets",
                                       "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", fast_out},
                                      30s);
    int fast_video = std::atoi(probe.out.c_str());
    EXPECT_GE(fast_video, 238) << "the fast player got fewer than 95% of 10 s of video";
    EXPECT_LT(slow_bytes, 400u * 1024) << "the slow player read more than it should have been able to";
    // 3 s of a 2 Mbps stream is ~750 KB; allow the socket send queue and allocator slack.
    EXPECT_LT(rss_max - rss_before, 16 * 1024) << "server memory grew by " << (rss_max - rss_before) << " KiB";
    EXPECT_TRUE(publisher.running() || publisher.wait(1s).exit_code == 0) << "the publisher failed";
    // The slow player's close line counts the frames its queue dropped (SRS's shrink).
    const std::regex dropped(", [1-9][0-9]* dropped\n");
    EXPECT_TRUE(wait_for_output(
        server, [&](const std::string&, const std::string& err) { return std::regex_search(err, dropped); }, 5s))
        << "the slow player's queue never dropped: it was not bounded\n" << server.err().substr(server.err().size() > 3000 ? server.err().size() - 3000 : 0);
    ::kill(server.pid(), SIGTERM);
    server.wait(5s);
}

}  // namespace
}  // namespace ringcast::test
