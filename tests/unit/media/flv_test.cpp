#include "media/flv.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ringcast::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

core::Buffer buffer(const Bytes& bytes) { return core::Buffer::copy_of(std::span<const std::uint8_t>(bytes)); }
Bytes bytes_of(const core::Buffer& b) { return {b.data(), b.data() + b.size()}; }

MediaFrame frame(FrameKind kind, std::uint32_t timestamp, const Bytes& payload) {
    MediaFrame f;
    f.kind = kind;
    f.timestamp_ms = timestamp;
    f.payload = buffer(payload);
    return f;
}

Bytes tag_bytes(FrameKind kind, std::uint32_t timestamp, const Bytes& payload) {
    auto tag = encode_flv_tag(frame(kind, timestamp, payload));
    EXPECT_TRUE(tag.has_value());
    return tag ? bytes_of(*tag) : Bytes{};
}

struct ReadTag {
    FrameKind kind;
    std::uint32_t timestamp;
    Bytes payload;
    bool operator==(const ReadTag&) const = default;
};

/// Feeds `stream` cut at each of `cuts` (ascending offsets) and collects the tags.
core::Status read_all(FlvTagReader& reader, const Bytes& stream, const std::vector<std::size_t>& cuts,
                      std::vector<ReadTag>& out) {
    std::size_t start = 0;
    auto on_tag = [&](const FlvTagView& tag) {
        out.push_back({tag.kind, tag.timestamp_ms, Bytes(tag.payload.begin(), tag.payload.end())});
    };
    for (std::size_t end : cuts) {
        RINGCAST_TRY(reader.feed(std::span(stream).subspan(start, end - start), on_tag));
        start = end;
    }
    RINGCAST_TRY(reader.feed(std::span(stream).subspan(start), on_tag));
    return reader.finish();
}

TEST(FlvHeader, ExactBytes) {
    const Bytes both = {'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0};
    EXPECT_EQ(bytes_of(flv_file_header(true, true)), both);
    EXPECT_EQ(bytes_of(flv_file_header(true, false))[4], 0x04);
    EXPECT_EQ(bytes_of(flv_file_header(false, true))[4], 0x01);
    EXPECT_EQ(bytes_of(flv_file_header(false, false))[4], 0x00);
    EXPECT_EQ(flv_file_header(false, false).size(), kFlvFileHeaderSize);
}

TEST(FlvTag, AudioExactBytes) {
    const Bytes expected = {8, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0xAF, 0x01, 0x21, 0, 0, 0, 14};
    EXPECT_EQ(tag_bytes(FrameKind::audio, 0, {0xAF, 0x01, 0x21}), expected);
}

TEST(FlvTag, VideoAndScriptExactBytes) {
    // Timestamp 0x00FFFFFF: all in the 24-bit field, TimestampExtended 0.
    const Bytes video = {9, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0x17, 0x01, 0, 0, 0, 13};
    EXPECT_EQ(tag_bytes(FrameKind::video, 0xFFFFFF, {0x17, 0x01}), video);
    // Timestamp 0x01000000: the 24-bit field wraps to 0 and TimestampExtended carries the 1.
    const Bytes script = {18, 0, 0, 1, 0, 0, 0, 0x01, 0, 0, 0, 0x02, 0, 0, 0, 12};
    EXPECT_EQ(tag_bytes(FrameKind::data, 0x01000000, {0x02}), script);
}

TEST(FlvTag, TimestampSplitAndByteOrder) {
    const Bytes max = tag_bytes(FrameKind::video, 0xFFFFFFFF, {0x27});
    EXPECT_EQ(Bytes(max.begin() + 4, max.begin() + 8), (Bytes{0xFF, 0xFF, 0xFF, 0xFF}));
    const Bytes mixed = tag_bytes(FrameKind::video, 0x12345678, {0x27});
    EXPECT_EQ(Bytes(mixed.begin() + 4, mixed.begin() + 8), (Bytes{0x34, 0x56, 0x78, 0x12}));
}

TEST(FlvTag, FramingAroundTheTagInTheSameBuffer) {
    const MediaFrame f = frame(FrameKind::video, 40, Bytes{0x17, 1, 0, 0, 0, 0xAB});
    const Bytes before = {'1', '5', '\r', '\n'};
    const Bytes after = {'\r', '\n'};
    auto tag = encode_flv_tag(f);
    auto framed = encode_flv_tag(f, before, after);
    ASSERT_TRUE(tag && framed);
    ASSERT_EQ(tag->size(), flv_tag_size(6));
    Bytes expected = before;
    expected.insert(expected.end(), tag->data(), tag->data() + tag->size());
    expected.insert(expected.end(), after.begin(), after.end());
    EXPECT_EQ(Bytes(framed->data(), framed->data() + framed->size()), expected);
}

TEST(FlvTag, EmptyPayload) {
    const Bytes expected = {9, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 11};
    MediaFrame f;
    f.kind = FrameKind::video;
    f.timestamp_ms = 40;
    auto tag = encode_flv_tag(f);
    ASSERT_TRUE(tag);
    EXPECT_EQ(bytes_of(*tag), expected);
}

TEST(FlvTag, SizeAndPreviousTagSizeAtTheLimit) {
    Bytes big(kFlvDataSizeMax, 0x5A);
    auto tag = encode_flv_tag(frame(FrameKind::video, 7, big));
    ASSERT_TRUE(tag);
    ASSERT_EQ(tag->size(), kFlvTagHeaderSize + kFlvDataSizeMax + kFlvPreviousTagSizeSize);
    const std::uint8_t* p = tag->data();
    EXPECT_EQ(Bytes(p + 1, p + 4), (Bytes{0xFF, 0xFF, 0xFF}));
    EXPECT_EQ(Bytes(p + tag->size() - 4, p + tag->size()), (Bytes{0x01, 0x00, 0x00, 0x0A}));  // 11 + 0xFFFFFF

    big.push_back(0x5A);
    auto too_big = encode_flv_tag(frame(FrameKind::video, 7, big));
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error().code, core::Errc::too_large);
}

TEST(FlvTag, AllocatesFromTheThreadsPool) {
    core::BufferPool pool;
    core::BufferPool::set_current(&pool);
    const MediaFrame audio = frame(FrameKind::audio, 0, {0xAF, 0x01});
    const auto before = pool.stats().allocations;
    auto tag = encode_flv_tag(audio);
    ASSERT_TRUE(tag);
    EXPECT_EQ(pool.stats().allocations, before + 1);
    tag->reset();
    core::BufferPool::set_current(nullptr);
}

/// Header, sequence headers, metadata, frames around the extended-timestamp boundary, an empty
/// payload, and a tag large enough to span several pieces.
struct Sample {
    Bytes stream;
    std::vector<ReadTag> tags;
};

Sample sample_stream() {
    Sample s;
    s.tags = {
        {FrameKind::data, 0, {0x02, 0x00, 0x0A, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a', 0x08, 0, 0, 0, 0}},
        {FrameKind::video, 0, {0x17, 0x00, 0, 0, 0, 0x01, 0x64}},
        {FrameKind::audio, 0, {0xAF, 0x00, 0x12, 0x10}},
        {FrameKind::video, 40, {0x17, 0x01, 0, 0, 0, 0xAA, 0xBB}},
        {FrameKind::audio, 0xFFFFFF, {0xAF, 0x01, 0x21}},
        {FrameKind::video, 0x01000000, {}},
        {FrameKind::video, 0xFFFFFFFF, Bytes(300, 0x33)},
        {FrameKind::audio, 0x12345678, {0xAF, 0x01}},
    };
    const core::Buffer header = flv_file_header(true, true);
    s.stream = bytes_of(header);
    for (const ReadTag& t : s.tags) {
        const Bytes tag = tag_bytes(t.kind, t.timestamp, t.payload);
        s.stream.insert(s.stream.end(), tag.begin(), tag.end());
    }
    return s;
}

TEST(FlvTagReader, RoundTripSplitAtEveryOffset) {
    const Sample s = sample_stream();
    for (std::size_t cut = 0; cut <= s.stream.size(); ++cut) {
        FlvTagReader reader;
        std::vector<ReadTag> got;
        ASSERT_TRUE(read_all(reader, s.stream, {cut}, got)) << "cut at " << cut;
        ASSERT_EQ(got, s.tags) << "cut at " << cut;
        EXPECT_TRUE(reader.has_audio());
        EXPECT_TRUE(reader.has_video());
        EXPECT_EQ(reader.tags_read(), s.tags.size());
        EXPECT_EQ(reader.bytes_fed(), s.stream.size());
    }
}

TEST(FlvTagReader, RoundTripByteByByteAndInTwoCuts) {
    const Sample s = sample_stream();
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < s.stream.size(); ++i) {
        every.push_back(i);
    }
    FlvTagReader bytewise;
    std::vector<ReadTag> got;
    ASSERT_TRUE(read_all(bytewise, s.stream, every, got));
    EXPECT_EQ(got, s.tags);
    // Two cuts a prime stride apart, so both land everywhere in headers, payloads and trailers.
    for (std::size_t first = 0; first < s.stream.size(); first += 7) {
        for (std::size_t second = first; second < s.stream.size(); second += 13) {
            FlvTagReader reader;
            got.clear();
            ASSERT_TRUE(read_all(reader, s.stream, {first, second}, got));
            ASSERT_EQ(got, s.tags) << first << "," << second;
        }
    }
}

TEST(FlvTagReader, WholeTagIsAViewOfTheInput) {
    const Sample s = sample_stream();
    FlvTagReader reader;
    bool inside = true;
    ASSERT_TRUE(reader.feed(s.stream, [&](const FlvTagView& tag) {
        if (!tag.payload.empty()) {
            inside = inside && tag.payload.data() >= s.stream.data() &&
                     tag.payload.data() + tag.payload.size() <= s.stream.data() + s.stream.size();
        }
    }));
    EXPECT_TRUE(inside);
}

TEST(FlvTagReader, PreviousTagSizeMismatch) {
    Sample s = sample_stream();
    // Second tag's PreviousTagSize: header, then tag 0, then tag 1 up to its last 4 bytes.
    const std::size_t tag0 = kFlvTagHeaderSize + s.tags[0].payload.size() + 4;
    const std::size_t trailer1 = kFlvFileHeaderSize + tag0 + kFlvTagHeaderSize + s.tags[1].payload.size();
    s.stream[trailer1 + 3] ^= 1;
    for (std::size_t cut : {std::size_t{0}, trailer1 + 2, s.stream.size()}) {
        FlvTagReader reader;
        std::vector<ReadTag> got;
        auto status = read_all(reader, s.stream, {cut}, got);
        ASSERT_FALSE(status);
        EXPECT_EQ(status.error().code, core::Errc::protocol);
        EXPECT_EQ(got.size(), 1u);  // the bad tag is never handed out
        EXPECT_TRUE(reader.failed());
        EXPECT_FALSE(reader.feed(s.stream, [](const FlvTagView&) {}));  // stays failed
    }
}

TEST(FlvTagReader, BadFileHeader) {
    auto rejects = [](Bytes stream) {
        FlvTagReader reader;
        std::vector<ReadTag> got;
        auto status = read_all(reader, stream, {}, got);
        return !status && status.error().code == core::Errc::protocol;
    };
    const Bytes good = bytes_of(flv_file_header(true, true));
    Bytes signature = good;
    signature[0] = 'G';
    EXPECT_TRUE(rejects(signature));
    Bytes short_offset = good;
    short_offset[8] = 8;
    EXPECT_TRUE(rejects(short_offset));
    Bytes first_size = good;
    first_size[12] = 11;
    EXPECT_TRUE(rejects(first_size));
    EXPECT_FALSE(rejects(good));
}

TEST(FlvTagReader, LongerDataOffsetIsSkipped) {
    Bytes stream = {'F', 'L', 'V', 1, 0x01, 0, 0, 0, 12, 0xEE, 0xEE, 0xEE, 0, 0, 0, 0};
    const Bytes tag = tag_bytes(FrameKind::video, 5, {0x17, 0x01});
    stream.insert(stream.end(), tag.begin(), tag.end());
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        FlvTagReader reader;
        std::vector<ReadTag> got;
        ASSERT_TRUE(read_all(reader, stream, {cut}, got));
        ASSERT_EQ(got, (std::vector<ReadTag>{{FrameKind::video, 5, {0x17, 0x01}}}));
        EXPECT_FALSE(reader.has_audio());
        EXPECT_TRUE(reader.has_video());
    }
}

TEST(FlvTagReader, TruncatedInputIsReported) {
    const Sample s = sample_stream();
    for (std::size_t end = 0; end < s.stream.size(); ++end) {
        FlvTagReader reader;
        std::vector<ReadTag> got;
        const Bytes cut(s.stream.begin(), s.stream.begin() + static_cast<std::ptrdiff_t>(end));
        auto status = read_all(reader, cut, {}, got);
        bool at_boundary = end == kFlvFileHeaderSize;
        std::size_t offset = kFlvFileHeaderSize;
        for (const ReadTag& t : s.tags) {
            offset += kFlvTagHeaderSize + t.payload.size() + 4;
            at_boundary = at_boundary || end == offset;
        }
        EXPECT_EQ(status.has_value(), at_boundary) << "ends at " << end;
    }
}

TEST(FlvTagReader, TagSizeLimit) {
    Bytes stream = bytes_of(flv_file_header(false, true));
    const Bytes ok = tag_bytes(FrameKind::video, 0, Bytes(100, 1));
    const Bytes big = tag_bytes(FrameKind::video, 40, Bytes(101, 2));
    stream.insert(stream.end(), ok.begin(), ok.end());
    stream.insert(stream.end(), big.begin(), big.end());
    FlvTagReader reader(FlvReaderLimits{.tag_size_max = 100});
    std::vector<ReadTag> got;
    // Cut right after the big tag's header: the size is refused before its payload arrives.
    const std::size_t cut = kFlvFileHeaderSize + ok.size() + kFlvTagHeaderSize;
    auto status = reader.feed(std::span(stream).first(cut), [&](const FlvTagView& tag) {
        got.push_back({tag.kind, tag.timestamp_ms, Bytes(tag.payload.begin(), tag.payload.end())});
    });
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, core::Errc::too_large);
    EXPECT_EQ(got.size(), 1u);
}

TEST(FlvTagReader, UnknownTagTypesAreSkipped) {
    Bytes stream = bytes_of(flv_file_header(true, false));
    Bytes odd = tag_bytes(FrameKind::audio, 1, {1, 2, 3});
    odd[0] = 0x28;  // audio with the Filter (encryption) bit
    const Bytes audio = tag_bytes(FrameKind::audio, 2, {0xAF, 0x01});
    stream.insert(stream.end(), odd.begin(), odd.end());
    stream.insert(stream.end(), audio.begin(), audio.end());
    FlvTagReader reader;
    std::vector<ReadTag> got;
    ASSERT_TRUE(read_all(reader, stream, {20}, got));
    EXPECT_EQ(got, (std::vector<ReadTag>{{FrameKind::audio, 2, {0xAF, 0x01}}}));
    EXPECT_EQ(reader.tags_skipped(), 1u);
}

TEST(FlvTagReader, CallbackErrorStopsTheFeed) {
    const Sample s = sample_stream();
    FlvTagReader reader;
    int calls = 0;
    auto status = reader.feed(s.stream, [&](const FlvTagView&) -> core::Status {
        ++calls;
        return core::fail(core::Errc::full, "test: queue full");
    });
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, core::Errc::full);
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(reader.finish());
}

TEST(FlvTagReader, GarbageNeverCrashes) {
    // A cheap fuzz pass: arbitrary bytes after a valid header either parse or fail cleanly.
    std::uint32_t seed = 12345;
    for (int round = 0; round < 2000; ++round) {
        Bytes stream = bytes_of(flv_file_header(true, true));
        const std::size_t n = 1 + round % 64;
        for (std::size_t i = 0; i < n; ++i) {
            seed = seed * 1664525 + 1013904223;
            stream.push_back(static_cast<std::uint8_t>(seed >> 24));
        }
        FlvTagReader reader(FlvReaderLimits{.tag_size_max = 4096});
        std::vector<ReadTag> got;
        (void)read_all(reader, stream, {static_cast<std::size_t>(round) % stream.size()}, got);
    }
}

}  // namespace
}  // namespace ringcast::media
