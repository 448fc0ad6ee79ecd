// RTMP server session: Adobe RTMP spec 1.0 section 7.2 (command messages: connect, createStream,
// publish, play, play2, pause, deleteStream, closeStream) and the answers SRS sends
// (srs_protocol_rtmp_stack.cpp SrsRtmpServer::response_connect_app, start_play, start_fmle_publish,
// start_flash_publish), including the FMLE extras releaseStream / FCPublish / FCUnpublish.
#include "proto/rtmp/server_session.h"

#include <cstring>

#include "core/byte_io.h"
#include "core/log.h"
#include "proto/rtmp/amf3.h"

namespace ringcast::proto::rtmp {
namespace {

// SRS's chunk stream ids.
constexpr std::uint32_t kCsidOverConnection = 3;
constexpr std::uint32_t kCsidOverStream = 5;

std::string_view strip_query(std::string_view text, std::string& query) {
    auto at = text.find('?');
    if (at == std::string_view::npos) {
        return text;
    }
    query = std::string(text.substr(at));
    return text.substr(0, at);
}

// "?a=1&vhost=x" -> "x" for name "vhost".
std::string query_value(std::string_view query, std::string_view name) {
    std::size_t at = 0;
    while (at < query.size()) {
        std::size_t end = query.find_first_of("&?", at + 1);
        std::string_view pair = query.substr(at + 1, end == std::string_view::npos ? std::string_view::npos : end - at - 1);
        if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
            return std::string(pair.substr(name.size() + 1));
        }
        if (end == std::string_view::npos) {
            break;
        }
        at = end;
    }
    return {};
}

// rtmp://host:port/app -> host
std::string url_host(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme != std::string_view::npos) {
        url.remove_prefix(scheme + 3);
    }
    url = url.substr(0, url.find('/'));
    if (!url.empty() && url.front() == '[') {
        return std::string(url.substr(1, url.find(']') - 1));
    }
    return std::string(url.substr(0, url.find(':')));
}

core::Buffer to_buffer(std::span<const std::uint8_t> bytes) { return core::Buffer::copy_of(bytes); }

}  // namespace

RtmpServerSession::RtmpServerSession(Handler& handler, ChunkSink& out, Options options)
    : handler_(handler), out_(out), options_(options), decoder_(options.limits),
      encoder_(ChunkEncoderOptions{.chunk_size = 128}) {}

core::Status RtmpServerSession::feed(std::span<const std::uint8_t> bytes) {
    if (!handshake_.done()) {
        scratch_.clear();
        auto consumed = handshake_.feed(bytes, scratch_);
        if (!consumed) {
            return core::fail(consumed.error());
        }
        if (!scratch_.empty()) {
            send_raw(scratch_);
        }
        bytes = bytes.subspan(*consumed);
        if (!handshake_.done() || bytes.empty()) {
            return {};
        }
    }
    auto status = decoder_.feed(bytes, [this](RtmpMessage&& msg) { return on_message(std::move(msg)); });
    if (status && decoder_.ack_due()) {
        send(make_acknowledgement(decoder_.take_ack_sequence()));
    }
    return status;
}

core::Status RtmpServerSession::on_message(RtmpMessage&& msg) {
    switch (msg.type_id) {
    case message_type::set_chunk_size:
    case message_type::abort:
    case message_type::acknowledgement:
    case message_type::window_ack_size:
    case message_type::set_peer_bandwidth:
        return {};  // the decoder applied what concerns it
    case message_type::user_control: {
        auto event = parse_user_control(msg.payload.span());
        if (!event) {
            return core::fail(event.error());
        }
        if (event->event == UserControlEvent::ping_request) {
            send(make_ping_response(event->value));
        }
        return {};
    }
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
        if (role_ != Role::publisher) {
            return {};
        }
        return read_media_message(std::move(msg), [this](MediaMessage&& media) {
            handler_.on_media(media.kind, media.timestamp, std::move(media.payload), media.metadata);
            return core::Status{};
        });
    case message_type::amf0_shared_object:
    case message_type::amf3_shared_object:
        return {};  // SRS ignores shared objects too
    default:
        return core::fail(core::Errc::protocol, "rtmp: unknown message type");
    }
}

core::Status RtmpServerSession::on_command(std::vector<Amf0Value>&& values) {
    const std::string* name = values.empty() ? nullptr : values[0].as_string();
    if (name == nullptr) {
        return core::fail(core::Errc::protocol, "rtmp: command without a name");
    }
    const double transaction = values.size() > 1 ? values[1].as_number().value_or(0) : 0;
    auto arg_string = [&](std::size_t index) -> std::string {
        const std::string* text = values.size() > index ? values[index].as_string() : nullptr;
        return text != nullptr ? *text : std::string();
    };

    if (*name == "connect") {
        if (connected_ || values.size() < 3) {
            return core::fail(core::Errc::protocol, "rtmp: bad connect");
        }
        const Amf0Value& object = values[2];
        ConnectRequest request;
        std::string app_query;
        const std::string* app = object.get_string("app");
        const std::string* tc_url = object.get_string("tcUrl");
        request.app = std::string(strip_query(app != nullptr ? *app : "", app_query));
        request.tc_url = tc_url != nullptr ? *tc_url : "";
        std::string url_query;
        std::string_view tc_path = strip_query(request.tc_url, url_query);
        request.param = !app_query.empty() ? app_query : url_query;
        request.vhost = query_value(request.param, "vhost");
        if (request.vhost.empty()) {
            request.vhost = query_value(request.param, "domain");
        }
        if (request.vhost.empty()) {
            request.vhost = url_host(tc_path);
        }
        if (const std::string* page_url = object.get_string("pageUrl")) {
            request.page_url = *page_url;
        }
        if (const std::string* swf_url = object.get_string("swfUrl")) {
            request.swf_url = *swf_url;
        }
        if (const std::string* flash_ver = object.get_string("flashVer")) {
            request.flash_ver = *flash_ver;
        }
        request.object_encoding = object.get_number("objectEncoding").value_or(0);
        // SRS keeps only an object there (its issue 186: some clients send a string).
        if (values.size() > 3 && values[3].properties() != nullptr) {
            request.args = std::move(values[3]);
        }
        object_encoding_ = request.object_encoding;
        connect_transaction_ = transaction;
        connected_ = true;
        handler_.on_connect(request);
        return {};
    }
    if (!connected_) {
        return core::fail(core::Errc::protocol, "rtmp: command before connect");
    }
    if (*name == "releaseStream" || *name == "FCPublish" || *name == "FCUnpublish" || *name == "getStreamLength") {
        if (*name == "FCUnpublish" && role_ == Role::publisher) {
            role_ = Role::none;
            handler_.on_unpublish();
        }
        if (transaction > 0) {
            // getStreamLength wants a number (ffmpeg warns otherwise); 0 is a live stream's length.
            const Amf0Value result = *name == "getStreamLength" ? Amf0Value(0.0) : Amf0Value::undefined();
            send_command(kCsidOverConnection, 0, "_result", transaction, Amf0Value::null(), {result});
        }
        return {};
    }
    if (*name == "createStream") {
        send_command(kCsidOverConnection, 0, "_result", transaction, Amf0Value::null(), {Amf0Value(double(stream_id_))});
        return {};
    }
    if (*name == "publish" || *name == "play" || *name == "play2") {
        if (role_ != Role::none) {
            return core::fail(core::Errc::protocol, "rtmp: publish or play twice");
        }
        StreamRequest request;
        std::string full = arg_string(3);
        if (*name == "play2" && values.size() > 3) {
            if (const std::string* stream_name = values[3].get_string("streamName")) {
                full = *stream_name;
            }
        }
        request.stream = std::string(strip_query(full, request.param));
        request.stream_id = stream_id_;
        if (request.stream.empty()) {
            return core::fail(core::Errc::protocol, "rtmp: empty stream name");
        }
        pending_transaction_ = transaction;
        if (*name == "publish") {
            handler_.on_publish(request);
        } else {
            request.start = values.size() > 4 ? values[4].as_number().value_or(-2) : -2;
            request.duration = values.size() > 5 ? values[5].as_number().value_or(-1) : -1;
            request.reset = values.size() > 6 ? values[6].as_bool().value_or(true) : true;
            handler_.on_play(request);
        }
        return {};
    }
    if (*name == "deleteStream" || *name == "closeStream") {
        if (role_ == Role::publisher) {
            role_ = Role::none;
            handler_.on_unpublish();
        }
        return {};
    }
    if (*name == "pause") {
        bool paused = values.size() > 3 ? values[3].as_bool().value_or(false) : false;
        send_status("status", paused ? "NetStream.Pause.Notify" : "NetStream.Unpause.Notify",
                    paused ? "Paused stream." : "Unpaused stream.");
        handler_.on_pause(paused);
        return {};
    }
    // _result/_error answers, onBWDone, _checkbw and friends: nothing to do (SRS ignores them).
    return {};
}

void RtmpServerSession::accept_connect() {
    accept_connect(ConnectAnswer{.out_chunk_size = options_.out_chunk_size,
                                 .out_ack_window = options_.out_ack_window,
                                 .in_ack_window = 0});
}

void RtmpServerSession::accept_connect(const ConnectAnswer& answer) {
    send(make_window_ack_size(answer.out_ack_window));
    send(make_set_peer_bandwidth(options_.peer_bandwidth, PeerBandwidthLimit::dynamic));
    send(make_set_chunk_size(answer.out_chunk_size));
    // The encoder switches after the Set Chunk Size message itself went out at the old size.
    (void)encoder_.set_chunk_size(answer.out_chunk_size);
    if (answer.in_ack_window != 0) {
        decoder_.set_ack_window(answer.in_ack_window);
    }
    Amf0Value props = Amf0Value::object({{"fmsVer", "FMS/3,5,3,888"}, {"capabilities", 127.0}, {"mode", 1.0}});
    Amf0Value data = Amf0Value::ecma_array({{"version", "3,5,3,888"}, {"srs_server", "ringcast " RINGCAST_VERSION}});
    Amf0Value info = Amf0Value::object({{"level", "status"},
                                        {"code", "NetConnection.Connect.Success"},
                                        {"description", "Connection succeeded"},
                                        {"objectEncoding", object_encoding_},
                                        {"data", data}});
    send_command(kCsidOverConnection, 0, "_result", connect_transaction_, props, {info});
    send_command(kCsidOverConnection, 0, "onBWDone", 0, Amf0Value::null(), {});
}

void RtmpServerSession::reject_connect(std::string_view description) {
    Amf0Value info = Amf0Value::object(
        {{"level", "error"}, {"code", "NetConnection.Connect.Rejected"}, {"description", std::string(description)}});
    send_command(kCsidOverConnection, 0, "_error", connect_transaction_, Amf0Value::null(), {info});
}

void RtmpServerSession::accept_publish() {
    role_ = Role::publisher;
    // FMLE waits for onFCPublish; ffmpeg and Flash for NetStream.Publish.Start.
    Amf0Value fc = Amf0Value::object({{"code", "NetStream.Publish.Start"}, {"description", "Started publishing stream."}});
    send_command(kCsidOverStream, stream_id_, "onFCPublish", 0, Amf0Value::null(), {fc});
    send_status("status", "NetStream.Publish.Start", "Started publishing stream.");
}

void RtmpServerSession::reject_publish(std::string_view description) {
    send_status("error", "NetStream.Publish.BadName", description);
}

void RtmpServerSession::accept_play() {
    role_ = Role::player;
    send(make_stream_begin(stream_id_));
    send_status("status", "NetStream.Play.Reset", "Playing and resetting stream.");
    send_status("status", "NetStream.Play.Start", "Started playing stream.");
    // |RtmpSampleAccess lets Flash players read the samples (SRS sends it too).
    std::vector<Amf0Value> access{Amf0Value("|RtmpSampleAccess"), Amf0Value(true), Amf0Value(true)};
    auto bytes = encode_amf0(access);
    send(RtmpMessage{message_type::amf0_data, 0, stream_id_, kCsidOverStream, to_buffer(bytes)});
}

void RtmpServerSession::reject_play(std::string_view description) {
    send_status("error", "NetStream.Play.StreamNotFound", description);
}

void RtmpServerSession::send_unpublish_notify() {
    send_status("status", "NetStream.Play.UnpublishNotify", "stream is now unpublished.");
}

void RtmpServerSession::send_publish_notify() {
    send_status("status", "NetStream.Play.PublishNotify", "Now published.");
}

core::Status RtmpServerSession::send_media(MediaKind kind, std::uint32_t timestamp, const core::Buffer& payload) {
    return encoder_.encode(RtmpMessage{static_cast<std::uint8_t>(kind), timestamp, stream_id_, media_csid(kind), payload},
                           out_);
}

core::Result<core::Buffer> encode_shared_media(MediaKind kind, std::uint32_t timestamp, const core::Buffer& payload,
                                               std::uint32_t chunk_size) {
    ChunkEncoder encoder(ChunkEncoderOptions{.chunk_size = 60000, .compression = HeaderCompression::none});
    RINGCAST_TRY(encoder.set_chunk_size(chunk_size));
    ChunkPieces pieces;
    RINGCAST_TRY(encoder.encode(RtmpMessage{static_cast<std::uint8_t>(kind), timestamp,
                                            RtmpServerSession::kSharedStreamId, media_csid(kind), payload},
                                pieces));
    core::MutableBuffer joined = core::MutableBuffer::allocate(pieces.size_bytes());
    std::uint8_t* out = joined.data();
    for (const core::BufferSlice& piece : pieces.pieces()) {
        std::memcpy(out, piece.data(), piece.size());
        out += piece.size();
    }
    joined.set_size(pieces.size_bytes());
    return std::move(joined).freeze();
}

void RtmpServerSession::send_status(std::string_view level, std::string_view code, std::string_view description) {
    Amf0Value info = Amf0Value::object({{"level", std::string(level)},
                                        {"code", std::string(code)},
                                        {"description", std::string(description)},
                                        {"clientid", "ringcast"}});
    send_command(kCsidOverStream, stream_id_, "onStatus", 0, Amf0Value::null(), {info});
}

void RtmpServerSession::send_command(std::uint32_t csid, std::uint32_t stream_id, std::string_view name,
                                     double transaction_id, const Amf0Value& command_object,
                                     std::initializer_list<Amf0Value> args) {
    std::vector<std::uint8_t> bytes;
    core::ByteWriter writer(bytes);
    write_amf0_command(writer, name, transaction_id, command_object, std::span<const Amf0Value>(args.begin(), args.size()));
    send(RtmpMessage{message_type::amf0_command, 0, stream_id, csid, to_buffer(bytes)});
}

void RtmpServerSession::send(const RtmpMessage& msg) { (void)encoder_.encode(msg, out_); }

void RtmpServerSession::send_raw(std::span<const std::uint8_t> bytes) {
    core::Buffer buffer = to_buffer(bytes);
    out_.append(buffer.slice());
}

}  // namespace ringcast::proto::rtmp
