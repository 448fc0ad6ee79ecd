// HttpHook against a real loopback socket: a thread in the test plays the hook server with a
// blocking socket, so every byte goes through the shard's ring as in the server. Covers the
// request as sent, Content-Length and chunked answers, a non-200 answer, an oversized body (by
// its declared length and by what arrives), a server that never answers (the timeout), a refused
// connect, a close before the answer, and cancel. Then the forward backend's request and answer
// (SRS's on_forward), which are pure functions.
#include "app/http_hook.h"

#include "app/cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "unit/uring/test_support.h"

namespace ringcast::app {
namespace {

using uring::testing::RuntimeTest;

constexpr int kWaitMs = 5000;

// Waits (bounded) for fd to be readable; false on timeout.
bool wait_readable(int fd, int timeout_ms) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

// One connection served by a thread: reads the request (head plus Content-Length body), then
// sends `answer` (if any) and closes; without an answer it waits for the client to close.
class HookServer {
public:
    explicit HookServer(std::optional<std::string> answer) : answer_(std::move(answer)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(listener_, 4), 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~HookServer() {
        join();
        ::close(listener_);
    }
    HookServer(const HookServer&) = delete;
    HookServer& operator=(const HookServer&) = delete;

    void join() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] uring::SocketAddress address() const { return *uring::SocketAddress::parse("127.0.0.1", port_); }
    /// After join(): what the client sent, and whether it closed its side.
    [[nodiscard]] const std::string& request() const { return request_; }
    [[nodiscard]] bool client_closed() const { return client_closed_; }

private:
    void serve() {
        if (!wait_readable(listener_, kWaitMs)) {
            return;
        }
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        read_request(fd);
        if (answer_) {
            ::send(fd, answer_->data(), answer_->size(), MSG_NOSIGNAL);
            ::shutdown(fd, SHUT_WR);
        }
        // Until the client closes (bounded): the hook closes after the answer or its timeout.
        char drain[256];
        while (wait_readable(fd, kWaitMs)) {
            const ssize_t n = ::recv(fd, drain, sizeof drain, 0);
            if (n <= 0) {
                client_closed_ = true;
                break;
            }
        }
        ::close(fd);
    }

    void read_request(int fd) {
        char buf[4096];
        while (wait_readable(fd, kWaitMs)) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                client_closed_ = true;
                return;
            }
            request_.append(buf, static_cast<std::size_t>(n));
            const std::size_t end = request_.find("\r\n\r\n");
            if (end == std::string::npos) {
                continue;
            }
            std::size_t length = 0;
            if (const std::size_t at = request_.find("Content-Length: "); at != std::string::npos) {
                length = std::stoul(request_.substr(at + 16));
            }
            if (request_.size() >= end + 4 + length) {
                return;
            }
        }
    }

    std::optional<std::string> answer_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::string request_;
    bool client_closed_ = false;
};

struct Recorder final : HttpHook::Listener {
    int reports = 0;
    HttpHook::Result result;
    void on_hook_done(HttpHook&, const HttpHook::Result& r) override {
        ++reports;
        result = r;
    }
};

std::size_t thread_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
        ++n;
    }
    return n;
}

class HttpHookTest : public RuntimeTest {
protected:
    void TearDown() override {
        RuntimeTest::TearDown();
        // The connect goes through the ring's io-wq, whose worker thread (iou-wrk) leaves only
        // some time after the ring has closed; other tests in this binary count threads
        // (ServerLifecycle), so wait for it here, bounded.
        reactor.reset();
        ring.reset();
        for (int i = 0; i < 200 && thread_count() > 1; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    // Runs the call to its report (bounded), then until the hook is idle.
    /// Posts "{}" to a server that answers `answer`, and waits for the one report.
    HttpHook::Result post_answered_by(std::string answer) {
        HookServer server(std::move(answer));
        Recorder recorder;
        HttpHook hook(*reactor, nullptr, recorder);
        hook.post(server.address(), "h", "/", "{}");
        run(hook, recorder);
        return recorder.result;
    }

    void run(HttpHook& hook, Recorder& recorder) {
        ASSERT_TRUE(reactor->run_until([&] { return recorder.reports > 0; }, kWaitMs));
        ASSERT_TRUE(reactor->run_until([&] { return hook.idle(); }, kWaitMs));
        EXPECT_EQ(recorder.reports, 1);
    }
};

TEST_F(HttpHookTest, PostsTheJsonAndReadsAContentLengthAnswer) {
    const std::string answer = R"({"code":0,"data":{"urls":["rtmp://x"]}})";
    HookServer server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(answer.size()) + "\r\n\r\n" + answer);
    Recorder recorder;
    HttpHook hook(*reactor, nullptr, recorder);
    hook.post(server.address(), "127.0.0.1:" + std::to_string(server.port()), "/api/v1/forward", "{\"action\":\"on_forward\"}");
    run(hook, recorder);
    EXPECT_TRUE(recorder.result.ok()) << recorder.result.error;
    EXPECT_EQ(recorder.result.status, 200);
    EXPECT_EQ(recorder.result.body, answer);
    server.join();
    const std::string& request = server.request();
    EXPECT_TRUE(request.starts_with("POST /api/v1/forward HTTP/1.1\r\n")) << request;
    EXPECT_NE(request.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos) << request;
    EXPECT_NE(request.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << request;
    EXPECT_NE(request.find("\r\nContent-Length: 23\r\n"), std::string::npos) << request;
    EXPECT_NE(request.find("\r\nConnection: close\r\n"), std::string::npos) << request;
    EXPECT_TRUE(request.ends_with("\r\n\r\n{\"action\":\"on_forward\"}")) << request;
    EXPECT_TRUE(server.client_closed());
}

TEST_F(HttpHookTest, ReadsAChunkedAnswer) {
    const HttpHook::Result result = post_answered_by(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"co\r\n7\r\nde\":0}\n\r\n0\r\n\r\n"));
    EXPECT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(result.body, "{\"code\":0}\n");
}

TEST_F(HttpHookTest, ACloseDelimitedAnswerEndsAtTheClose) {
    const HttpHook::Result result = post_answered_by(std::string("HTTP/1.0 200 OK\r\n\r\n{\"code\":0}"));
    EXPECT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(result.body, "{\"code\":0}");
}

TEST_F(HttpHookTest, ANon200AnswerIsReportedWithItsStatus) {
    const HttpHook::Result result = post_answered_by(std::string("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!"));
    EXPECT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(result.status, 500);
    EXPECT_EQ(result.body, "oops!");
}

TEST_F(HttpHookTest, AnOversizedBodyIsAnError) {
    // Declared too large: refused at the head.
    {
        HookServer server(std::string("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n") + std::string(1000, 'x'));
        Recorder recorder;
        HttpHook hook(*reactor, nullptr, recorder, {.body_bytes_max = 4096});
        hook.post(server.address(), "h", "/", "{}");
        run(hook, recorder);
        EXPECT_FALSE(recorder.result.ok());
        EXPECT_NE(recorder.result.error.find("too large"), std::string::npos) << recorder.result.error;
        EXPECT_TRUE(recorder.result.body.empty());
    }
    // Undeclared (chunked): refused when the bytes pass the bound.
    {
        std::string answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 8; ++i) {
            answer += "400\r\n" + std::string(1024, 'y') + "\r\n";
        }
        answer += "0\r\n\r\n";
        HookServer server(answer);
        Recorder recorder;
        HttpHook hook(*reactor, nullptr, recorder, {.body_bytes_max = 4096});
        hook.post(server.address(), "h", "/", "{}");
        run(hook, recorder);
        EXPECT_FALSE(recorder.result.ok());
        EXPECT_NE(recorder.result.error.find("too large"), std::string::npos) << recorder.result.error;
        EXPECT_LE(recorder.result.body.size(), 4096u);
    }
}

TEST_F(HttpHookTest, GarbageIsAnError) {
    const HttpHook::Result result = post_answered_by(std::string("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    EXPECT_FALSE(result.ok());
    EXPECT_NE(result.error.find("bad answer"), std::string::npos) << result.error;
}

TEST_F(HttpHookTest, AServerThatNeverAnswersTimesOut) {
    HookServer server(std::nullopt);
    Recorder recorder;
    HttpHook hook(*reactor, nullptr, recorder, {.timeout_ms = 200});
    const auto started = std::chrono::steady_clock::now();
    hook.post(server.address(), "h", "/", "{}");
    run(hook, recorder);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(recorder.result.ok());
    EXPECT_NE(recorder.result.error.find("no answer within 200 ms"), std::string::npos) << recorder.result.error;
    EXPECT_GE(took, std::chrono::milliseconds(150));
    EXPECT_LT(took, std::chrono::milliseconds(3000));
    server.join();
    EXPECT_TRUE(server.client_closed());  // the hook let go of the connection
}

TEST_F(HttpHookTest, ACloseBeforeTheAnswerIsAnError) {
    HookServer server{std::string()};  // reads the request, answers nothing, closes
    Recorder recorder;
    HttpHook hook(*reactor, nullptr, recorder);
    hook.post(server.address(), "h", "/", "{}");
    run(hook, recorder);
    EXPECT_FALSE(recorder.result.ok());
    EXPECT_NE(recorder.result.error.find("before an answer"), std::string::npos) << recorder.result.error;
}

TEST_F(HttpHookTest, ARefusedConnectIsAnError) {
    std::uint16_t port = 0;
    {
        HookServer closed_soon(std::nullopt);
        port = closed_soon.port();
        // Connect and leave at once so its thread ends; then nobody listens on the port.
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const uring::SocketAddress address = closed_soon.address();
        ASSERT_EQ(::connect(fd, address.get(), address.length), 0);
        ::close(fd);
    }
    Recorder recorder;
    HttpHook hook(*reactor, nullptr, recorder);
    hook.post(*uring::SocketAddress::parse("127.0.0.1", port), "h", "/", "{}");
    run(hook, recorder);
    EXPECT_FALSE(recorder.result.ok());
    EXPECT_NE(recorder.result.error.find("connect"), std::string::npos) << recorder.result.error;
    EXPECT_EQ(recorder.result.status, 0);
}

TEST_F(HttpHookTest, CancelReportsNothingAndEndsIdle) {
    HookServer server(std::nullopt);
    Recorder recorder;
    HttpHook hook(*reactor, nullptr, recorder);
    hook.post(server.address(), "h", "/", "{}");
    reactor->run_until([] { return false; }, 50);
    hook.cancel();
    ASSERT_TRUE(reactor->run_until([&] { return hook.idle(); }, kWaitMs));
    reactor->run_until([] { return false; }, 50);
    EXPECT_EQ(recorder.reports, 0);
    EXPECT_TRUE(hook.done());
}

TEST(ForwardBackend, RequestHasSrsFields) {
    EXPECT_EQ(forward_backend_request("vid-1", "__defaultVhost__", "live", "s\"1"),
              "{\"action\":\"on_forward\",\"server_id\":\"vid-1\",\"client_id\":\"\",\"ip\":\"\","
              "\"vhost\":\"__defaultVhost__\",\"app\":\"live\",\"tcUrl\":\"\",\"stream\":\"s\\\"1\",\"param\":\"\"}");
}

TEST(ForwardBackend, AnswerUrls) {
    const ForwardBackendAnswer ok =
        parse_forward_backend_answer(R"({"code":0,"data":{"urls":["rtmp://127.0.0.1:19350/test/teststream",7,"rtmp://[::1]"]}})");
    EXPECT_TRUE(ok.error.empty()) << ok.error;
    ASSERT_EQ(ok.urls.size(), 2u);
    EXPECT_EQ(ok.urls[0], "rtmp://127.0.0.1:19350/test/teststream");
    EXPECT_EQ(ok.urls[1], "rtmp://[::1]");
    EXPECT_EQ(ok.dropped, 1u);
    // No urls: no error, nothing to forward (SRS: "destination is still disabled").
    for (const char* none : {R"({"code":0})", R"({"code":0,"data":{}})", R"({"code":0,"data":{"urls":[]}})",
                             R"({"code":0,"data":{"urls":"x"}})"}) {
        const ForwardBackendAnswer answer = parse_forward_backend_answer(none);
        EXPECT_TRUE(answer.error.empty()) << none;
        EXPECT_TRUE(answer.urls.empty()) << none;
    }
    for (const char* bad : {"", "0", "[]", "{", R"({"code":"0"})", R"({"code":1,"data":{"urls":["rtmp://1.2.3.4"]}})",
                            R"({"data":{"urls":["rtmp://1.2.3.4"]}})"}) {
        const ForwardBackendAnswer answer = parse_forward_backend_answer(bad);
        EXPECT_FALSE(answer.error.empty()) << bad;
        EXPECT_TRUE(answer.urls.empty()) << bad;
    }
    std::string many = R"({"code":0,"data":{"urls":[)";
    for (std::size_t i = 0; i < kForwardBackendUrlsMax + 5; ++i) {
        many += std::string(i == 0 ? "" : ",") + "\"rtmp://127.0.0.1\"";
    }
    many += "]}}";
    const ForwardBackendAnswer capped = parse_forward_backend_answer(many);
    EXPECT_EQ(capped.urls.size(), kForwardBackendUrlsMax);
    EXPECT_EQ(capped.dropped, 5u);
}

TEST(ForwardBackend, UrlsAreTakenOnlyWithIpsOrLocalhost) {
    auto target = dynamic_forward_target("rtmp://127.0.0.1:19350/test/teststream");
    ASSERT_TRUE(target.has_value());
    EXPECT_EQ(target->address, "127.0.0.1");
    EXPECT_EQ(target->port, 19350);
    EXPECT_EQ(target->app, "test");
    EXPECT_EQ(target->stream, "teststream");
    target = dynamic_forward_target("rtmp://localhost/live/s");
    ASSERT_TRUE(target.has_value());
    EXPECT_EQ(target->address, "127.0.0.1");
    EXPECT_EQ(target->port, 1935);
    target = dynamic_forward_target("rtmp://[::1]:1936");
    ASSERT_TRUE(target.has_value());
    EXPECT_EQ(target->address, "::1");
    EXPECT_TRUE(target->app.empty());
    for (const char* skipped : {"rtmp://example.com/live/s", "127.0.0.1:1935/live/s", "http://127.0.0.1/live/s",
                                "rtmp://127.0.0.1:0/live/s", "rtmp://127.0.0.1/live", "rtmp://", ""}) {
        EXPECT_FALSE(dynamic_forward_target(skipped).has_value()) << skipped;
    }
}

}  // namespace
}  // namespace ringcast::app
