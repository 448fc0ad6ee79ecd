// Origin/edge clusters and forward (issue 6) with several real ringcast processes on loopback:
// an edge pulling once for many players, failover between origins while a player stays
// connected, edge push, forward across destination restarts, token_traverse and loop
// protection. Everything is checked the way a user sees it: ffprobe and raw RTMP players on the
// far side, /api/v1 of each node, the logs.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/ffprobe_probe.h"
#include "integration/harness.h"
#include "integration/media_files.h"
#include "integration/ringcast_server.h"
#include "integration/rtmp_client.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace rtmp = proto::rtmp;

// Enough for ffprobe and the players, light on a small CI machine running tests in parallel.
constexpr const char* kBitrate = "500k";

std::string target_of(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

long long ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

/// A vhost block that makes `vhost` an edge of `origins`, tried in this order; `extra` goes into
/// the cluster block.
std::string edge_vhost(const std::string& vhost, const std::vector<std::uint16_t>& origins,
                       const std::string& extra = "") {
    std::string list;
    for (std::uint16_t port : origins) {
        list += " " + target_of(port);
    }
    return "vhost " + vhost + " {\n    cluster {\n        mode remote;\n        origin" + list + ";\n" + extra +
           "    }\n}\n";
}

std::string forward_vhost(const std::string& destination) {
    return "vhost __defaultVhost__ {\n    forward {\n        enabled on;\n        destination " + destination +
           ";\n    }\n}\n";
}

/// How a process that should still be running ended, for failure messages.
std::string how_it_ended(Process& process) {
    if (process.running()) {
        return "still running";
    }
    ProcessResult r = process.wait(0ms);
    return "exit code " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.term_signal) +
           ", stderr: " + r.err;
}

/// Polls `condition` every 100 ms until it holds or `within` has passed.
bool eventually(std::chrono::milliseconds within, const std::function<bool()>& condition) {
    const auto deadline = Clock::now() + within;
    for (;;) {
        if (condition()) {
            return true;
        }
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(100ms);
    }
}

// ---- the HTTP API, read as a user reads it -------------------------------------------------

struct UpstreamView {
    std::string kind, target, state, last_error;
    std::int64_t since = 0;
    std::uint64_t reconnects = 0;
};

std::string describe(const std::vector<UpstreamView>& upstreams) {
    std::ostringstream out;
    out << upstreams.size() << " upstream(s)";
    for (const UpstreamView& u : upstreams) {
        out << " {kind=" << u.kind << " target=" << u.target << " state=" << u.state << " since=" << u.since
            << " reconnects=" << u.reconnects << " last_error=\"" << u.last_error << "\"}";
    }
    return out.str();
}

/// The "upstreams" of stream `name` in /api/v1/streams (none when the stream is not listed or
/// has none).
std::vector<UpstreamView> upstreams_of(const RtmpServer& server, const std::string& name) {
    const std::string body = server.api_get("/api/v1/streams?count=100");
    simdjson::dom::parser parser;
    simdjson::dom::array streams;
    std::vector<UpstreamView> result;
    if (parser.parse(body).get_object()["streams"].get(streams) != simdjson::SUCCESS) {
        return result;
    }
    for (simdjson::dom::element stream : streams) {
        std::string_view stream_name;
        simdjson::dom::array upstreams;
        if (stream["name"].get(stream_name) != simdjson::SUCCESS || stream_name != name ||
            stream["upstreams"].get(upstreams) != simdjson::SUCCESS) {
            continue;
        }
        for (simdjson::dom::element upstream : upstreams) {
            UpstreamView view;
            std::string_view text;
            if (upstream["kind"].get(text) == simdjson::SUCCESS) {
                view.kind = text;
            }
            if (upstream["target"].get(text) == simdjson::SUCCESS) {
                view.target = text;
            }
            if (upstream["state"].get(text) == simdjson::SUCCESS) {
                view.state = text;
            }
            if (upstream["last_error"].get(text) == simdjson::SUCCESS) {
                view.last_error = text;
            }
            if (upstream["since"].get(view.since) != simdjson::SUCCESS) {
                view.since = -1;
            }
            if (upstream["reconnects"].get(view.reconnects) != simdjson::SUCCESS) {
                view.last_error += " [no reconnects field]";
            }
            result.push_back(view);
        }
    }
    return result;
}

/// How many clients of each "type" /api/v1/clients lists; {"?": 1} when the answer does not parse.
std::map<std::string, int> client_types(const RtmpServer& server, std::string* body_out = nullptr) {
    const std::string body = server.api_get("/api/v1/clients?count=1000");
    if (body_out != nullptr) {
        *body_out = body;
    }
    simdjson::dom::parser parser;
    simdjson::dom::array clients;
    std::map<std::string, int> types;
    if (parser.parse(body).get_object()["clients"].get(clients) != simdjson::SUCCESS) {
        types["?"] = 1;
        return types;
    }
    for (simdjson::dom::element client : clients) {
        std::string_view type;
        ++types[client["type"].get(type) == simdjson::SUCCESS ? std::string(type) : std::string("?")];
    }
    return types;
}

// ---- raw RTMP players ----------------------------------------------------------------------

bool is_media(const rtmp::RtmpMessage& message) {
    return (message.type_id == rtmp::message_type::audio || message.type_id == rtmp::message_type::video) &&
           !message.payload.empty();
}

bool is_avc_sequence_header(std::span<const std::uint8_t> video) {
    return video.size() >= 2 && (video[0] & 0x0f) == 7 && video[1] == 0;
}

bool is_aac_sequence_header(std::span<const std::uint8_t> audio) {
    return audio.size() >= 2 && (audio[0] >> 4) == 10 && audio[1] == 0;
}

/// Reads a player socket until an audio or video message arrives: false at the deadline, on
/// close or on a chunk stream that does not decode.
bool receives_media(int fd, Clock::time_point deadline) {
    RtmpReader reader(fd);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left <= 0ms) {
            return false;
        }
        std::optional<rtmp::RtmpMessage> message = reader.next(left);
        if (!message) {
            return false;
        }
        if (is_media(*message)) {
            return true;
        }
    }
}

/// A raw player of app/stream on 127.0.0.1:port receives media within `within`.
bool plays_media(std::uint16_t port, const std::string& app, const std::string& stream,
                 std::chrono::milliseconds within) {
    const auto deadline = Clock::now() + within;
    while (Clock::now() < deadline) {
        const int fd = start_raw_player(port, app, stream);
        if (fd >= 0) {
            const bool got = receives_media(fd, deadline);
            ::close(fd);
            if (got) {
                return true;
            }
        }
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

/// The first audio and the first video message a new player gets.
struct FirstMedia {
    std::optional<std::vector<std::uint8_t>> audio, video;
    std::string trace;  // type:timestamp:size of the messages before, for failure messages
};

FirstMedia first_media(std::uint16_t port, const std::string& app, const std::string& stream,
                       std::chrono::milliseconds within) {
    const auto deadline = Clock::now() + within;
    FirstMedia first;
    while (Clock::now() < deadline && (!first.audio || !first.video)) {
        const int fd = start_raw_player(port, app, stream);
        if (fd < 0) {
            first.trace += " [connect failed]";
            std::this_thread::sleep_for(200ms);
            continue;
        }
        RtmpReader reader(fd);
        while (!first.audio || !first.video) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            std::optional<rtmp::RtmpMessage> message = left > 0ms ? reader.next(left) : std::nullopt;
            if (!message) {
                first.trace += " [" + (reader.closed() ? std::string("closed") : "ended: " + reader.error()) + "]";
                break;
            }
            if (first.trace.size() < 600) {
                first.trace += " " + std::to_string(message->type_id) + ":" + std::to_string(message->timestamp) +
                               ":" + std::to_string(message->payload.size());
            }
            if (!is_media(*message)) {
                continue;
            }
            auto& slot = message->type_id == rtmp::message_type::audio ? first.audio : first.video;
            if (!slot) {
                slot.emplace(message->payload.span().begin(), message->payload.span().end());
            }
        }
        ::close(fd);
    }
    return first;
}

/// A raw player read on its own thread for as long as it lives, every media message recorded
/// with its arrival time: a reader that never falls behind, so arrival gaps are the server's.
class RecordingPlayer {
public:
    struct Arrival {
        Clock::time_point at;
        std::uint8_t type = 0;
        std::uint32_t timestamp = 0;
        bool sequence_header = false;
    };

    explicit RecordingPlayer(int fd) : fd_(fd), reader_(fd), thread_([this] { run(); }) {}
    RecordingPlayer(const RecordingPlayer&) = delete;
    RecordingPlayer& operator=(const RecordingPlayer&) = delete;
    ~RecordingPlayer() {
        stop();
        ::close(fd_);
    }

    void stop() {
        stop_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    [[nodiscard]] std::vector<Arrival> arrivals() const {
        std::lock_guard lock(mutex_);
        return arrivals_;
    }
    [[nodiscard]] std::size_t videos_since(Clock::time_point since) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(arrivals_.begin(), arrivals_.end(), [&](const Arrival& a) {
            return a.type == rtmp::message_type::video && a.at >= since;
        }));
    }
    /// Why the connection ended ("" while it is open).
    [[nodiscard]] std::string ended() const {
        std::lock_guard lock(mutex_);
        return ended_;
    }

private:
    void run() {
        while (!stop_) {
            std::optional<rtmp::RtmpMessage> message = reader_.next(100ms);
            if (!message) {
                if (reader_.closed() || !reader_.error().empty()) {
                    std::lock_guard lock(mutex_);
                    ended_ = reader_.closed() ? "closed by the server" : reader_.error();
                    return;
                }
                continue;
            }
            if (!is_media(*message)) {
                continue;
            }
            const auto bytes = message->payload.span();
            Arrival arrival{.at = Clock::now(), .type = message->type_id, .timestamp = message->timestamp};
            arrival.sequence_header = message->type_id == rtmp::message_type::video ? is_avc_sequence_header(bytes)
                                                                                    : is_aac_sequence_header(bytes);
            std::lock_guard lock(mutex_);
            arrivals_.push_back(arrival);
        }
    }

    int fd_;
    RtmpReader reader_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<Arrival> arrivals_;
    std::string ended_;
    std::thread thread_;  // last: starts once everything above exists
};

/// When video came back after an origin was killed at `kill`. The edge switches upstream by
/// sending the new origin's sequence headers, then its frames: the first video frame after the
/// first AVC sequence header that arrives after the kill is the first of the new upstream. (The
/// server writes to players in batches of a few hundred ms, and frames the dead origin had sent
/// still arrive after the kill, so arrival times alone do not tell the upstreams apart.) If no
/// sequence header comes, the first frame after the longest pause following the kill stands in.
struct Recovery {
    bool found = false;
    long long sequence_header_ms = -1;  // kill -> the new upstream's AVC sequence header (-1: none came)
    long long gap_ms = -1;              // kill -> first video frame of the resumed stream
    long long longest_pause_ms = -1;    // the longest pause between video messages around the kill
    std::size_t videos_after = 0;       // video messages from the resumed one on
};

Recovery recovery_after(const std::vector<RecordingPlayer::Arrival>& arrivals, Clock::time_point kill) {
    std::vector<RecordingPlayer::Arrival> video;
    for (const auto& a : arrivals) {
        if (a.type == rtmp::message_type::video) {
            video.push_back(a);
        }
    }
    Recovery recovery;
    const auto after_kill = [&](const RecordingPlayer::Arrival& a) { return a.at > kill; };
    const auto first_after = std::find_if(video.begin(), video.end(), after_kill);
    if (first_after == video.end()) {
        return recovery;
    }
    const auto first_index = static_cast<std::size_t>(first_after - video.begin());
    // The longest pause, from the last video before the kill (or the kill) on.
    std::size_t after_pause = first_index;
    for (std::size_t i = first_index; i < video.size(); ++i) {
        const Clock::time_point previous = i == 0 ? kill : video[i - 1].at;
        const long long pause = ms_between(previous, video[i].at);
        if (pause > recovery.longest_pause_ms) {
            recovery.longest_pause_ms = pause;
            after_pause = i;
        }
    }
    std::size_t resumed = after_pause;
    const auto header = std::find_if(first_after, video.end(), [](const auto& a) { return a.sequence_header; });
    if (header != video.end()) {
        recovery.sequence_header_ms = ms_between(kill, header->at);
        const auto frame = std::find_if(header, video.end(), [](const auto& a) { return !a.sequence_header; });
        if (frame == video.end()) {
            return recovery;
        }
        resumed = static_cast<std::size_t>(frame - video.begin());
    }
    recovery.found = true;
    recovery.gap_ms = ms_between(kill, video[resumed].at);
    recovery.videos_after = video.size() - resumed;
    return recovery;
}

/// The video messages from 300 ms before to 3 s after `kill`, "arrival_ms:timestamp" ("S": a
/// sequence header), for failure messages.
std::string video_timeline(const std::vector<RecordingPlayer::Arrival>& arrivals, Clock::time_point kill) {
    std::string text = "video arrivals (ms after the kill:timestamp):";
    for (const auto& a : arrivals) {
        const long long at = ms_between(kill, a.at);
        if (a.type == rtmp::message_type::video && at > -300 && at < 3000) {
            text += " " + std::to_string(at) + ":" + std::to_string(a.timestamp) + (a.sequence_header ? "S" : "");
        }
    }
    return text;
}

struct Regressions {
    int count = 0;
    std::string examples;
};

/// Timestamps of `type` that go below the previous one of that type.
Regressions regressions_of(const std::vector<RecordingPlayer::Arrival>& arrivals, std::uint8_t type) {
    Regressions result;
    std::optional<std::uint32_t> last;
    for (const auto& a : arrivals) {
        if (a.type != type) {
            continue;
        }
        if (last && a.timestamp < *last) {
            if (++result.count <= 5) {
                result.examples += " " + std::to_string(*last) + "->" + std::to_string(a.timestamp);
            }
        }
        last = a.timestamp;
    }
    return result;
}

// ---- 1. edge pull --------------------------------------------------------------------------

TEST(Cluster, EdgePullFeeds200PlayersThroughOneUpstream) {
    RtmpServer origin({.http_api = true});
    ASSERT_TRUE(origin.ready()) << origin.logs();
    RtmpServer edge(
        RtmpServerOptions{.extra_config = edge_vhost("__defaultVhost__", {origin.port()}), .http_api = true});
    ASSERT_TRUE(edge.ready()) << edge.logs();
    const std::string stream = "many";
    Process publisher = publish_test_pattern(origin.url("live/" + stream), 60, kBitrate);

    Probe probed = probe_until_av(edge.url("live/" + stream), 15s);
    ASSERT_TRUE(probed.h264_and_aac()) << probed.output << "\n" << edge.logs() << "\n" << origin.logs();

    constexpr int kPlayers = 200;
    std::vector<int> fds;
    for (int i = 0; i < kPlayers; ++i) {
        const int fd = start_raw_player(edge.port(), "live", stream);
        ASSERT_GE(fd, 0) << "player " << i << " could not start\n" << edge.logs();
        fds.push_back(fd);
    }
    const auto deadline = Clock::now() + 20s;
    int without_media = 0;
    for (int fd : fds) {
        if (!receives_media(fd, deadline)) {
            ++without_media;
        }
    }
    EXPECT_EQ(without_media, 0) << "of " << kPlayers << " players on the edge\n" << edge.logs();

    // One upstream connection for all of them: the origin sees the edge as its one player.
    std::string clients_body;
    std::map<std::string, int> types = client_types(origin, &clients_body);
    EXPECT_EQ(types["rtmp-play"], 1) << clients_body;
    EXPECT_EQ(types["fmle-publish"], 1) << clients_body;

    std::vector<UpstreamView> upstreams = upstreams_of(edge, stream);
    ASSERT_EQ(upstreams.size(), 1u) << describe(upstreams) << "\n" << edge.api_get("/api/v1/streams");
    EXPECT_EQ(upstreams[0].kind, "edge-pull");
    EXPECT_EQ(upstreams[0].state, "active");
    EXPECT_EQ(upstreams[0].target, target_of(origin.port()));
    const auto now_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    EXPECT_GT(upstreams[0].since, now_unix_ms - 120'000) << describe(upstreams);
    EXPECT_LE(upstreams[0].since, now_unix_ms + 1000) << describe(upstreams);

    // The last player leaves: the pull lingers 3 s (ClusterManager::kEdgeLingerMs), then stops.
    for (int fd : fds) {
        ::close(fd);
    }
    const auto closed = Clock::now();
    const bool released = eventually(7s, [&] {
        std::map<std::string, int> now = client_types(origin, &clients_body);
        return now.count("?") == 0 && now["rtmp-play"] == 0 && now["fmle-publish"] == 1;
    });
    const long long released_ms = ms_between(closed, Clock::now());
    EXPECT_TRUE(released) << "the origin still has a player " << released_ms << " ms after the last edge player left\n"
                          << clients_body << "\n" << edge.logs();
    RecordProperty("upstream_released_ms", static_cast<int>(released_ms));
    std::printf("edge pull: upstream released %lld ms after the last player left\n", released_ms);
}

// ---- 2. failover ---------------------------------------------------------------------------

TEST(Cluster, EdgeFailsOverBetweenOriginsWhilePlayersStay) {
    RtmpServer origin_a;
    RtmpServer origin_b;
    ASSERT_TRUE(origin_a.ready()) << origin_a.logs();
    ASSERT_TRUE(origin_b.ready()) << origin_b.logs();
    RtmpServer edge(
        RtmpServerOptions{.extra_config = edge_vhost("__defaultVhost__", {origin_a.port(), origin_b.port()}),
                          .http_api = true});
    ASSERT_TRUE(edge.ready()) << edge.logs();
    const std::string stream = "failover";
    Process publisher_a = publish_test_pattern(origin_a.url("live/" + stream), 60, kBitrate);
    Process publisher_b = publish_test_pattern(origin_b.url("live/" + stream), 60, kBitrate);
    ASSERT_TRUE(plays_media(origin_a.port(), "live", stream, 10s)) << origin_a.logs();
    ASSERT_TRUE(plays_media(origin_b.port(), "live", stream, 10s)) << origin_b.logs();

    const int fd = start_raw_player(edge.port(), "live", stream);
    ASSERT_GE(fd, 0) << edge.logs();
    RecordingPlayer player(fd);
    const auto started = Clock::now();
    ASSERT_TRUE(eventually(10s, [&] { return player.videos_since(started) >= 25; }))
        << "no video on the edge: " << player.ended() << "\n" << edge.logs();

    // One failover: kill the origin the edge pulls from, the player must get video again.
    const auto fail_over = [&](RtmpServer& victim, const RtmpServer& survivor, const char* label) -> Recovery {
        std::vector<UpstreamView> before = upstreams_of(edge, stream);
        EXPECT_TRUE(before.size() == 1 && before[0].state == "active" && before[0].target == target_of(victim.port()))
            << label << ": the edge should be pulling from " << target_of(victim.port()) << ": " << describe(before);
        const auto kill = Clock::now();
        victim.kill();
        // Recovered: a second of video after the pause, or give up well after the 3 s bound.
        eventually(10s, [&] {
            Recovery r = recovery_after(player.arrivals(), kill);
            return r.found && r.videos_after >= 25 && ms_between(kill, Clock::now()) > 1000;
        });
        const Recovery recovery = recovery_after(player.arrivals(), kill);
        const std::string timeline = video_timeline(player.arrivals(), kill);
        EXPECT_EQ(player.ended(), "") << label << ": the player's connection ended\n" << edge.logs();
        EXPECT_TRUE(recovery.found && recovery.videos_after >= 25)
            << label << ": no video came back after the kill (" << recovery.videos_after << " messages)\n"
            << timeline << "\n" << edge.logs();
        EXPECT_LE(recovery.gap_ms, 3000) << label << ": video came back " << recovery.gap_ms << " ms after the kill\n"
                                         << timeline << "\n" << edge.logs();
        // SRS's edge, and the issue: players resume with the new upstream's sequence headers.
        EXPECT_GE(recovery.sequence_header_ms, 0) << label << ": no AVC sequence header after the switch\n" << timeline;
        std::vector<UpstreamView> after;
        EXPECT_TRUE(eventually(3s, [&] {
            after = upstreams_of(edge, stream);
            return after.size() == 1 && after[0].state == "active" && after[0].target == target_of(survivor.port());
        })) << label << ": the edge should now pull from " << target_of(survivor.port()) << ": " << describe(after);
        std::printf("failover %s: sequence header %lld ms and video %lld ms after the kill, longest pause between "
                    "video messages %lld ms; upstream now: %s\n",
                    label, recovery.sequence_header_ms, recovery.gap_ms, recovery.longest_pause_ms,
                    describe(after).c_str());
        return recovery;
    };

    const Recovery first = fail_over(origin_a, origin_b, "kill A");
    RecordProperty("failover1_gap_ms", static_cast<int>(first.gap_ms));
    RecordProperty("failover1_longest_pause_ms", static_cast<int>(first.longest_pause_ms));

    // A comes back with its publisher; then B dies and the edge must go back to A.
    ASSERT_TRUE(origin_a.restart()) << origin_a.logs();
    publisher_a = publish_test_pattern(origin_a.url("live/" + stream), 60, kBitrate);
    ASSERT_TRUE(plays_media(origin_a.port(), "live", stream, 10s)) << origin_a.logs();
    std::this_thread::sleep_for(1s);
    const Recovery second = fail_over(origin_b, origin_a, "kill B");
    RecordProperty("failover2_gap_ms", static_cast<int>(second.gap_ms));
    RecordProperty("failover2_longest_pause_ms", static_cast<int>(second.longest_pause_ms));

    player.stop();
    const std::vector<RecordingPlayer::Arrival> arrivals = player.arrivals();
    const Regressions video = regressions_of(arrivals, rtmp::message_type::video);
    const Regressions audio = regressions_of(arrivals, rtmp::message_type::audio);
    EXPECT_EQ(video.count, 0) << "video timestamps went backwards:" << video.examples << "\n" << edge.logs();
    EXPECT_EQ(audio.count, 0) << "audio timestamps went backwards:" << audio.examples << "\n" << edge.logs();
    std::printf("failover: %zu media messages, regressions video %d audio %d\n", arrivals.size(), video.count,
                audio.count);
}

// ---- 3. edge push --------------------------------------------------------------------------

TEST(Cluster, PushEdgeRefusesASecondPublisherThroughAnotherEdge) {
    RtmpServer origin;
    ASSERT_TRUE(origin.ready()) << origin.logs();
    RtmpServer edge1(edge_vhost("__defaultVhost__", {origin.port()}));
    RtmpServer edge2(edge_vhost("__defaultVhost__", {origin.port()}));
    ASSERT_TRUE(edge1.ready()) << edge1.logs();
    ASSERT_TRUE(edge2.ready()) << edge2.logs();
    const std::string path = "live/pushed";

    Process first = publish_test_pattern(edge1.url(path), 60, kBitrate);
    Probe on_origin = probe_until_av(origin.url(path), 15s);
    ASSERT_TRUE(on_origin.h264_and_aac()) << on_origin.output << "\n" << edge1.logs() << "\n" << origin.logs();

    Process second = publish_test_pattern(edge2.url(path), 30, kBitrate);
    const auto second_started = Clock::now();
    ProcessResult refused = second.wait(15s);
    EXPECT_FALSE(refused.timed_out) << "the second publisher was not refused within 15 s\n" << edge2.logs();
    EXPECT_NE(refused.exit_code, 0) << refused.err << "\n" << edge2.logs();
    EXPECT_TRUE(refused.err.find("already publishing") != std::string::npos ||
                refused.err.find("BadName") != std::string::npos)
        << "ffmpeg's stderr: " << refused.err << "\n" << edge2.logs();
    RecordProperty("refused_after_ms", static_cast<int>(ms_between(second_started, Clock::now())));

    EXPECT_TRUE(first.running()) << "the first publisher stopped: " << how_it_ended(first) << "\n" << edge1.logs();
    Probe still = probe(origin.url(path), 15s);
    EXPECT_TRUE(still.h264_and_aac()) << still.output << "\n" << edge1.logs() << "\n" << origin.logs();
}

// ---- 4. forward across destination restarts ------------------------------------------------

TEST(Cluster, ForwardResumesWithSequenceHeadersAfterEachDestinationRestart) {
    RtmpServer destination;
    ASSERT_TRUE(destination.ready()) << destination.logs();
    RtmpServer origin(
        RtmpServerOptions{.extra_config = forward_vhost(target_of(destination.port())), .http_api = true});
    ASSERT_TRUE(origin.ready()) << origin.logs();
    const std::string stream = "forwarded";
    const auto start = Clock::now();
    Process publisher = publish_test_pattern(origin.url("live/" + stream), 60, kBitrate);

    Probe first = probe_until_av(destination.url("live/" + stream), 15s);
    ASSERT_TRUE(first.h264_and_aac()) << first.output << "\n" << origin.logs() << "\n" << destination.logs();

    for (int round = 1; round <= 3; ++round) {
        std::this_thread::sleep_until(start + std::chrono::seconds(10 + 15 * (round - 1)));
        ASSERT_TRUE(publisher.running()) << "before restart " << round << ", the publisher ended: "
                                         << how_it_ended(publisher) << "\n" << origin.logs();
        destination.kill();
        ASSERT_TRUE(destination.restart()) << destination.logs();
        const auto restarted = Clock::now();

        // A player waiting on the new run sees what the forward sends first: the sequence headers.
        FirstMedia media = first_media(destination.port(), "live", stream, 10s);
        ASSERT_TRUE(media.video && media.audio) << "restart " << round << ": no audio and video within 10 s:"
                                                << media.trace << "\n" << origin.logs() << "\n" << destination.logs();
        EXPECT_TRUE(is_avc_sequence_header(*media.video))
            << "restart " << round << ": first video is not the AVC sequence header:" << media.trace;
        EXPECT_TRUE(is_aac_sequence_header(*media.audio))
            << "restart " << round << ": first audio is not the AAC sequence header:" << media.trace;

        Probe probed = probe_until_av(destination.url("live/" + stream), 10s);
        EXPECT_TRUE(probed.h264_and_aac()) << "restart " << round << "\n" << probed.output << "\n" << origin.logs()
                                           << "\n" << destination.logs();
        const long long back_ms = ms_between(restarted, Clock::now());
        RecordProperty("restart" + std::to_string(round) + "_av_ms", static_cast<int>(back_ms));
        std::printf("forward: restart %d, sequence headers and ffprobe h264+aac %lld ms after the restart\n", round,
                    back_ms);
    }

    std::vector<UpstreamView> upstreams;
    EXPECT_TRUE(eventually(5s, [&] {
        upstreams = upstreams_of(origin, stream);
        return upstreams.size() == 1 && upstreams[0].kind == "forward" && upstreams[0].state == "active" &&
               upstreams[0].target.starts_with(target_of(destination.port())) && upstreams[0].reconnects >= 3;
    })) << describe(upstreams);
    EXPECT_TRUE(publisher.running()) << how_it_ended(publisher) << "\n" << origin.logs();
}

// ---- 5. token_traverse ---------------------------------------------------------------------

TEST(Cluster, TokenTraverseRefusesWhatTheOriginRefuses) {
    RtmpServer origin("vhost closed.test {\n    enabled off;\n}\n");
    ASSERT_TRUE(origin.ready()) << origin.logs();
    const std::string traverse = "        token_traverse on;\n";
    RtmpServer edge(edge_vhost("__defaultVhost__", {origin.port()}, traverse) +
                    edge_vhost("closed.test", {origin.port()}, traverse));
    ASSERT_TRUE(edge.ready()) << edge.logs();
    Process publisher = publish_test_pattern(origin.url("live/guarded"), 40, kBitrate);

    Probe refused = probe(edge.url("live?vhost=closed.test/guarded"), 10s);
    EXPECT_TRUE(refused.codecs.empty()) << refused.output << "\n" << edge.logs();
    EXPECT_NE(refused.output.find("vhost disabled"), std::string::npos)
        << "ffprobe should show the origin's refusal:\n" << refused.output << "\n" << edge.logs();
    EXPECT_EQ(refused.output.find("timed out"), std::string::npos) << refused.output;

    Probe accepted = probe_until_av(edge.url("live/guarded"), 15s);
    EXPECT_TRUE(accepted.h264_and_aac()) << accepted.output << "\n" << edge.logs() << "\n" << origin.logs();
}

// Edges of edges (SRS's edge of an edge): the far edge pulls from the near one, which pulls
// from the origin; an HTTP-FLV player on the far edge starts the whole chain.
TEST(Cluster, EdgeOfAnEdgeServesHttpFlv) {
    RtmpServer origin({.http_api = true});
    ASSERT_TRUE(origin.ready()) << origin.logs();
    RtmpServer near_edge(edge_vhost("__defaultVhost__", {origin.port()}));
    ASSERT_TRUE(near_edge.ready()) << near_edge.logs();
    const std::uint16_t http_port = free_tcp_port();
    RtmpServer far_edge("http_server {\n    enabled on;\n    listen " + std::to_string(http_port) +
                        ";\n}\nvhost __defaultVhost__ {\n    cluster {\n        mode remote;\n        origin " +
                        target_of(near_edge.port()) +
                        ";\n    }\n    http_remux {\n        enabled on;\n        mount [vhost]/[app]/[stream].flv;\n    }\n}\n");
    ASSERT_TRUE(far_edge.ready()) << far_edge.logs();
    Process publisher = publish_test_pattern(origin.url("live/chain"), 40, kBitrate);

    Probe probed = probe_until_av("http://127.0.0.1:" + std::to_string(http_port) + "/live/chain.flv", 20s);
    EXPECT_TRUE(probed.h264_and_aac()) << probed.output << "\n" << far_edge.logs() << "\n" << near_edge.logs();
    std::map<std::string, int> types = client_types(origin);
    EXPECT_EQ(types["rtmp-play"], 1) << "the near edge is the origin's one player";
}

// SRS's edge pulls with its first player's stream parameters (an origin's on_play hook checks
// tokens there).
TEST(Cluster, EdgePullCarriesTheFirstPlayersParameters) {
    RtmpServer origin;
    ASSERT_TRUE(origin.ready()) << origin.logs();
    RtmpServer edge(edge_vhost("__defaultVhost__", {origin.port()}));
    ASSERT_TRUE(edge.ready()) << edge.logs();
    Process publisher = publish_test_pattern(origin.url("live/tokened"), 30, kBitrate);
    Probe probed = probe_until_av(edge.url("live/tokened?token=abc123"), 15s);
    EXPECT_TRUE(probed.h264_and_aac()) << probed.output << "\n" << edge.logs();
    EXPECT_TRUE(eventually(5s, [&] { return origin.logs().find("play __defaultVhost__/live/tokened?token=abc123") != std::string::npos; }))
        << origin.logs();
}

// ---- 6. loop protection --------------------------------------------------------------------

TEST(Cluster, EdgeWhoseOriginIsItselfDoesNotLoop) {
    const std::uint16_t port = free_tcp_port();
    RtmpServer edge(
        RtmpServerOptions{.extra_config = edge_vhost("__defaultVhost__", {port}), .port = port, .http_api = true});
    ASSERT_TRUE(edge.ready()) << edge.logs();
    const std::string stream = "itself";
    const int fd = start_raw_player(port, "live", stream);
    ASSERT_GE(fd, 0) << edge.logs();
    RtmpReader reader(fd);
    int media = 0;
    const auto deadline = Clock::now() + 4s;
    while (Clock::now() < deadline) {
        std::optional<rtmp::RtmpMessage> message =
            reader.next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
        if (!message) {
            break;
        }
        media += is_media(*message) ? 1 : 0;
    }
    EXPECT_EQ(media, 0) << edge.logs();

    std::vector<UpstreamView> upstreams;
    EXPECT_TRUE(eventually(5s, [&] {
        upstreams = upstreams_of(edge, stream);
        return upstreams.size() == 1 && upstreams[0].last_error.find("loop") != std::string::npos;
    })) << describe(upstreams) << "\n" << edge.api_get("/api/v1/streams") << "\n" << edge.logs();
    EXPECT_NE(upstreams.empty() ? "" : upstreams[0].state, "active") << describe(upstreams);
    EXPECT_NE(edge.logs().find("loop"), std::string::npos) << edge.logs();
    ::close(fd);
    EXPECT_TRUE(edge.running()) << edge.logs();
}

TEST(Cluster, ForwardToItselfDoesNotLoop) {
    const std::uint16_t port = free_tcp_port();
    RtmpServer server(
        RtmpServerOptions{.extra_config = forward_vhost(target_of(port)), .port = port, .http_api = true});
    ASSERT_TRUE(server.ready()) << server.logs();
    const std::string stream = "self";
    Process publisher = publish_test_pattern(server.url("live/" + stream), 30, kBitrate);

    Probe probed = probe_until_av(server.url("live/" + stream), 15s);
    EXPECT_TRUE(probed.h264_and_aac()) << probed.output << "\n" << server.logs();

    std::vector<UpstreamView> upstreams;
    EXPECT_TRUE(eventually(5s, [&] {
        upstreams = upstreams_of(server, stream);
        return upstreams.size() == 1 && upstreams[0].kind == "forward" &&
               upstreams[0].last_error.find("loop") != std::string::npos;
    })) << describe(upstreams) << "\n" << server.logs();
    EXPECT_NE(upstreams.empty() ? "" : upstreams[0].state, "active") << describe(upstreams);
    // The forward never became a second publisher of the stream.
    std::string clients_body;
    std::map<std::string, int> types = client_types(server, &clients_body);
    EXPECT_EQ(types["fmle-publish"], 1) << clients_body;
    EXPECT_NE(server.logs().find("loop"), std::string::npos) << server.logs();
    EXPECT_TRUE(publisher.running()) << how_it_ended(publisher) << "\n" << server.logs();
    EXPECT_TRUE(server.running()) << server.logs();
}

}  // namespace
}  // namespace ringcast::test
