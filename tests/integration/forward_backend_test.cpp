// Dynamic forward (SRS's forward backend, the on_forward hook): a publish on the origin makes it
// POST on_forward to a hook server run by the test, which answers with a destination URL that
// renames the stream; the destination ringcast must then carry it (ffprobe sees H.264 + AAC).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/ffprobe_probe.h"
#include "integration/harness.h"
#include "integration/media_files.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

/// A hook server on a free loopback port: every request's body is recorded and answered with
/// `answer` (application/json). One connection at a time, blocking sockets, every wait bounded.
class HookServer {
public:
    explicit HookServer(std::string answer) : answer_(std::move(answer)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(listener_, 16), 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~HookServer() {
        stop_ = true;
        thread_.join();
        ::close(listener_);
    }
    HookServer(const HookServer&) = delete;
    HookServer& operator=(const HookServer&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    /// "request line\n\nbody" of every request so far.
    [[nodiscard]] std::vector<std::string> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    static bool readable(int fd, int timeout_ms) {
        pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
        return ::poll(&p, 1, timeout_ms) == 1;
    }

    void run() {
        while (!stop_) {
            if (!readable(listener_, 100)) {
                continue;
            }
            const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                serve(fd);
                ::close(fd);
            }
        }
    }

    void serve(int fd) {
        std::string request;
        char buf[4096];
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline && request.size() < 64 * 1024 && readable(fd, 100)) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                return;
            }
            request.append(buf, static_cast<std::size_t>(n));
            const std::size_t end = request.find("\r\n\r\n");
            if (end == std::string::npos) {
                continue;
            }
            std::size_t length = 0;
            if (const std::size_t at = request.find("Content-Length: "); at != std::string::npos && at < end) {
                length = std::stoul(request.substr(at + 16));
            }
            if (request.size() < end + 4 + length) {
                continue;
            }
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(request.substr(0, request.find("\r\n")) + "\n\n" + request.substr(end + 4, length));
            }
            const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                         std::to_string(answer_.size()) + "\r\nConnection: close\r\n\r\n" + answer_;
            ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
            return;
        }
    }

    std::string answer_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
};

TEST(ForwardBackend, PublishAsksTheBackendAndForwardsToTheUrlsItAnswers) {
    RtmpServer destination;
    ASSERT_TRUE(destination.ready()) << destination.logs();
    HookServer hooks("{\"code\":0,\"data\":{\"urls\":[\"rtmp://127.0.0.1:" + std::to_string(destination.port()) +
                     "/live/renamed\"]}}");
    RtmpServer origin("vhost __defaultVhost__ {\n    forward {\n        enabled on;\n        backend http://127.0.0.1:" +
                      std::to_string(hooks.port()) + "/api/v1/forward;\n    }\n}\n");
    ASSERT_TRUE(origin.ready()) << origin.logs();

    Process publisher = publish_test_pattern(origin.url("live/original"), 30, "500k");

    Probe probed = probe_until_av(destination.url("live/renamed"), 20s);
    EXPECT_TRUE(probed.h264_and_aac()) << probed.output << "\n" << origin.logs() << "\n" << destination.logs();

    const std::vector<std::string> requests = hooks.requests();
    ASSERT_EQ(requests.size(), 1u) << origin.logs();
    const std::string& request = requests[0];
    EXPECT_TRUE(request.starts_with("POST /api/v1/forward HTTP/1.1\n\n")) << request;
    simdjson::dom::parser parser;
    simdjson::dom::object body;
    const std::string json = request.substr(request.find("\n\n") + 2);
    ASSERT_EQ(parser.parse(json).get(body), simdjson::SUCCESS) << request;
    std::string_view action, vhost, app, stream, server_id, client_id, tc_url, param;
    ASSERT_EQ(body["action"].get(action), simdjson::SUCCESS) << json;
    ASSERT_EQ(body["vhost"].get(vhost), simdjson::SUCCESS) << json;
    ASSERT_EQ(body["app"].get(app), simdjson::SUCCESS) << json;
    ASSERT_EQ(body["stream"].get(stream), simdjson::SUCCESS) << json;
    ASSERT_EQ(body["server_id"].get(server_id), simdjson::SUCCESS) << json;
    // SRS's other fields are there (empty: the stream's owner does not know the publisher).
    EXPECT_EQ(body["client_id"].get(client_id), simdjson::SUCCESS) << json;
    EXPECT_EQ(body["tcUrl"].get(tc_url), simdjson::SUCCESS) << json;
    EXPECT_EQ(body["param"].get(param), simdjson::SUCCESS) << json;
    EXPECT_EQ(action, "on_forward");
    EXPECT_EQ(vhost, "__defaultVhost__");
    EXPECT_EQ(app, "live");
    EXPECT_EQ(stream, "original");
    EXPECT_FALSE(server_id.empty()) << json;

    // The origin's own name for the stream is not published at the destination.
    Probe original = probe(destination.url("live/original"), 5s);
    EXPECT_FALSE(original.h264_and_aac()) << original.output;
}

}  // namespace
}  // namespace ringcast::test
