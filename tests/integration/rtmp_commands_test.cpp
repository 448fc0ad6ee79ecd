// RTMP command flows beyond ffmpeg's: Flash's AMF3 commands, and how soon a player that joins a
// running stream gets its first picture.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "integration/ringcast_server.h"
#include "integration/rtmp_client.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Publishes a 1 s-GOP H.264 + AAC shaped stream in real time until `stop`.
void publish_until(RtmpPublisher& publisher, const std::atomic<bool>& stop) {
    const std::vector<std::uint8_t> avc_header = {0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0};
    const std::vector<std::uint8_t> aac_header = {0xaf, 0, 0x12, 0x10};
    const std::vector<std::uint8_t> audio = {0xaf, 1, 0x21, 0x10};
    publisher.send_video(0, avc_header);
    publisher.send_audio(0, aac_header);
    auto start = Clock::now();
    for (int i = 0; i < 25 * 30 && !stop; ++i) {
        std::vector<std::uint8_t> video(i % 25 == 0 ? 30000 : 3000, 0x42);
        video[0] = i % 25 == 0 ? 0x17 : 0x27;
        video[1] = 1;
        const auto ts = static_cast<std::uint32_t>(i * 40);
        if (!publisher.send_video(ts, video) || !publisher.send_audio(ts, audio)) {
            return;
        }
        std::this_thread::sleep_until(start + std::chrono::milliseconds(40 * (i + 1)));
    }
}

TEST(RtmpCommands, FlashAmf3CommandsGetObjectEncoding3AndPlay) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    int player = start_raw_player(server.port(), "live", "amf3", RawPlayerOptions{.amf3_commands = true});
    ASSERT_GE(player, 0);
    RtmpReader reader(player);
    auto connected = reader.wait_for_result(1, 3s);
    ASSERT_TRUE(connected) << reader.error() << server.process().err();
    ASSERT_GE(connected->size(), 4u);
    EXPECT_EQ((*connected)[3].get_number("objectEncoding"), std::optional<double>(3.0))
        << "SRS echoes the client's objectEncoding";
    EXPECT_TRUE(reader.wait_for_result(2, 3s)) << "createStream: " << reader.error();
    EXPECT_TRUE(reader.wait_for_status("NetStream.Play.Start", 3s)) << reader.error();
    ::close(player);
}

TEST(RtmpCommands, ALatePlayerGetsAKeyframeWellUnderASecondAfterPlay) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    RtmpPublisher publisher;
    ASSERT_TRUE(publisher.start(server.port(), "live", "fast")) << publisher.error();
    std::atomic<bool> stop{false};
    std::thread pacing([&] { publish_until(publisher, stop); });
    std::this_thread::sleep_for(1500ms);  // mid-GOP
    std::vector<double> startup_ms;
    for (int attempt = 0; attempt < 5; ++attempt) {
        auto start = Clock::now();
        int player = start_raw_player(server.port(), "live", "fast");
        ASSERT_GE(player, 0);
        RtmpReader reader(player);
        while (Clock::now() - start < 3s) {
            auto m = reader.next(100ms);
            if (m && m->type_id == 9 && m->payload.size() > 1 && m->payload.data()[0] == 0x17 && m->payload.data()[1] == 1) {
                startup_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
                break;
            }
        }
        ::close(player);
        std::this_thread::sleep_for(230ms);  // join at different points of the GOP
    }
    stop = true;
    pacing.join();
    ASSERT_EQ(startup_ms.size(), 5u) << "a player got no keyframe within 3 s";
    std::printf("connect to first keyframe (ms):");
    for (double ms : startup_ms) {
        std::printf(" %.1f", ms);
    }
    std::printf("\n");
    for (double ms : startup_ms) {
        // connect + handshake + commands + the cached GOP, sent at once (no merged-write wait).
        EXPECT_LT(ms, 900) << "from connect to the first keyframe";
    }
}

}  // namespace
}  // namespace ringcast::test
