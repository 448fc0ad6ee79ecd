// libFuzzer target: an RtmpClientSession must turn any server bytes, split anyhow, into events or
// an Error, never a crash, an overrun or an unbounded allocation; the split must not change the
// events; errors must be sticky.
// Input: byte 0 = flags (bits 0-1: mode; bits 2-3: how far a scripted server has already led the
// session: 0 handshake only, 1 connect _result, 2 createStream _result, 3 Play/Publish.Start;
// bit 4: the input is the handshake too), byte 1 = split seed, then the server's bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "core/byte_io.h"
#include "proto/rtmp/client_session.h"

namespace {

using namespace ringcast;
using namespace ringcast::proto::rtmp;
using Bytes = std::vector<std::uint8_t>;

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

constexpr ChunkDecoderLimits limits{.message_size_max = 1u << 20, .chunk_streams_max = 16, .assembling_bytes_max = 4u << 20};

struct Recorder final : RtmpClientSession::Handler {
    RtmpClientSession* session = nullptr;
    std::vector<std::string> events;

    void on_connected(const ConnectResult& result) override { events.push_back("connected " + result.code); }
    void on_ready() override {
        events.push_back("ready");
        // A publisher starts sending at once: that must work from inside feed().
        if (session->options().mode == ClientSessionOptions::Mode::publish) {
            check(session->send_media(MediaKind::video, 0, core::Buffer::copy_of(std::string_view("seq"))).has_value());
        }
    }
    void on_media(MediaKind kind, std::uint32_t timestamp, core::Buffer payload, bool metadata) override {
        check(payload.size() <= limits.message_size_max);
        check(kind == MediaKind::audio || kind == MediaKind::video || kind == MediaKind::data);
        events.push_back("media " + std::to_string(int(kind)) + " " + std::to_string(timestamp) + " " +
                         std::string(payload.span().begin(), payload.span().end()) + (metadata ? " meta" : ""));
    }
    void on_rejected(RtmpClientSession::Stage stage, std::string code, std::string description) override {
        events.push_back("rejected " + std::to_string(int(stage)) + " " + code + " " + description);
    }
    void on_stream_end(std::string code) override { events.push_back("end " + code); }
};

// What a server has said before the fuzzed bytes: a simple S0S1S2, then the answers that take
// the session to `depth`, at chunk size 128.
Bytes scripted_prefix(ClientSessionOptions::Mode mode, int depth) {
    Bytes out(1 + 2 * handshake_packet_size, 0);
    out[0] = rtmp_plain_version;
    ChunkEncoder encoder(ChunkEncoderOptions{.chunk_size = default_chunk_size});
    auto command = [&](std::uint32_t stream_id, std::string_view name, double tid, std::initializer_list<Amf0Value> args) {
        Bytes body;
        core::ByteWriter writer(body);
        write_amf0_command(writer, name, tid, Amf0Value::null(), std::span<const Amf0Value>(args.begin(), args.size()));
        auto bytes = encoder.encode_to_vector(RtmpMessage{message_type::amf0_command, 0, stream_id, 3,
                                                          core::Buffer::copy_of(std::span<const std::uint8_t>(body))});
        check(bytes.has_value());
        out.insert(out.end(), bytes->begin(), bytes->end());
    };
    if (depth >= 1) {
        command(0, "_result", 1, {Amf0Value::object({{"code", "NetConnection.Connect.Success"}})});
    }
    if (depth >= 2) {
        command(0, "_result", 4, {1.0});
    }
    if (depth >= 3) {
        const bool play = mode == ClientSessionOptions::Mode::play;
        command(1, "onStatus", 0,
                {Amf0Value::object({{"level", "status"},
                                    {"code", play ? "NetStream.Play.Start" : "NetStream.Publish.Start"}})});
    }
    return out;
}

struct Run {
    std::vector<std::string> events;
    bool ok = true;
    core::Errc errc = core::Errc::ok;
};

Run play(ClientSessionOptions::Mode mode, std::span<const std::uint8_t> in, std::uint32_t seed, bool split) {
    ClientSessionOptions options;
    options.mode = mode;
    options.app = "live";
    options.tc_url = "rtmp://127.0.0.1/live";
    options.stream = "s";
    options.limits = limits;
    options.handshake.seed = 1;
    Recorder recorder;
    ChunkPieces out;
    RtmpClientSession session(recorder, out, options);
    recorder.session = &session;
    check(session.start().has_value());
    Run run;
    std::size_t pos = 0;
    while (pos < in.size() && run.ok) {
        std::size_t piece = in.size() - pos;
        if (split) {
            seed = seed * 1103515245u + 12345u;
            piece = std::min<std::size_t>(piece, 1 + (seed >> 16) % 64);
        }
        auto status = session.feed(in.subspan(pos, piece));
        pos += piece;
        if (!status) {
            run.ok = false;
            run.errc = status.error().code;
            check(session.failed());
            auto again = session.feed(in.subspan(pos));
            check(!again && again.error().code == run.errc);
        }
        out.clear();  // nobody reads what the client writes; keep memory flat
    }
    // Whatever state the bytes left it in, the caller's calls must be safe.
    (void)session.send_metadata(1, core::Buffer::copy_of(std::string_view("\x02\x00\x0a" "onMetaData", 13)));
    (void)session.send_media(MediaKind::audio, 2, core::Buffer::copy_of(std::string_view("a")));
    session.send_unpublish();
    check(session.bytes_in() <= in.size());
    return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::uint8_t flags = data[0];
    const std::uint32_t seed = data[1];
    static constexpr ClientSessionOptions::Mode modes[] = {
        ClientSessionOptions::Mode::play, ClientSessionOptions::Mode::publish, ClientSessionOptions::Mode::connect_only,
        ClientSessionOptions::Mode::play};
    const ClientSessionOptions::Mode mode = modes[flags & 3];
    Bytes in;
    if ((flags & 0x10) == 0) {
        in = scripted_prefix(mode, (flags >> 2) & 3);
    }
    in.insert(in.end(), data + 2, data + size);

    const Run whole = play(mode, in, seed, false);
    const Run pieces = play(mode, in, seed, true);
    check(whole.ok == pieces.ok && whole.errc == pieces.errc);
    check(whole.events == pieces.events);
    return 0;
}
