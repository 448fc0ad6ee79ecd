// HTTP-TS, .aac and .mp3 http_remux mounts with real clients: ffmpeg publishes over RTMP,
// ffprobe / ffmpeg / curl play over HTTP (see http_flv_test.cpp for HTTP-FLV).

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/media_files.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

/// An RTMP server with http_server on a second free port and `mount` on the default vhost.
struct HttpRemuxServer {
    explicit HttpRemuxServer(const std::string& mount)
        : http_port(free_tcp_port()),
          server("http_server {\n enabled on;\n listen " + std::to_string(http_port) +
                 ";\n}\nvhost __defaultVhost__ {\n http_remux {\n  enabled on;\n  mount " + mount + ";\n }\n}\n") {}
    [[nodiscard]] std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(http_port) + "/" + path;
    }
    std::uint16_t http_port;
    RtmpServer server;
};

Process publish_audio(const std::string& url, int seconds, const std::string& codec) {
    return Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                           "sine=frequency=440:sample_rate=44100", "-t", std::to_string(seconds), "-vn", "-c:a", codec,
                           "-b:a", "128k", "-f", "flv", url});
}

/// ffmpeg's complaints when decoding a file or URL in full (empty when it decodes cleanly).
ProcessResult decode_errors(const std::vector<std::string>& input_options, const std::string& input) {
    std::vector<std::string> args = {"ffmpeg", "-hide_banner", "-v", "error"};
    args.insert(args.end(), input_options.begin(), input_options.end());
    args.insert(args.end(), {"-i", input, "-f", "null", "-"});
    return run_command(args, 40s);
}

std::string curl_status(const std::vector<std::string>& extra, const std::string& url) {
    std::vector<std::string> args = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{content_type}", "--max-time", "5"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url);
    return run_command(args, 10s).out;
}

TEST(HttpTs, FfprobeAndFfmpegPlayALiveStreamAsMpegTs) {
    HttpRemuxServer http("[vhost]/[app]/[stream].ts");
    ASSERT_TRUE(http.server.ready()) << http.server.process().err();
    Process publisher = publish_test_pattern(http.server.url("live/s"), 30);
    std::this_thread::sleep_for(3s);
    ProcessResult probe = run_command({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of",
                                       "csv=p=0", http.url("live/s.ts")},
                                      15s);
    EXPECT_NE(probe.out.find("h264,640,360"), std::string::npos) << probe.out << probe.err;
    EXPECT_NE(probe.out.find("aac"), std::string::npos) << probe.out;

    // Two players share each shard's TS stream: the second joins 3 s after the first.
    const std::string first_out = http.server.dir().path() + "/first.ts";
    const std::string second_out = http.server.dir().path() + "/second.ts";
    Process first = Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-i", http.url("live/s.ts"), "-t", "8",
                                    "-c", "copy", "-y", first_out});
    std::this_thread::sleep_for(3s);
    ProcessResult second = run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-i", http.url("live/s.ts"), "-t",
                                        "4", "-c", "copy", "-y", second_out},
                                       40s);
    ProcessResult first_result = first.wait(40s);
    ASSERT_EQ(first_result.exit_code, 0) << first_result.err;
    ASSERT_EQ(second.exit_code, 0) << second.err;

    PacketCounts packets = count_packets(first_out);
    EXPECT_EQ(packets.regressions, 0);
    EXPECT_NEAR(packets.per_type["video"], 200, 200 * 0.05) << "video frames in 8 s at 25 fps";
    EXPECT_NEAR(packets.per_type["audio"], 345, 345 * 0.05) << "AAC frames in 8 s at 44100 Hz";
    ProcessResult decoded = decode_errors({}, first_out);
    EXPECT_EQ(decoded.exit_code, 0);
    EXPECT_EQ(decoded.out + decoded.err, "") << "the first player's recording decodes without errors";

    PacketCounts late = count_packets(second_out);
    std::printf("[ figures  ] first player: %d video, %d audio packets in 8 s; later player: %d video, %d audio in 4 s\n",
                packets.per_type["video"], packets.per_type["audio"], late.per_type["video"], late.per_type["audio"]);
    EXPECT_EQ(late.regressions, 0);
    EXPECT_NEAR(late.per_type["video"], 100, 100 * 0.05) << "video frames in 4 s at 25 fps";
    EXPECT_NEAR(late.per_type["audio"], 172, 172 * 0.06) << "AAC frames in 4 s at 44100 Hz";
    ProcessResult late_decoded = decode_errors({}, second_out);
    EXPECT_EQ(late_decoded.out + late_decoded.err, "") << "the later player's recording decodes without errors";

    // HEAD, and HTTP/1.0 (no chunked framing: the body is the TS itself, sync byte first).
    EXPECT_EQ(curl_status({"-I"}, http.url("live/s.ts")), "200 video/MP2T");
    ProcessResult raw =
        run_command({"sh", "-c", "curl -s -0 --max-time 2 " + http.url("live/s.ts") + " | head -c 376 | od -An -tx1 -w188"},
                    10s);
    EXPECT_EQ(raw.out.substr(0, 4), " 47 ") << raw.out;
    EXPECT_NE(raw.out.find("\n 47 "), std::string::npos) << "the second packet starts with a sync byte too: " << raw.out;
    EXPECT_TRUE(http.server.process().running());
}

TEST(HttpTs, AudioOnlyStreamPlaysAsAac) {
    HttpRemuxServer http("[vhost]/[app]/[stream].aac");
    ASSERT_TRUE(http.server.ready()) << http.server.process().err();
    Process publisher = publish_audio(http.server.url("live/a"), 20, "aac");
    std::this_thread::sleep_for(2s);
    ProcessResult probe =
        run_command({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0",
                     http.url("live/a.aac")},
                    15s);
    EXPECT_NE(probe.out.find("aac,44100,1"), std::string::npos) << probe.out << probe.err;
    EXPECT_EQ(curl_status({"-I"}, http.url("live/a.aac")), "200 audio/aac");
    ProcessResult decoded = decode_errors({"-t", "4"}, http.url("live/a.aac"));
    EXPECT_EQ(decoded.exit_code, 0);
    EXPECT_EQ(decoded.out + decoded.err, "");
    const std::string out = http.server.dir().path() + "/a.aac";
    ProcessResult rec = run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-i", http.url("live/a.aac"), "-t",
                                     "4", "-c", "copy", "-y", out},
                                    30s);
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    EXPECT_NEAR(count_packets(out).per_type["audio"], 172, 172 * 0.06) << "AAC frames in 4 s at 44100 Hz";
    EXPECT_TRUE(http.server.process().running());
}

TEST(HttpTs, AudioOnlyStreamPlaysAsMp3) {
    HttpRemuxServer http("[vhost]/[app]/[stream].mp3");
    ASSERT_TRUE(http.server.ready()) << http.server.process().err();
    Process publisher = publish_audio(http.server.url("live/m"), 20, "libmp3lame");
    std::this_thread::sleep_for(2s);
    ProcessResult probe = run_command(
        {"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate", "-of", "csv=p=0", http.url("live/m.mp3")},
        15s);
    EXPECT_NE(probe.out.find("mp3,44100"), std::string::npos) << probe.out << probe.err;
    EXPECT_EQ(curl_status({"-I"}, http.url("live/m.mp3")), "200 audio/mpeg");
    ProcessResult decoded = decode_errors({"-t", "4"}, http.url("live/m.mp3"));
    EXPECT_EQ(decoded.exit_code, 0);
    EXPECT_EQ(decoded.out + decoded.err, "");
    EXPECT_TRUE(http.server.process().running());
}

TEST(HttpTs, AudioOnlyStreamPlaysAsMpegTs) {
    HttpRemuxServer http("[vhost]/[app]/[stream].ts");
    ASSERT_TRUE(http.server.ready()) << http.server.process().err();
    Process publisher = publish_audio(http.server.url("live/ao"), 20, "aac");
    std::this_thread::sleep_for(2s);
    ProcessResult probe =
        run_command({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", http.url("live/ao.ts")},
                    15s);
    EXPECT_NE(probe.out.find("aac"), std::string::npos) << probe.out << probe.err;
    ProcessResult decoded = decode_errors({"-t", "4"}, http.url("live/ao.ts"));
    EXPECT_EQ(decoded.exit_code, 0);
    EXPECT_EQ(decoded.out + decoded.err, "");
    EXPECT_TRUE(http.server.process().running());
}

}  // namespace
}  // namespace ringcast::test
