// RtmpClientSession against a real RtmpServerSession in memory (bytes piped both ways, whole,
// byte by byte, and the server's transcript split at every offset), and against a scripted peer
// that answers the way nginx-rtmp does (onFCPublish, Play.Reset, onBWDone, AMF3 commands,
// aggregates, Abort, StreamEOF).

#include "proto/rtmp/client_session.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_io.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/server_session.h"

namespace ringcast::proto::rtmp {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Mode = ClientSessionOptions::Mode;
using Stage = RtmpClientSession::Stage;

constexpr std::size_t kHandshakeSize = 1 + 2 * handshake_packet_size;  // C0C1 + C2, S0S1S2

Bytes pattern(std::size_t size, std::uint8_t salt = 0) {
    Bytes bytes(size);
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<std::uint8_t>(i * 7 + 3 + salt);
    }
    return bytes;
}

core::Buffer buffer_of(const Bytes& bytes) { return core::Buffer::copy_of(std::span<const std::uint8_t>(bytes)); }
Bytes bytes_of(const core::Buffer& buffer) { return {buffer.data(), buffer.data() + buffer.size()}; }

Bytes on_metadata_bytes() {
    std::vector<Amf0Value> values{"onMetaData", Amf0Value::ecma_array({{"duration", 0.0},
                                                                       {"width", 1280.0},
                                                                       {"height", 720.0},
                                                                       {"videocodecid", 7.0},
                                                                       {"encoder", "Lavf59.27.100"}})};
    return encode_amf0(values);
}

struct Media {
    MediaKind kind;
    std::uint32_t timestamp;
    Bytes payload;
    bool metadata;
    bool operator==(const Media&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Media& m) {
    return os << "{kind " << int(m.kind) << ", ts " << m.timestamp << ", " << m.payload.size() << " bytes"
              << (m.metadata ? ", metadata}" : "}");
}

// ---- the two handlers ---------------------------------------------------------------------

struct ServerSide final : RtmpServerSession::Handler {
    RtmpServerSession* session = nullptr;
    bool accept_connect = true;
    bool accept_publish = true;
    bool accept_play = true;
    RtmpServerSession::ConnectAnswer answer{};
    std::vector<ConnectRequest> connects;
    std::vector<StreamRequest> publishes;
    std::vector<StreamRequest> plays;
    std::vector<Media> media;
    int unpublishes = 0;

    void on_connect(const ConnectRequest& request) override {
        connects.push_back(request);
        accept_connect ? session->accept_connect(answer) : session->reject_connect("not here");
    }
    void on_publish(const StreamRequest& request) override {
        publishes.push_back(request);
        accept_publish ? session->accept_publish() : session->reject_publish("Stream already publishing");
    }
    void on_play(const StreamRequest& request) override {
        plays.push_back(request);
        accept_play ? session->accept_play() : session->reject_play("no such stream");
    }
    void on_media(MediaKind kind, std::uint32_t timestamp, core::Buffer payload, bool metadata) override {
        media.push_back({kind, timestamp, bytes_of(payload), metadata});
    }
    void on_unpublish() override { ++unpublishes; }
};

struct ClientSide final : RtmpClientSession::Handler {
    std::vector<std::string> events;
    std::optional<ConnectResult> connected;
    std::vector<Media> media;
    std::function<void()> when_ready;

    void on_connected(const ConnectResult& result) override {
        events.push_back("connected " + result.code);
        connected = result;
    }
    void on_ready() override {
        events.push_back("ready");
        if (when_ready) {
            when_ready();
        }
    }
    void on_media(MediaKind kind, std::uint32_t timestamp, core::Buffer payload, bool metadata) override {
        media.push_back({kind, timestamp, bytes_of(payload), metadata});
    }
    void on_rejected(Stage stage, std::string code, std::string description) override {
        events.push_back("rejected " + std::to_string(int(stage)) + " " + code + " " + description);
    }
    void on_stream_end(std::string code) override { events.push_back("end " + code); }
};

std::string rejected(Stage stage, const std::string& code, const std::string& description) {
    return "rejected " + std::to_string(int(stage)) + " " + code + " " + description;
}

ClientSessionOptions client_options(Mode mode) {
    ClientSessionOptions options;
    options.mode = mode;
    options.app = "live";
    options.tc_url = "rtmp://127.0.0.1:1935/live";
    options.stream = "livestream";
    return options;
}

// Decodes what the client wrote after its handshake (C0C1 + C2).
std::vector<RtmpMessage> messages_of(const Bytes& wire) {
    std::vector<RtmpMessage> out;
    if (wire.size() <= kHandshakeSize) {
        return out;
    }
    ChunkDecoder decoder;
    auto status = decoder.feed(std::span<const std::uint8_t>(wire).subspan(kHandshakeSize),
                               [&](RtmpMessage&& msg) { out.push_back(std::move(msg)); });
    EXPECT_TRUE(status);
    return out;
}

std::vector<std::string> command_names(const std::vector<RtmpMessage>& messages) {
    std::vector<std::string> names;
    for (const RtmpMessage& msg : messages) {
        if (msg.type_id == message_type::amf0_command) {
            auto values = read_amf0_all(msg.payload.span());
            EXPECT_TRUE(values);
            names.push_back(*values->front().as_string());
        }
    }
    return names;
}

// ---- a client and a server joined in memory ----------------------------------------------

class Link {
public:
    explicit Link(ClientSessionOptions options, RtmpServerSession::Options server_options = {})
        : server_(server_handler, to_client_, server_options), client_(client_handler, to_server_, std::move(options)) {
        server_handler.session = &server_;
    }

    /// Moves bytes until both sides are quiet; `piece` > 0 feeds them in pieces of that size.
    void pump(std::size_t piece = 0) {
        for (bool moved = true; moved;) {
            moved = false;
            if (to_server_.size_bytes() != 0 && server_status) {
                Bytes bytes = to_server_.to_vector();
                to_server_.clear();
                client_wire.insert(client_wire.end(), bytes.begin(), bytes.end());
                server_status = deliver(bytes, piece, [&](std::span<const std::uint8_t> b) { return server_.feed(b); });
                moved = true;
            }
            if (to_client_.size_bytes() != 0 && client_status) {
                Bytes bytes = to_client_.to_vector();
                to_client_.clear();
                server_wire.insert(server_wire.end(), bytes.begin(), bytes.end());
                client_status = deliver(bytes, piece, [&](std::span<const std::uint8_t> b) {
                    auto status = client_.feed(b);
                    client_feed_ends.push_back(server_wire.size() - bytes.size() + (b.data() + b.size() - bytes.data()));
                    return status;
                });
                moved = true;
            }
        }
    }

    void start(std::size_t piece = 0) {
        ASSERT_TRUE(client_.start());
        pump(piece);
    }

    /// Bytes straight into the client's input, as if the server had written them.
    void inject_to_client(const RtmpMessage& msg) {
        ChunkEncoder encoder(ChunkEncoderOptions{.chunk_size = 60000});
        ASSERT_TRUE(encoder.encode(msg, to_client_));
    }

    RtmpServerSession& server() { return server_; }
    RtmpClientSession& client() { return client_; }

    ServerSide server_handler;
    ClientSide client_handler;
    Bytes client_wire;  // everything the client wrote
    Bytes server_wire;  // everything the server wrote
    std::vector<std::size_t> client_feed_ends;  // server_wire offsets where a client feed() ended
    core::Status server_status;
    core::Status client_status;

private:
    template <class Feed>
    static core::Status deliver(const Bytes& bytes, std::size_t piece, Feed&& feed) {
        const std::span<const std::uint8_t> all(bytes);
        const std::size_t step = piece == 0 ? all.size() : piece;
        for (std::size_t at = 0; at < all.size(); at += step) {
            auto status = feed(all.subspan(at, std::min(step, all.size() - at)));
            if (!status) {
                return status;
            }
        }
        return {};
    }

    ChunkPieces to_server_;
    ChunkPieces to_client_;
    RtmpServerSession server_;
    RtmpClientSession client_;
};

// ---- publish ------------------------------------------------------------------------------

TEST(ClientSessionPublish, ConnectsPublishesAndTheServerGetsEveryByteWithItsTimestamp) {
    ClientSessionOptions options = client_options(Mode::publish);
    options.stream = "livestream?token=abc";
    options.app = "live?vhost=example.com";
    Link link(options);
    const Bytes config = pattern(40, 1);
    link.client_handler.when_ready = [&] {
        ASSERT_TRUE(link.client().send_media(MediaKind::video, 0, buffer_of(config)));
    };
    link.start();

    ASSERT_TRUE(link.client_status) << link.client_status.error().describe();
    ASSERT_TRUE(link.server_status) << link.server_status.error().describe();
    ASSERT_EQ(link.server_handler.connects.size(), 1u);
    const ConnectRequest& connect = link.server_handler.connects[0];
    EXPECT_EQ(connect.app, "live");
    EXPECT_EQ(connect.param, "?vhost=example.com");
    EXPECT_EQ(connect.vhost, "example.com");
    EXPECT_EQ(connect.tc_url, "rtmp://127.0.0.1:1935/live");
    EXPECT_EQ(connect.flash_ver, "LNX 9,0,124,2");
    EXPECT_FALSE(connect.args);
    ASSERT_EQ(link.server_handler.publishes.size(), 1u);
    EXPECT_EQ(link.server_handler.publishes[0].stream, "livestream");
    EXPECT_EQ(link.server_handler.publishes[0].param, "?token=abc");
    EXPECT_TRUE(link.client().handshake_done());
    EXPECT_TRUE(link.client().ready());
    EXPECT_EQ(link.client().stream_id(), 1u);
    EXPECT_EQ(link.client().bytes_in(), link.server_wire.size());
    EXPECT_EQ(link.client_handler.events, (std::vector<std::string>{"connected NetConnection.Connect.Success", "ready"}));
    ASSERT_TRUE(link.client_handler.connected);
    ASSERT_TRUE(link.client_handler.connected->data);
    EXPECT_NE(link.client_handler.connected->data->get_string("srs_server"), nullptr);

    // FMLE's sequence, as ffmpeg sends it.
    EXPECT_EQ(command_names(messages_of(link.client_wire)),
              (std::vector<std::string>{"connect", "releaseStream", "FCPublish", "createStream", "publish"}));

    std::vector<Media> sent{{MediaKind::video, 0, config, false}};
    const std::uint32_t timestamps[] = {0, 23, 40, 40, 0xFFFFFE, 0xFFFFFF, 0x1000000, 0x12345678, 100};
    std::uint8_t salt = 2;
    for (std::uint32_t ts : timestamps) {
        for (MediaKind kind : {MediaKind::audio, MediaKind::video}) {
            Bytes payload = pattern(kind == MediaKind::audio ? 300 : 70000, salt++);
            ASSERT_TRUE(link.client().send_media(kind, ts, buffer_of(payload)));
            sent.push_back({kind, ts, payload, false});
        }
    }
    ASSERT_TRUE(link.client().send_metadata(5, buffer_of(on_metadata_bytes())));
    sent.push_back({MediaKind::data, 5, on_metadata_bytes(), true});
    link.pump();
    ASSERT_TRUE(link.server_status) << link.server_status.error().describe();
    EXPECT_EQ(link.server_handler.media, sent);

    link.client().send_unpublish();
    link.pump();
    EXPECT_EQ(link.server_handler.unpublishes, 1);
    EXPECT_FALSE(link.client().ready());
    EXPECT_FALSE(link.client().send_media(MediaKind::audio, 1, buffer_of(pattern(1))));
    auto names = command_names(messages_of(link.client_wire));
    ASSERT_GE(names.size(), 2u);
    EXPECT_EQ(names[names.size() - 2], "FCUnpublish");
    EXPECT_EQ(names.back(), "deleteStream");
}

TEST(ClientSessionPublish, SendMediaPayloadIsReferencedNotCopied) {
    Link link(client_options(Mode::publish));
    link.start();
    ASSERT_TRUE(link.client().ready());
    const core::Buffer payload = buffer_of(pattern(1000));
    const auto refs = payload.use_count();
    // The session writes into the link's sink; the payload must be held there by reference.
    ASSERT_TRUE(link.client().send_media(MediaKind::video, 1, payload));
    EXPECT_GT(payload.use_count(), refs);
}

TEST(ClientSessionPublish, LargeMessagesAcrossChunkSizes) {
    for (std::uint32_t client_chunk : {1u, 128u, 4096u, 60000u}) {
        for (std::uint32_t server_chunk : {128u, 60000u}) {
            ClientSessionOptions options = client_options(Mode::publish);
            options.out_chunk_size = client_chunk;
            Link link(options);
            link.server_handler.answer.out_chunk_size = server_chunk;
            link.start();
            ASSERT_TRUE(link.client().ready()) << client_chunk << " / " << server_chunk;
            std::vector<Media> sent;
            for (std::size_t size : {0u, 1u, 127u, 128u, 129u, 60001u, 300000u}) {
                Bytes payload = pattern(size, static_cast<std::uint8_t>(size));
                ASSERT_TRUE(link.client().send_media(MediaKind::video, static_cast<std::uint32_t>(size), buffer_of(payload)));
                sent.push_back({MediaKind::video, static_cast<std::uint32_t>(size), payload, false});
            }
            link.pump();
            ASSERT_TRUE(link.server_status) << link.server_status.error().describe();
            EXPECT_EQ(link.server_handler.media, sent) << client_chunk << " / " << server_chunk;
        }
    }
}

TEST(ClientSessionPublish, ByteByByteBothWays) {
    Link link(client_options(Mode::publish));
    link.start(1);
    ASSERT_TRUE(link.client_status) << link.client_status.error().describe();
    ASSERT_TRUE(link.client().ready());
    const Bytes payload = pattern(5000);
    ASSERT_TRUE(link.client().send_media(MediaKind::audio, 7, buffer_of(payload)));
    ASSERT_TRUE(link.client().send_metadata(8, buffer_of(on_metadata_bytes())));
    link.pump(1);
    EXPECT_EQ(link.server_handler.media, (std::vector<Media>{{MediaKind::audio, 7, payload, false},
                                                             {MediaKind::data, 8, on_metadata_bytes(), true}}));
}

TEST(ClientSessionPublish, RejectedPublishIsBadName) {
    Link link(client_options(Mode::publish));
    link.server_handler.accept_publish = false;
    link.start();
    EXPECT_FALSE(link.client_status);
    EXPECT_TRUE(link.client().failed());
    EXPECT_FALSE(link.client().ready());
    ASSERT_EQ(link.client_handler.events.size(), 2u);
    EXPECT_EQ(link.client_handler.events[1], rejected(Stage::publish, "NetStream.Publish.BadName", "Stream already publishing"));
    EXPECT_FALSE(link.client().send_media(MediaKind::audio, 0, buffer_of(pattern(3))));
    // Sticky: the same error again, and no more events.
    auto again = link.client().feed(Bytes{1, 2, 3});
    ASSERT_FALSE(again);
    EXPECT_STREQ(again.error().where, link.client_status.error().where);
    EXPECT_EQ(link.client_handler.events.size(), 2u);
}

// ---- play ---------------------------------------------------------------------------------

TEST(ClientSessionPlay, PlaysAndReceivesWhatTheServerSends) {
    ClientSessionOptions options = client_options(Mode::play);
    options.stream = "livestream?token=1";
    options.page_url = "http://example.com/player.html";
    options.swf_url = "http://example.com/player.swf";
    Link link(options);
    link.start();
    ASSERT_TRUE(link.client_status) << link.client_status.error().describe();
    ASSERT_TRUE(link.client().ready());
    ASSERT_EQ(link.server_handler.plays.size(), 1u);
    EXPECT_EQ(link.server_handler.plays[0].stream, "livestream");
    EXPECT_EQ(link.server_handler.plays[0].param, "?token=1");
    EXPECT_EQ(link.server_handler.plays[0].start, -2);
    EXPECT_EQ(link.server_handler.connects[0].page_url, options.page_url);
    EXPECT_EQ(link.server_handler.connects[0].swf_url, options.swf_url);
    EXPECT_EQ(link.client_handler.events, (std::vector<std::string>{"connected NetConnection.Connect.Success", "ready"}));

    // Window Ack Size answers the server's Set Peer Bandwidth (once), SetBufferLength follows play.
    auto messages = messages_of(link.client_wire);
    EXPECT_EQ(command_names(messages), (std::vector<std::string>{"connect", "createStream", "play"}));
    int window_acks = 0;
    bool buffer_length = false;
    for (const RtmpMessage& msg : messages) {
        if (msg.type_id == message_type::window_ack_size) {
            ++window_acks;
            EXPECT_EQ(*parse_window_ack_size(msg.payload.span()), 2500000u);
        }
        if (msg.type_id == message_type::user_control) {
            auto control = parse_user_control(msg.payload.span());
            ASSERT_TRUE(control);
            EXPECT_EQ(control->event, UserControlEvent::set_buffer_length);
            EXPECT_EQ(control->value, 1u);
            EXPECT_EQ(control->buffer_length_ms, 3000u);
            buffer_length = true;
        }
    }
    EXPECT_EQ(window_acks, 1);
    EXPECT_TRUE(buffer_length);

    std::vector<Media> sent;
    const Bytes sequence_header = pattern(50, 1);
    ASSERT_TRUE(link.server().send_media(MediaKind::data, 0, buffer_of(on_metadata_bytes())));
    sent.push_back({MediaKind::data, 0, on_metadata_bytes(), true});
    ASSERT_TRUE(link.server().send_media(MediaKind::video, 0, buffer_of(sequence_header)));
    sent.push_back({MediaKind::video, 0, sequence_header, false});
    for (std::uint32_t ts : {0u, 40u, 80u, 0xFFFFFFu, 0x12345678u}) {
        const Bytes frame = pattern(100000, static_cast<std::uint8_t>(ts));
        auto shared = encode_shared_media(MediaKind::video, ts, buffer_of(frame), 60000);
        ASSERT_TRUE(shared);
        ASSERT_TRUE(link.server().accepts_shared_media(60000));
        link.server().send_shared_media(*shared);
        sent.push_back({MediaKind::video, ts, frame, false});
        const Bytes audio = pattern(200, static_cast<std::uint8_t>(ts + 1));
        ASSERT_TRUE(link.server().send_media(MediaKind::audio, ts + 1, buffer_of(audio)));
        sent.push_back({MediaKind::audio, ts + 1, audio, false});
    }
    link.pump();
    ASSERT_TRUE(link.client_status) << link.client_status.error().describe();
    EXPECT_EQ(link.client_handler.media, sent);

    link.server().send_unpublish_notify();
    link.pump();
    EXPECT_EQ(link.client_handler.events.back(), "end NetStream.Play.UnpublishNotify");
    link.server().send_unpublish_notify();  // once until the stream is back
    link.pump();
    EXPECT_EQ(link.client_handler.events.size(), 3u);
    link.server().send_publish_notify();
    link.server().send_unpublish_notify();
    link.pump();
    EXPECT_EQ(link.client_handler.events.size(), 4u);

    link.client().send_unpublish();  // a player's close: deleteStream only
    link.pump();
    EXPECT_EQ(command_names(messages_of(link.client_wire)).back(), "deleteStream");
}

TEST(ClientSessionPlay, LargeMessagesAcrossServerChunkSizes) {
    for (std::uint32_t server_chunk : {128u, 4096u, 60000u, 65536u}) {
        Link link(client_options(Mode::play));
        link.server_handler.answer.out_chunk_size = server_chunk;
        link.start();
        ASSERT_TRUE(link.client().ready());
        std::vector<Media> sent;
        for (std::size_t size : {0u, 1u, 128u, 129u, 65537u, 500000u}) {
            const Bytes payload = pattern(size, static_cast<std::uint8_t>(size));
            ASSERT_TRUE(link.server().send_media(MediaKind::video, 9, buffer_of(payload)));
            sent.push_back({MediaKind::video, 9, payload, false});
        }
        link.pump();
        ASSERT_TRUE(link.client_status) << link.client_status.error().describe();
        EXPECT_EQ(link.client_handler.media, sent) << server_chunk;
    }
}

TEST(ClientSessionPlay, ByteByByteBothWays) {
    Link link(client_options(Mode::play));
    link.server_handler.answer.out_chunk_size = 128;
    link.start(1);
    ASSERT_TRUE(link.client_status) << link.client_status.error().describe();
    ASSERT_TRUE(link.client().ready());
    const Bytes frame = pattern(1000);
    ASSERT_TRUE(link.server().send_media(MediaKind::video, 33, buffer_of(frame)));
    link.pump(1);
    EXPECT_EQ(link.client_handler.media, (std::vector<Media>{{MediaKind::video, 33, frame, false}}));
}

// The server's whole output of a play session, fed to fresh clients split in two at every offset.
TEST(ClientSessionPlay, ServerTranscriptSplitAtEveryOffset) {
    Link link(client_options(Mode::play));
    link.server_handler.answer.out_chunk_size = 128;
    link.start();
    ASSERT_TRUE(link.client().ready());
    ASSERT_TRUE(link.server().send_media(MediaKind::data, 0, buffer_of(on_metadata_bytes())));
    ASSERT_TRUE(link.server().send_media(MediaKind::video, 0, buffer_of(pattern(300))));
    ASSERT_TRUE(link.server().send_media(MediaKind::audio, 0x1000000, buffer_of(pattern(20))));
    link.inject_to_client(make_ping_request(77));
    link.server().send_unpublish_notify();
    link.pump();
    ASSERT_TRUE(link.client_status);
    ASSERT_EQ(link.client_handler.media.size(), 3u);
    const Bytes& wire = link.server_wire;

    for (std::size_t split = 0; split <= wire.size(); ++split) {
        ClientSide handler;
        ChunkPieces out;
        RtmpClientSession client(handler, out, client_options(Mode::play));
        ASSERT_TRUE(client.start());
        const std::span<const std::uint8_t> all(wire);
        ASSERT_TRUE(client.feed(all.first(split))) << split;
        ASSERT_TRUE(client.feed(all.subspan(split))) << split;
        ASSERT_EQ(handler.events, link.client_handler.events) << split;
        ASSERT_EQ(handler.media, link.client_handler.media) << split;
        ASSERT_EQ(client.bytes_in(), wire.size());
    }
}

TEST(ClientSessionPlay, RejectedPlayIsStreamNotFound) {
    Link link(client_options(Mode::play));
    link.server_handler.accept_play = false;
    link.start();
    EXPECT_FALSE(link.client_status);
    ASSERT_EQ(link.client_handler.events.size(), 2u);
    EXPECT_EQ(link.client_handler.events[1], rejected(Stage::play, "NetStream.Play.StreamNotFound", "no such stream"));
}

// ---- connect ------------------------------------------------------------------------------

TEST(ClientSessionConnect, RejectedConnect) {
    for (Mode mode : {Mode::play, Mode::publish, Mode::connect_only}) {
        Link link(client_options(mode));
        link.server_handler.accept_connect = false;
        link.start();
        EXPECT_FALSE(link.client_status);
        EXPECT_FALSE(link.client().connected());
        EXPECT_EQ(link.client_handler.events,
                  (std::vector<std::string>{rejected(Stage::connect, "NetConnection.Connect.Rejected", "not here")}));
    }
}

TEST(ClientSessionConnect, ConnectOnlyStopsAfterTheResult) {
    Link link(client_options(Mode::connect_only));
    link.start();
    ASSERT_TRUE(link.client_status);
    EXPECT_TRUE(link.client().connected());
    EXPECT_TRUE(link.client().ready());
    EXPECT_EQ(link.client_handler.events, (std::vector<std::string>{"connected NetConnection.Connect.Success", "ready"}));
    EXPECT_EQ(link.client_handler.connected->description, "Connection succeeded");
    EXPECT_EQ(command_names(messages_of(link.client_wire)), (std::vector<std::string>{"connect"}));
    EXPECT_FALSE(link.client().send_media(MediaKind::audio, 0, buffer_of(pattern(3))));
}

TEST(ClientSessionConnect, ArgsReachTheServer) {
    ClientSessionOptions options = client_options(Mode::connect_only);
    const Amf0Value args = Amf0Value::object(
        {{"token", "secret"}, {"ringcast_via", Amf0Value::strict_array({"edge-a:1935", "edge-b:1935"})}});
    options.connect_args = args;
    Link link(options);
    link.start();
    ASSERT_TRUE(link.client().ready());
    ASSERT_EQ(link.server_handler.connects.size(), 1u);
    ASSERT_TRUE(link.server_handler.connects[0].args);
    EXPECT_EQ(*link.server_handler.connects[0].args, args);
}

TEST(ClientSessionConnect, ConnectObjectAsFlashSendsIt) {
    Link link(client_options(Mode::connect_only));
    link.start();
    auto messages = messages_of(link.client_wire);
    ASSERT_FALSE(messages.empty());
    EXPECT_EQ(messages[0].type_id, message_type::set_chunk_size) << "ours goes first";
    EXPECT_EQ(*parse_set_chunk_size(messages[0].payload.span()), 60000u);
    auto values = read_amf0_all(messages[1].payload.span());
    ASSERT_TRUE(values);
    ASSERT_EQ(values->size(), 3u) << "no args object unless asked";
    const Amf0Value& object = (*values)[2];
    EXPECT_EQ(*object.get_string("app"), "live");
    EXPECT_EQ(object.get_bool("fpad"), false);
    EXPECT_EQ(object.get_number("capabilities"), 239);
    EXPECT_EQ(object.get_number("audioCodecs"), 3575);
    EXPECT_EQ(object.get_number("videoCodecs"), 252);
    EXPECT_EQ(object.get_number("videoFunction"), 1);
    EXPECT_EQ(object.get_number("objectEncoding"), 0);
    EXPECT_EQ(object.get("pageUrl"), nullptr);
    EXPECT_EQ(object.get("swfUrl"), nullptr);
}

// SRS keeps connect's 4th value only when it is an object (its issue 186); so does the server.
TEST(ServerConnectArgs, OnlyAnObjectIsKept) {
    for (const Amf0Value& extra : {Amf0Value("a string"), Amf0Value::object({{"k", "v"}})}) {
        ServerSide handler;
        ChunkPieces to_client;
        RtmpServerSession server(handler, to_client, {});
        handler.session = &server;
        HandshakeClient handshake(HandshakeClient::Options{.seed = 3});
        Bytes c0c1;
        ASSERT_TRUE(handshake.start(c0c1));
        ASSERT_TRUE(server.feed(c0c1));
        Bytes c2;
        ASSERT_TRUE(handshake.feed(to_client.to_vector(), c2));
        Bytes body;
        core::ByteWriter writer(body);
        write_amf0_command(writer, "connect", 1, Amf0Value::object({{"app", "live"}, {"tcUrl", "rtmp://h/live"}}),
                           std::span<const Amf0Value>(&extra, 1));
        auto chunks = ChunkEncoder({.chunk_size = 128}).encode_to_vector(
            RtmpMessage{message_type::amf0_command, 0, 0, 3, buffer_of(body)});
        ASSERT_TRUE(chunks);
        c2.insert(c2.end(), chunks->begin(), chunks->end());
        ASSERT_TRUE(server.feed(c2));
        ASSERT_EQ(handler.connects.size(), 1u);
        EXPECT_EQ(handler.connects[0].args.has_value(), extra.properties() != nullptr);
        if (handler.connects[0].args) {
            EXPECT_EQ(*handler.connects[0].args, extra);
        }
    }
}

// ---- control messages ---------------------------------------------------------------------

TEST(ClientSessionControl, AcknowledgesEveryWindow) {
    Link link(client_options(Mode::play));
    link.server_handler.answer.out_ack_window = 1000;
    link.start();
    ASSERT_TRUE(link.client().ready());
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(link.server().send_media(MediaKind::video, 40u * i, buffer_of(pattern(700))));
        link.pump();
    }
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(link.server().send_media(MediaKind::video, 400u + i, buffer_of(pattern(3000))));
    }
    link.pump(500);
    ASSERT_TRUE(link.client_status);

    // What the rule gives: after each feed, an ack if a window of chunk bytes arrived since the last.
    std::vector<std::uint32_t> expected;
    std::uint64_t acked = 0;
    bool window_known = false;
    for (std::size_t end : link.client_feed_ends) {
        if (end <= kHandshakeSize) {
            continue;
        }
        const std::uint64_t received = end - kHandshakeSize;
        // The server's Window Ack Size is its first message after the handshake.
        window_known = window_known || received >= 16;
        if (window_known && received - acked >= 1000) {
            expected.push_back(static_cast<std::uint32_t>(received));
            acked = received;
        }
    }
    std::vector<std::uint32_t> acks;
    for (const RtmpMessage& msg : messages_of(link.client_wire)) {
        if (msg.type_id == message_type::acknowledgement) {
            acks.push_back(*parse_acknowledgement(msg.payload.span()));
        }
    }
    EXPECT_GE(acks.size(), 8u);
    EXPECT_EQ(acks, expected);
}

TEST(ClientSessionControl, NoAcknowledgementBeforeTheWindow) {
    Link link(client_options(Mode::play));
    link.start();
    ASSERT_TRUE(link.server().send_media(MediaKind::video, 0, buffer_of(pattern(10000))));
    link.pump();
    for (const RtmpMessage& msg : messages_of(link.client_wire)) {
        EXPECT_NE(msg.type_id, message_type::acknowledgement);
    }
}

TEST(ClientSessionControl, AnswersPingRequests) {
    Link link(client_options(Mode::play));
    link.start();
    link.inject_to_client(make_ping_request(0x12345678));
    link.pump();
    ASSERT_TRUE(link.client_status);
    int responses = 0;
    for (const RtmpMessage& msg : messages_of(link.client_wire)) {
        if (msg.type_id == message_type::user_control) {
            auto control = parse_user_control(msg.payload.span());
            if (control->event == UserControlEvent::ping_response) {
                EXPECT_EQ(control->value, 0x12345678u);
                ++responses;
            }
        }
    }
    EXPECT_EQ(responses, 1);
}

// ---- a scripted peer answering as nginx-rtmp does -----------------------------------------

class ScriptedPeer {
public:
    using OnCommand = std::function<void(ScriptedPeer&, const std::string&, double, const std::vector<Amf0Value>&)>;

    ScriptedPeer(ClientSessionOptions options, OnCommand on_command)
        : client_(handler, out_, std::move(options)), on_command_(std::move(on_command)) {}

    void run() {
        ASSERT_TRUE(client_.start());
        pump();
    }

    /// Client bytes to the peer, the peer's answers to the client, until quiet.
    void pump() {
        while (out_.size_bytes() != 0 || !to_client_.empty()) {
            Bytes bytes = out_.to_vector();
            out_.clear();
            take(bytes);
            if (!to_client_.empty() && client_status) {
                Bytes answer = std::move(to_client_);
                to_client_.clear();
                client_status = client_.feed(answer);
            }
            to_client_.clear();
        }
    }

    void send(const RtmpMessage& msg) { ASSERT_TRUE(append(msg)); }
    void send_raw(const Bytes& bytes) { to_client_.insert(to_client_.end(), bytes.begin(), bytes.end()); }
    core::Status append(const RtmpMessage& msg) {
        auto bytes = encoder_.encode_to_vector(msg);
        if (!bytes) {
            return core::fail(bytes.error());
        }
        send_raw(*bytes);
        return {};
    }
    void set_chunk_size(std::uint32_t size) {
        send(make_set_chunk_size(size));
        ASSERT_TRUE(encoder_.set_chunk_size(size));
    }
    void command(std::uint32_t stream_id, std::string_view name, double tid, const Amf0Value& object,
                 std::initializer_list<Amf0Value> args, bool amf3 = false) {
        Bytes body;
        if (amf3) {
            body.push_back(0);  // AMF3 command messages start with a format byte
        }
        core::ByteWriter writer(body);
        write_amf0_command(writer, name, tid, object, std::span<const Amf0Value>(args.begin(), args.size()));
        send(RtmpMessage{amf3 ? message_type::amf3_command : message_type::amf0_command, 0, stream_id, 5,
                         buffer_of(body)});
    }
    void status(std::string_view level, std::string_view code, bool amf3 = false) {
        command(1, "onStatus", 0, Amf0Value::null(),
                {Amf0Value::object({{"level", std::string(level)},
                                    {"code", std::string(code)},
                                    {"description", "scripted " + std::string(code)}})},
                amf3);
    }
    void data(std::vector<Amf0Value> values, std::uint8_t type = message_type::amf0_data) {
        Bytes body = encode_amf0(values);
        if (type == message_type::amf3_data) {
            body.insert(body.begin(), 0);
        }
        send(RtmpMessage{type, 0, 1, 5, buffer_of(body)});
    }

    RtmpClientSession& client() { return client_; }
    ClientSide handler;
    std::vector<RtmpMessage> received;
    core::Status client_status;

private:
    void take(const Bytes& bytes) {
        std::span<const std::uint8_t> in(bytes);
        if (!handshake_.done()) {
            Bytes answer;
            auto consumed = handshake_.feed(in, answer);
            ASSERT_TRUE(consumed);
            send_raw(answer);
            in = in.subspan(*consumed);
        }
        ASSERT_TRUE(decoder_.feed(in, [&](RtmpMessage&& msg) {
            received.push_back(msg);
            if (msg.type_id == message_type::amf0_command) {
                auto values = read_amf0_all(msg.payload.span());
                ASSERT_TRUE(values);
                on_command_(*this, *(*values)[0].as_string(), *(*values)[1].as_number(), *values);
            }
        }));
    }

    ChunkPieces out_;
    RtmpClientSession client_;
    OnCommand on_command_;
    HandshakeServer handshake_;
    ChunkDecoder decoder_;
    // nginx-rtmp compresses headers (ngx_rtmp_prepare_message).
    ChunkEncoder encoder_{ChunkEncoderOptions{.chunk_size = 128, .compression = HeaderCompression::per_connection}};
    Bytes to_client_;
};

// ngx_rtmp_cmd_module's connect answer: Window Ack Size, Set Peer Bandwidth, its chunk size, _result, onBWDone.
void nginx_connect(ScriptedPeer& peer, double tid) {
    peer.send(make_window_ack_size(5000000));
    peer.send(make_set_peer_bandwidth(5000000, PeerBandwidthLimit::dynamic));
    peer.set_chunk_size(4096);
    peer.command(0, "_result", tid, Amf0Value::object({{"fmsVer", "FMS/3,0,1,123"}, {"capabilities", 31.0}}),
                 {Amf0Value::object({{"level", "status"},
                                     {"code", "NetConnection.Connect.Success"},
                                     {"description", "Connection succeeded."},
                                     {"objectEncoding", 0.0}})});
    peer.command(0, "onBWDone", 0, Amf0Value::null(), {});
}

TEST(ClientSessionScripted, NginxLikePublish) {
    ScriptedPeer peer(client_options(Mode::publish), [](ScriptedPeer& p, const std::string& name, double tid,
                                                        const std::vector<Amf0Value>& values) {
        if (name == "connect") {
            nginx_connect(p, tid);
        } else if (name == "FCPublish") {
            p.command(0, "onFCPublish", 0, Amf0Value::null(),
                      {Amf0Value::object({{"code", "NetStream.Publish.Start"}, {"description", *values[3].as_string()}})});
        } else if (name == "createStream") {
            p.command(0, "_result", tid, Amf0Value::null(), {1.0});
        } else if (name == "publish") {
            p.status("status", "NetStream.Publish.Start");
        }
    });
    peer.run();
    ASSERT_TRUE(peer.client_status) << peer.client_status.error().describe();
    EXPECT_EQ(peer.handler.events, (std::vector<std::string>{"connected NetConnection.Connect.Success", "ready"}));
    EXPECT_FALSE(peer.handler.connected->data);
    // Set Peer Bandwidth was answered with our window, once.
    int window_acks = 0;
    for (const RtmpMessage& msg : peer.received) {
        window_acks += msg.type_id == message_type::window_ack_size;
    }
    EXPECT_EQ(window_acks, 1);
    const Bytes frame = pattern(10000);
    ASSERT_TRUE(peer.client().send_media(MediaKind::video, 0, buffer_of(frame)));
    peer.pump();
    ASSERT_FALSE(peer.received.empty());
    EXPECT_EQ(peer.received.back().type_id, message_type::video);
    EXPECT_EQ(peer.received.back().stream_id, 1u);
    EXPECT_EQ(bytes_of(peer.received.back().payload), frame);
}

TEST(ClientSessionScripted, NginxLikePlay) {
    ScriptedPeer peer(client_options(Mode::play), [](ScriptedPeer& p, const std::string& name, double tid,
                                                     const std::vector<Amf0Value>&) {
        if (name == "connect") {
            nginx_connect(p, tid);
        } else if (name == "createStream") {
            p.command(0, "_result", tid, Amf0Value::null(), {1.0}, true);  // as AMF3, to be sure
        } else if (name == "play") {
            p.send(make_stream_begin(1));
            p.status("status", "NetStream.Play.Reset", true);
            p.status("status", "NetStream.Play.Start");
            p.data({"|RtmpSampleAccess", false, false});
            p.data({"onStatus", Amf0Value::object({{"code", "NetStream.Data.Start"}})});
        }
    });
    peer.run();
    ASSERT_TRUE(peer.client_status) << peer.client_status.error().describe();
    EXPECT_EQ(peer.handler.events, (std::vector<std::string>{"connected NetConnection.Connect.Success", "ready"}));
    EXPECT_TRUE(peer.handler.media.empty()) << "sample access and Data.Start are not media";

    std::vector<Media> expected;
    // @setDataFrame from an origin that relays it unchanged: unwrapped.
    peer.data({"@setDataFrame", "onMetaData", Amf0Value::ecma_array({{"duration", 0.0}})});
    expected.push_back({MediaKind::data, 0, encode_amf0(std::vector<Amf0Value>{"onMetaData", Amf0Value::ecma_array({{"duration", 0.0}})}), true});
    // AMF3 data is handed on as AMF0.
    peer.data({"onCuePoint", Amf0Value::object({{"name", "x"}})}, message_type::amf3_data);
    expected.push_back({MediaKind::data, 0, encode_amf0(std::vector<Amf0Value>{"onCuePoint", Amf0Value::object({{"name", "x"}})}), false});

    // An aggregate of two tags (FMS/Wowza style), rebased on the message's timestamp.
    const Bytes audio = pattern(10, 1);
    const Bytes video = pattern(20, 2);
    Bytes aggregate;
    core::ByteWriter writer(aggregate);
    auto tag = [&](std::uint8_t type, std::uint32_t ts, const Bytes& body) {
        writer.u8(type);
        writer.u24(static_cast<std::uint32_t>(body.size()));
        writer.u24(ts & 0xFFFFFF);
        writer.u8(static_cast<std::uint8_t>(ts >> 24));
        writer.u24(0);
        aggregate.insert(aggregate.end(), body.begin(), body.end());
        writer.u32(static_cast<std::uint32_t>(11 + body.size()));
    };
    tag(message_type::audio, 5000, audio);
    tag(message_type::video, 5040, video);
    peer.send(RtmpMessage{message_type::aggregate, 100, 1, 6, buffer_of(aggregate)});
    expected.push_back({MediaKind::audio, 100, audio, false});
    expected.push_back({MediaKind::video, 140, video, false});

    // Abort drops a half-sent message (its first chunk: 12 bytes of header, 4096 of payload);
    // the next one arrives whole.
    const Bytes big = pattern(10000, 3);
    auto encoded = ChunkEncoder({.chunk_size = 4096}).encode_to_vector(RtmpMessage{message_type::video, 200, 1, 9, buffer_of(big)});
    ASSERT_TRUE(encoded);
    peer.send_raw(Bytes(encoded->begin(), encoded->begin() + 12 + 4096));
    peer.send(make_abort(9));
    peer.send_raw(*encoded);
    expected.push_back({MediaKind::video, 200, big, false});

    // The peer changes its chunk size mid-stream.
    peer.set_chunk_size(77);
    const Bytes after = pattern(1000, 4);
    peer.send(RtmpMessage{message_type::video, 240, 1, 6, buffer_of(after)});
    expected.push_back({MediaKind::video, 240, after, false});

    // Ping in the middle of media.
    peer.send(make_ping_request(9));
    // nginx-rtmp's unpublish: StreamEOF, then onStatus UnpublishNotify: reported once.
    peer.send(make_stream_eof(1));
    peer.status("status", "NetStream.Play.UnpublishNotify");
    peer.pump();
    ASSERT_TRUE(peer.client_status) << peer.client_status.error().describe();
    EXPECT_EQ(peer.handler.media, expected);
    EXPECT_EQ(peer.handler.events.back(), "end StreamEOF");
    EXPECT_EQ(peer.handler.events.size(), 3u);
    bool pong = false;
    for (const RtmpMessage& msg : peer.received) {
        if (msg.type_id == message_type::user_control) {
            auto control = parse_user_control(msg.payload.span());
            pong = pong || (control->event == UserControlEvent::ping_response && control->value == 9);
        }
    }
    EXPECT_TRUE(pong);
}

TEST(ClientSessionScripted, CreateStreamErrorAndBadStreamId) {
    {
        ScriptedPeer peer(client_options(Mode::play), [](ScriptedPeer& p, const std::string& name, double tid,
                                                         const std::vector<Amf0Value>&) {
            if (name == "connect") {
                nginx_connect(p, tid);
            } else if (name == "createStream") {
                p.command(0, "_error", tid, Amf0Value::null(),
                          {Amf0Value::object({{"level", "error"}, {"code", "NetConnection.Call.Failed"}, {"description", "no"}})});
            }
        });
        peer.run();
        EXPECT_FALSE(peer.client_status);
        EXPECT_EQ(peer.handler.events.back(), rejected(Stage::create_stream, "NetConnection.Call.Failed", "no"));
    }
    for (const Amf0Value& id : {Amf0Value("1"), Amf0Value(0.0), Amf0Value(1.5), Amf0Value(-1.0), Amf0Value(4294967296.0)}) {
        ScriptedPeer peer(client_options(Mode::publish), [&](ScriptedPeer& p, const std::string& name, double tid,
                                                             const std::vector<Amf0Value>&) {
            if (name == "connect") {
                nginx_connect(p, tid);
            } else if (name == "createStream") {
                p.command(0, "_result", tid, Amf0Value::null(), {id});
            }
        });
        peer.run();
        EXPECT_FALSE(peer.client_status);
        EXPECT_EQ(peer.client_status.error().code, core::Errc::protocol);
        EXPECT_FALSE(peer.client().ready());
    }
}

TEST(ClientSessionScripted, IgnoresErrorsOfFmleLeftovers) {
    ScriptedPeer peer(client_options(Mode::publish), [](ScriptedPeer& p, const std::string& name, double tid,
                                                        const std::vector<Amf0Value>&) {
        if (name == "connect") {
            nginx_connect(p, tid);
        } else if (name == "releaseStream" || name == "FCPublish") {
            p.command(0, "_error", tid, Amf0Value::null(), {Amf0Value::object({{"level", "error"}})});
        } else if (name == "createStream") {
            p.command(0, "_result", tid, Amf0Value::null(), {3.0});
        } else if (name == "publish") {
            p.command(3, "onStatus", 0, Amf0Value::null(),
                      {Amf0Value::object({{"level", "status"}, {"code", "NetStream.Publish.Start"}})});
        }
    });
    peer.run();
    ASSERT_TRUE(peer.client_status);
    EXPECT_TRUE(peer.client().ready());
    EXPECT_EQ(peer.client().stream_id(), 3u);
}

// ---- bad input and misuse -----------------------------------------------------------------

TEST(ClientSessionErrors, GarbageAfterTheHandshakeIsAnErrorAndSticky) {
    Link link(client_options(Mode::play));
    link.start();
    ASSERT_TRUE(link.client().ready());
    // A fmt 0 header with an unknown message type 0x42.
    const Bytes garbage{0x03, 0, 0, 0, 0, 0, 1, 0x42, 0, 0, 0, 0, 0xAA};
    auto status = link.client().feed(garbage);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, core::Errc::protocol);
    EXPECT_TRUE(link.client().failed());
    auto again = link.client().feed(Bytes{});
    ASSERT_FALSE(again);
    EXPECT_STREQ(again.error().where, status.error().where);
}

TEST(ClientSessionErrors, BadServerVersion) {
    ClientSide handler;
    ChunkPieces out;
    RtmpClientSession client(handler, out, client_options(Mode::play));
    ASSERT_TRUE(client.start());
    EXPECT_EQ(out.size_bytes(), 1 + handshake_packet_size);
    Bytes s0s1s2(kHandshakeSize, 0);
    s0s1s2[0] = 6;  // RTMPE
    EXPECT_FALSE(client.feed(s0s1s2));
    EXPECT_FALSE(client.handshake_done());
}

TEST(ClientSessionErrors, Misuse) {
    ClientSide handler;
    ChunkPieces out;
    {
        RtmpClientSession client(handler, out, client_options(Mode::play));
        EXPECT_EQ(client.feed(Bytes{1}).error().code, core::Errc::invalid);
        ASSERT_TRUE(client.start());
        EXPECT_EQ(client.start().error().code, core::Errc::invalid);
        EXPECT_EQ(client.send_media(MediaKind::video, 0, buffer_of(pattern(1))).error().code, core::Errc::invalid);
        client.send_unpublish();  // nothing to end yet
        EXPECT_EQ(out.size_bytes(), 1 + handshake_packet_size);
    }
    for (std::uint32_t size : {0u, 0x1000000u}) {
        ClientSessionOptions options = client_options(Mode::play);
        options.out_chunk_size = size;
        RtmpClientSession client(handler, out, options);
        EXPECT_EQ(client.start().error().code, core::Errc::invalid);
    }
}

TEST(ClientSessionErrors, MediaLargerThanRtmpAllowsIsRefused) {
    Link link(client_options(Mode::publish));
    link.start();
    ASSERT_TRUE(link.client().ready());
    EXPECT_FALSE(link.client().send_media(MediaKind::video, 0, buffer_of(Bytes(0x1000000))));
    EXPECT_FALSE(link.client().failed()) << "a caller's mistake, not the connection's";
}

}  // namespace
}  // namespace ringcast::proto::rtmp
