// HTTP-FLV with real clients: ffmpeg publishes over RTMP, ffprobe / ffmpeg / curl play over HTTP.

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/media_files.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

/// An RTMP server with http_server on a second free port and HTTP-FLV on the default vhost.
struct HttpFlvServer {
    HttpFlvServer()
        : http_port(free_tcp_port()),
          server("http_server {\n enabled on;\n listen " + std::to_string(http_port) +
                 ";\n}\nvhost __defaultVhost__ {\n http_remux {\n  enabled on;\n  mount [vhost]/[app]/[stream].flv;\n }\n}\n") {}
    [[nodiscard]] std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(http_port) + "/" + path;
    }
    std::uint16_t http_port;
    RtmpServer server;
};

std::string curl_status(const std::vector<std::string>& extra, const std::string& url) {
    std::vector<std::string> args = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{content_type}", "--max-time", "5"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url);
    return run_command(args, 10s).out;
}

TEST(HttpFlv, FfprobeAndFfmpegPlayALiveStreamOverHttp) {
    HttpFlvServer http;
    ASSERT_TRUE(http.server.ready()) << http.server.process().err();
    Process publisher = publish_test_pattern(http.server.url("live/hf"), 20);
    std::this_thread::sleep_for(3s);
    ProcessResult probe = run_command({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of",
                                       "csv=p=0", http.url("live/hf.flv")},
                                      15s);
    EXPECT_NE(probe.out.find("h264,640,360"), std::string::npos) << probe.out << probe.err;
    EXPECT_NE(probe.out.find("aac"), std::string::npos) << probe.out;

    std::string out = http.server.dir().path() + "/hf.flv";
    ProcessResult rec = run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-i", http.url("live/hf.flv"), "-t",
                                     "10", "-c", "copy", "-y", out},
                                    40s);
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    PacketCounts packets = count_packets(out);
    EXPECT_EQ(packets.regressions, 0);
    EXPECT_NEAR(packets.per_type["video"], 250, 250 * 0.05) << "video frames in 10 s at 25 fps";
    EXPECT_NEAR(packets.per_type["audio"], 431, 431 * 0.05) << "AAC frames in 10 s at 44100 Hz";
}

TEST(HttpFlv, AnswersOtherRequestsWithTheirStatus) {
    HttpFlvServer http;
    ASSERT_TRUE(http.server.ready()) << http.server.process().err();
    Process publisher = publish_test_pattern(http.server.url("live/st"), 10);
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(curl_status({}, http.url("live/none.txt")), "404 text/plain");
    EXPECT_EQ(curl_status({"-I"}, http.url("live/st.flv")), "200 video/x-flv");
    EXPECT_EQ(curl_status({"-X", "POST"}, http.url("live/st.flv")), "405 text/plain");
    // HTTP/1.0: no chunked framing, the body is the FLV file itself.
    ProcessResult raw = run_command({"sh", "-c", "curl -s -0 --max-time 2 " + http.url("live/st.flv") + " | head -c 13 | od -An -c"}, 10s);
    EXPECT_NE(raw.out.find("F   L   V"), std::string::npos) << raw.out;
    EXPECT_TRUE(http.server.process().running());
}

}  // namespace
}  // namespace ringcast::test
