#include "load/player.h"

#include <algorithm>

#include "core/clock.h"
#include "load/clock_stamp.h"

namespace ringcast::load {

bool is_video_keyframe(std::span<const std::uint8_t> p) {
    if (p.size() < 2) {
        return false;
    }
    if (p[0] & 0x80) {  // enhanced RTMP: frame type in bits 4-6, packet type 0 = sequence start
        return ((p[0] >> 4) & 0x07) == 1 && (p[0] & 0x0f) != 0;
    }
    const std::uint8_t codec = p[0] & 0x0f;
    return (p[0] >> 4) == 1 && !((codec == 7 || codec == 12) && p[1] == 0);
}

void Player::start() {
    started_ = true;
    connect_start_ns_ = core::monotonic_ns();
    ++context_.stats.players_started;
    connect();
}

void Player::stop() {
    if (playing_) {
        --context_.stats.players_playing;
        playing_ = false;
    }
    done_ = true;
    close_connection(core::Error::make(core::Errc::canceled, "end of run"));
}

std::optional<double> Player::startup_ms() const {
    if (first_keyframe_ns_ == 0) {
        return std::nullopt;
    }
    return static_cast<double>(first_keyframe_ns_ - connect_start_ns_) / 1e6;
}

std::optional<double> Player::setup_ms() const {
    if (playing_ns_ == 0) {
        return std::nullopt;
    }
    return static_cast<double>(playing_ns_ - connect_start_ns_) / 1e6;
}

const char* Player::waiting_for() const {
    if (!started_) {
        return "not started";
    }
    if (done_) {
        return "nothing (closed)";
    }
    if (playing_) {
        return "nothing (playing)";
    }
    return setup_step();
}

void Player::record_bytes(std::size_t count) {
    if (!context_.counting) {
        return;
    }
    RunStats& stats = context_.stats;
    stats.bytes += count;
    stats.bytes_this_second += count;
}

void Player::record_video(std::uint32_t timestamp, std::span<const std::uint8_t> payload) {
    if (!context_.counting) {
        mark_playing();
        return;
    }
    record_video_frame(timestamp, is_video_keyframe(payload), read_stamp(payload));
}

void Player::record_video_frame(std::uint32_t timestamp, bool keyframe, std::optional<std::uint64_t> stamp_ns) {
    mark_playing();
    if (!context_.counting) {
        return;
    }
    RunStats& stats = context_.stats;
    ++stats.video_frames;
    if (have_video_ts_ && timestamp < last_video_ts_) {
        ++stats.timestamp_regressions;
    }
    have_video_ts_ = true;
    last_video_ts_ = timestamp;
    if (first_keyframe_ns_ == 0 && keyframe) {
        first_keyframe_ns_ = core::monotonic_ns();
    }
    if (stamp_ns) {
        const double ms = static_cast<double>(static_cast<std::int64_t>(realtime_ns() - *stamp_ns)) / 1e6;
        stats.latency_this_second.add(ms);
        if (context_.after_warmup) {
            stats.latency.add(ms);
            max_latency_ms_ = std::max(max_latency_ms_, ms);
        }
    }
}

void Player::record_audio(std::uint32_t timestamp) {
    mark_playing();
    if (!context_.counting) {
        return;
    }
    ++context_.stats.audio_frames;
    if (have_audio_ts_ && timestamp < last_audio_ts_) {
        ++context_.stats.timestamp_regressions;
    }
    have_audio_ts_ = true;
    last_audio_ts_ = timestamp;
}

void Player::mark_playing() {
    if (playing_ || done_) {
        return;
    }
    playing_ = true;
    ++context_.stats.players_playing;
    if (!reached_playing_) {
        reached_playing_ = true;
        playing_ns_ = core::monotonic_ns();
        ++context_.stats.players_connected;
    }
}

void Player::fail(std::string why) {
    if (done_) {
        return;
    }
    if (playing_) {
        --context_.stats.players_playing;
        playing_ = false;
    }
    done_ = true;
    failed_ = true;
    ++context_.stats.players_failed;
    context_.stats.add_error("player " + std::to_string(index_) + ": " + why);
    close_connection(core::Error::make(core::Errc::protocol, "player failed"));
}

void Player::closed_by_peer(core::Error reason) {
    if (done_) {
        return;  // stopped by the run, or already failed and counted
    }
    fail(std::string(reason.describe()));
}

}  // namespace ringcast::load
