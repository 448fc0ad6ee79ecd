// RTMP end to end with real clients: ffmpeg publishes, ffprobe / ffmpeg / rtmpdump play.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/media_files.h"
#include "integration/rtmp_client.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

/// ffmpeg publishing a generated H.264 + AAC stream in real time (~2 Mbps, 2 s GOP at 25 fps).
Process publish(const std::string& url, int seconds, const std::string& size = "640x360") {
    return Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                           "testsrc2=size=" + size + ":rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                           "-t", std::to_string(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune",
                           "zerolatency", "-b:v", "2M", "-g", "50", "-c:a", "aac", "-b:a", "128k", "-f", "flv", url});
}

/// key=value lines of `ffprobe -show_streams`, one map per stream.
std::vector<std::map<std::string, std::string>> probe_streams(const std::string& url, std::chrono::seconds timeout = 15s) {
    ProcessResult r = run_command({"ffprobe", "-hide_banner", "-v", "error", "-rw_timeout", "10000000", "-show_streams",
                                   "-of", "default=nw=0", url},
                                  timeout);
    std::vector<std::map<std::string, std::string>> streams;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        if (line == "[STREAM]") {
            streams.emplace_back();
        } else if (auto eq = line.find('='); eq != std::string::npos && !streams.empty()) {
            streams.back()[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return streams;
}


TEST(Rtmp, FfprobeSeesH264AndAacThroughTheServer) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    Process publisher = publish(server.url("live/probe"), 20);
    std::this_thread::sleep_for(2s);
    auto streams = probe_streams(server.url("live/probe"));
    ASSERT_EQ(streams.size(), 2u) << server.process().err();
    std::map<std::string, std::map<std::string, std::string>> by_type;
    for (auto& s : streams) {
        by_type[s["codec_type"]] = s;
    }
    EXPECT_EQ(by_type["video"]["codec_name"], "h264");
    EXPECT_EQ(by_type["video"]["width"], "640");
    EXPECT_EQ(by_type["video"]["height"], "360");
    EXPECT_EQ(by_type["audio"]["codec_name"], "aac");
    EXPECT_EQ(by_type["audio"]["sample_rate"], "44100");
}

TEST(Rtmp, RecordedCopyHasTheExpectedFramesAndMonotonicTimestamps) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    Process publisher = publish(server.url("live/rec"), 20);
    std::this_thread::sleep_for(3s);
    std::string out = server.dir().path() + "/rec.flv";
    ProcessResult rec = run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-rw_timeout", "10000000", "-i",
                                     server.url("live/rec"), "-t", "10", "-c", "copy", "-y", out},
                                    40s);
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    PacketCounts packets = count_packets(out);
    EXPECT_EQ(packets.regressions, 0);
    // 10 s at 25 fps = 250 video frames; AAC at 44100 Hz has 1024-sample frames: 430.7 per 10 s.
    EXPECT_NEAR(packets.per_type["video"], 250, 250 * 0.05) << "video frames";
    EXPECT_NEAR(packets.per_type["audio"], 431, 431 * 0.05) << "audio frames";
}

TEST(Rtmp, RtmpdumpWritesAPlayableFlv) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    Process publisher = publish(server.url("live/dump"), 20);
    std::this_thread::sleep_for(2s);
    std::string out = server.dir().path() + "/dump.flv";
    ProcessResult dump = run_command({"rtmpdump", "-q", "-v", "-r", server.url("live/dump"), "--stop", "5", "-o", out}, 8s);
    auto streams = probe_streams(out);
    ASSERT_EQ(streams.size(), 2u) << dump.err;
    auto packets = packet_times(out);
    EXPECT_GT(packets.size(), 100u);
}

TEST(Rtmp, SecondPublisherIsRefusedAndTheFirstContinues) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    Process first = publish(server.url("live/dup"), 15);
    std::this_thread::sleep_for(2s);
    Process second = publish(server.url("live/dup"), 5);
    ProcessResult refused = second.wait(15s);
    EXPECT_NE(refused.exit_code, 0) << "the second publisher was not refused";
    EXPECT_TRUE(wait_for_output(
        server.process(),
        [](const std::string&, const std::string& err) { return err.find("NetStream.Publish.BadName") != std::string::npos; },
        5s));
    EXPECT_TRUE(first.running()) << "the first publisher was disturbed";
    auto streams = probe_streams(server.url("live/dup"));
    EXPECT_EQ(streams.size(), 2u);
}

/// A 12 s H.264 + AAC FLV made once per test binary, so many publishers can stream it with
/// `-c copy` without encoding (2 cores cannot run 20 encoders in real time).
const std::string& sample_flv() {
    static TempDir dir("ringcast-sample");
    static std::string path = [] {
        std::string out = dir.path() + "/sample.flv";
        run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                     "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t",
                     "12", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-g", "50", "-c:a", "aac", "-f", "flv",
                     "-y", out},
                    60s);
        return out;
    }();
    return path;
}

Process publish_copy(const std::string& url) {
    return Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", sample_flv(), "-c", "copy", "-f",
                           "flv", url});
}

/// ffmpeg recording `seconds` of a stream to a file, in the background.
Process record(const std::string& url, const std::string& out, int seconds) {
    return Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-rw_timeout", "15000000", "-i", url, "-t",
                           std::to_string(seconds), "-c", "copy", "-y", out});
}

/// Flags ("K_" for keyframes) of the video packets of a file, in order.
std::vector<std::string> video_packet_flags(const std::string& path) {
    ProcessResult r = run_command({"ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=flags",
                                   "-of", "csv=p=0", path},
                                  30s);
    std::vector<std::string> flags;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        flags.push_back(line);
    }
    return flags;
}

TEST(Rtmp, PlayerBeforePublisherStartsAtAKeyframeWhenItPublishes) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    std::string out = server.dir().path() + "/early.flv";
    Process player = record(server.url("live/early"), out, 4);
    std::this_thread::sleep_for(1500ms);
    Process publisher = publish_copy(server.url("live/early"));
    ProcessResult recorded = player.wait(30s);
    ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
    auto flags = video_packet_flags(out);
    ASSERT_GT(flags.size(), 50u);
    EXPECT_EQ(flags.front().substr(0, 1), "K") << "the first video frame is not a keyframe";
}

TEST(Rtmp, LatePlayerStartsFromTheGopCacheAtAKeyframe) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    Process publisher = publish_copy(server.url("live/gop"));
    std::this_thread::sleep_for(3s);  // mid-GOP (2 s GOPs)
    std::string out = server.dir().path() + "/late.flv";
    auto start = std::chrono::steady_clock::now();
    ProcessResult recorded = record(server.url("live/gop"), out, 2).wait(30s);
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
    auto flags = video_packet_flags(out);
    ASSERT_FALSE(flags.empty());
    EXPECT_EQ(flags.front().substr(0, 1), "K");
    // 2 s of media: with the cached GOP delivered at once, the recording ends well before 2 s of
    // wall time plus ffmpeg's own start-up.
    EXPECT_LT(elapsed, 4s);
}

TEST(Rtmp, PlayersStayAttachedAcrossARepublish) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    std::string out = server.dir().path() + "/republish.flv";
    Process first = publish(server.url("live/re"), 4);
    std::this_thread::sleep_for(1500ms);
    Process player = record(server.url("live/re"), out, 8);
    // A raw player too: ffmpeg's recorder would smooth a timestamp jump over in its file.
    int raw = start_raw_player(server.port(), "live", "re");
    ASSERT_GE(raw, 0);
    std::vector<std::uint32_t> raw_video_timestamps;
    std::thread raw_reader([&] {
        RtmpReader reader(raw);
        auto end = std::chrono::steady_clock::now() + 12s;
        while (std::chrono::steady_clock::now() < end && !reader.closed()) {
            if (auto m = reader.next(100ms); m && m->type_id == 9) {
                raw_video_timestamps.push_back(m->timestamp);
            }
        }
    });
    first.wait(15s);
    // ffmpeg exiting does not mean the server has seen the stream end; a publisher that arrives
    // before that is refused (BadName), and ffmpeg's RTMP player then waits forever.
    ASSERT_TRUE(wait_for_output(
        server.process(),
        [](const std::string&, const std::string& err) { return err.find("publisher left") != std::string::npos; }, 10s))
        << server.process().err();
    Process second = publish(server.url("live/re"), 10);
    ProcessResult recorded = player.wait(30s);
    server.process().read_output(200ms);
    ASSERT_EQ(recorded.exit_code, 0) << recorded.err << "\nsecond publisher: " << second.wait(1s).err
                                     << "\nserver: " << server.process().err();
    auto packets = packet_times(out);
    double last_video = -1;
    int regressions = 0;
    int video = 0;
    for (auto& [type, dts] : packets) {
        if (type == "video") {
            regressions += dts < last_video;
            last_video = dts;
            ++video;
        }
    }
    EXPECT_EQ(regressions, 0);
    EXPECT_GT(last_video, 5.0) << "the player stopped at the first publisher's end";
    EXPECT_GT(video, 125);
    raw_reader.join();
    ::close(raw);
    ASSERT_GT(raw_video_timestamps.size(), 150u) << "the raw player did not get both publishers";
    int raw_regressions = 0;
    for (std::size_t i = 1; i < raw_video_timestamps.size(); ++i) {
        raw_regressions += raw_video_timestamps[i] < raw_video_timestamps[i - 1];
    }
    EXPECT_EQ(raw_regressions, 0) << "time went back across the republish";
}

TEST(Rtmp, TwentyStreamsOverTwoShardsAllPlayable) {
    sample_flv();
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    std::vector<Process> publishers;
    for (int i = 0; i < 20; ++i) {
        publishers.push_back(publish_copy(server.url("live/many" + std::to_string(i))));
    }
    std::this_thread::sleep_for(2s);
    std::vector<std::vector<std::map<std::string, std::string>>> results(20);
    std::vector<std::thread> probes;
    for (int i = 0; i < 20; ++i) {
        probes.emplace_back([&, i] { results[i] = probe_streams(server.url("live/many" + std::to_string(i)), 30s); });
    }
    for (auto& t : probes) {
        t.join();
    }
    for (int i = 0; i < 20; ++i) {
        std::set<std::string> codecs;
        for (auto& s : results[i]) {
            codecs.insert(s["codec_name"]);
        }
        EXPECT_EQ(codecs, (std::set<std::string>{"aac", "h264"})) << "stream " << i;
    }
    wait_for_output(server.process(), [](const std::string&, const std::string&) { return false; }, 200ms);
    EXPECT_GT(count_occurrences(server.process().err(), "][s0]["), 0u);
    EXPECT_GT(count_occurrences(server.process().err(), "][s1]["), 0u);
}

TEST(Rtmp, ServesWithSrsOwnRtmpConfPortChanged) {
    std::string text = read_file(std::string(RINGCAST_SRS_CONF_DIR) + "/rtmp.conf");
    auto at = text.find("listen              1935;");
    ASSERT_NE(at, std::string::npos) << "rtmp.conf changed shape";
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    text.replace(at, std::string("listen              1935;").size(), "listen " + std::to_string(port) + ";");
    text += "pid " + dir.path() + "/srs.pid;\n";
    std::string conf = dir.write_file("rtmp.conf", text);
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    ASSERT_TRUE(wait_for_output(
        server, [](const std::string&, const std::string& err) { return err.find("ringcast ready") != std::string::npos; },
        10s))
        << server.err();
    std::string url = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/srsconf";
    Process publisher = publish_copy(url);
    std::this_thread::sleep_for(2s);
    auto streams = probe_streams(url);
    EXPECT_EQ(streams.size(), 2u) << server.err();
    ::kill(server.pid(), SIGTERM);
    EXPECT_EQ(server.wait(5s).exit_code, 0);
}

}  // namespace
}  // namespace ringcast::test
