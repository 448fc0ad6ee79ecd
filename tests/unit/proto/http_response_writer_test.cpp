// HTTP response writer: exact bytes of the heads ringcast sends (API answers, error pages,
// redirects, HTTP-FLV with and without CORS), statuses without a body, field sanitizing, dates,
// and chunk framing, checked back through the request parser's de-chunking.
#include "proto/http/request_parser.h"
#include "proto/http/response_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::proto::http {
namespace {

const std::string server = "Server: ringcast/" RINGCAST_VERSION "\r\n";

std::string as_text(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

std::string head_of(const HttpResponseHead& head) {
    std::vector<std::uint8_t> out;
    write_response_head(head, out);
    return as_text(out);
}

TEST(HttpResponseWriter, SmallResponseWithBody) {
    std::vector<std::uint8_t> out = {'x'};  // appends, never clears
    write_response({.content_type = "application/json"}, "{\"code\":0}", out);
    EXPECT_EQ(as_text(out), "xHTTP/1.1 200 OK\r\n" + server +
                                "Content-Type: application/json\r\n"
                                "Content-Length: 10\r\n"
                                "Connection: keep-alive\r\n"
                                "\r\n"
                                "{\"code\":0}");
}

TEST(HttpResponseWriter, ErrorPageThatCloses) {
    const auto date = http_date(784111777);
    std::vector<std::uint8_t> out;
    write_response({.status = 404,
                    .content_type = "text/plain; charset=utf-8",
                    .keep_alive = false,
                    .date = std::string_view(date.data(), date.size())},
                   "Not Found", out);
    EXPECT_EQ(as_text(out), "HTTP/1.1 404 Not Found\r\n" + server +
                                "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Length: 9\r\n"
                                "Connection: close\r\n"
                                "\r\n"
                                "Not Found");
}

TEST(HttpResponseWriter, HttpFlvChunkedWithCors) {
    EXPECT_EQ(head_of({.framing = BodyFraming::chunked, .content_type = "video/x-flv", .cors = true}),
              "HTTP/1.1 200 OK\r\n" + server +
                  "Content-Type: video/x-flv\r\n"
                  "Transfer-Encoding: chunked\r\n"
                  "Connection: keep-alive\r\n"
                  "Access-Control-Allow-Origin: *\r\n"
                  "Access-Control-Allow-Methods: GET, POST, HEAD, PUT, DELETE, OPTIONS\r\n"
                  "Access-Control-Expose-Headers: Server,range,Content-Length,Content-Range\r\n"
                  "Access-Control-Allow-Headers: origin,range,accept-encoding,referer,Cache-Control,"
                  "X-Proxy-Authorization,X-Requested-With,Content-Type\r\n"
                  "\r\n");
}

TEST(HttpResponseWriter, HttpFlvUntilCloseForHttp10) {
    // An HTTP/1.0 player cannot take chunked: the body runs until the connection closes.
    EXPECT_EQ(head_of({.framing = BodyFraming::until_close, .content_type = "video/x-flv"}),
              "HTTP/1.1 200 OK\r\n" + server +
                  "Content-Type: video/x-flv\r\n"
                  "Connection: close\r\n"
                  "\r\n");
}

TEST(HttpResponseWriter, RedirectWithExtraFields) {
    const HeaderField fields[] = {{"Location", "http://origin:8080/live/a.flv?token=1"}, {"Cache-Control", "no-cache"}};
    std::vector<std::uint8_t> out;
    write_response({.status = 302, .headers = fields}, "", out);
    EXPECT_EQ(as_text(out), "HTTP/1.1 302 Found\r\n" + server +
                                "Content-Length: 0\r\n"
                                "Connection: keep-alive\r\n"
                                "Location: http://origin:8080/live/a.flv?token=1\r\n"
                                "Cache-Control: no-cache\r\n"
                                "\r\n");
}

TEST(HttpResponseWriter, HeadResponseKeepsLengthWithoutBody) {
    EXPECT_EQ(head_of({.content_length = 123456, .content_type = "application/vnd.apple.mpegurl"}),
              "HTTP/1.1 200 OK\r\n" + server +
                  "Content-Type: application/vnd.apple.mpegurl\r\n"
                  "Content-Length: 123456\r\n"
                  "Connection: keep-alive\r\n"
                  "\r\n");
}

TEST(HttpResponseWriter, StatusesWithoutBodyHaveNoFraming) {
    for (std::uint16_t status : {std::uint16_t{204}, std::uint16_t{304}}) {
        std::vector<std::uint8_t> out;
        write_response({.status = status, .cors = true}, "ignored", out);
        const std::string text = as_text(out);
        EXPECT_EQ(text.find("\r\nContent-Length:"), std::string::npos) << text;
        EXPECT_EQ(text.find("\r\nTransfer-Encoding:"), std::string::npos) << text;
        EXPECT_EQ(text.find("ignored"), std::string::npos) << text;
        EXPECT_EQ(text.substr(text.size() - 4), "\r\n\r\n");
    }
    EXPECT_EQ(head_of({.status = 204}), "HTTP/1.1 204 No Content\r\n" + server + "Connection: keep-alive\r\n\r\n");
}

TEST(HttpResponseWriter, ReasonPhrases) {
    for (std::uint16_t status : {200, 204, 206, 301, 302, 304, 400, 403, 404, 405, 413, 414, 416, 431, 500, 503}) {
        EXPECT_FALSE(reason_phrase(status).empty()) << status;
    }
    EXPECT_EQ(reason_phrase(416), "Range Not Satisfiable");
    EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason_phrase(299), "");
    EXPECT_EQ(head_of({.status = 299}).substr(0, 15), "HTTP/1.1 299 \r\n");
    EXPECT_EQ(head_of({.status = 42}).substr(0, 35), "HTTP/1.1 500 Internal Server Error\r");
    EXPECT_EQ(head_of({.status = 600}).substr(0, 13), "HTTP/1.1 500 ");
}

TEST(HttpResponseWriter, FieldsCannotSplitTheResponse) {
    const HeaderField fields[] = {{"X-Bad\r\nName", "a\r\nSet-Cookie: x=1\r\n\r\n<html>"}, {"X-Tab", "a\tb\x7f\x01"}};
    EXPECT_EQ(head_of({.content_type = "text/html\r\nX: y", .headers = fields}),
              "HTTP/1.1 200 OK\r\n" + server +
                  "Content-Type: text/htmlX: y\r\n"
                  "Content-Length: 0\r\n"
                  "Connection: keep-alive\r\n"
                  "X-BadName: aSet-Cookie: x=1<html>\r\n"
                  "X-Tab: a\tb\r\n"
                  "\r\n");
}

TEST(HttpResponseWriter, HttpDate) {
    auto text = [](std::int64_t t) {
        const auto d = http_date(t);
        return std::string(d.data(), d.size());
    };
    EXPECT_EQ(text(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(text(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(text(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
    EXPECT_EQ(text(1700000000), "Tue, 14 Nov 2023 22:13:20 GMT");
    EXPECT_EQ(text(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    EXPECT_EQ(text(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(text(std::numeric_limits<std::int64_t>::max()), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(text(std::numeric_limits<std::int64_t>::min()), "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST(HttpResponseWriter, ChunkHeaders) {
    auto text = [](std::size_t n) {
        const ChunkHeader h = chunk_header(n);
        return std::string(h.span().begin(), h.span().end());
    };
    EXPECT_EQ(text(1), "1\r\n");
    EXPECT_EQ(text(255), "ff\r\n");
    EXPECT_EQ(text(0x10000), "10000\r\n");
    EXPECT_EQ(text(std::numeric_limits<std::size_t>::max()), "ffffffffffffffff\r\n");
    EXPECT_EQ(chunk_header(std::numeric_limits<std::size_t>::max()).size, 18);
    EXPECT_EQ(chunk_end, "\r\n");
    EXPECT_EQ(last_chunk, "0\r\n\r\n");
}

TEST(HttpResponseWriter, ChunkedBodyParsesBack) {
    // Frame a body the way an HTTP-FLV connection does (header, shared payload, chunk end),
    // then let the request parser de-chunk it.
    std::vector<std::uint8_t> out;
    const std::string head = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    out.insert(out.end(), head.begin(), head.end());
    std::string expected;
    for (std::size_t size : {1, 9, 15, 16, 17, 255, 256, 4096}) {
        const std::string payload(size, static_cast<char>('a' + size % 26));
        const ChunkHeader header = chunk_header(payload.size());
        out.insert(out.end(), header.span().begin(), header.span().end());
        out.insert(out.end(), payload.begin(), payload.end());
        out.insert(out.end(), chunk_end.begin(), chunk_end.end());
        expected += payload;
    }
    const std::string tail = "tail";
    append_chunk({reinterpret_cast<const std::uint8_t*>(tail.data()), tail.size()}, out);
    append_chunk({}, out);  // writes nothing: an empty chunk would end the body
    expected += tail;
    out.insert(out.end(), last_chunk.begin(), last_chunk.end());

    HttpRequestParser parser;
    std::vector<std::string> bodies;
    ASSERT_TRUE(parser.feed(out, [&](HttpRequest&& r) { bodies.push_back(r.body); }));
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_EQ(bodies[0], expected);
    EXPECT_FALSE(parser.mid_request());
}

}  // namespace
}  // namespace ringcast::proto::http
