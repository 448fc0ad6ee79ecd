// http_server's static files (`dir`) against the real server: curl and raw sockets fetch small
// and large files, ranges, HEAD, conditionals; every way out of dir is refused; keep-alive and
// pipelining answer in order; 100 concurrent downloads of a 5 MB file all arrive intact.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kLargeBytes = 5 * 1024 * 1024;

std::string random_bytes(std::size_t size, std::uint32_t seed) {
    std::mt19937 generator(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes) {
        c = static_cast<char>(generator() & 0xff);
    }
    return bytes;
}

/// A server whose http_server serves `root/html`; `root` also holds files outside dir that no
/// request may reach.
struct StaticServer {
    StaticServer() : root("ringcast-static"), html(root.path() + "/html"), http_port(free_tcp_port()) {
        std::filesystem::create_directories(html);
        large = random_bytes(kLargeBytes, 7);
        root.write_file("html/small.txt", "hello, static\n");
        root.write_file("html/large.bin", large);
        root.write_file("html/index.html", "<html>root index</html>\n");
        root.write_file("html/live/s.m3u8", "#EXTM3U\n#EXT-X-VERSION:3\n");
        root.write_file("html/live/s-1.ts", std::string(188 * 10, 'G'));
        root.write_file("html/noindex/a.txt", "a");
        root.write_file("html/a b.txt", "space");
        root.write_file("secret.txt", "top secret\n");
        root.write_file("outside/secret.txt", "outside secret\n");
        std::filesystem::create_symlink(root.path() + "/secret.txt", html + "/link-out.txt");
        std::filesystem::create_symlink(root.path() + "/outside", html + "/link-dir");
        std::filesystem::create_symlink(html + "/small.txt", html + "/link-in.txt");
        server = std::make_unique<RtmpServer>("http_server {\n enabled on;\n listen " + std::to_string(http_port) +
                                              ";\n dir " + html + ";\n}\n");
    }
    [[nodiscard]] std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(http_port) + path;
    }

    TempDir root;
    std::string html;
    std::uint16_t http_port;
    std::string large;
    std::unique_ptr<RtmpServer> server;
};

struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    [[nodiscard]] std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? "<none>" : it->second;
    }
};

/// Reads from fd into `buffer` until `done(buffer)` or the deadline; false on close or timeout.
template <class Done>
bool read_until(int fd, std::string& buffer, Done done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char chunk[65536];
    while (!done(buffer)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) {
            continue;
        }
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
            return done(buffer);
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
}

/// One response from a keep-alive connection (Content-Length framing); what follows it stays in
/// `buffer` for the next call.
std::optional<Response> read_response(int fd, std::string& buffer, bool head = false) {
    if (!read_until(fd, buffer, [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; })) {
        return std::nullopt;
    }
    const std::size_t head_end = buffer.find("\r\n\r\n") + 4;
    Response response;
    const std::string head_text = buffer.substr(0, head_end);
    response.status = std::atoi(head_text.substr(9, 3).c_str());
    for (std::size_t at = head_text.find("\r\n") + 2; at < head_end - 2;) {
        const std::size_t end = head_text.find("\r\n", at);
        const std::string line = head_text.substr(at, end - at);
        const std::size_t colon = line.find(':');
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        response.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        at = end + 2;
    }
    std::size_t length = 0;
    if (!head && response.status != 304) {
        length = std::stoull(response.header("content-length") == "<none>" ? "0" : response.header("content-length"));
    }
    if (!read_until(fd, buffer, [&](const std::string& b) { return b.size() >= head_end + length; })) {
        return std::nullopt;
    }
    response.body = buffer.substr(head_end, length);
    buffer.erase(0, head_end + length);
    return response;
}

/// One request on a new connection, read until the answer is complete.
Response fetch(std::uint16_t port, const std::string& request, bool head = false) {
    int fd = connect_loopback(port);
    if (fd < 0) {
        return {};
    }
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string buffer;
    std::optional<Response> response = read_response(fd, buffer, head);
    ::close(fd);
    return response.value_or(Response{});
}

Response get(std::uint16_t port, const std::string& path, const std::string& extra_headers = "") {
    return fetch(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n");
}

std::string sha256_of_file(const std::string& path) {
    ProcessResult result = run_command({"sha256sum", path}, 20s);
    return result.out.substr(0, 64);
}

TEST(StaticFiles, CurlFetchesSmallAndLargeFilesByteForByte) {
    StaticServer s;
    ASSERT_TRUE(s.server->ready()) << s.server->process().err();
    const std::string small_out = s.root.path() + "/small.out";
    ProcessResult small = run_command({"curl", "-s", "-o", small_out, "-w", "%{http_code} %{content_type} %{size_download}",
                                       "--max-time", "10", s.url("/small.txt")},
                                      20s);
    EXPECT_EQ(small.out, "200 text/plain 14");
    EXPECT_EQ(read_file(small_out), "hello, static\n");

    const std::string large_out = s.root.path() + "/large.out";
    ProcessResult large = run_command({"curl", "-s", "-o", large_out, "-w", "%{http_code} %{content_type} %{size_download}",
                                       "--max-time", "20", s.url("/large.bin")},
                                      30s);
    EXPECT_EQ(large.out, "200 application/octet-stream " + std::to_string(kLargeBytes));
    EXPECT_EQ(sha256_of_file(large_out), sha256_of_file(s.html + "/large.bin"));

    // "/" and a directory with its '/' serve index.html; without the '/', a redirect there.
    Response index = get(s.http_port, "/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "<html>root index</html>\n");
    EXPECT_EQ(index.header("content-type"), "text/html");
    Response redirect = get(s.http_port, "/live");
    EXPECT_EQ(redirect.status, 301);
    EXPECT_EQ(redirect.header("location"), "/live/");
    EXPECT_EQ(get(s.http_port, "/noindex/").status, 404) << "a directory without index.html";
    EXPECT_EQ(get(s.http_port, "/missing.txt").status, 404);
    EXPECT_EQ(get(s.http_port, "/live/missing/deeper.ts").status, 404);
    EXPECT_EQ(get(s.http_port, "/small.txt/x").status, 404) << "a file used as a directory";
    Response spaced = get(s.http_port, "/a%20b.txt");
    EXPECT_EQ(spaced.status, 200);
    EXPECT_EQ(spaced.body, "space");
    EXPECT_TRUE(s.server->process().running());
}

TEST(StaticFiles, ContentTypesAndLivePlaylistCaching) {
    StaticServer s;
    ASSERT_TRUE(s.server->ready()) << s.server->process().err();
    Response playlist = get(s.http_port, "/live/s.m3u8");
    EXPECT_EQ(playlist.status, 200);
    EXPECT_EQ(playlist.header("content-type"), "application/vnd.apple.mpegurl");
    EXPECT_EQ(playlist.header("cache-control"), "no-cache");
    EXPECT_EQ(playlist.header("last-modified"), "<none>");
    EXPECT_EQ(playlist.header("access-control-allow-origin"), "*") << "crossdomain is on by default";
    EXPECT_EQ(playlist.body, "#EXTM3U\n#EXT-X-VERSION:3\n");

    Response segment = get(s.http_port, "/live/s-1.ts");
    EXPECT_EQ(segment.status, 200);
    EXPECT_EQ(segment.header("content-type"), "video/mp2t");
    EXPECT_EQ(segment.header("cache-control"), "<none>");
    EXPECT_EQ(segment.header("accept-ranges"), "bytes");
    EXPECT_EQ(segment.body.size(), 1880u);

    // Conditional GET: the segment's own Last-Modified gets 304; a playlist never does.
    const std::string last_modified = segment.header("last-modified");
    ASSERT_NE(last_modified, "<none>");
    Response not_modified = get(s.http_port, "/live/s-1.ts", "If-Modified-Since: " + last_modified + "\r\n");
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_EQ(not_modified.body, "");
    EXPECT_EQ(get(s.http_port, "/live/s.m3u8", "If-Modified-Since: " + last_modified + "\r\n").status, 200);
}

TEST(StaticFiles, RangesAndHead) {
    StaticServer s;
    ASSERT_TRUE(s.server->ready()) << s.server->process().err();
    Response middle = get(s.http_port, "/large.bin", "Range: bytes=1000000-1999999\r\n");
    EXPECT_EQ(middle.status, 206);
    EXPECT_EQ(middle.header("content-range"), "bytes 1000000-1999999/" + std::to_string(kLargeBytes));
    EXPECT_EQ(middle.header("content-length"), "1000000");
    EXPECT_TRUE(middle.body == s.large.substr(1000000, 1000000)) << "the exact bytes";

    Response tail = get(s.http_port, "/large.bin", "Range: bytes=-100\r\n");
    EXPECT_EQ(tail.status, 206);
    EXPECT_TRUE(tail.body == s.large.substr(kLargeBytes - 100));
    Response open_ended = get(s.http_port, "/large.bin", "Range: bytes=5242870-\r\n");
    EXPECT_EQ(open_ended.status, 206);
    EXPECT_TRUE(open_ended.body == s.large.substr(5242870));

    // curl -r, the way players ask.
    const std::string out = s.root.path() + "/range.out";
    ProcessResult curl = run_command({"curl", "-s", "-r", "100-199", "-o", out, "-w", "%{http_code}", s.url("/large.bin")}, 20s);
    EXPECT_EQ(curl.out, "206");
    EXPECT_TRUE(read_file(out) == s.large.substr(100, 100));

    Response unsatisfiable = get(s.http_port, "/large.bin", "Range: bytes=99999999-\r\n");
    EXPECT_EQ(unsatisfiable.status, 416);
    EXPECT_EQ(unsatisfiable.header("content-range"), "bytes */" + std::to_string(kLargeBytes));
    Response multi = get(s.http_port, "/small.txt", "Range: bytes=0-1,4-5\r\n");
    EXPECT_EQ(multi.status, 200) << "several ranges: the whole file";
    EXPECT_EQ(multi.body, "hello, static\n");

    // HEAD: the headers GET would send, and not one body byte (the server closes after it).
    int fd = connect_loopback(s.http_port);
    ASSERT_GE(fd, 0);
    const std::string head = "HEAD /large.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    std::string reply;
    read_until(fd, reply, [](const std::string&) { return false; }, 2s);
    ::close(fd);
    EXPECT_EQ(reply.substr(0, reply.find("\r\n")), "HTTP/1.1 200 OK");
    EXPECT_NE(reply.find("Content-Length: " + std::to_string(kLargeBytes) + "\r\n"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("\r\n\r\n") + 4, reply.size()) << "HEAD sent a body";
}

TEST(StaticFiles, NothingOutsideDirIsReachable) {
    StaticServer s;
    ASSERT_TRUE(s.server->ready()) << s.server->process().err();
    for (const char* path : {"/../secret.txt", "/../../../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/etc/passwd",
                             "/live/..%2f..%2fsecret.txt", "/live/%2e%2e/%2e%2e/secret.txt", "/./../secret.txt",
                             "//../secret.txt", "/live/../small.txt"}) {
        Response response = get(s.http_port, path);
        EXPECT_EQ(response.status, 404) << path;
        EXPECT_EQ(response.body.find("secret"), std::string::npos) << path;
        EXPECT_EQ(response.body.find("root:"), std::string::npos) << path;
    }
    // curl normalizes "../" itself unless told not to.
    ProcessResult curl = run_command({"curl", "-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
                                      s.url("/../../../../etc/passwd")},
                                     10s);
    EXPECT_EQ(curl.out, "404");
    // Symbolic links below dir are not followed, wherever they point (static_files.h).
    EXPECT_EQ(get(s.http_port, "/link-out.txt").status, 404) << "a link to a file outside dir";
    EXPECT_EQ(get(s.http_port, "/link-dir/secret.txt").status, 404) << "a link to a directory outside dir";
    EXPECT_EQ(get(s.http_port, "/link-in.txt").status, 404) << "even a link that stays inside dir";
    EXPECT_EQ(fetch(s.http_port, std::string("GET /small%00.txt HTTP/1.1\r\nHost: x\r\n\r\n")).status, 400);
    EXPECT_EQ(get(s.http_port, "/small.txt").status, 200) << "the server still serves";
}

TEST(StaticFiles, KeepAliveAndPipelinedRequestsAreAnsweredInOrder) {
    StaticServer s;
    ASSERT_TRUE(s.server->ready()) << s.server->process().err();
    int fd = connect_loopback(s.http_port);
    ASSERT_GE(fd, 0);
    std::string buffer;
    // One after the other on one connection.
    const std::string first = "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n";
    ::send(fd, first.data(), first.size(), MSG_NOSIGNAL);
    std::optional<Response> one = read_response(fd, buffer);
    ASSERT_TRUE(one);
    EXPECT_EQ(one->status, 200);
    EXPECT_EQ(one->header("connection"), "keep-alive");
    const std::string second = "GET /live/s.m3u8 HTTP/1.1\r\nHost: x\r\n\r\n";
    ::send(fd, second.data(), second.size(), MSG_NOSIGNAL);
    std::optional<Response> two = read_response(fd, buffer);
    ASSERT_TRUE(two);
    EXPECT_EQ(two->status, 200);
    EXPECT_EQ(two->body, "#EXTM3U\n#EXT-X-VERSION:3\n");

    // Pipelined behind a large file: each answer after the previous one's last byte.
    const std::string pipelined = "GET /large.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "HEAD /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\n"
                                  "POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                                  "GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ::send(fd, pipelined.data(), pipelined.size(), MSG_NOSIGNAL);
    std::optional<Response> large = read_response(fd, buffer);
    ASSERT_TRUE(large);
    EXPECT_EQ(large->status, 200);
    EXPECT_TRUE(large->body == s.large);
    std::optional<Response> missing = read_response(fd, buffer);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    std::optional<Response> head = read_response(fd, buffer, true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("content-length"), "14");
    std::optional<Response> range = read_response(fd, buffer);
    ASSERT_TRUE(range);
    EXPECT_EQ(range->status, 206);
    EXPECT_EQ(range->body, "hello");
    std::optional<Response> post = read_response(fd, buffer);
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 405);
    std::optional<Response> last = read_response(fd, buffer);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->status, 200);
    EXPECT_EQ(last->body, "hello, static\n");
    EXPECT_EQ(last->header("connection"), "close");
    EXPECT_FALSE(read_until(fd, buffer, [](const std::string& b) { return !b.empty(); }, 2s)) << "closed after it";
    ::close(fd);
}

TEST(StaticFiles, BadInputBehindAFileIsAnsweredAfterItAndPipeliningIsBounded) {
    StaticServer s;
    ASSERT_TRUE(s.server->ready()) << s.server->process().err();
    // Garbage after a file request: the file first, whole, then the 400, then the close.
    int fd = connect_loopback(s.http_port);
    ASSERT_GE(fd, 0);
    const std::string garbage = "GET /large.bin HTTP/1.1\r\nHost: x\r\n\r\n\x01\x02 garbage\r\n\r\n";
    ::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL);
    std::string buffer;
    std::optional<Response> large = read_response(fd, buffer);
    ASSERT_TRUE(large);
    EXPECT_EQ(large->status, 200);
    EXPECT_TRUE(large->body == s.large);
    std::optional<Response> bad = read_response(fd, buffer);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_FALSE(read_until(fd, buffer, [](const std::string& b) { return !b.empty(); }, 2s)) << "closed after it";
    ::close(fd);

    // More requests waiting behind a file than kPendingRequestsMax: the connection is closed
    // (the client does not read, so they are all there before the file is sent).
    fd = connect_loopback(s.http_port, 4096);
    ASSERT_GE(fd, 0);
    std::string flood;
    for (int i = 0; i < 1 + 8 + 1; ++i) {
        flood += "GET /large.bin HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    ::send(fd, flood.data(), flood.size(), MSG_NOSIGNAL);
    buffer.clear();
    read_until(fd, buffer, [](const std::string&) { return false; }, 3s);
    ::close(fd);
    EXPECT_LT(buffer.size(), kLargeBytes) << "the first answer was cut by the close";
    EXPECT_EQ(get(s.http_port, "/small.txt").status, 200) << "the server still serves";
    EXPECT_TRUE(s.server->process().running());
}

TEST(StaticFiles, AHundredConcurrentDownloadsAllArriveIntact) {
    StaticServer s;
    ASSERT_TRUE(s.server->ready()) << s.server->process().err();
    constexpr int kClients = 100;
    std::atomic<int> intact{0};
    std::vector<std::string> failures(kClients);
    std::vector<std::thread> clients;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back([&, i] {
            int fd = connect_loopback(s.http_port);
            if (fd < 0) {
                failures[i] = "connect failed";
                return;
            }
            const std::string request = "GET /large.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
            std::string buffer;
            std::optional<Response> response = read_response(fd, buffer);
            ::close(fd);
            if (!response) {
                failures[i] = "no complete answer";
            } else if (response->status != 200 || response->body != s.large) {
                failures[i] = "status " + std::to_string(response->status) + ", " + std::to_string(response->body.size()) +
                              " bytes, not the file";
            } else {
                intact.fetch_add(1);
            }
        });
    }
    for (std::thread& client : clients) {
        client.join();
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(intact.load(), kClients);
    for (int i = 0; i < kClients; ++i) {
        EXPECT_EQ(failures[i], "") << "client " << i;
    }
    std::printf("%d x %zu bytes in %.2f s (%.0f MB/s aggregate)\n", kClients, kLargeBytes, seconds,
                kClients * static_cast<double>(kLargeBytes) / seconds / 1e6);
    EXPECT_TRUE(s.server->process().running());
}

}  // namespace
}  // namespace ringcast::test
