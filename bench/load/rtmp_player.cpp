#include "load/rtmp_player.h"

namespace ringcast::load {

namespace rtmp = proto::rtmp;

namespace {

// ffmpeg's chunk streams: commands on 3, stream commands (play) on 8.
constexpr std::uint32_t kCsidCommand = 3;
constexpr std::uint32_t kCsidStream = 8;
constexpr double kConnectTid = 1;
constexpr double kCreateStreamTid = 2;
constexpr double kPlayTid = 3;

}  // namespace

RtmpPlayer::RtmpPlayer(PlayerContext& context, std::uint32_t index)
    : Player(context, index), url_(*context.rtmp_url), client_(context.reactor, context.buffers, *this) {}

void RtmpPlayer::connect() {
    step_ = Step::want_connect;
    client_.start(context_.address, false);
}

const char* RtmpPlayer::setup_step() const {
    switch (step_) {
    case Step::want_connect:
        return !client_.open() ? "the TCP connect" : client_.handshaking() ? "the handshake" : "the connect _result";
    case Step::want_stream: return "the createStream _result";
    case Step::want_play: return "NetStream.Play.Start or media";
    }
    return "?";
}

void RtmpPlayer::on_ready() {
    // The connect object ffplay sends.
    client_.send_command(0, kCsidCommand, "connect", kConnectTid,
                         rtmp::Amf0Value::object({{"app", url_.app},
                                                  {"flashVer", "LNX 9,0,124,2"},
                                                  {"tcUrl", url_.tc_url},
                                                  {"fpad", false},
                                                  {"capabilities", 15.0},
                                                  {"audioCodecs", 4071.0},
                                                  {"videoCodecs", 252.0},
                                                  {"videoFunction", 1.0}}),
                         {});
}

core::Status RtmpPlayer::on_message(rtmp::RtmpMessage&& message) {
    switch (message.type_id) {
    case rtmp::message_type::video: record_video(message.timestamp, message.payload.span()); break;
    case rtmp::message_type::audio: record_audio(message.timestamp); break;
    case rtmp::message_type::amf0_command: on_command(message); break;
    default: break;
    }
    return {};
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
    if (name == "_result" && tid == kConnectTid && in_setup() && step_ == Step::want_connect) {
        step_ = Step::want_stream;
        client_.send_command(0, kCsidCommand, "createStream", kCreateStreamTid, rtmp::Amf0Value::null(), {});
        return;
    }
    if (name == "_result" && tid == kCreateStreamTid && in_setup() && step_ == Step::want_stream) {
        auto id = values->size() >= 4 ? (*values)[3].as_number() : std::nullopt;
        if (!id) {
            fail("createStream _result without a stream id");
            return;
        }
        stream_id_ = static_cast<std::uint32_t>(*id);
        step_ = Step::want_play;
        // -2000: live or recorded, whichever exists (ffmpeg's default for a player).
        client_.send_command(stream_id_, kCsidStream, "play", kPlayTid, rtmp::Amf0Value::null(),
                             {rtmp::Amf0Value(url_.stream), rtmp::Amf0Value(-2000.0)});
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

}  // namespace ringcast::load
