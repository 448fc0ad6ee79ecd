// 500 players on one stream, over RTMP and over HTTP-FLV: each gets (nearly) all of it, with no
// timestamp regressions.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/fanout_check.h"
#include "integration/harness.h"
#include "integration/rtmp_client.h"
#include "media/flv.h"
#include "proto/rtmp/chunk_decoder.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

constexpr int kPlayers = 500;

/// A ringcast with RTMP and HTTP-FLV and an ffmpeg publishing a 20 s sample of live/fan.
class FanoutServer {
public:
    FanoutServer() : rtmp_port_(free_tcp_port()), http_port_(free_tcp_port()) {
        std::string sample = dir_.path() + "/sample.flv";
        made_sample_ = run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                                    "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine", "-t", "20", "-c:v",
                                    "libx264", "-preset", "ultrafast", "-b:v", "2M", "-g", "50", "-c:a", "aac", "-f", "flv",
                                    "-y", sample},
                                   60s)
                           .exit_code == 0;
        std::string conf = dir_.write_file(
            "f.conf", "daemon off;\nsrs_log_tank console;\nsrs_log_level warn;\nworkers 2;\npid " + dir_.path() +
                          "/p.pid;\nlisten " + std::to_string(rtmp_port_) + ";\nhttp_server {\n enabled on;\n listen " +
                          std::to_string(http_port_) +
                          ";\n}\nvhost __defaultVhost__ {\n http_remux {\n  enabled on;\n  mount [vhost]/[app]/[stream].flv;\n }\n}\n");
        server_ = std::make_unique<Process>(Process::spawn({RINGCAST_BIN, "-c", conf}));
        std::this_thread::sleep_for(500ms);
        publisher_ = std::make_unique<Process>(
            Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", sample, "-c", "copy", "-f", "flv",
                            "rtmp://127.0.0.1:" + std::to_string(rtmp_port_) + "/live/fan"}));
        std::this_thread::sleep_for(2s);
    }
    ~FanoutServer() {
        ::kill(server_->pid(), SIGTERM);
        server_->wait(5s);
    }
    [[nodiscard]] bool ready() const { return made_sample_ && server_->running(); }
    Process& process() { return *server_; }
    std::uint16_t rtmp_port_;
    std::uint16_t http_port_;

private:
    TempDir dir_;
    bool made_sample_ = false;
    std::unique_ptr<Process> server_;
    std::unique_ptr<Process> publisher_;
};

void expect_every_player_served(std::vector<std::unique_ptr<FanoutPlayer>>& players, Process& server) {
    FanoutResult result = run_fanout(players, 8s);
    EXPECT_GT(result.window_ms, 3000u) << "less than 3 s of media common to all players";
    EXPECT_EQ(result.short_players, 0) << result.describe();
    EXPECT_EQ(result.regressions, 0) << result.describe();
    EXPECT_EQ(result.failed, 0) << result.describe();
    EXPECT_TRUE(server.running()) << server.err();
}

TEST(Fanout, FiveHundredRtmpPlayersEachGetTheStream) {
    FanoutServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    std::vector<std::unique_ptr<FanoutPlayer>> players;
    std::vector<std::unique_ptr<proto::rtmp::ChunkDecoder>> decoders;
    for (int i = 0; i < kPlayers; ++i) {
        auto player = std::make_unique<FanoutPlayer>();
        player->fd = start_raw_player(server.rtmp_port_, "live", "fan");
        ASSERT_GE(player->fd, 0) << "player " << i;
        auto& decoder = *decoders.emplace_back(std::make_unique<proto::rtmp::ChunkDecoder>());
        FanoutPlayer& p = *player;
        player->feed = [&decoder, &p](std::span<const std::uint8_t> bytes) {
            return static_cast<bool>(decoder.feed(bytes, [&](proto::rtmp::RtmpMessage&& m) {
                if (m.type_id == 8 || m.type_id == 9) {
                    p.record(m.type_id, m.timestamp, m.payload.span());
                }
            }));
        };
        players.push_back(std::move(player));
    }
    expect_every_player_served(players, server.process());
}

TEST(Fanout, FiveHundredHttpFlvPlayersEachGetTheStream) {
    FanoutServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    std::vector<std::unique_ptr<FanoutPlayer>> players;
    std::vector<std::unique_ptr<media::FlvTagReader>> readers;
    const std::string request = "GET /live/fan.flv HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < kPlayers; ++i) {
        auto player = std::make_unique<FanoutPlayer>();
        player->fd = connect_loopback(server.http_port_);
        ASSERT_GE(player->fd, 0) << "player " << i;
        ASSERT_EQ(::send(player->fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
        auto& reader = *readers.emplace_back(std::make_unique<media::FlvTagReader>());
        FanoutPlayer& p = *player;
        // HTTP/1.0: the response head, then the FLV file itself until the connection ends.
        player->feed = [&reader, &p, head = std::string()](std::span<const std::uint8_t> bytes) mutable {
            if (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
                std::size_t used = 0;
                while (used < bytes.size() && (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0)) {
                    head.push_back(static_cast<char>(bytes[used++]));
                }
                if (head.size() > 16 * 1024 || (head.size() >= 12 && head.compare(9, 3, "200") != 0)) {
                    return false;
                }
                bytes = bytes.subspan(used);
            }
            return static_cast<bool>(reader.feed(bytes, [&](const media::FlvTagView& tag) {
                if (tag.kind == media::FrameKind::audio || tag.kind == media::FrameKind::video) {
                    p.record(static_cast<int>(tag.kind), tag.timestamp_ms, tag.payload);
                }
            }));
        };
        players.push_back(std::move(player));
    }
    expect_every_player_served(players, server.process());
}

}  // namespace
}  // namespace ringcast::test
