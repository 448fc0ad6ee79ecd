// HTTP request parser: requests as curl, ffmpeg and flv.js (a browser's fetch) send them,
// methods, target forms, query parsing and percent-decoding, keep-alive rules, pipelining,
// bodies (Content-Length and chunked), every limit at its boundary, and garbage. Every parse
// is also fed split at every offset and byte by byte, and must give the same outcome.
#include "proto/http/request_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::proto::http {
namespace {

// Everything a request carries, as one comparable string.
std::string dump(const HttpRequest& r) {
    std::ostringstream os;
    os << r.method_name << " " << static_cast<int>(r.method) << " [" << r.target << "] path=[" << r.path << "] query=["
       << r.query << "] v" << r.version_major << "." << r.version_minor << " ka=" << r.keep_alive
       << " up=" << r.upgrade << " chunked=" << r.chunked << " params:";
    for (const auto& q : r.query_params) {
        os << " [" << q.name << "]=[" << q.value << "]";
    }
    os << " headers:";
    for (const auto& h : r.headers) {
        os << " [" << h.name << "]=[" << h.value << "]";
    }
    os << " body=[" << r.body << "]";
    return os.str();
}

struct Outcome {
    std::vector<HttpRequest> requests;
    std::vector<std::string> dumps;
    bool ok = true;
    HttpError error = HttpError::none;
    std::uint16_t status = 0;
    bool finished = false;
    bool mid_request = false;
};

std::span<const std::uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Feeds `text` in the pieces given by the cut offsets (sorted, inside the text).
Outcome parse_cuts(std::string_view text, const std::vector<std::size_t>& cuts, HttpRequestLimits limits = {}) {
    HttpRequestParser parser(limits);
    Outcome out;
    std::size_t pos = 0;
    auto feed_to = [&](std::size_t end) {
        if (!out.ok) {
            return;
        }
        auto status = parser.feed(bytes_of(text.substr(pos, end - pos)), [&](HttpRequest&& r) {
            out.dumps.push_back(dump(r));
            out.requests.push_back(std::move(r));
        });
        pos = end;
        if (!status) {
            out.ok = false;
            EXPECT_TRUE(parser.failed());
            EXPECT_EQ(status.error().code,
                      parser.error_kind() == HttpError::bad_request ? core::Errc::protocol : core::Errc::too_large);
        }
    };
    for (std::size_t cut : cuts) {
        feed_to(cut);
    }
    feed_to(text.size());
    out.error = parser.error_kind();
    out.status = parser.error_status();
    out.finished = parser.finished();
    out.mid_request = parser.mid_request();
    return out;
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& how) {
    EXPECT_EQ(a.ok, b.ok) << how;
    EXPECT_EQ(a.error, b.error) << how;
    EXPECT_EQ(a.dumps, b.dumps) << how;
    EXPECT_EQ(a.finished, b.finished) << how;
    EXPECT_EQ(a.mid_request, b.mid_request) << how;
}

// Parses whole, then split at every offset (one cut) and byte by byte; all must agree.
Outcome parse(std::string_view text, HttpRequestLimits limits = {}) {
    Outcome whole = parse_cuts(text, {}, limits);
    // One cut at every offset is quadratic: cap it for the long limit tests, which still get
    // the byte-by-byte run below.
    const std::size_t step = text.size() > 4096 ? text.size() / 97 + 1 : 1;
    for (std::size_t cut = 1; cut < text.size(); cut += step) {
        expect_same(whole, parse_cuts(text, {cut}, limits), "cut at " + std::to_string(cut));
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < text.size(); ++i) {
        every.push_back(i);
    }
    expect_same(whole, parse_cuts(text, every, limits), "byte by byte");
    return whole;
}

HttpRequest parse_one(std::string_view text) {
    Outcome out = parse(text);
    EXPECT_TRUE(out.ok) << "status " << out.status;
    EXPECT_EQ(out.requests.size(), 1u);
    return out.requests.empty() ? HttpRequest{} : std::move(out.requests.front());
}

void expect_error(std::string_view text, HttpError error, HttpRequestLimits limits = {}) {
    const Outcome out = parse(text, limits);
    EXPECT_FALSE(out.ok) << text.substr(0, 80);
    EXPECT_EQ(out.error, error) << text.substr(0, 80);
}

TEST(HttpRequestParser, CurlGet) {
    const HttpRequest r = parse_one(
        "GET /live/livestream.flv HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "User-Agent: curl/7.88.1\r\n"
        "Accept: */*\r\n"
        "\r\n");
    EXPECT_EQ(r.method, HttpMethod::get);
    EXPECT_EQ(r.method_name, "GET");
    EXPECT_EQ(r.target, "/live/livestream.flv");
    EXPECT_EQ(r.path, "/live/livestream.flv");
    EXPECT_EQ(r.query, "");
    EXPECT_TRUE(r.query_params.empty());
    EXPECT_EQ(r.version_major, 1);
    EXPECT_EQ(r.version_minor, 1);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_FALSE(r.upgrade);
    ASSERT_EQ(r.headers.size(), 3u);
    EXPECT_EQ(r.headers[0].name, "Host");
    EXPECT_EQ(r.header("host"), "127.0.0.1:8080");
    EXPECT_EQ(r.header("USER-AGENT"), "curl/7.88.1");
    EXPECT_EQ(r.header("Accept"), "*/*");
    EXPECT_FALSE(r.header("Range").has_value());
    EXPECT_TRUE(r.body.empty());
}

TEST(HttpRequestParser, FfmpegGet) {
    // What ffmpeg 5.1 (Lavf 59) sends to play an HTTP-FLV stream.
    const Outcome out = parse(
        "GET /live/livestream.flv?vhost=__defaultVhost__ HTTP/1.1\r\n"
        "User-Agent: Lavf/59.27.100\r\n"
        "Accept: */*\r\n"
        "Range: bytes=0-\r\n"
        "Connection: close\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Icy-MetaData: 1\r\n"
        "\r\n");
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.requests.size(), 1u);
    const HttpRequest& r = out.requests[0];
    EXPECT_EQ(r.path, "/live/livestream.flv");
    EXPECT_EQ(r.query_param("vhost"), "__defaultVhost__");
    EXPECT_EQ(r.header("range"), "bytes=0-");
    EXPECT_FALSE(r.keep_alive);
    EXPECT_TRUE(out.finished);
    EXPECT_FALSE(out.mid_request);
}

TEST(HttpRequestParser, FlvJsFetch) {
    const HttpRequest r = parse_one(
        "GET /live/livestream.flv HTTP/1.1\r\n"
        "Host: localhost:8080\r\n"
        "Connection: keep-alive\r\n"
        "sec-ch-ua: \"Chromium\";v=\"118\", \"Not=A?Brand\";v=\"99\"\r\n"
        "sec-ch-ua-mobile: ?0\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0 Safari/537.36\r\n"
        "sec-ch-ua-platform: \"Linux\"\r\n"
        "Accept: */*\r\n"
        "Origin: http://localhost:8000\r\n"
        "Sec-Fetch-Site: same-site\r\n"
        "Sec-Fetch-Mode: cors\r\n"
        "Sec-Fetch-Dest: empty\r\n"
        "Referer: http://localhost:8000/\r\n"
        "Accept-Encoding: gzip, deflate, br\r\n"
        "Accept-Language: en-US,en;q=0.9\r\n"
        "\r\n");
    EXPECT_EQ(r.headers.size(), 14u);
    EXPECT_EQ(r.header("origin"), "http://localhost:8000");
    EXPECT_EQ(r.header("SEC-CH-UA"), "\"Chromium\";v=\"118\", \"Not=A?Brand\";v=\"99\"");
    EXPECT_TRUE(r.keep_alive);
}

TEST(HttpRequestParser, Methods) {
    struct Case {
        std::string_view name;
        HttpMethod method;
    };
    for (const Case& c : {Case{"GET", HttpMethod::get}, Case{"HEAD", HttpMethod::head}, Case{"POST", HttpMethod::post},
                          Case{"PUT", HttpMethod::put}, Case{"DELETE", HttpMethod::delete_},
                          Case{"OPTIONS", HttpMethod::options}, Case{"PATCH", HttpMethod::other},
                          Case{"PROPFIND", HttpMethod::other}}) {
        const HttpRequest r = parse_one(std::string(c.name) + " /api/v1/streams/ HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(r.method, c.method) << c.name;
        EXPECT_EQ(r.method_name, c.name);
    }
    expect_error("FOO / HTTP/1.1\r\n\r\n", HttpError::bad_request);
    expect_error("get / HTTP/1.1\r\n\r\n", HttpError::bad_request);
}

TEST(HttpRequestParser, HeadRequest) {
    const HttpRequest r = parse_one("HEAD /live/a.flv HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.method, HttpMethod::head);
    EXPECT_EQ(r.path, "/live/a.flv");
}

TEST(HttpRequestParser, QueryParameters) {
    const HttpRequest r =
        parse_one("GET /live/s.flv?vhost=a.com&token=x%20y+z&empty=&flag&&=v&a%3Db=c%26d HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.path, "/live/s.flv");
    EXPECT_EQ(r.query, "vhost=a.com&token=x%20y+z&empty=&flag&&=v&a%3Db=c%26d");
    ASSERT_EQ(r.query_params.size(), 6u);
    EXPECT_EQ(r.query_params[0].name, "vhost");
    EXPECT_EQ(r.query_params[0].value, "a.com");
    EXPECT_EQ(r.query_param("token"), "x y z");
    EXPECT_EQ(r.query_param("empty"), "");
    EXPECT_EQ(r.query_param("flag"), "");
    EXPECT_EQ(r.query_params[4].name, "");
    EXPECT_EQ(r.query_params[4].value, "v");
    EXPECT_EQ(r.query_param("a=b"), "c&d");
    EXPECT_FALSE(r.query_param("missing").has_value());
    EXPECT_FALSE(r.query_param("VHOST").has_value());
}

TEST(HttpRequestParser, PercentDecodedPath) {
    EXPECT_EQ(parse_one("GET /live/%E4%B8%AD%e6%96%87.flv HTTP/1.1\r\n\r\n").path, "/live/\xE4\xB8\xAD\xE6\x96\x87.flv");
    EXPECT_EQ(parse_one("GET /a+b%20c HTTP/1.1\r\n\r\n").path, "/a+b c");
    // `..` stays visible, escaped or not, for the server to refuse.
    EXPECT_EQ(parse_one("GET /live/../etc/passwd HTTP/1.1\r\n\r\n").path, "/live/../etc/passwd");
    EXPECT_EQ(parse_one("GET /live/%2e%2E/x HTTP/1.1\r\n\r\n").path, "/live/../x");
    EXPECT_EQ(parse_one("GET /live%2F..%2Fx HTTP/1.1\r\n\r\n").path, "/live/../x");
    expect_error("GET /a%00b HTTP/1.1\r\n\r\n", HttpError::bad_request);
    expect_error("GET /a%G0 HTTP/1.1\r\n\r\n", HttpError::bad_request);
    expect_error("GET /a%4 HTTP/1.1\r\n\r\n", HttpError::bad_request);
    expect_error("GET /a% HTTP/1.1\r\n\r\n", HttpError::bad_request);
    expect_error("GET /a?x=%00 HTTP/1.1\r\n\r\n", HttpError::bad_request);
    expect_error("GET /a?x=%zz HTTP/1.1\r\n\r\n", HttpError::bad_request);
    expect_error("GET /a?%=1 HTTP/1.1\r\n\r\n", HttpError::bad_request);
    expect_error(std::string_view("GET /a\0b HTTP/1.1\r\n\r\n", 21), HttpError::bad_request);
    EXPECT_EQ(parse(std::string_view("GET /a\0b HTTP/1.1\r\n\r\n", 21)).status, 400);
}

TEST(HttpRequestParser, TargetForms) {
    HttpRequest r = parse_one("GET http://example.com:8080/live/s.flv?x=1#frag HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.path, "/live/s.flv");
    EXPECT_EQ(r.query, "x=1");
    EXPECT_EQ(parse_one("GET http://example.com HTTP/1.1\r\n\r\n").path, "/");
    r = parse_one("GET http://example.com?a=b HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.path, "/");
    EXPECT_EQ(r.query_param("a"), "b");
    r = parse_one("OPTIONS * HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.method, HttpMethod::options);
    EXPECT_EQ(r.path, "*");
    EXPECT_EQ(parse_one("GET /a#b?c HTTP/1.1\r\n\r\n").path, "/a");
    EXPECT_EQ(parse_one("GET /a?b#c HTTP/1.1\r\n\r\n").query, "b");
    r = parse_one("CONNECT example.com:443 HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.method, HttpMethod::other);
    EXPECT_EQ(r.path, "");
    EXPECT_TRUE(r.upgrade);
}

TEST(HttpRequestParser, KeepAliveRules) {
    struct Case {
        std::string_view request;
        bool keep_alive;
    };
    for (const Case& c : {
             Case{"GET / HTTP/1.1\r\n\r\n", true},
             Case{"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
             Case{"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", false},
             Case{"GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", true},
             Case{"GET / HTTP/1.0\r\n\r\n", false},
             Case{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
             Case{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
             Case{"GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false},
         }) {
        const Outcome out = parse(c.request);
        ASSERT_EQ(out.requests.size(), 1u) << c.request;
        EXPECT_EQ(out.requests[0].keep_alive, c.keep_alive) << c.request;
        EXPECT_EQ(out.finished, !c.keep_alive) << c.request;
    }
    EXPECT_EQ(parse_one("GET / HTTP/1.0\r\n\r\n").version_minor, 0);
}

TEST(HttpRequestParser, NothingAfterAFinalRequest) {
    // RFC 9112 section 9.6: no request after one that closes is processed; its bytes are
    // dropped, even garbage.
    const Outcome out = parse("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n\x01\x02garbage");
    EXPECT_TRUE(out.ok);
    ASSERT_EQ(out.requests.size(), 1u);
    EXPECT_EQ(out.requests[0].path, "/a");
    EXPECT_TRUE(out.finished);
}

TEST(HttpRequestParser, Pipelining) {
    const Outcome out = parse(
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /api/v1/clients HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
        "\r\n"  // an empty line between requests is skipped (RFC 9112 section 2.2)
        "HEAD /c?x=1 HTTP/1.1\r\n\r\n"
        "GET /d HTTP/1.0\r\n\r\n");
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.requests.size(), 4u);
    EXPECT_EQ(out.requests[0].path, "/a");
    EXPECT_EQ(out.requests[1].method, HttpMethod::post);
    EXPECT_EQ(out.requests[1].body, "hello");
    EXPECT_TRUE(out.requests[1].headers.size() == 1 && out.requests[0].header("Content-Length") == std::nullopt);
    EXPECT_EQ(out.requests[2].method, HttpMethod::head);
    EXPECT_EQ(out.requests[2].query_param("x"), "1");
    EXPECT_FALSE(out.requests[3].keep_alive);
    EXPECT_TRUE(out.finished);
}

TEST(HttpRequestParser, HeaderValuesTrimmedAndFolded) {
    const HttpRequest r = parse_one(
        "GET / HTTP/1.1\r\n"
        "A:   spaced  \t\r\n"
        "B:\r\n"
        "C: first\r\n"
        "   second\r\n"
        "D:\tx y\r\n"
        "\r\n");
    ASSERT_EQ(r.headers.size(), 4u);
    EXPECT_EQ(r.header("a"), "spaced");
    EXPECT_EQ(r.header("b"), "");
    EXPECT_EQ(r.header("c"), "first   second");
    EXPECT_EQ(r.header("d"), "x y");
}

TEST(HttpRequestParser, BareLineFeeds) {
    const HttpRequest r = parse_one("GET /x HTTP/1.1\nHost: y\n\n");
    EXPECT_EQ(r.path, "/x");
    EXPECT_EQ(r.header("host"), "y");
}

TEST(HttpRequestParser, ContentLengthBody) {
    const HttpRequest r = parse_one(
        "POST /api/v1/raw?rpc=reload HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
        "{\"a\": [1, 2]}");
    EXPECT_EQ(r.method, HttpMethod::post);
    EXPECT_EQ(r.body, "{\"a\": [1, 2]}");
    EXPECT_FALSE(r.chunked);
    EXPECT_EQ(r.query_param("rpc"), "reload");
}

TEST(HttpRequestParser, ChunkedBody) {
    const HttpRequest r = parse_one(
        "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n"
        "1;name=value\r\n \r\n"
        "A\r\n0123456789\r\n"
        "0\r\nTrailer-Field: dropped\r\n\r\n");
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.body, "hello 0123456789");
    EXPECT_FALSE(r.header("Trailer-Field").has_value());
    EXPECT_EQ(r.headers.size(), 1u);
}

TEST(HttpRequestParser, PartialRequestIsMidRequest) {
    EXPECT_FALSE(parse("").mid_request);
    EXPECT_FALSE(parse("\r\n").mid_request);
    EXPECT_TRUE(parse("G").mid_request);
    EXPECT_TRUE(parse("GET / HTTP/1.1\r\nHost").mid_request);
    EXPECT_TRUE(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab").mid_request);
    const Outcome out = parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab");
    EXPECT_TRUE(out.ok);
    EXPECT_TRUE(out.requests.empty());
}

TEST(HttpRequestParser, Upgrade) {
    const Outcome out = parse(
        "GET /live/a.flv HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        "\x81\x85 not http");
    EXPECT_TRUE(out.ok);
    ASSERT_EQ(out.requests.size(), 1u);
    EXPECT_TRUE(out.requests[0].upgrade);
    EXPECT_TRUE(out.finished);
}

TEST(HttpRequestParser, HandlerErrorFailsTheParser) {
    HttpRequestParser parser;
    int calls = 0;
    auto status = parser.feed(bytes_of("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), [&](HttpRequest&&) {
        ++calls;
        return core::Status(core::fail(core::Errc::full, "test: too many pipelined requests"));
    });
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, core::Errc::full);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(parser.error_kind(), HttpError::handler);
    EXPECT_EQ(parser.error_status(), 0);
    auto again = parser.feed(bytes_of("GET /c HTTP/1.1\r\n\r\n"), [&](HttpRequest&&) { ++calls; });
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, core::Errc::full);
    EXPECT_EQ(calls, 1);
}

TEST(HttpRequestParser, StaysFailed) {
    HttpRequestParser parser;
    auto status = parser.feed(bytes_of("BREW /pot HTCPCP/1.0\r\n\r\n"), [](HttpRequest&&) {});
    ASSERT_FALSE(status);
    EXPECT_EQ(parser.error_status(), 400);
    int calls = 0;
    auto again = parser.feed(bytes_of("GET / HTTP/1.1\r\n\r\n"), [&](HttpRequest&&) { ++calls; });
    ASSERT_FALSE(again);
    EXPECT_STREQ(again.error().where, status.error().where);
    EXPECT_EQ(calls, 0);
}

TEST(HttpRequestParser, Garbage) {
    for (std::string_view text : {
             std::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // a TLS ClientHello
             std::string_view("\x03\x00\x00\x00\x00\x00\x00\x00\x00", 9),           // an RTMP C0+C1
             std::string_view("hello world\r\n\r\n"),
             std::string_view("GET / HTTP/2.0\r\n\r\n"),
             std::string_view("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
             std::string_view("GET /\r\n\r\n"),  // HTTP/0.9
             std::string_view("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"),
             std::string_view("GET / HTTP/1.1\r\n: no name\r\n\r\n"),
             std::string_view("GET / HTTP/1.1\r\nA: \x01\r\n\r\n"),
             std::string_view("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n"),
             std::string_view("GET / HTTP/1.1\r\nA: b\r\x01\r\n\r\n"),
             std::string_view("GET / HTTP/1.1\r\n\rX"),
             std::string_view("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"),
             std::string_view("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
             std::string_view("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
             std::string_view("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
             // Leniencies of the library's non-strict build that could hide a message boundary.
             std::string_view("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n"),
             std::string_view("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\rXhello\r\n0\r\n\r\n"),
             std::string_view("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX"),
             std::string_view("GET / HTTP/1.1\rX\n\r\n"),
             std::string_view("\rGET / HTTP/1.1\r\n\r\n"),
             std::string_view("GET / HTTP/1.1 extra\r\n\r\n"),
         }) {
        const Outcome out = parse(text);
        EXPECT_FALSE(out.ok) << text;
        EXPECT_EQ(out.status, 400) << text;
        EXPECT_TRUE(out.requests.empty()) << text;
    }
}

// --- Limits: each passes at its bound and fails one byte (or one item) past it. ---

std::string request_line_of_size(std::size_t size) {
    // "GET /" + path + " HTTP/1.1\r\n"
    return "GET /" + std::string(size - 16, 'a') + " HTTP/1.1\r\n";
}

TEST(HttpRequestParser, RequestLineLimit) {
    const HttpRequestLimits limits;
    ASSERT_EQ(limits.request_line_max, 8192u);
    const Outcome at = parse(request_line_of_size(8192) + "\r\n");
    ASSERT_TRUE(at.ok);
    EXPECT_EQ(at.requests[0].target.size(), 8192u - 15);
    const Outcome past = parse(request_line_of_size(8193) + "\r\n");
    EXPECT_EQ(past.error, HttpError::uri_too_long);
    EXPECT_EQ(past.status, 414);
    // The bound trips on the byte after it, before the line ends: nothing more is read.
    EXPECT_EQ(parse("GET /" + std::string(8188, 'a')).status, 414);
    EXPECT_TRUE(parse("GET /" + std::string(8187, 'a')).ok);
    // Empty lines before the request line count toward it.
    EXPECT_TRUE(parse("\r\n" + request_line_of_size(8190) + "\r\n").ok);
    EXPECT_EQ(parse("\r\n" + request_line_of_size(8191) + "\r\n").status, 414);
}

// Header section of exactly `size` bytes (header lines + blank line) with `count` headers.
std::string header_section(std::size_t size, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i + 1 < count; ++i) {
        out += "H" + std::to_string(1000 + i) + ": v\r\n";  // 10 bytes each
    }
    const std::size_t last = size - out.size() - 2;  // "X: " + pad + "\r\n" + blank line
    out += "X: " + std::string(last - 5, 'p') + "\r\n\r\n";
    return out;
}

TEST(HttpRequestParser, HeaderBytesLimit) {
    const std::string line = "GET / HTTP/1.1\r\n";
    const std::string at_bound = header_section(16384, 3);
    ASSERT_EQ(at_bound.size(), 16384u);
    const Outcome at = parse(line + at_bound);
    ASSERT_TRUE(at.ok);
    EXPECT_EQ(at.requests[0].headers.size(), 3u);
    const Outcome past = parse(line + header_section(16385, 3));
    EXPECT_EQ(past.error, HttpError::headers_too_large);
    EXPECT_EQ(past.status, 431);
    // With a body behind it, and a bare-LF blank line.
    EXPECT_TRUE(parse(line + "Content-Length: 2\r\n" + header_section(16384 - 19, 1) + "ab").ok);
    const std::string bare = "X: " + std::string(16384 - 5, 'p') + "\n\n";
    ASSERT_EQ(bare.size(), 16384u);
    EXPECT_TRUE(parse(line + bare).ok);
    EXPECT_EQ(parse(line + "X: p" + bare.substr(3)).status, 431);
}

TEST(HttpRequestParser, HeaderCountLimit) {
    const std::string line = "GET / HTTP/1.1\r\n";
    const Outcome at = parse(line + header_section(1200, 100));
    ASSERT_TRUE(at.ok);
    EXPECT_EQ(at.requests[0].headers.size(), 100u);
    const Outcome past = parse(line + header_section(1200, 101));
    EXPECT_EQ(past.error, HttpError::headers_too_large);
    EXPECT_EQ(past.status, 431);
    // Folded lines continue a header; they are not more headers.
    std::string folded = header_section(1200, 100);
    folded.insert(folded.size() - 2, " more\r\n");
    EXPECT_TRUE(parse(line + folded).ok);
}

TEST(HttpRequestParser, ContentLengthLimit) {
    const std::string body(65536, 'b');
    const Outcome at = parse("POST / HTTP/1.1\r\nContent-Length: 65536\r\n\r\n" + body);
    ASSERT_TRUE(at.ok);
    EXPECT_EQ(at.requests[0].body.size(), 65536u);
    // Refused on the head alone, before any body byte is sent.
    const Outcome past = parse("POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n");
    EXPECT_EQ(past.error, HttpError::payload_too_large);
    EXPECT_EQ(past.status, 413);
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\n").status, 413);
}

std::string chunked(std::size_t total, std::size_t chunk) {
    std::string out = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (std::size_t sent = 0; sent < total; sent += chunk) {
        const std::size_t n = std::min(chunk, total - sent);
        char size[20];
        std::snprintf(size, sizeof size, "%zx\r\n", n);
        out += size + std::string(n, 'c') + "\r\n";
    }
    return out + "0\r\n\r\n";
}

TEST(HttpRequestParser, ChunkedBodyLimit) {
    const Outcome at = parse(chunked(65536, 8000));
    ASSERT_TRUE(at.ok);
    EXPECT_EQ(at.requests[0].body.size(), 65536u);
    EXPECT_EQ(parse(chunked(65537, 8000)).status, 413);
    // A chunk that would pass the bound is refused on its size line.
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n").status, 413);
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n").status, 413);
}

TEST(HttpRequestParser, ChunkedFramingLimit) {
    // Wire bytes of the chunked body: at most body_size_max + chunked_framing_max.
    const HttpRequestLimits limits{.body_size_max = 16, .chunked_framing_max = 16};
    const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    auto body_of_size = [](std::size_t wire) {  // one 1-byte chunk whose extension pads to `wire`
        return "1;" + std::string(wire - 12, 'e') + "\r\nA\r\n0\r\n\r\n";
    };
    ASSERT_EQ(body_of_size(32).size(), 32u);
    const Outcome at = parse(head + body_of_size(32), limits);
    ASSERT_TRUE(at.ok);
    EXPECT_EQ(at.requests[0].body, "A");
    EXPECT_EQ(parse(head + body_of_size(33), limits).status, 413);
    // Endless chunk extensions stop at the bound, whatever follows.
    EXPECT_EQ(parse(head + "1;" + std::string(100, 'e'), limits).status, 413);
}

TEST(HttpRequestParser, QueryParamLimit) {
    std::string query;
    for (int i = 0; i < 64; ++i) {
        query += "p" + std::to_string(i) + "=" + std::to_string(i) + "&&";
    }
    const Outcome at = parse("GET /?" + query + " HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(at.ok);
    EXPECT_EQ(at.requests[0].query_params.size(), 64u);
    const Outcome past = parse("GET /?" + query + "x HTTP/1.1\r\n\r\n");
    EXPECT_EQ(past.error, HttpError::uri_too_long);
    EXPECT_EQ(past.status, 414);
}

TEST(HttpRequestParser, SmallLimits) {
    const HttpRequestLimits limits{.request_line_max = 20, .header_bytes_max = 14, .headers_max = 2};
    EXPECT_TRUE(parse("GET /1234 HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", limits).ok);  // line 20, headers 14
    EXPECT_EQ(parse("GET /123456 HTTP/1.1\r\n\r\n", limits).status, 414);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nA: 1\r\nB: 23\r\n\r\n", limits).status, 431);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nA:1\r\nB:2\r\nC\r\n\r\n", limits).status, 431);
    // Limits apply per request: a pipelined sequence of requests at the bounds passes.
    EXPECT_EQ(parse("GET /1234 HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\nGET /1234 HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", limits)
                  .requests.size(),
              2u);
}

TEST(HttpRequestParser, MovedParserKeepsParsing) {
    HttpRequestParser first;
    int calls = 0;
    ASSERT_TRUE(first.feed(bytes_of("GET /a HTTP/1.1\r\nHo"), [&](HttpRequest&&) { ++calls; }));
    HttpRequestParser second(std::move(first));
    ASSERT_TRUE(second.feed(bytes_of("st: x\r\n\r\n"), [&](HttpRequest&& r) {
        ++calls;
        EXPECT_EQ(r.header("host"), "x");
    }));
    EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace ringcast::proto::http
