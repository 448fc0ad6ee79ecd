// HTTP response reader: the framings a client meets (Content-Length, chunked with extensions and
// trailers, close-delimited, bodiless statuses), every limit, and garbage. Every response is also
// fed split at every offset (in two and three pieces) and byte by byte, and must give the same
// outcome: a reader that only works when a whole line arrives at once fails on a real socket.
#include "proto/http/response_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::proto::http {
namespace {

// What one feed sequence gave, as one comparable value.
struct Outcome {
    bool ok = true;
    core::Errc error = core::Errc::ok;
    int heads = 0;
    int status = 0;
    bool chunked = false;
    bool close_delimited = false;
    std::int64_t content_length = -1;
    std::string content_type;
    std::string body;
    bool body_done = false;
    bool finish_ok = false;

    bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    return os << "ok=" << o.ok << " error=" << static_cast<int>(o.error) << " heads=" << o.heads << " status=" << o.status
              << " chunked=" << o.chunked << " close=" << o.close_delimited << " length=" << o.content_length
              << " type=[" << o.content_type << "] body=[" << o.body << "] done=" << o.body_done
              << " finish=" << o.finish_ok;
}

class Recorder final : public HttpResponseReader::Sink {
public:
    core::Status on_head(const ParsedResponseHead& head) override {
        ++out.heads;
        out.status = head.status;
        out.chunked = head.chunked;
        out.close_delimited = head.close_delimited;
        out.content_length = head.content_length ? static_cast<std::int64_t>(*head.content_length) : -1;
        out.content_type = head.content_type;
        return {};
    }
    core::Status on_body(std::span<const std::uint8_t> bytes) override {
        out.body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        return {};
    }
    Outcome out;
};

std::span<const std::uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Feeds `pieces` in order; stops at the first error, as a connection would.
Outcome read_pieces(const std::vector<std::string_view>& pieces, ResponseReaderLimits limits = {}) {
    HttpResponseReader reader(limits);
    Recorder recorder;
    for (std::string_view piece : pieces) {
        if (auto fed = reader.feed(bytes_of(piece), recorder); !fed) {
            recorder.out.ok = false;
            recorder.out.error = fed.error().code;
            break;
        }
    }
    recorder.out.body_done = reader.body_done();
    recorder.out.finish_ok = static_cast<bool>(reader.finish());
    return recorder.out;
}

// The outcome of the whole text at once, checked to be the same for every split.
Outcome read(std::string_view text, ResponseReaderLimits limits = {}) {
    const Outcome whole = read_pieces({text}, limits);
    for (std::size_t i = 0; i <= text.size(); ++i) {
        EXPECT_EQ(read_pieces({text.substr(0, i), text.substr(i)}, limits), whole) << "split at " << i;
        // Three pieces around the split, stepping so long texts stay quick.
        for (std::size_t j = i; j <= text.size(); j += 1 + text.size() / 64) {
            EXPECT_EQ(read_pieces({text.substr(0, i), text.substr(i, j - i), text.substr(j)}, limits), whole)
                << "split at " << i << " and " << j;
        }
    }
    std::vector<std::string_view> one_by_one;
    for (std::size_t i = 0; i < text.size(); ++i) {
        one_by_one.push_back(text.substr(i, 1));
    }
    EXPECT_EQ(read_pieces(one_by_one, limits), whole) << "byte by byte";
    return whole;
}

TEST(HttpResponseReader, ContentLengthBody) {
    const Outcome o = read("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
                           "Connection: close\r\n\r\n{\"code\":0}\n");
    EXPECT_TRUE(o.ok);
    EXPECT_EQ(o.heads, 1);
    EXPECT_EQ(o.status, 200);
    EXPECT_FALSE(o.chunked);
    EXPECT_FALSE(o.close_delimited);
    EXPECT_EQ(o.content_length, 11);
    EXPECT_EQ(o.content_type, "application/json");
    EXPECT_EQ(o.body, "{\"code\":0}\n");
    EXPECT_TRUE(o.body_done);
    EXPECT_TRUE(o.finish_ok);
}

TEST(HttpResponseReader, ChunkedBodyWithExtensionsAndTrailers) {
    const Outcome o = read("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n"
                           "5;name=value\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: t\r\n\r\n");
    EXPECT_TRUE(o.ok);
    EXPECT_TRUE(o.chunked);
    EXPECT_EQ(o.content_length, -1);
    EXPECT_EQ(o.body, "hello abcdefghijklmnopqrstuvwxy");
    EXPECT_TRUE(o.body_done);
    EXPECT_TRUE(o.finish_ok);
}

TEST(HttpResponseReader, TransferEncodingOverridesContentLength) {
    const Outcome o = read("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    EXPECT_TRUE(o.ok);
    EXPECT_EQ(o.content_length, -1);
    EXPECT_EQ(o.body, "ok");
    EXPECT_TRUE(o.body_done);
}

TEST(HttpResponseReader, NoFramingMeansTheBodyRunsToTheClose) {
    const Outcome o = read("HTTP/1.0 200 OK\r\n\r\nall of it");
    EXPECT_TRUE(o.ok);
    EXPECT_TRUE(o.close_delimited);
    EXPECT_EQ(o.body, "all of it");
    EXPECT_FALSE(o.body_done);
    EXPECT_TRUE(o.finish_ok);  // the close ends it
}

TEST(HttpResponseReader, BodilessStatusesAndEmptyBodies) {
    for (std::string_view text : {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n",
                                  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n"}) {
        const Outcome o = read(text);
        EXPECT_TRUE(o.ok) << text;
        EXPECT_TRUE(o.body_done) << text;
        EXPECT_TRUE(o.body.empty()) << text;
    }
}

TEST(HttpResponseReader, NonOkStatusIsReportedNotRejected) {
    const Outcome o = read("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!");
    EXPECT_TRUE(o.ok);
    EXPECT_EQ(o.status, 404);
    EXPECT_EQ(o.body, "no!");
}

TEST(HttpResponseReader, BareLineFeedsAreAccepted) {
    const Outcome o = read("HTTP/1.1 200 OK\nContent-Length: 2\n\nok");
    EXPECT_TRUE(o.ok);
    EXPECT_EQ(o.body, "ok");
}

TEST(HttpResponseReader, OversizeHeadIsRejected) {
    const std::string big = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(200, 'a') + "\r\nContent-Length: 0\r\n\r\n";
    const Outcome o = read(big, {.head_bytes_max = 128});
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(o.error, core::Errc::too_large);
    EXPECT_EQ(o.heads, 0);
    // Many short header lines add up against the same budget.
    std::string many = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 40; ++i) {
        many += "X: y\r\n";
    }
    many += "\r\n";
    const Outcome m = read(many, {.head_bytes_max = 128});
    EXPECT_FALSE(m.ok);
    EXPECT_EQ(m.error, core::Errc::too_large);
    // Just under the limit is fine.
    const std::string fits = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    EXPECT_TRUE(read(fits, {.head_bytes_max = fits.size()}).ok);
    EXPECT_FALSE(read(fits, {.head_bytes_max = fits.size() - 1}).ok);
}

TEST(HttpResponseReader, OversizeTrailersAndChunkLinesAreRejected) {
    const std::string trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + std::string(300, 't') + "\r\n\r\n";
    const Outcome t = read(trailers, {.head_bytes_max = 128});
    EXPECT_FALSE(t.ok);
    EXPECT_EQ(t.error, core::Errc::too_large);
    const std::string line = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(100, 'e') + "\r\nx\r\n0\r\n\r\n";
    const Outcome l = read(line, {.chunk_line_max = 64});
    EXPECT_FALSE(l.ok);
    EXPECT_EQ(l.error, core::Errc::too_large);
    const Outcome huge = read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n");
    EXPECT_FALSE(huge.ok);
    EXPECT_EQ(huge.error, core::Errc::too_large);
}

TEST(HttpResponseReader, GarbageIsAProtocolError) {
    for (std::string_view text : {
             "HTTP/2 200 OK\r\n\r\n",
             "HTTP/1.1 20 OK\r\n\r\n",
             "HTTP/1.1 200OK\r\n\r\n",
             "SSH-2.0-OpenSSH\r\n\r\n",
             "HTTP/1.1 200 OK\r\n folded: no\r\n\r\n",
             "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
             "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy",
             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy",
         }) {
        const Outcome o = read(text);
        EXPECT_FALSE(o.ok) << text;
        EXPECT_EQ(o.error, core::Errc::protocol) << text;
        EXPECT_FALSE(o.finish_ok) << text;
    }
}

TEST(HttpResponseReader, TruncatedInputFailsAtFinish) {
    for (std::string_view text : {"", "HTTP/1.1 200 OK\r\nContent-Len", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"}) {
        const Outcome o = read(text);
        EXPECT_TRUE(o.ok) << text;
        EXPECT_FALSE(o.body_done) << text;
        EXPECT_FALSE(o.finish_ok) << text;
    }
}

TEST(HttpResponseReader, AFailedReaderStaysFailed) {
    HttpResponseReader reader;
    Recorder recorder;
    EXPECT_FALSE(reader.feed(bytes_of("nonsense\r\n"), recorder));
    EXPECT_TRUE(reader.failed());
    auto again = reader.feed(bytes_of("HTTP/1.1 200 OK\r\n\r\n"), recorder);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, core::Errc::protocol);
    EXPECT_EQ(recorder.out.heads, 0);
}

TEST(HttpResponseReader, ASinkErrorStopsTheFeed) {
    struct Refuser final : HttpResponseReader::Sink {
        core::Status on_head(const ParsedResponseHead&) override { return {}; }
        core::Status on_body(std::span<const std::uint8_t>) override {
            return core::fail(core::Errc::too_large, "body too large");
        }
    } refuser;
    HttpResponseReader reader;
    auto fed = reader.feed(bytes_of("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"), refuser);
    ASSERT_FALSE(fed);
    EXPECT_EQ(fed.error().code, core::Errc::too_large);
    EXPECT_TRUE(reader.failed());
}

}  // namespace
}  // namespace ringcast::proto::http
