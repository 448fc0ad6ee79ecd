// Static file rules: path confinement, content types, Range (nginx's answers), conditionals.

#include "app/static_files.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "proto/http/response_writer.h"

namespace ringcast::app {
namespace {

std::string relative(std::string_view path) {
    auto mapped = map_static_path(path);
    return mapped ? mapped->relative : "<refused>";
}

TEST(StaticPath, MapsFilesAndDirectoriesUnderDir) {
    EXPECT_EQ(relative("/live/s.m3u8"), "live/s.m3u8");
    EXPECT_EQ(relative("/index.html"), "index.html");
    EXPECT_EQ(relative("/"), "index.html");
    EXPECT_EQ(relative("/live/"), "live/index.html");
    EXPECT_EQ(relative("/live/."), "live/index.html");
    EXPECT_EQ(relative("//live//./s.ts"), "live/s.ts");
    EXPECT_EQ(relative("/a b/%2e%2e"), "a b/%2e%2e") << "already decoded once: a literal name, not a parent";
    EXPECT_EQ(relative("/...."), "....");
    EXPECT_EQ(relative("/..a/b.."), "..a/b..");

    auto mapped = map_static_path("/live/s.m3u8");
    ASSERT_TRUE(mapped);
    EXPECT_FALSE(mapped->index);
    ASSERT_EQ(mapped->segment_ends.size(), 2u);
    EXPECT_EQ(mapped->relative.substr(0, mapped->segment_ends[0]), "live");
    EXPECT_EQ(mapped->relative.substr(0, mapped->segment_ends[1]), "live/s.m3u8");
    auto index = map_static_path("/");
    ASSERT_TRUE(index);
    EXPECT_TRUE(index->index);
    EXPECT_EQ(index->segment_ends.size(), 1u);
}

TEST(StaticPath, RefusesEveryWayOutAndUnboundedInput) {
    for (std::string_view path : {"/../etc/passwd", "/..", "/a/../../etc/passwd", "/a/..", "/a/../b", "/./../x",
                                  "/live/..//x", "..", "", "relative/x", "*"}) {
        EXPECT_FALSE(map_static_path(path)) << path;
    }
    EXPECT_FALSE(map_static_path(std::string_view("/a\0b", 4))) << "NUL";
    EXPECT_FALSE(map_static_path("/a\nb")) << "control byte";
    EXPECT_FALSE(map_static_path("/a\x7f")) << "DEL";

    std::string deep;
    for (std::size_t i = 0; i < kStaticPathSegmentsMax; ++i) {
        deep += "/d";
    }
    EXPECT_TRUE(map_static_path(deep));
    EXPECT_FALSE(map_static_path(deep + "/d"));
    EXPECT_FALSE(map_static_path(deep + "/")) << "index.html would be one segment too many";
    EXPECT_TRUE(map_static_path("/" + std::string(kStaticPathBytesMax - 1, 'x')));
    EXPECT_FALSE(map_static_path("/" + std::string(kStaticPathBytesMax, 'x')));
}

TEST(StaticPath, JoinsDirAndRelative) {
    EXPECT_EQ(static_file_path("./objs/nginx/html", "live/s.ts"), "./objs/nginx/html/live/s.ts");
    EXPECT_EQ(static_file_path("/srv/html/", "index.html"), "/srv/html/index.html");
    EXPECT_EQ(static_file_path("/", "a"), "/a");
}

TEST(StaticContentType, ByExtension) {
    EXPECT_EQ(static_content_type("live/s.m3u8"), "application/vnd.apple.mpegurl");
    EXPECT_EQ(static_content_type("live/s-1.ts"), "video/mp2t");
    EXPECT_EQ(static_content_type("a.flv"), "video/x-flv");
    EXPECT_EQ(static_content_type("a.mp4"), "video/mp4");
    EXPECT_EQ(static_content_type("a.m4s"), "video/iso.segment");
    EXPECT_EQ(static_content_type("a.aac"), "audio/aac");
    EXPECT_EQ(static_content_type("a.mp3"), "audio/mpeg");
    EXPECT_EQ(static_content_type("index.html"), "text/html");
    EXPECT_EQ(static_content_type("a.js"), "application/javascript");
    EXPECT_EQ(static_content_type("a.css"), "text/css");
    EXPECT_EQ(static_content_type("a.json"), "application/json");
    EXPECT_EQ(static_content_type("a.txt"), "text/plain");
    EXPECT_EQ(static_content_type("a.png"), "image/png");
    EXPECT_EQ(static_content_type("a.jpg"), "image/jpeg");
    EXPECT_EQ(static_content_type("favicon.ico"), "image/x-icon");
    EXPECT_EQ(static_content_type("a.svg"), "image/svg+xml");
    EXPECT_EQ(static_content_type("A.M3U8"), "application/vnd.apple.mpegurl") << "case-insensitive";
    EXPECT_EQ(static_content_type("a.bin"), "application/octet-stream");
    EXPECT_EQ(static_content_type("noext"), "application/octet-stream");
    EXPECT_EQ(static_content_type("dir.ts/noext"), "application/octet-stream") << "the last segment's extension";
    EXPECT_EQ(static_content_type("a."), "application/octet-stream");
    EXPECT_TRUE(static_is_live_playlist("live/s.m3u8"));
    EXPECT_TRUE(static_is_live_playlist("live/s.mpd"));
    EXPECT_FALSE(static_is_live_playlist("live/s.ts"));
}

using Kind = ByteRangeAnswer::Kind;

ByteRangeAnswer range(std::string_view value, std::uint64_t size = 1000) { return parse_byte_range(value, size); }

void expect_partial(std::string_view value, std::uint64_t offset, std::uint64_t length, std::uint64_t size = 1000) {
    const ByteRangeAnswer answer = range(value, size);
    EXPECT_EQ(answer.kind, Kind::partial) << value;
    EXPECT_EQ(answer.offset, offset) << value;
    EXPECT_EQ(answer.length, length) << value;
}

TEST(ByteRange, SingleRangesAsNginx) {
    expect_partial("bytes=0-99", 0, 100);
    expect_partial("bytes=100-", 100, 900);
    expect_partial("bytes=-100", 900, 100);
    expect_partial("bytes=-5000", 0, 1000);  // "a suffix longer than the file is all of it"
    expect_partial("bytes=990-5000", 990, 10);  // "the end is clipped"
    expect_partial("bytes=999-999", 999, 1);
    expect_partial("bytes=0-0", 0, 1);
    expect_partial("bytes= 10 - 19 ", 10, 10);  // "spaces around"
    expect_partial("Bytes=1-2", 1, 2);  // "the unit is case-insensitive"
    expect_partial("bytes=2000-3000,5-9", 5, 5);  // "one satisfiable spec among others"
}

TEST(ByteRange, UnsatisfiableAndIgnored) {
    for (std::string_view value : {"bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=5-3", "bytes=", "bytes=a-b",
                                   "bytes=1-2x", "bytes=--1", "bytes=1", "bytes=0-1,", "bytes=99999999999999999999-",
                                   "bytes=2000-3000,4000-"}) {
        EXPECT_EQ(range(value).kind, Kind::unsatisfiable) << value;
    }
    for (std::string_view value : {"items=0-1", "", "0-1", "bytes 0-1"}) {
        EXPECT_EQ(range(value).kind, Kind::whole) << "another unit is ignored: " << value;
    }
    EXPECT_EQ(range("bytes=0-1,5-9").kind, Kind::whole) << "no multipart: the whole file";
    std::string many = "bytes=0-0";
    for (std::size_t i = 1; i < kRangeSpecsMax + 1; ++i) {
        many += ",9999-";
    }
    EXPECT_EQ(range(many).kind, Kind::whole) << "too many specs are ignored";
    // An empty file: nginx answers "0-" and "-n" with the (empty) whole, anything else 416.
    EXPECT_EQ(range("bytes=0-", 0).kind, Kind::whole);
    EXPECT_EQ(range("bytes=-10", 0).kind, Kind::whole);
    EXPECT_EQ(range("bytes=1-", 0).kind, Kind::unsatisfiable);
}

TEST(HttpDate, ParsesImfFixdateOnly) {
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    for (std::int64_t t : {0LL, 951782400LL, 1700000000LL, 4102444799LL}) {
        const auto text = proto::http::http_date(t);
        EXPECT_EQ(parse_http_date(std::string_view(text.data(), text.size())), t) << t;
    }
    for (std::string_view bad : {"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
                                 "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Xyz 1994 08:49:37 GMT",
                                 "Sun, 0x Nov 1994 08:49:37 GMT", ""}) {
        EXPECT_FALSE(parse_http_date(bad)) << bad;
    }
}

StaticRequest request(std::optional<std::string_view> range, std::optional<std::string_view> if_modified_since = {},
                      std::optional<std::string_view> if_range = {}, bool head = false) {
    StaticRequest r;
    r.head = head;
    r.range = range;
    r.if_modified_since = if_modified_since;
    r.if_range = if_range;
    return r;
}

StaticFileInfo file_info(std::uint64_t size, std::int64_t mtime_s, bool live_playlist) {
    StaticFileInfo info;
    info.size = size;
    info.mtime_s = mtime_s;
    info.live_playlist = live_playlist;
    return info;
}

TEST(StaticAnswerPlan, StatusRangeAndConditionals) {
    const StaticFileInfo file = file_info(1000, 784111777, false);
    const std::string_view last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";

    StaticAnswer whole = plan_static_answer(request({}), file);
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.content_length, 1000u);
    EXPECT_EQ(whole.body_bytes, 1000u);
    EXPECT_EQ(whole.content_range, "");

    StaticAnswer part = plan_static_answer(request("bytes=10-19"), file);
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.offset, 10u);
    EXPECT_EQ(part.content_length, 10u);
    EXPECT_EQ(part.body_bytes, 10u);
    EXPECT_EQ(part.content_range, "bytes 10-19/1000");

    StaticAnswer bad = plan_static_answer(request("bytes=5000-"), file);
    EXPECT_EQ(bad.status, 416);
    EXPECT_EQ(bad.body_bytes, 0u);
    EXPECT_EQ(bad.content_range, "bytes */1000");

    StaticAnswer head = plan_static_answer(request("bytes=10-19", {}, {}, true), file);
    EXPECT_EQ(head.status, 200) << "HEAD ignores Range";
    EXPECT_EQ(head.content_length, 1000u);
    EXPECT_EQ(head.body_bytes, 0u);

    EXPECT_EQ(plan_static_answer(request({}, last_modified), file).status, 304);
    EXPECT_EQ(plan_static_answer(request("bytes=0-1", last_modified), file).status, 304)
        << "If-Modified-Since comes before Range";
    EXPECT_EQ(plan_static_answer(request({}, "Sun, 06 Nov 1994 08:49:38 GMT"), file).status, 200);
    EXPECT_EQ(plan_static_answer(request({}, "yesterday"), file).status, 200);

    EXPECT_EQ(plan_static_answer(request("bytes=0-1", {}, last_modified), file).status, 206);
    EXPECT_EQ(plan_static_answer(request("bytes=0-1", {}, "Mon, 07 Nov 1994 08:49:37 GMT"), file).status, 200)
        << "another version: the whole file";
    EXPECT_EQ(plan_static_answer(request("bytes=0-1", {}, "\"etag\""), file).status, 200);

    const StaticFileInfo playlist = file_info(100, 784111777, true);
    EXPECT_EQ(plan_static_answer(request({}, last_modified), playlist).status, 200)
        << "a live playlist is never 304: it may change twice in a second";
    EXPECT_EQ(plan_static_answer(request("bytes=0-1", {}, last_modified), playlist).status, 200);
    EXPECT_EQ(plan_static_answer(request("bytes=0-1"), playlist).status, 206);

    const StaticFileInfo empty = file_info(0, 0, false);
    EXPECT_EQ(plan_static_answer(request("bytes=0-"), empty).status, 200);
    EXPECT_EQ(plan_static_answer(request("bytes=0-"), empty).content_length, 0u);
}

TEST(StaticPath, PercentEncodesForLocation) {
    EXPECT_EQ(percent_encode_path("/live/a b/"), "/live/a%20b/");
    EXPECT_EQ(percent_encode_path("/a%b?c#d"), "/a%25b%3Fc%23d");
    EXPECT_EQ(percent_encode_path("/\xc3\xa9t\xc3\xa9"), "/%C3%A9t%C3%A9");
    EXPECT_EQ(percent_encode_path("/a-b_c.d~e:f@g!h$&'()*+,;="), "/a-b_c.d~e:f@g!h$&'()*+,;=");
    EXPECT_EQ(percent_encode_path("/a\r\nSet-Cookie: x"), "/a%0D%0ASet-Cookie:%20x");
}

}  // namespace
}  // namespace ringcast::app
