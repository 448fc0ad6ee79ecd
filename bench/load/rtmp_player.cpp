#include "load/rtmp_player.h"

#include <algorithm>

#include "core/clock.h"
#include "load/clock_stamp.h"

namespace ringcast::load {

namespace rtmp = proto::rtmp;

namespace {

// ffmpeg's chunk streams: commands on 3, stream commands (play) on 8.
constexpr std::uint32_t kCsidCommand = 3;
constexpr std::uint32_t kCsidStream = 8;
constexpr double kConnectTid = 1;
constexpr double kCreateStreamTid = 2;
constexpr double kPlayTid = 3;

/// A video message that starts decoding (a keyframe), not a sequence header.
bool is_keyframe(std::span<const std::uint8_t> p) {
    if (p.size() < 2) {
        return false;
    }
    if (p[0] & 0x80) {  // enhanced RTMP: frame type in bits 4-6, packet type 0 = sequence start
        return ((p[0] >> 4) & 0x07) == 1 && (p[0] & 0x0f) != 0;
    }
    const std::uint8_t codec = p[0] & 0x0f;
    return (p[0] >> 4) == 1 && !((codec == 7 || codec == 12) && p[1] == 0);
}

}  // namespace

RtmpPlayer::RtmpPlayer(PlayerContext& context, std::uint32_t index)
    : context_(context), client_(context.reactor, context.buffers, *this), index_(index) {}

void RtmpPlayer::start() {
    phase_ = Phase::want_connect;
    connect_start_ns_ = core::monotonic_ns();
    ++context_.stats.players_started;
    client_.start(context_.address, false);
}

void RtmpPlayer::stop() {
    if (phase_ == Phase::playing) {
        --context_.stats.players_playing;
    }
    phase_ = Phase::done;
    client_.close(core::Error::make(core::Errc::canceled, "end of run"));
}

std::optional<double> RtmpPlayer::startup_ms() const {
    if (first_keyframe_ns_ == 0) {
        return std::nullopt;
    }
    return static_cast<double>(first_keyframe_ns_ - connect_start_ns_) / 1e6;
}

const char* RtmpPlayer::waiting_for() const {
    switch (phase_) {
    case Phase::idle: return "not started";
    case Phase::want_connect:
        return !client_.open() ? "the TCP connect" : client_.handshaking() ? "the handshake" : "the connect _result";
    case Phase::want_stream: return "the createStream _result";
    case Phase::want_play: return "NetStream.Play.Start or media";
    case Phase::playing: return "nothing (playing)";
    case Phase::done: return "nothing (closed)";
    }
    return "?";
}

void RtmpPlayer::on_ready() {
    const RtmpUrl& url = context_.url;
    // The connect object ffplay sends.
    client_.send_command(0, kCsidCommand, "connect", kConnectTid,
                         rtmp::Amf0Value::object({{"app", url.app},
                                                  {"flashVer", "LNX 9,0,124,2"},
                                                  {"tcUrl", url.tc_url},
                                                  {"fpad", false},
                                                  {"capabilities", 15.0},
                                                  {"audioCodecs", 4071.0},
                                                  {"videoCodecs", 252.0},
                                                  {"videoFunction", 1.0}}),
                         {});
}

void RtmpPlayer::on_bytes(std::size_t count) {
    RunStats& stats = context_.stats;
    if (!context_.counting) {
        return;
    }
    stats.bytes += count;
    stats.bytes_this_second += count;
}

core::Status RtmpPlayer::on_message(rtmp::RtmpMessage&& message) {
    switch (message.type_id) {
    case rtmp::message_type::video: on_video(message); break;
    case rtmp::message_type::audio: on_audio(message); break;
    case rtmp::message_type::amf0_command: on_command(message); break;
    default: break;
    }
    return {};
}

void RtmpPlayer::on_video(const rtmp::RtmpMessage& message) {
    mark_playing();
    if (!context_.counting) {
        return;
    }
    RunStats& stats = context_.stats;
    ++stats.video_frames;
    if (have_video_ts_ && message.timestamp < last_video_ts_) {
        ++stats.timestamp_regressions;
    }
    have_video_ts_ = true;
    last_video_ts_ = message.timestamp;
    const auto payload = message.payload.span();
    if (first_keyframe_ns_ == 0 && is_keyframe(payload)) {
        first_keyframe_ns_ = core::monotonic_ns();
    }
    if (auto stamp = read_stamp(payload)) {
        const double ms = static_cast<double>(static_cast<std::int64_t>(realtime_ns() - *stamp)) / 1e6;
        stats.latency_this_second.add(ms);
        if (context_.after_warmup) {
            stats.latency.add(ms);
            max_latency_ms_ = std::max(max_latency_ms_, ms);
        }
    }
}

void RtmpPlayer::on_audio(const rtmp::RtmpMessage& message) {
    mark_playing();
    if (!context_.counting) {
        return;
    }
    ++context_.stats.audio_frames;
    if (have_audio_ts_ && message.timestamp < last_audio_ts_) {
        ++context_.stats.timestamp_regressions;
    }
    have_audio_ts_ = true;
    last_audio_ts_ = message.timestamp;
}

void RtmpPlayer::mark_playing() {
    if (phase_ == Phase::playing || phase_ == Phase::done) {
        return;
    }
    // Media before NetStream.Play.Start (a server that skips it) means playing too.
    phase_ = Phase::playing;
    ++context_.stats.players_playing;
    if (!reached_playing_) {
        reached_playing_ = true;
        ++context_.stats.players_connected;
    }
}

void RtmpPlayer::on_command(const rtmp::RtmpMessage& message) {
    auto command = read_server_command(message);
    if (!command) {
        return;
    }
    const std::string& name = command->name;
    const double tid = command->transaction_id;
    const std::vector<rtmp::Amf0Value>* values = &command->values;
    if (name == "_error") {
        fail("_error for transaction " + std::to_string(static_cast<int>(tid)));
        return;
    }
    if (name == "_result" && tid == kConnectTid && phase_ == Phase::want_connect) {
        phase_ = Phase::want_stream;
        client_.send_command(0, kCsidCommand, "createStream", kCreateStreamTid, rtmp::Amf0Value::null(), {});
        return;
    }
    if (name == "_result" && tid == kCreateStreamTid && phase_ == Phase::want_stream) {
        auto id = values->size() >= 4 ? (*values)[3].as_number() : std::nullopt;
        if (!id) {
            fail("createStream _result without a stream id");
            return;
        }
        stream_id_ = static_cast<std::uint32_t>(*id);
        phase_ = Phase::want_play;
        // -2000: live or recorded, whichever exists (ffmpeg's default for a player).
        client_.send_command(stream_id_, kCsidStream, "play", kPlayTid, rtmp::Amf0Value::null(),
                             {rtmp::Amf0Value(context_.url.stream), rtmp::Amf0Value(-2000.0)});
        return;
    }
    if (name == "onStatus" && values->size() >= 4) {
        const std::string* code = (*values)[3].get_string("code");
        const std::string* level = (*values)[3].get_string("level");
        if (level != nullptr && *level == "error") {
            fail("onStatus " + (code != nullptr ? *code : std::string("error")));
        } else if (code != nullptr && *code == "NetStream.Play.Start") {
            mark_playing();
        }
    }
}

void RtmpPlayer::fail(std::string why) {
    if (phase_ == Phase::done) {
        return;
    }
    if (phase_ == Phase::playing) {
        --context_.stats.players_playing;
    }
    phase_ = Phase::done;
    failed_ = true;
    ++context_.stats.players_failed;
    context_.stats.add_error("player " + std::to_string(index_) + ": " + why);
    client_.close(core::Error::make(core::Errc::protocol, "player failed"));
}

void RtmpPlayer::on_closed(core::Error reason) {
    if (phase_ == Phase::done) {
        return;  // stopped by the run, or already failed and counted
    }
    fail(std::string(reason.describe()));
}

}  // namespace ringcast::load
