// RTMP client session: Adobe RTMP spec 1.0 section 7.2 (connect, createStream, play, publish,
// deleteStream) sent as ffmpeg (libavformat/rtmpproto.c), librtmp and SRS's SrsRtmpClient send
// them, and the answers of ringcast, SRS (SrsRtmpServer) and nginx-rtmp (ngx_rtmp_cmd_module,
// ngx_rtmp_live_module) read the way those clients read them.
#include "proto/rtmp/client_session.h"

#include <cmath>
#include <cstring>

#include "core/byte_io.h"
#include "proto/rtmp/amf3.h"

namespace ringcast::proto::rtmp {
namespace {

// SRS's chunk stream ids for connection-level and stream-level commands.
constexpr std::uint32_t kCsidOverConnection = 3;
constexpr std::uint32_t kCsidOverStream = 5;

// Transaction ids: fixed, so answers are matched without a table (one request of each kind).
constexpr double kConnectTid = 1;
constexpr double kReleaseStreamTid = 2;
constexpr double kFcPublishTid = 3;
constexpr double kCreateStreamTid = 4;
constexpr double kStreamTid = 5;  // play or publish
constexpr double kFcUnpublishTid = 6;
constexpr double kDeleteStreamTid = 7;

// What Flash Player 9+ announces in connect, as SRS's and ffmpeg's clients copy it: every audio
// codec, every video codec, seek-frame-accurate video function.
constexpr double kCapabilities = 239;
constexpr double kAudioCodecs = 3575;
constexpr double kVideoCodecs = 252;
constexpr double kVideoFunction = 1;

std::string info_string(const Amf0Value* info, std::string_view key) {
    const std::string* value = info != nullptr ? info->get_string(key) : nullptr;
    return value != nullptr ? *value : std::string();
}

// onStatus, _result and _error carry their info object after the (null) command object.
const Amf0Value* info_of(const std::vector<Amf0Value>& values) {
    return values.size() > 3 && values[3].properties() != nullptr ? &values[3] : nullptr;
}

}  // namespace

RtmpClientSession::RtmpClientSession(Handler& handler, ChunkSink& out, ClientSessionOptions options)
    : handler_(handler), out_(out), options_(std::move(options)), decoder_(options_.limits),
      // ffmpeg and nginx-rtmp compress headers per connection; our output is never shared.
      encoder_(ChunkEncoderOptions{.chunk_size = default_chunk_size,
                                   .compression = HeaderCompression::per_connection}) {}

core::Status RtmpClientSession::start() {
    if (phase_ != Phase::idle) {
        return core::fail(core::Errc::invalid, "rtmp client: started twice");
    }
    if (options_.out_chunk_size == 0 || options_.out_chunk_size > chunk_size_max) {
        return core::fail(core::Errc::invalid, "rtmp client: out chunk size out of range");
    }
    handshake_.emplace(options_.handshake);
    scratch_.clear();
    if (auto started = handshake_->start(scratch_); !started) {
        return fail(started.error());
    }
    send_raw(scratch_);
    phase_ = Phase::handshaking;
    return {};
}

core::Status RtmpClientSession::feed(std::span<const std::uint8_t> bytes) {
    if (error_) {
        return core::fail(*error_);
    }
    if (phase_ == Phase::idle) {
        return core::fail(core::Errc::invalid, "rtmp client: feed before start");
    }
    bytes_in_ += bytes.size();
    if (handshake_) {
        scratch_.clear();
        auto consumed = handshake_->feed(bytes, scratch_);
        if (!consumed) {
            return fail(consumed.error());
        }
        if (!scratch_.empty()) {
            send_raw(scratch_);
        }
        bytes = bytes.subspan(*consumed);
        if (!handshake_->done()) {
            return {};
        }
        handshake_.reset();
        phase_ = Phase::connecting;
        // Ours goes first, as ffmpeg and SRS do, so even the connect travels in large chunks.
        send(make_set_chunk_size(options_.out_chunk_size));
        (void)encoder_.set_chunk_size(options_.out_chunk_size);  // checked by start()
        send_connect();
        if (bytes.empty()) {
            return {};
        }
    }
    return feed_chunks(bytes);
}

core::Status RtmpClientSession::feed_chunks(std::span<const std::uint8_t> bytes) {
    auto status = decoder_.feed(bytes, [this](RtmpMessage&& msg) { return on_message(std::move(msg)); });
    if (!status) {
        return fail(status.error());
    }
    // nginx-rtmp and SRS stop sending to a peer that does not acknowledge their window.
    if (decoder_.ack_due()) {
        send(make_acknowledgement(decoder_.take_ack_sequence()));
    }
    return {};
}

core::Status RtmpClientSession::on_message(RtmpMessage&& msg) {
    switch (msg.type_id) {
    case message_type::set_chunk_size:
    case message_type::abort:
    case message_type::acknowledgement:
    case message_type::window_ack_size:
        return {};  // the decoder applied what concerns it
    case message_type::set_peer_bandwidth: {
        auto bandwidth = parse_set_peer_bandwidth(msg.payload.span());
        if (!bandwidth) {
            return core::fail(bandwidth.error());
        }
        // The spec's answer to Set Peer Bandwidth; ffmpeg sends it too, SRS waits for it.
        if (!window_ack_sent_) {
            send_window_ack_size();
        }
        return {};
    }
    case message_type::user_control:
        return on_user_control(msg);
    case message_type::amf0_command:
    case message_type::amf3_command: {
        auto values = read_command_message(msg);
        if (!values) {
            return core::fail(values.error());
        }
        return on_command(std::move(*values));
    }
    case message_type::audio:
    case message_type::video:
    case message_type::amf0_data:
    case message_type::amf3_data:
    case message_type::aggregate:
        if (options_.mode != ClientSessionOptions::Mode::play || phase_ < Phase::starting || phase_ == Phase::closed) {
            return {};
        }
        return read_media_message(std::move(msg), [this](MediaMessage&& media) { return on_media(std::move(media)); });
    case message_type::amf0_shared_object:
    case message_type::amf3_shared_object:
        return {};
    default:
        return core::fail(core::Errc::protocol, "rtmp client: unknown message type");
    }
}

core::Status RtmpClientSession::on_user_control(const RtmpMessage& msg) {
    auto event = parse_user_control(msg.payload.span());
    if (!event) {
        return core::fail(event.error());
    }
    switch (event->event) {
    case UserControlEvent::ping_request:
        // nginx-rtmp (ping 60s) and SRS drop a peer that leaves its pings unanswered.
        send(make_ping_response(event->value));
        break;
    case UserControlEvent::stream_begin:
        stream_ended_ = false;
        break;
    case UserControlEvent::stream_eof:
        if (options_.mode == ClientSessionOptions::Mode::play && phase_ == Phase::ready) {
            stream_end("StreamEOF");
        }
        break;
    default:
        break;  // StreamDry, SWF verification (which we cannot answer), ...
    }
    return {};
}

core::Status RtmpClientSession::on_command(std::vector<Amf0Value>&& values) {
    const std::string* name = values.empty() ? nullptr : values[0].as_string();
    if (name == nullptr) {
        return core::fail(core::Errc::protocol, "rtmp client: command without a name");
    }
    const double transaction = values.size() > 1 ? values[1].as_number().value_or(0) : 0;
    if (*name == "_result") {
        return on_result(transaction, values);
    }
    if (*name == "_error") {
        return on_error(transaction, values);
    }
    if (*name == "onStatus") {
        const Amf0Value* info = info_of(values);
        return info != nullptr ? on_status(*info) : core::Status{};
    }
    // onBWDone, _checkbw, onFCPublish, onFCUnpublish, close, ...: as ffmpeg and SRS, nothing to do.
    return {};
}

core::Status RtmpClientSession::on_result(double transaction, std::vector<Amf0Value>& values) {
    if (transaction == kConnectTid && phase_ == Phase::connecting) {
        const Amf0Value* info = info_of(values);
        ConnectResult result;
        result.code = info_string(info, "code");
        result.description = info_string(info, "description");
        if (const Amf0Value* data = info != nullptr ? info->get("data") : nullptr) {
            result.data = *data;
        }
        connected_ = true;
        switch (options_.mode) {
        case ClientSessionOptions::Mode::connect_only:
            phase_ = Phase::ready;
            handler_.on_connected(result);
            handler_.on_ready();
            return {};
        case ClientSessionOptions::Mode::play:
            if (!window_ack_sent_) {
                send_window_ack_size();
            }
            break;
        case ClientSessionOptions::Mode::publish: {
            // FMLE's sequence; nginx-rtmp needs neither, SRS answers both, ffmpeg sends both.
            const Amf0Value stream(options_.stream);
            send_command(kCsidOverConnection, 0, "releaseStream", kReleaseStreamTid, {stream});
            send_command(kCsidOverConnection, 0, "FCPublish", kFcPublishTid, {stream});
            break;
        }
        }
        send_command(kCsidOverConnection, 0, "createStream", kCreateStreamTid, {});
        phase_ = Phase::creating_stream;
        handler_.on_connected(result);
        return {};
    }
    if (transaction == kCreateStreamTid && phase_ == Phase::creating_stream) {
        const std::optional<double> id = values.size() > 3 ? values[3].as_number() : std::nullopt;
        // Message stream 0 is the connection's own; the field is 32 bits.
        if (!id || !(*id >= 1 && *id <= 0xFFFFFFFF) || std::floor(*id) != *id) {
            return core::fail(core::Errc::protocol, "rtmp client: bad stream id in createStream result");
        }
        stream_id_ = static_cast<std::uint32_t>(*id);
        phase_ = Phase::starting;
        const Amf0Value stream(options_.stream);
        if (options_.mode == ClientSessionOptions::Mode::play) {
            // start -2: live if there is one, else recorded (what SRS's edge and librtmp ask).
            send_command(kCsidOverStream, stream_id_, "play", kStreamTid, {stream, Amf0Value(-2.0)});
            send(make_set_buffer_length(stream_id_, options_.buffer_length_ms));
        } else {
            send_command(kCsidOverStream, stream_id_, "publish", kStreamTid, {stream, Amf0Value("live")});
        }
        return {};
    }
    return {};  // releaseStream, FCPublish, or a late answer
}

core::Status RtmpClientSession::on_error(double transaction, const std::vector<Amf0Value>& values) {
    const Amf0Value* info = info_of(values);
    if (transaction == kConnectTid && phase_ == Phase::connecting) {
        return reject(Stage::connect, info, "rtmp client: connect rejected");
    }
    if (transaction == kCreateStreamTid && phase_ == Phase::creating_stream) {
        return reject(Stage::create_stream, info, "rtmp client: createStream rejected");
    }
    if (transaction == kStreamTid && phase_ >= Phase::starting && phase_ != Phase::closed) {
        const bool play = options_.mode == ClientSessionOptions::Mode::play;
        return reject(play ? Stage::play : Stage::publish, info,
                      play ? "rtmp client: play rejected" : "rtmp client: publish rejected");
    }
    // releaseStream and FCPublish errors are Adobe leftovers that ffmpeg ignores too.
    return {};
}

core::Status RtmpClientSession::on_status(const Amf0Value& info) {
    // After our deleteStream, whatever the peer says about the stream is moot.
    if (options_.mode == ClientSessionOptions::Mode::connect_only || phase_ < Phase::creating_stream ||
        phase_ == Phase::closed) {
        return {};
    }
    const std::string* level = info.get_string("level");
    const std::string* code = info.get_string("code");
    const std::string_view code_view = code != nullptr ? std::string_view(*code) : std::string_view();
    if (options_.mode == ClientSessionOptions::Mode::publish) {
        if (level != nullptr && *level == "error") {
            return reject(Stage::publish, &info, "rtmp client: publish rejected");
        }
        if (code_view == "NetStream.Publish.Start" && phase_ == Phase::starting) {
            phase_ = Phase::ready;
            handler_.on_ready();
        }
        return {};
    }
    if (level != nullptr && *level == "error") {
        return reject(Stage::play, &info, "rtmp client: play rejected");
    }
    if (code_view == "NetStream.Play.Start") {
        stream_ended_ = false;
        if (phase_ == Phase::starting) {
            phase_ = Phase::ready;
            handler_.on_ready();
        }
    } else if (code_view == "NetStream.Play.PublishNotify") {
        stream_ended_ = false;
    } else if (code_view == "NetStream.Play.UnpublishNotify" || code_view == "NetStream.Play.Stop") {
        if (phase_ >= Phase::starting && phase_ != Phase::closed) {
            stream_end(std::string(code_view));
        }
    }
    // NetStream.Play.Reset (before Start), NetStream.Data.Start, warnings: nothing to do.
    return {};
}

core::Status RtmpClientSession::on_media(MediaMessage&& media) {
    // Flash's sample-access grant and FMS/SRS's NetStream.Data.Start (sent as data, not as a
    // command) are for the player in front of the origin, not part of the stream.
    if (media.kind == MediaKind::data && (media.name == "|RtmpSampleAccess" || media.name == "onStatus")) {
        return {};
    }
    handler_.on_media(media.kind, media.timestamp, std::move(media.payload), media.metadata);
    return {};
}

core::Status RtmpClientSession::reject(Stage stage, const Amf0Value* info, const char* why) {
    phase_ = Phase::closed;
    handler_.on_rejected(stage, info_string(info, "code"), info_string(info, "description"));
    return core::fail(core::Errc::protocol, why);
}

void RtmpClientSession::stream_end(std::string code) {
    if (stream_ended_) {
        return;
    }
    stream_ended_ = true;
    handler_.on_stream_end(std::move(code));
}

core::Status RtmpClientSession::send_media(MediaKind kind, std::uint32_t timestamp, const core::Buffer& payload) {
    if (error_) {
        return core::fail(*error_);
    }
    if (options_.mode != ClientSessionOptions::Mode::publish || phase_ != Phase::ready) {
        return core::fail(core::Errc::invalid, "rtmp client: send_media while not publishing");
    }
    return encoder_.encode(RtmpMessage{static_cast<std::uint8_t>(kind), timestamp, stream_id_, media_csid(kind), payload},
                           out_);
}

core::Status RtmpClientSession::send_metadata(std::uint32_t timestamp, const core::Buffer& on_metadata_payload) {
    // A copy, unlike send_media(): metadata is rare and small.
    const std::size_t size = sizeof set_data_frame_prefix + on_metadata_payload.size();
    if (size > message_length_max) {
        return core::fail(core::Errc::invalid, "rtmp client: metadata too large");
    }
    std::vector<std::uint8_t> wrapped(set_data_frame_prefix, set_data_frame_prefix + sizeof set_data_frame_prefix);
    const std::span<const std::uint8_t> body = on_metadata_payload.span();
    wrapped.insert(wrapped.end(), body.begin(), body.end());
    return send_media(MediaKind::data, timestamp, core::Buffer::copy_of(std::span<const std::uint8_t>(wrapped)));
}

void RtmpClientSession::send_unpublish() {
    if (error_ || phase_ < Phase::starting || phase_ == Phase::closed) {
        return;
    }
    if (options_.mode == ClientSessionOptions::Mode::publish) {
        send_command(kCsidOverConnection, 0, "FCUnpublish", kFcUnpublishTid, {Amf0Value(options_.stream)});
    }
    send_command(kCsidOverConnection, 0, "deleteStream", kDeleteStreamTid, {Amf0Value(double(stream_id_))});
    phase_ = Phase::closed;
}

void RtmpClientSession::send_connect() {
    Amf0Properties props;
    props.push_back({"app", options_.app});
    props.push_back({"flashVer", options_.flash_ver});
    if (!options_.swf_url.empty()) {
        props.push_back({"swfUrl", options_.swf_url});
    }
    props.push_back({"tcUrl", options_.tc_url});
    props.push_back({"fpad", false});
    props.push_back({"capabilities", kCapabilities});
    props.push_back({"audioCodecs", kAudioCodecs});
    props.push_back({"videoCodecs", kVideoCodecs});
    props.push_back({"videoFunction", kVideoFunction});
    if (!options_.page_url.empty()) {
        props.push_back({"pageUrl", options_.page_url});
    }
    props.push_back({"objectEncoding", 0.0});
    const Amf0Value object = Amf0Value::object(std::move(props));
    std::vector<std::uint8_t> bytes;
    core::ByteWriter writer(bytes);
    if (options_.connect_args) {
        write_amf0_command(writer, "connect", kConnectTid, object, std::span<const Amf0Value>(&*options_.connect_args, 1));
    } else {
        write_amf0_command(writer, "connect", kConnectTid, object);
    }
    send(RtmpMessage{message_type::amf0_command, 0, 0, kCsidOverConnection,
                     core::Buffer::copy_of(std::span<const std::uint8_t>(bytes))});
}

void RtmpClientSession::send_window_ack_size() {
    window_ack_sent_ = true;
    send(make_window_ack_size(options_.ack_window));
}

void RtmpClientSession::send_command(std::uint32_t csid, std::uint32_t stream_id, std::string_view name,
                                     double transaction, std::initializer_list<Amf0Value> args) {
    std::vector<std::uint8_t> bytes;
    core::ByteWriter writer(bytes);
    write_amf0_command(writer, name, transaction, Amf0Value::null(),
                       std::span<const Amf0Value>(args.begin(), args.size()));
    send(RtmpMessage{message_type::amf0_command, 0, stream_id, csid,
                     core::Buffer::copy_of(std::span<const std::uint8_t>(bytes))});
}

// Our own control and command messages: small, valid csids, so encoding cannot fail.
void RtmpClientSession::send(const RtmpMessage& msg) { (void)encoder_.encode(msg, out_); }

void RtmpClientSession::send_raw(std::span<const std::uint8_t> bytes) {
    out_.append(core::Buffer::copy_of(bytes).slice());
}

core::Status RtmpClientSession::fail(core::Error error) {
    error_ = error;
    return core::fail(error);
}

}  // namespace ringcast::proto::rtmp
