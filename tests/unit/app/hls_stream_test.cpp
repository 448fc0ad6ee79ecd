// HlsFileWriter and HlsStream on a real ring and reactor, writing into a scratch directory: the
// order of file steps, mkdir -p, playlist coalescing, errors, and the bounded backlog (the
// reactor is simply not turned, so the "disk" falls behind deterministically).

#include "app/hls_stream.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "uring/reactor.h"
#include "uring/ring.h"

namespace ringcast::app {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
    }
    return bytes;
}

std::set<std::string> names_in(const std::string& dir) {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
        if (entry.is_regular_file()) {
            names.insert(fs::relative(entry.path(), dir).string());
        }
    }
    return names;
}

struct Error {
    HlsFileStep step;
    std::uint64_t seq;
    std::string path;
    int error;
};

struct Recorder final : HlsFileWriter::Listener {
    std::vector<Error> errors;
    void on_file_error(HlsFileStep step, std::uint64_t seq, const std::string& path, int error) override {
        errors.push_back({step, seq, path, error});
    }
};

std::size_t task_count() {
    std::size_t count = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/self/task", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        ++count;
    }
    return count;
}

class HlsFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        tasks_before = task_count();
        auto created = uring::Ring::create();
        ASSERT_TRUE(created) << created.error().describe();
        ring = std::move(*created);
        if (!ring->features().file_ops) {
            GTEST_SKIP() << "this kernel's io_uring has no file operations";
        }
        reactor = std::make_unique<uring::Reactor>(*ring);
        std::string pattern_text = (fs::temp_directory_path() / "ringcast-hls-unit.XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern_text.data()), nullptr);
        dir = pattern_text;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir, ec);
        // File writes the kernel could not finish inline ran on io_uring's io-wq worker threads
        // ("iou-wrk", tasks of this process). They leave after the ring is gone, asynchronously:
        // wait for them, so a later test that counts this process's threads is not misled.
        reactor.reset();
        ring.reset();
        for (int i = 0; i < 200 && task_count() > tasks_before; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    template <class Pred>
    bool run_until(Pred done) {
        return reactor->run_until(done, 5000);
    }
    [[nodiscard]] std::string path(const std::string& relative) const { return dir + "/" + relative; }

    std::unique_ptr<uring::Ring> ring;
    std::unique_ptr<uring::Reactor> reactor;
    std::string dir;
    std::size_t tasks_before = 0;
};

TEST_F(HlsFilesTest, WriterRunsStepsInOrderMakesDirectoriesAndCoalescesThePlaylist) {
    Recorder recorder;
    HlsFileWriter writer(*reactor, recorder);
    const std::vector<std::uint8_t> first = pattern(200 * 1024, 1);
    const std::vector<std::uint8_t> second = pattern(3, 9);
    writer.open_segment(7, path("a/b/seg-7.ts.tmp"));
    writer.write_segment(7, first);
    writer.write_segment(7, second);
    writer.finish_segment(7, path("a/b/seg-7.ts.tmp"), path("a/b/seg-7.ts"));
    writer.write_file(path("a/p.m3u8"), "one");
    writer.write_file(path("a/p.m3u8"), "two, longer");  // replaces the queued "one"
    writer.unlink(path("a/b/never-written.ts"));         // ENOENT is no error
    EXPECT_EQ(writer.queued_ops(), 6u);
    EXPECT_EQ(writer.queued_bytes(), first.size() + second.size() + 11);
    EXPECT_FALSE(writer.idle());

    ASSERT_TRUE(run_until([&] { return writer.idle(); }));
    EXPECT_TRUE(recorder.errors.empty());
    std::string expected(first.begin(), first.end());
    expected.append(second.begin(), second.end());
    EXPECT_EQ(read_all(path("a/b/seg-7.ts")), expected);
    EXPECT_EQ(read_all(path("a/p.m3u8")), "two, longer");
    EXPECT_EQ(names_in(dir), (std::set<std::string>{"a/b/seg-7.ts", "a/p.m3u8"})) << "no temp file left";
    EXPECT_EQ(writer.queued_bytes(), 0u);
    EXPECT_EQ(writer.stats().operations, 6u);
    EXPECT_EQ(writer.stats().bytes_written, first.size() + second.size() + 11);
}

TEST_F(HlsFilesTest, SegmentNotKeptIsDeletedAndAPlaylistIsReplacedAtomically) {
    Recorder recorder;
    HlsFileWriter writer(*reactor, recorder);
    writer.write_file(path("p.m3u8"), "old");
    writer.open_segment(1, path("s-1.ts.tmp"));
    writer.write_segment(1, pattern(10, 0));
    writer.finish_segment(1, path("s-1.ts.tmp"), "");  // not kept
    writer.write_file(path("p.m3u8"), "new");
    ASSERT_TRUE(run_until([&] { return writer.idle(); }));
    EXPECT_TRUE(recorder.errors.empty());
    EXPECT_EQ(names_in(dir), (std::set<std::string>{"p.m3u8"}));
    EXPECT_EQ(read_all(path("p.m3u8")), "new");
}

TEST_F(HlsFilesTest, FailedOpenIsReportedOnceAndItsSegmentStepsAreSkipped) {
    Recorder recorder;
    HlsFileWriter writer(*reactor, recorder);
    std::ofstream(path("blocker")) << "a file where a directory should be";
    writer.open_segment(1, path("blocker/x-1.ts.tmp"));  // ENOTDIR, even for root
    writer.write_segment(1, pattern(100, 0));
    writer.finish_segment(1, path("blocker/x-1.ts.tmp"), path("blocker/x-1.ts"));
    writer.write_file(path("blocker/p.m3u8"), "x");
    writer.open_segment(2, path("ok/x-2.ts.tmp"));  // the next segment works again
    writer.write_segment(2, pattern(100, 5));
    writer.finish_segment(2, path("ok/x-2.ts.tmp"), path("ok/x-2.ts"));
    ASSERT_TRUE(run_until([&] { return writer.idle(); }));
    ASSERT_EQ(recorder.errors.size(), 2u);
    EXPECT_EQ(recorder.errors[0].step, HlsFileStep::open_segment);
    EXPECT_EQ(recorder.errors[0].seq, 1u);
    EXPECT_EQ(recorder.errors[0].path, path("blocker/x-1.ts.tmp"));
    EXPECT_EQ(recorder.errors[0].error, ENOTDIR);
    EXPECT_EQ(recorder.errors[1].step, HlsFileStep::write_playlist);
    EXPECT_EQ(recorder.errors[1].path, path("blocker/p.m3u8"));
    EXPECT_EQ(names_in(dir), (std::set<std::string>{"blocker", "ok/x-2.ts"}));
    EXPECT_EQ(read_all(path("ok/x-2.ts")).size(), 100u);
}

TEST_F(HlsFilesTest, DroppedSegmentWritesFreeTheirBytes) {
    Recorder recorder;
    HlsFileWriter writer(*reactor, recorder);
    writer.open_segment(3, path("s-3.ts.tmp"));  // in progress (an SQE waits for the ring)
    writer.write_segment(3, pattern(1000, 0));
    writer.write_segment(3, pattern(2000, 0));
    writer.write_segment(4, pattern(500, 0));  // another segment's bytes stay
    EXPECT_EQ(writer.drop_segment_writes(3), 3000u);
    EXPECT_EQ(writer.queued_bytes(), 500u);
    EXPECT_EQ(writer.queued_ops(), 2u);
    writer.finish_segment(3, path("s-3.ts.tmp"), "");
    ASSERT_TRUE(run_until([&] { return writer.idle(); }));
    EXPECT_TRUE(names_in(dir).empty());
    EXPECT_EQ(writer.stats().dropped_writes, 2u);
}

// ---- HlsStream ----

core::Buffer buffer_of(const std::vector<std::uint8_t>& bytes) {
    return core::Buffer::copy_of(std::span<const std::uint8_t>(bytes));
}

/// AAC LC, 44.1 kHz, stereo: the FLV tag of its AudioSpecificConfig.
media::MediaFrame aac_header() {
    return media::classify(media::FrameKind::audio, 0, buffer_of({0xaf, 0x00, 0x12, 0x10}));
}

/// A raw AAC frame of `bytes` (content does not matter to the muxer).
media::MediaFrame aac_frame(std::uint32_t timestamp_ms, const core::Buffer& payload) {
    return media::classify(media::FrameKind::audio, timestamp_ms, payload);
}

HlsConfig hls_config(const std::string& dir) {
    HlsConfig config;
    config.enabled = true;
    config.path = dir;
    config.fragment_ms = 2'000;  // pure audio: cut at 2 * 2.1 = 4.2 s
    config.window_ms = 600'000;
    config.dispose_ms = 0;
    return config;
}

struct Listed {
    std::vector<std::string> uris;
    int discontinuities = 0;
};

Listed parse(const std::string& text) {
    Listed listed;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line == "#EXT-X-DISCONTINUITY") {
            ++listed.discontinuities;
        } else if (!line.empty() && line[0] != '#') {
            listed.uris.push_back(line);
        }
    }
    return listed;
}

TEST_F(HlsFilesTest, StreamDropsSegmentsWhenTheDiskFallsBehindAndKeepsThePlaylistTrue) {
    HlsStream hls(*reactor, "__defaultVhost__/live/a");
    hls.on_publish(hls_config(dir));
    ASSERT_TRUE(hls.publishing());
    std::vector<std::uint8_t> raw(8000);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        raw[i] = static_cast<std::uint8_t>(i);
    }
    raw[0] = 0xaf;
    raw[1] = 0x01;
    const core::Buffer payload = buffer_of(raw);
    hls.on_frame(aac_header());
    hls.on_frame(aac_header());  // an identical repeat is dropped
    EXPECT_EQ(hls.stats().frames_filtered, 1u);

    // The reactor does not turn: nothing reaches the disk and the backlog grows to its bound.
    std::uint32_t timestamp_ms = 0;
    std::size_t queued_max = 0;
    while (hls.stats().segments_dropped < 3 && timestamp_ms < 600'000) {
        hls.on_frame(aac_frame(timestamp_ms, payload));
        timestamp_ms += 23;
        queued_max = std::max(queued_max, hls.writer().queued_bytes());
    }
    ASSERT_EQ(hls.stats().segments_dropped, 3u);
    EXPECT_LE(queued_max, HlsStream::kQueuedBytesMax + HlsStream::kWriteChunkBytes) << "bounded";
    EXPECT_GT(queued_max, HlsStream::kQueuedBytesMax / 2);

    // The disk catches up (idle() stays false while a segment file is open); the stream goes on
    // and segments are written again.
    ASSERT_TRUE(run_until([&] { return hls.writer().queued_ops() == 0; }));
    const std::uint64_t kept_before = hls.stats().segments_kept;
    for (int i = 0; i < 600; ++i) {  // about 14 s
        hls.on_frame(aac_frame(timestamp_ms, payload));
        timestamp_ms += 23;
        reactor->turn(0);
    }
    hls.on_unpublish();
    ASSERT_TRUE(run_until([&] { return hls.idle(); }));
    EXPECT_FALSE(hls.publishing());
    EXPECT_EQ(hls.stats().segments_dropped, 3u);
    EXPECT_GE(hls.stats().segments_kept, kept_before + 3);
    EXPECT_EQ(hls.stats().file_errors, 0u);

    // The playlist lists exactly the segments on disk; the gap is marked once.
    const Listed listed = parse(read_all(path("live/a.m3u8")));
    std::set<std::string> expected{"live/a.m3u8"};
    for (const std::string& uri : listed.uris) {
        expected.insert("live/" + uri);
    }
    EXPECT_EQ(names_in(dir), expected);
    EXPECT_EQ(listed.uris.size(), hls.stats().segments_kept);
    EXPECT_EQ(listed.discontinuities, 1);
}

TEST_F(HlsFilesTest, OnErrorIgnoreStopsHlsUntilTheNextPublish) {
    HlsConfig config = hls_config(dir);
    config.on_error = HlsOnError::ignore;
    std::ofstream(path("blocker")) << "not a directory";
    config.path = path("blocker");  // every open fails with ENOTDIR
    HlsStream hls(*reactor, "__defaultVhost__/live/b");
    hls.on_publish(config);
    std::vector<std::uint8_t> raw(200, 0x21);
    raw[0] = 0xaf;
    raw[1] = 0x01;
    hls.on_frame(aac_header());
    std::uint32_t timestamp_ms = 0;
    hls.on_frame(aac_frame(timestamp_ms, buffer_of(raw)));  // opens segment 0
    timestamp_ms += 23;
    // The failed open is reported while segment 0 is still being written (on a real disk it
    // comes back in microseconds; here the loop below would outrun the io-wq thread).
    ASSERT_TRUE(run_until([&] { return hls.stats().file_errors > 0; }));
    for (int i = 0; i < 1000; ++i) {  // 23 s: five segments' worth
        hls.on_frame(aac_frame(timestamp_ms, buffer_of(raw)));
        timestamp_ms += 23;
        reactor->turn(0);
    }
    ASSERT_TRUE(run_until([&] { return hls.idle(); }));
    EXPECT_EQ(hls.stats().segments_dropped, 1u) << "then HLS stopped for this publish";
    EXPECT_EQ(hls.stats().file_errors, 1u);
    EXPECT_TRUE(hls.publishing()) << "the publish itself goes on";
    hls.on_unpublish();

    config.path = path("fixed");
    hls.on_publish(config);
    hls.on_frame(aac_header());
    for (int i = 0; i < 400; ++i) {
        hls.on_frame(aac_frame(timestamp_ms, buffer_of(raw)));
        timestamp_ms += 23;
        reactor->turn(0);
    }
    hls.on_unpublish();
    ASSERT_TRUE(run_until([&] { return hls.idle(); }));
    EXPECT_GE(hls.stats().segments_kept, 2u);
    EXPECT_TRUE(fs::exists(path("fixed/live/b.m3u8")));
}

}  // namespace
}  // namespace ringcast::app
