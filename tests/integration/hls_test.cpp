// HLS output with real clients: ffmpeg publishes over RTMP; the playlist and segments are checked
// on disk (text, sliding window, cleanup, keyframe starts and durations with ffprobe, a full
// decode with ffmpeg) and through the HTTP server's static files (http_server.dir = hls_path).
// Every test has its own hls_path and free ports, so the tests can run in parallel.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// ringcast with HLS on the default vhost writing into its own directory, which the HTTP
/// server also serves (SRS's layout: hls_path and http_server.dir are the same directory).
struct HlsServer {
    /// hls_dispose 0 unless given: the tests look at the files after the publish. hls_path is
    /// hls_dir unless given.
    explicit HlsServer(int dispose_s = 0, const std::string& hls_path = "")
        : http_port(free_tcp_port()),
          server("http_server {\n enabled on;\n listen " + std::to_string(http_port) + ";\n dir " + hls_dir.path() +
                 ";\n}\nvhost __defaultVhost__ {\n hls {\n  enabled on;\n  hls_fragment 2;\n  hls_window 10;\n  hls_path " +
                 (hls_path.empty() ? hls_dir.path() : hls_path) + ";\n  hls_dispose " + std::to_string(dispose_s) + ";\n }\n}\n") {}

    [[nodiscard]] std::string file(const std::string& relative) const { return hls_dir.path() + "/" + relative; }
    [[nodiscard]] std::string url(const std::string& relative) const {
        return "http://127.0.0.1:" + std::to_string(http_port) + "/" + relative;
    }

    TempDir hls_dir{"ringcast-hls"};
    std::uint16_t http_port;
    RtmpServer server;
};

enum class Tracks { audio_video, video_only, audio_only };

/// ffmpeg publishing testsrc2 (25 fps, a keyframe every 2 s exactly) and/or a sine (AAC).
Process publish(const std::string& url, int seconds, Tracks tracks = Tracks::audio_video) {
    std::vector<std::string> args = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-re"};
    if (tracks != Tracks::audio_only) {
        args.insert(args.end(), {"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"});
    }
    if (tracks != Tracks::video_only) {
        args.insert(args.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"});
    }
    args.insert(args.end(), {"-t", std::to_string(seconds)});
    if (tracks != Tracks::audio_only) {
        args.insert(args.end(), {"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50",
                                 "-sc_threshold", "0", "-b:v", "500k"});
    }
    if (tracks != Tracks::video_only) {
        args.insert(args.end(), {"-c:a", "aac", "-b:a", "64k"});
    }
    args.insert(args.end(), {"-f", "flv", url});
    return Process::spawn(args);
}

struct PlaylistEntry {
    double duration_s = 0;
    std::string uri;
    bool discontinuity = false;
};

struct Playlist {
    bool valid = false;  // #EXTM3U first, version 3, a media sequence and a target duration
    std::uint64_t media_sequence = 0;
    int target_duration_s = 0;
    bool ended = false;
    std::vector<PlaylistEntry> entries;
};

Playlist parse_playlist(const std::string& text) {
    Playlist playlist;
    std::istringstream in(text);
    std::string line;
    bool version = false;
    bool sequence = false;
    bool target = false;
    bool first = true;
    bool discontinuity = false;
    double duration_s = -1;
    while (std::getline(in, line)) {
        if (first) {
            if (line != "#EXTM3U") {
                return playlist;
            }
            first = false;
        } else if (line == "#EXT-X-VERSION:3") {
            version = true;
        } else if (line.rfind("#EXT-X-MEDIA-SEQUENCE:", 0) == 0) {
            playlist.media_sequence = std::stoull(line.substr(22));
            sequence = true;
        } else if (line.rfind("#EXT-X-TARGETDURATION:", 0) == 0) {
            playlist.target_duration_s = std::stoi(line.substr(22));
            target = true;
        } else if (line == "#EXT-X-DISCONTINUITY") {
            discontinuity = true;
        } else if (line.rfind("#EXTINF:", 0) == 0) {
            duration_s = std::atof(line.c_str() + 8);
        } else if (line == "#EXT-X-ENDLIST") {
            playlist.ended = true;
        } else if (!line.empty() && line[0] != '#') {
            playlist.entries.push_back({duration_s, line, discontinuity});
            discontinuity = false;
            duration_s = -1;
        }
    }
    playlist.valid = !first && version && sequence && target;
    return playlist;
}

/// The segment files (*.ts, and temp files) in a directory, by name.
std::set<std::string> files_in(const std::string& dir, const std::string& suffix) {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            names.insert(name);
        }
    }
    return names;
}

std::string first_video_packet_flags(const std::string& path) {
    ProcessResult r = run_command({"ffprobe", "-v", "error", "-select_streams", "v", "-read_intervals", "%+#1",
                                   "-show_entries", "packet=flags", "-of", "csv=p=0", path},
                                  15s);
    return r.out.substr(0, r.out.find('\n'));
}

double probed_duration_s(const std::string& path) {
    ProcessResult r =
        run_command({"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path}, 15s);
    return std::atof(r.out.c_str());
}

/// codec names of the streams ffprobe finds, comma-separated in order ("h264,aac").
std::string probed_codecs(const std::string& target) {
    // For MPEG-TS ffprobe lists each stream twice (under its program, then alone): by index.
    ProcessResult r = run_command(
        {"ffprobe", "-v", "error", "-show_entries", "stream=index,codec_name", "-of", "csv=p=0", target}, 20s);
    std::set<std::string> seen;
    std::string codecs;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t comma = line.find(',');
        if (comma != std::string::npos && seen.insert(line.substr(0, comma)).second) {
            codecs += (codecs.empty() ? "" : ",") + line.substr(comma + 1);
        }
    }
    return codecs;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

/// A copy of the live playlist with #EXT-X-ENDLIST, beside it, so ffmpeg decodes the whole
/// window once and exits instead of waiting for the next segment.
std::string write_ended_copy(const HlsServer& hls, const std::string& playlist_relative, const std::string& text) {
    const std::string relative = playlist_relative.substr(0, playlist_relative.size() - 5) + "-ended.m3u8";
    hls.hls_dir.write_file(relative, text + "#EXT-X-ENDLIST\n");
    return relative;
}

struct Decode {
    int exit_code = -1;
    std::string err;
    double media_s = 0;  // what ffmpeg's progress says it decoded
};

/// ffmpeg decodes every stream to nothing; -v error prints only problems.
Decode decode(const std::string& target) {
    ProcessResult r = run_command({"ffmpeg", "-hide_banner", "-v", "error", "-stats", "-i", target, "-f", "null", "-"}, 60s);
    Decode result;
    result.exit_code = r.exit_code;
    result.err = r.err;
    // "-stats" ends with "... time=00:00:12.03 ..."; take the last one.
    const std::size_t at = r.err.rfind("time=");
    if (at != std::string::npos) {
        int h = 0;
        int m = 0;
        double s = 0;
        if (std::sscanf(r.err.c_str() + at + 5, "%d:%d:%lf", &h, &m, &s) == 3) {
            result.media_s = h * 3600 + m * 60 + s;
        }
    }
    return result;
}

/// Decode problems: lines of ffmpeg's stderr that are not its progress line.
std::string decode_errors(const Decode& decoded) {
    std::string errors;
    std::istringstream in(decoded.err);
    std::string line;
    while (std::getline(in, line, '\n')) {
        // progress lines are rewritten with '\r'; keep what follows the last one
        const std::size_t cr = line.rfind('\r');
        const std::string tail = cr == std::string::npos ? line : line.substr(cr + 1);
        if (tail.rfind("frame=", 0) == 0 || tail.rfind("size=", 0) == 0 || tail.empty()) {
            continue;
        }
        errors += tail + "\n";
    }
    return errors;
}

std::string http_get(const std::string& url, std::string* status = nullptr) {
    ProcessResult r = run_command({"curl", "-s", "--max-time", "5", "-w", "\n%{http_code}", url}, 10s);
    const std::size_t nl = r.out.rfind('\n');
    if (status != nullptr) {
        *status = nl == std::string::npos ? "" : r.out.substr(nl + 1);
    }
    return nl == std::string::npos ? r.out : r.out.substr(0, nl);
}

TEST(Hls, SlidingWindowKeyframeSegmentsDurationsCleanupAndPlayback) {
    HlsServer hls;
    ASSERT_TRUE(hls.server.ready()) << hls.server.process().err();
    // Issue 5's acceptance: 30 s of publishing with hls_fragment 2 and hls_window 10.
    Process publisher = publish(hls.server.url("live/s"), 30);

    // While live: a playlist appears after the first segment; take a snapshot to compare later.
    std::this_thread::sleep_for(9s);
    const std::string live_text = read_file(hls.file("live/s.m3u8"));
    const Playlist live = parse_playlist(live_text);
    ASSERT_TRUE(live.valid) << live_text;
    ASSERT_GE(live.entries.size(), 2u) << live_text;
    std::string status;
    const std::string served = http_get(hls.url("live/s.m3u8"), &status);
    const bool http_static = status == "200";
    if (http_static) {
        EXPECT_EQ(parse_playlist(served).valid, true) << served;
        const std::string probed = probed_codecs(hls.url("live/s.m3u8"));
        EXPECT_EQ(probed, "h264,aac") << "ffprobe of the live playlist over HTTP";
    } else {
        ADD_FAILURE() << "http_server.dir does not serve the HLS files (status " << status << ")";
    }

    ProcessResult published = publisher.wait(45s);
    ASSERT_EQ(published.exit_code, 0) << published.err;
    std::this_thread::sleep_for(500ms);  // the unpublish closes the last segment and rewrites the playlist

    const std::string text = read_file(hls.file("live/s.m3u8"));
    const Playlist playlist = parse_playlist(text);
    ASSERT_TRUE(playlist.valid) << text;
    EXPECT_FALSE(playlist.ended) << "SRS never ends a live playlist";
    // 30 s of 2 s segments: 15 segments (0..14); hls_window 10 keeps the newest 6 (SRS's shrink
    // keeps the segment that crosses the window).
    EXPECT_GE(playlist.entries.size(), 5u) << text;
    EXPECT_LE(playlist.entries.size(), 7u) << text;
    EXPECT_GT(playlist.media_sequence, live.media_sequence) << "the window slid\n" << live_text << "\n" << text;
    EXPECT_GE(playlist.media_sequence, 8u) << text;
    EXPECT_EQ(playlist.target_duration_s, 2) << text;
    double window_s = 0;
    for (std::size_t i = 0; i < playlist.entries.size(); ++i) {
        const PlaylistEntry& entry = playlist.entries[i];
        EXPECT_EQ(entry.uri, "s-" + std::to_string(playlist.media_sequence + i) + ".ts") << text;
        EXPECT_FALSE(entry.discontinuity) << text;
        window_s += entry.duration_s;
        if (i + 1 < playlist.entries.size()) {
            EXPECT_NEAR(entry.duration_s, 2.0, 0.001) << "a GOP per segment: " << entry.uri;
        }
    }
    EXPECT_GT(window_s, 10.0);
    EXPECT_LT(window_s, 12.5);

    // On disk: exactly the listed segments (hls_cleanup on), no temp files left.
    std::set<std::string> listed;
    for (const PlaylistEntry& entry : playlist.entries) {
        listed.insert(entry.uri);
    }
    EXPECT_EQ(files_in(hls.file("live"), ".ts"), listed);
    EXPECT_TRUE(files_in(hls.file("live"), ".tmp").empty());
    EXPECT_FALSE(fs::exists(hls.file("live/s-0.ts"))) << "segments that left the window are deleted";

    // Every segment starts with a keyframe, and its duration matches its EXTINF.
    for (const PlaylistEntry& entry : playlist.entries) {
        SCOPED_TRACE(entry.uri);
        const std::string path = hls.file("live/" + entry.uri);
        EXPECT_EQ(first_video_packet_flags(path).substr(0, 1), "K");
        const double probed_s = probed_duration_s(path);
        EXPECT_NEAR(probed_s, entry.duration_s, 0.1);
        std::printf("[ segment  ] %s EXTINF %.3f s, ffprobe %.3f s\n", entry.uri.c_str(), entry.duration_s, probed_s);
        EXPECT_EQ(probed_codecs(path), "h264,aac");
    }

    // The whole window decodes without an error, from disk and over HTTP.
    const std::string ended = write_ended_copy(hls, "live/s.m3u8", text);
    const Decode from_disk = decode(hls.file(ended));
    EXPECT_EQ(from_disk.exit_code, 0) << from_disk.err;
    EXPECT_EQ(lower(decode_errors(from_disk)).find("error"), std::string::npos) << from_disk.err;
    EXPECT_NEAR(from_disk.media_s, window_s, 0.5) << from_disk.err;
    if (http_static) {
        const Decode over_http = decode(hls.url(ended));
        EXPECT_EQ(over_http.exit_code, 0) << over_http.err;
        EXPECT_EQ(decode_errors(over_http), "") << over_http.err;
        EXPECT_NEAR(over_http.media_s, window_s, 0.5) << over_http.err;
        EXPECT_EQ(http_get(hls.url("live/s.m3u8")), text) << "the served playlist is the file";
    }
    std::printf("[ playlist ] %zu segments, media sequence %llu, %.3f s listed; decoded %.2f s\n",
                playlist.entries.size(), static_cast<unsigned long long>(playlist.media_sequence), window_s,
                from_disk.media_s);
    EXPECT_TRUE(hls.server.process().running());
}

TEST(Hls, RepublishContinuesTheSequenceAfterADiscontinuity) {
    HlsServer hls;
    ASSERT_TRUE(hls.server.ready()) << hls.server.process().err();
    ProcessResult first = publish(hls.server.url("live/r"), 7).wait(20s);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    std::this_thread::sleep_for(500ms);
    const Playlist after_first = parse_playlist(read_file(hls.file("live/r.m3u8")));
    ASSERT_TRUE(after_first.valid);
    ASSERT_FALSE(after_first.entries.empty());
    const std::uint64_t last_first = after_first.media_sequence + after_first.entries.size() - 1;

    ProcessResult second = publish(hls.server.url("live/r"), 6).wait(20s);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    std::this_thread::sleep_for(500ms);
    const std::string text = read_file(hls.file("live/r.m3u8"));
    const Playlist playlist = parse_playlist(text);
    ASSERT_TRUE(playlist.valid) << text;
    int discontinuities = 0;
    for (std::size_t i = 0; i < playlist.entries.size(); ++i) {
        const std::uint64_t seq = playlist.media_sequence + i;
        EXPECT_EQ(playlist.entries[i].uri, "r-" + std::to_string(seq) + ".ts") << text;
        if (playlist.entries[i].discontinuity) {
            ++discontinuities;
            EXPECT_EQ(seq, last_first + 1) << "the republish's first segment follows the last one\n" << text;
        }
    }
    EXPECT_EQ(discontinuities, 1) << text;
    EXPECT_GT(playlist.media_sequence + playlist.entries.size() - 1, last_first + 1) << text;
    const Decode decoded = decode(hls.file(write_ended_copy(hls, "live/r.m3u8", text)));
    EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
    EXPECT_EQ(lower(decode_errors(decoded)).find("error"), std::string::npos) << decoded.err;
    std::printf("[ republish] first publish ended at segment %llu; now %zu segments from %llu\n",
                static_cast<unsigned long long>(last_first), playlist.entries.size(),
                static_cast<unsigned long long>(playlist.media_sequence));
}

TEST(Hls, AudioOnlyStreamGivesAPlayablePlaylist) {
    HlsServer hls;
    ASSERT_TRUE(hls.server.ready()) << hls.server.process().err();
    ProcessResult published = publish(hls.server.url("live/a"), 11, Tracks::audio_only).wait(25s);
    ASSERT_EQ(published.exit_code, 0) << published.err;
    std::this_thread::sleep_for(500ms);
    const std::string text = read_file(hls.file("live/a.m3u8"));
    const Playlist playlist = parse_playlist(text);
    ASSERT_TRUE(playlist.valid) << text;
    // Pure audio is cut at hls_fragment * hls_aof_ratio (SRS's default 2.1): 4.2 s segments.
    ASSERT_GE(playlist.entries.size(), 2u) << text;
    EXPECT_NEAR(playlist.entries[0].duration_s, 4.2, 0.05) << text;
    for (const PlaylistEntry& entry : playlist.entries) {
        SCOPED_TRACE(entry.uri);
        const std::string path = hls.file("live/" + entry.uri);
        EXPECT_EQ(probed_codecs(path), "aac");
        const double probed_s = probed_duration_s(path);
        EXPECT_NEAR(probed_s, entry.duration_s, 0.1);
        std::printf("[ audio    ] %s EXTINF %.3f s, ffprobe %.3f s\n", entry.uri.c_str(), entry.duration_s, probed_s);
    }
    const Decode decoded = decode(hls.file(write_ended_copy(hls, "live/a.m3u8", text)));
    EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
    EXPECT_EQ(lower(decode_errors(decoded)).find("error"), std::string::npos) << decoded.err;
    EXPECT_GT(decoded.media_s, 8.0) << decoded.err;
}

TEST(Hls, VideoOnlyStreamGivesAPlayablePlaylistAndDisposeAtStopRemovesIt) {
    HlsServer hls(30);
    ASSERT_TRUE(hls.server.ready()) << hls.server.process().err();
    ProcessResult published = publish(hls.server.url("live/v"), 9, Tracks::video_only).wait(25s);
    ASSERT_EQ(published.exit_code, 0) << published.err;
    std::this_thread::sleep_for(500ms);
    const std::string text = read_file(hls.file("live/v.m3u8"));
    const Playlist playlist = parse_playlist(text);
    ASSERT_TRUE(playlist.valid) << text;
    ASSERT_GE(playlist.entries.size(), 4u) << text;
    for (const PlaylistEntry& entry : playlist.entries) {
        SCOPED_TRACE(entry.uri);
        const std::string path = hls.file("live/" + entry.uri);
        EXPECT_EQ(probed_codecs(path), "h264");
        EXPECT_EQ(first_video_packet_flags(path).substr(0, 1), "K");
        const double probed_s = probed_duration_s(path);
        EXPECT_NEAR(probed_s, entry.duration_s, 0.1);
        std::printf("[ video    ] %s EXTINF %.3f s, ffprobe %.3f s\n", entry.uri.c_str(), entry.duration_s, probed_s);
    }
    const Decode decoded = decode(hls.file(write_ended_copy(hls, "live/v.m3u8", text)));
    EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
    EXPECT_EQ(lower(decode_errors(decoded)).find("error"), std::string::npos) << decoded.err;
    EXPECT_GT(decoded.media_s, 8.0) << decoded.err;

    // SRS removes the HLS files at server stop when hls_dispose is set; the shard waits for them.
    ::kill(hls.server.process().pid(), SIGTERM);
    ProcessResult stopped = hls.server.process().wait(5s);
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    EXPECT_FALSE(fs::exists(hls.file("live/v.m3u8")));
    EXPECT_TRUE(files_in(hls.file("live"), ".ts").empty());
}

TEST(Hls, UnwritableHlsPathIsLoggedAndTheStreamStillPlays) {
    TempDir scratch("ringcast-hls-bad");
    const std::string blocker = scratch.write_file("blocker", "a file where hls_path needs a directory");
    HlsServer hls(0, blocker + "/hls");  // every open fails with ENOTDIR (even for root)
    ASSERT_TRUE(hls.server.ready()) << hls.server.process().err();
    Process publisher = publish(hls.server.url("live/bad"), 7);
    std::this_thread::sleep_for(3s);
    ProcessResult probe = run_command({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                                       hls.server.url("live/bad")},
                                      15s);
    EXPECT_NE(probe.out.find("h264"), std::string::npos) << "RTMP play is unaffected\n" << probe.err;
    ProcessResult published = publisher.wait(20s);
    EXPECT_EQ(published.exit_code, 0) << published.err;
    EXPECT_TRUE(wait_for_output(
        hls.server.process(),
        [](const std::string&, const std::string& err) { return err.find("hls __defaultVhost__/live/bad: unpublish") != std::string::npos; },
        5s));
    const std::string& log = hls.server.process().err();
    EXPECT_NE(log.find("open segment " + blocker + "/hls/live/bad-0.ts.tmp failed"), std::string::npos) << log;
    EXPECT_NE(log.find("segment 0 dropped: open segment failed"), std::string::npos) << log;
    EXPECT_NE(log.find("0 segments kept"), std::string::npos) << log;
    EXPECT_TRUE(hls.server.process().running());
}

}  // namespace
}  // namespace ringcast::test
