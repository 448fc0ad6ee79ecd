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

#include "core/byte_io.h"
#include "integration/harness.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/chunk_encoder.h"
#include "proto/rtmp/handshake.h"
#include "proto/rtmp/message.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;
namespace rtmp = proto::rtmp;

bool send_all(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool send_command(int fd, rtmp::ChunkEncoder& encoder, std::uint32_t stream_id, std::string_view name, double tid,
                  const rtmp::Amf0Value& object, std::initializer_list<rtmp::Amf0Value> args) {
    std::vector<std::uint8_t> bytes;
    core::ByteWriter writer(bytes);
    rtmp::write_amf0_command(writer, name, tid, object, std::span<const rtmp::Amf0Value>(args.begin(), args.size()));
    auto chunks = encoder.encode_to_vector(
        rtmp::RtmpMessage{rtmp::message_type::amf0_command, 0, stream_id, 3, core::Buffer::copy_of(std::span(bytes))});
    return chunks && send_all(fd, *chunks);
}

/// Connects, plays `app/stream`, and returns the socket (or -1). Reads nothing after the handshake.
int start_raw_player(std::uint16_t port, const std::string& app, const std::string& stream, int rcvbuf_bytes) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    rtmp::HandshakeClient handshake({.complex = false});
    std::vector<std::uint8_t> out;
    if (!handshake.start(out) || !send_all(fd, out)) {
        ::close(fd);
        return -1;
    }
    std::uint8_t buffer[4096];
    while (!handshake.done()) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            ::close(fd);
            return -1;
        }
        out.clear();
        auto consumed = handshake.feed({buffer, static_cast<std::size_t>(n)}, out);
        if (!consumed || !send_all(fd, out)) {
            ::close(fd);
            return -1;
        }
    }
    rtmp::ChunkEncoder encoder(rtmp::ChunkEncoderOptions{.chunk_size = 128});
    std::string tc_url = "rtmp://127.0.0.1:" + std::to_string(port) + "/" + app;
    bool ok = send_command(fd, encoder, 0, "connect", 1, rtmp::Amf0Value::object({{"app", app}, {"tcUrl", tc_url}}), {}) &&
              send_command(fd, encoder, 0, "createStream", 2, rtmp::Amf0Value::null(), {}) &&
              send_command(fd, encoder, 1, "play", 0, rtmp::Amf0Value::null(), {rtmp::Amf0Value(stream)});
    if (!ok) {
        ::close(fd);
        return -1;
    }
    return fd;
}

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
