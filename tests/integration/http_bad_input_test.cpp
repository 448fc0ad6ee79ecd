// Bad HTTP input against the real server: each gets its status (or a closed connection), only
// that connection is affected, and the server keeps serving HTTP-FLV and RTMP.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "integration/harness.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

class HttpServer {
public:
    HttpServer()
        : http_port_(free_tcp_port()),
          server_("http_server {\n enabled on;\n listen " + std::to_string(http_port_) +
                  ";\n}\nvhost __defaultVhost__ {\n http_remux {\n  enabled on;\n }\n}\n") {}
    [[nodiscard]] bool ready() const { return server_.ready(); }
    [[nodiscard]] std::uint16_t port() const { return http_port_; }
    RtmpServer& server() { return server_; }

private:
    std::uint16_t http_port_;
    RtmpServer server_;
};

/// Sends `request` and reads what comes back until the server closes or `timeout`.
std::string exchange(std::uint16_t port, const std::string& request, std::chrono::milliseconds timeout = 3s) {
    int fd = connect_loopback(port);
    if (fd < 0) {
        return "connect failed";
    }
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string reply;
    char buffer[4096];
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) {
            continue;
        }
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            reply += "<closed>";
            break;
        }
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return reply;
}

std::string status_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

TEST(HttpBadInput, EachGetsItsStatusAndOnlyItsConnectionCloses) {
    HttpServer http;
    ASSERT_TRUE(http.ready()) << http.server().process().err();
    const std::string big_header = "GET /live/s.flv HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
    std::string many_headers = "GET /live/s.flv HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 101; ++i) {
        many_headers += "X-H" + std::to_string(i) + ": v\r\n";
    }
    many_headers += "\r\n";
    const std::string long_uri = "GET /" + std::string(9000, 'u') + ".flv HTTP/1.1\r\nHost: x\r\n\r\n";
    struct Case {
        const char* what;
        std::string request;
        std::string status;
    } cases[] = {
        {"oversized header", big_header, "HTTP/1.1 431 Request Header Fields Too Large"},
        {"too many headers", many_headers, "HTTP/1.1 431 Request Header Fields Too Large"},
        {"URI over 8 KiB", long_uri, "HTTP/1.1 414 URI Too Long"},
        {"garbage", std::string("\x01\x02\x03 hello\r\n\r\n", 14), "HTTP/1.1 400 Bad Request"},
        {"NUL in the path", std::string("GET /a%00b.flv HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 400 Bad Request"},
        {"path escape", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 404 Not Found"},
    };
    for (const Case& c : cases) {
        const std::string reply = exchange(http.port(), c.request);
        EXPECT_EQ(status_line(reply), c.status) << c.what;
        EXPECT_NE(reply.find("<closed>"), std::string::npos) << c.what << ": the connection stayed open";
    }
    // Meanwhile a well-formed keep-alive client is served twice on one connection.
    const std::string two = exchange(http.port(),
                                     "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n", 1s);
    std::size_t answers = 0;
    for (std::size_t at = two.find("HTTP/1.1 404"); at != std::string::npos; at = two.find("HTTP/1.1 404", at + 1)) {
        ++answers;
    }
    EXPECT_EQ(answers, 2u) << two;
    EXPECT_TRUE(http.server().process().running());
}

TEST(HttpBadInput, ASlowClientDoesNotHoldUpOthers) {
    HttpServer http;
    ASSERT_TRUE(http.ready()) << http.server().process().err();
    int slow = connect_loopback(http.port());
    ASSERT_GE(slow, 0);
    const std::string request = "GET /live/s.flv HTTP/1.1\r\nHost: x\r\n";
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < 20; ++i) {  // one byte every 100 ms, never finishing
        ::send(slow, request.data() + i, 1, MSG_NOSIGNAL);
        const std::string reply = exchange(http.port(), "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1s);
        EXPECT_EQ(status_line(reply), "HTTP/1.1 404 Not Found") << "while a slow client sends byte " << i;
        std::this_thread::sleep_until(start + std::chrono::milliseconds(100 * (i + 1)));
    }
    ::close(slow);
    EXPECT_TRUE(http.server().process().running());
}

}  // namespace
}  // namespace ringcast::test
