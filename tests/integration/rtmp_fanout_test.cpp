// 500 players on one stream: each gets (nearly) all of it, with no timestamp regressions.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/rtmp_client.h"
#include "proto/rtmp/chunk_decoder.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

struct Player {
    int fd = -1;
    std::size_t bytes = 0;
    proto::rtmp::ChunkDecoder decoder;
    std::map<int, std::uint32_t> last_timestamp;  // per message type
    int regressions = 0;
    int media_messages = 0;
    std::vector<std::pair<std::uint32_t, std::size_t>> media;  // (timestamp, payload bytes)
    bool failed = false;
};

/// AVC and AAC sequence headers carry timestamp 0 whenever a player joins; they are not part of
/// the media timeline the players are compared on.
bool is_sequence_header(int type_id, const core::Buffer& payload) {
    if (payload.size() < 2) {
        return false;
    }
    const auto* bytes = payload.data();
    return (type_id == 9 && (bytes[0] & 0x0f) == 7 && bytes[1] == 0) || (type_id == 8 && (bytes[0] >> 4) == 10 && bytes[1] == 0);
}

TEST(RtmpFanout, FiveHundredPlayersEachGetTheStream) {
    TempDir dir;
    std::string sample = dir.path() + "/sample.flv";
    ASSERT_EQ(run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                           "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine", "-t", "20", "-c:v", "libx264",
                           "-preset", "ultrafast", "-b:v", "2M", "-g", "50", "-c:a", "aac", "-f", "flv", "-y", sample},
                          60s)
                  .exit_code,
              0);
    std::uint16_t port = free_tcp_port();
    std::string conf = dir.write_file("f.conf", "daemon off;\nsrs_log_tank console;\nsrs_log_level warn;\nworkers 2;\npid " +
                                                    dir.path() + "/p.pid;\nlisten " + std::to_string(port) + ";\n");
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    std::this_thread::sleep_for(500ms);
    ASSERT_TRUE(server.running()) << server.err();
    std::string url = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/fan";
    Process publisher = Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", sample, "-c", "copy",
                                        "-f", "flv", url});
    std::this_thread::sleep_for(2s);

    constexpr int kPlayers = 500;
    std::vector<std::unique_ptr<Player>> players;
    for (int i = 0; i < kPlayers; ++i) {
        auto player = std::make_unique<Player>();
        player->fd = start_raw_player(port, "live", "fan");
        ASSERT_GE(player->fd, 0) << "player " << i;
        players.push_back(std::move(player));
    }
    // Read everything for 8 s.
    std::vector<pollfd> fds(kPlayers);
    for (int i = 0; i < kPlayers; ++i) {
        fds[i] = {players[i]->fd, POLLIN, 0};
    }
    std::vector<std::uint8_t> buffer(256 * 1024);
    auto deadline = std::chrono::steady_clock::now() + 8s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::poll(fds.data(), fds.size(), 100) <= 0) {
            continue;
        }
        for (int i = 0; i < kPlayers; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            Player& p = *players[i];
            ssize_t n = ::recv(p.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n <= 0) {
                fds[i].fd = -1;
                continue;
            }
            p.bytes += static_cast<std::size_t>(n);
            auto status = p.decoder.feed({buffer.data(), static_cast<std::size_t>(n)}, [&](proto::rtmp::RtmpMessage&& m) {
                if (m.type_id == 8 || m.type_id == 9) {
                    auto last = p.last_timestamp.find(m.type_id);
                    if (last != p.last_timestamp.end() && m.timestamp < last->second) {
                        ++p.regressions;
                    }
                    p.last_timestamp[m.type_id] = m.timestamp;
                    ++p.media_messages;
                    if (!is_sequence_header(m.type_id, m.payload)) {
                        p.media.emplace_back(m.timestamp, m.payload.size());
                    }
                }
            });
            p.failed |= !status;
        }
    }
    // Players joined over a moment and each started at the GOP cache's keyframe (those that came
    // after a keyframe, at that one), so compare the media every player should have: timestamps
    // inside the window all of them covered.
    std::uint32_t window_start = 0;
    std::uint32_t window_end = UINT32_MAX;
    for (auto& p : players) {
        ASSERT_FALSE(p->media.empty());
        window_start = std::max(window_start, p->media.front().first);
        window_end = std::min(window_end, p->media.back().first);
    }
    ASSERT_GT(window_end, window_start + 3000) << "less than 3 s of media common to all players";
    std::vector<std::size_t> window_bytes;
    for (auto& p : players) {
        std::size_t bytes = 0;
        for (auto& [ts, size] : p->media) {
            bytes += ts >= window_start && ts <= window_end ? size : 0;
        }
        window_bytes.push_back(bytes);
    }
    std::size_t most = *std::max_element(window_bytes.begin(), window_bytes.end());
    int short_players = 0;
    int regressions = 0;
    int failed = 0;
    for (std::size_t i = 0; i < players.size(); ++i) {
        short_players += window_bytes[i] < most * 95 / 100;
        regressions += players[i]->regressions;
        failed += players[i]->failed;
        ::close(players[i]->fd);
    }
    // The emptiest players, to tell a lost GOP from a slow start when this fails.
    std::vector<std::size_t> order(players.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return window_bytes[a] < window_bytes[b]; });
    for (std::size_t k = 0; k < 5 && short_players > 0; ++k) {
        std::size_t i = order[k];
        auto& m = players[i]->media;
        std::printf("player %zu: %zu msgs first %u last %u window bytes %zu total bytes %zu\n", i, m.size(), m.front().first,
                    m.back().first, window_bytes[i], players[i]->bytes);
    }
    std::vector<std::size_t> sorted = window_bytes;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(short_players, 0) << "min " << sorted.front() << " median " << sorted[sorted.size() / 2] << "; players under 95% of the " << most << " media bytes of a "
                                << (window_end - window_start) << " ms window";
    EXPECT_EQ(regressions, 0);
    EXPECT_EQ(failed, 0) << "chunk streams that did not decode";
    ::kill(server.pid(), SIGTERM);
    EXPECT_EQ(server.wait(5s).exit_code, 0);
}

}  // namespace
}  // namespace ringcast::test
