// Per-vhost play and publish options, seen from real sockets: publisher timeouts
// (firstpkt_timeout, normal_timeout), merged write (mw_latency, min_latency), pause, and the
// play command's duration.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/ringcast_server.h"
#include "integration/rtmp_client.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::vector<std::uint8_t> kAvcHeader = {0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0};
const std::vector<std::uint8_t> kAacHeader = {0xaf, 0, 0x12, 0x10};

std::vector<std::uint8_t> video_frame(bool key, std::size_t size) {
    std::vector<std::uint8_t> frame(size, 0x42);
    frame[0] = key ? 0x17 : 0x27;
    frame[1] = 1;
    return frame;
}

/// Publishes H.264 + AAC shaped messages in real time (a video and an audio message every
/// 40 ms, a keyframe every second) until `stop` or `seconds`.
void publish_paced(RtmpPublisher& publisher, int seconds, const std::atomic<bool>& stop) {
    publisher.send_video(0, kAvcHeader);
    publisher.send_audio(0, kAacHeader);
    const std::vector<std::uint8_t> audio = {0xaf, 1, 0x21, 0x10, 0x04};
    auto start = Clock::now();
    for (int i = 0; i < seconds * 25 && !stop; ++i) {
        const auto ts = static_cast<std::uint32_t>(i * 40);
        if (!publisher.send_video(ts, video_frame(i % 25 == 0, i % 25 == 0 ? 20000 : 2000)) ||
            !publisher.send_audio(ts, audio)) {
            return;
        }
        std::this_thread::sleep_until(start + std::chrono::milliseconds(40 * (i + 1)));
    }
}

/// Milliseconds until the server closes `fd` (reading and discarding what it sends), or -1 if
/// it stays open for `timeout`.
long long ms_until_closed(int fd, std::chrono::milliseconds timeout) {
    auto start = Clock::now();
    char buffer[4096];
    while (Clock::now() - start < timeout) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) {
            continue;
        }
        if (::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) <= 0) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        }
    }
    return -1;
}

/// (frames sent, flushes) from the server's closing line of a player connection, which reads
/// "..., 228 frames sent (228 shared) in 9 flushes, 0 dropped".
std::pair<long, long> player_frames_and_flushes(Process& server) {
    long frames = 0;
    long flushes = 0;
    wait_for_output(
        server,
        [&](const std::string&, const std::string& err) {
            for (std::size_t at = err.find(" frames sent ("); at != std::string::npos;
                 at = err.find(" frames sent (", at + 1)) {
                const std::size_t number = err.find_last_not_of("0123456789", at - 1) + 1;
                const long f = std::atol(err.c_str() + number);
                const std::size_t in = err.find(" in ", at);
                if (f > 0 && in != std::string::npos) {
                    frames = f;
                    flushes = std::atol(err.c_str() + in + 4);
                    return true;
                }
            }
            return false;
        },
        5s);
    return {frames, flushes};
}

TEST(RtmpPublishTimeouts, APublisherThatSendsNothingIsClosedAfterFirstpktTimeout) {
    RtmpServer server("vhost __defaultVhost__ {\n publish {\n  firstpkt_timeout 1000;\n }\n}\n");
    ASSERT_TRUE(server.ready()) << server.process().err();
    RtmpPublisher silent;
    ASSERT_TRUE(silent.start(server.port(), "live", "silent")) << silent.error();
    long long closed_ms = ms_until_closed(silent.fd(), 6s);
    EXPECT_GE(closed_ms, 800);
    EXPECT_LE(closed_ms, 3000);
    EXPECT_TRUE(wait_for_output(
        server.process(),
        [](const std::string&, const std::string& err) { return err.find("firstpkt_timeout") != std::string::npos; },
        2s))
        << server.process().err();
}

TEST(RtmpPublishTimeouts, APublisherThatStopsSendingIsClosedAfterNormalTimeout) {
    RtmpServer server("vhost __defaultVhost__ {\n publish {\n  normal_timeout 1000;\n }\n}\n");
    ASSERT_TRUE(server.ready()) << server.process().err();
    RtmpPublisher stalled;
    ASSERT_TRUE(stalled.start(server.port(), "live", "stalled")) << stalled.error();
    std::atomic<bool> stop{false};
    publish_paced(stalled, 1, stop);  // one second of media, then nothing
    long long closed_ms = ms_until_closed(stalled.fd(), 6s);
    EXPECT_GE(closed_ms, 800);
    EXPECT_LE(closed_ms, 3000);
    EXPECT_TRUE(wait_for_output(
        server.process(),
        [](const std::string&, const std::string& err) { return err.find("normal_timeout") != std::string::npos; },
        2s))
        << server.process().err();
}

/// Publishes 3 s paced, plays 2 s with a raw player, and returns its (frames, flushes).
std::pair<long, long> play_two_seconds(const std::string& config) {
    RtmpServer server(config);
    EXPECT_TRUE(server.ready()) << server.process().err();
    RtmpPublisher publisher;
    EXPECT_TRUE(publisher.start(server.port(), "live", "mw")) << publisher.error();
    std::atomic<bool> stop{false};
    std::thread pacing([&] { publish_paced(publisher, 3, stop); });
    int player = start_raw_player(server.port(), "live", "mw");
    EXPECT_GE(player, 0);
    RtmpReader reader(player);
    auto end = Clock::now() + 2s;
    while (Clock::now() < end && !reader.closed()) {
        reader.next(100ms);
    }
    ::close(player);
    stop = true;
    pacing.join();
    auto result = player_frames_and_flushes(server.process());
    EXPECT_GT(result.first, 0) << server.process().err();
    return result;
}

TEST(RtmpMergedWrite, PlayersGetFramesInBatchesAndMinLatencySendsEachAtOnce) {
    auto [batched_frames, batched_flushes] = play_two_seconds("");
    ASSERT_GT(batched_frames, 50);
    ASSERT_GT(batched_flushes, 0);
    // SRS's defaults (mw_latency 350, mw_msgs 8): about 25 messages a flush at 50 messages/s.
    EXPECT_GE(batched_frames / batched_flushes, 8) << batched_frames << " frames in " << batched_flushes << " flushes";

    auto [realtime_frames, realtime_flushes] =
        play_two_seconds("vhost __defaultVhost__ {\n min_latency on;\n play {\n  mw_latency 0;\n }\n}\n");
    ASSERT_GT(realtime_frames, 50);
    std::printf("merged write: %ld frames in %ld flushes; min_latency: %ld frames in %ld flushes\n", batched_frames,
                batched_flushes, realtime_frames, realtime_flushes);
    EXPECT_LE(realtime_frames / std::max(realtime_flushes, 1L), 2)
        << realtime_frames << " frames in " << realtime_flushes << " flushes";
}

TEST(RtmpPause, APausedPlayerGetsNoMediaUntilItUnpauses) {
    RtmpServer server("vhost __defaultVhost__ {\n min_latency on;\n play {\n  mw_latency 0;\n }\n}\n");
    ASSERT_TRUE(server.ready()) << server.process().err();
    RtmpPublisher publisher;
    ASSERT_TRUE(publisher.start(server.port(), "live", "pause")) << publisher.error();
    std::atomic<bool> stop{false};
    std::thread pacing([&] { publish_paced(publisher, 6, stop); });
    int player = start_raw_player(server.port(), "live", "pause");
    ASSERT_GE(player, 0);
    RtmpReader reader(player);
    auto media_within = [&](std::chrono::milliseconds window) {
        int media = 0;
        auto end = Clock::now() + window;
        while (Clock::now() < end) {
            if (auto m = reader.next(50ms); m && (m->type_id == 8 || m->type_id == 9)) {
                ++media;
            }
        }
        return media;
    };
    EXPECT_GT(media_within(1000ms), 20) << "no media before the pause";
    ASSERT_TRUE(send_player_command(player, "pause", {proto::rtmp::Amf0Value(true), proto::rtmp::Amf0Value(0.0)}));
    EXPECT_TRUE(reader.wait_for_status("NetStream.Pause.Notify", 2s)) << reader.error();
    media_within(300ms);  // what was already on its way
    EXPECT_EQ(media_within(1000ms), 0) << "media arrived while paused";
    ASSERT_TRUE(send_player_command(player, "pause", {proto::rtmp::Amf0Value(false), proto::rtmp::Amf0Value(0.0)}));
    EXPECT_TRUE(reader.wait_for_status("NetStream.Unpause.Notify", 2s)) << reader.error();
    EXPECT_GT(media_within(1000ms), 20) << "media did not resume";
    ::close(player);
    stop = true;
    pacing.join();
}

TEST(RtmpPlayDuration, TheServerEndsPlaybackAfterTheRequestedDuration) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    RtmpPublisher publisher;
    ASSERT_TRUE(publisher.start(server.port(), "live", "duration")) << publisher.error();
    std::atomic<bool> stop{false};
    std::thread pacing([&] { publish_paced(publisher, 8, stop); });
    // rtmpdump sends its --stop as play's duration (in ms, as librtmp does).
    ProcessResult dump = run_command({"rtmpdump", "-q", "-v", "-r", server.url("live/duration"), "--stop", "2", "-o",
                                      server.dir().path() + "/d.flv"},
                                     10s);
    EXPECT_TRUE(wait_for_output(
        server.process(),
        [](const std::string&, const std::string& err) {
            return err.find("requested duration of 2000 ms is played") != std::string::npos;
        },
        3s))
        << server.process().err() << dump.err;
    stop = true;
    pacing.join();
}

}  // namespace
}  // namespace ringcast::test
