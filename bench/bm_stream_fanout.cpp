// Fan-out of one frame to 1,000 players on one shard: the per-player work of the stream path
// (Stream::deliver -> PlayerQueue -> the player's send queue), with the shard's shared RTMP
// chunks (one reference per player) against each player encoding its own chunk headers
// (RtmpServerSession::send_media: a pooled header buffer and two slices per player).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/buffer.h"
#include "media/frame.h"
#include "media/stream.h"
#include "proto/rtmp/server_session.h"

namespace {

using namespace ringcast;
using proto::rtmp::MediaKind;

struct NoHandler final : proto::rtmp::RtmpServerSession::Handler {
    void on_connect(const proto::rtmp::ConnectRequest&) override {}
    void on_publish(const proto::rtmp::StreamRequest&) override {}
    void on_play(const proto::rtmp::StreamRequest&) override {}
    void on_media(MediaKind, std::uint32_t, core::Buffer, bool) override {}
};

/// What a player's TcpStream holds: slices waiting for the next sendmsg.
struct SendQueue final : proto::rtmp::ChunkSink {
    std::vector<core::BufferSlice> pieces;
    void append(core::BufferSlice piece) override { pieces.push_back(std::move(piece)); }
};

/// Connection's player path without the socket: queue the frame, then move it to the send
/// queue (shared chunks when they fit the session, else the session encodes), as pump() does.
class Player final : public media::FrameSink {
public:
    explicit Player(NoHandler& handler) : session_(handler, sendq_, {}) { session_.accept_connect(); }
    void on_frame(const media::MediaFrame& frame) override {
        queue_.push(frame);
        while (!queue_.empty()) {
            const media::MediaFrame& next = queue_.front();
            if (!next.rtmp_chunks.empty() && session_.accepts_shared_media(next.rtmp_chunk_size)) {
                session_.send_shared_media(next.rtmp_chunks);
            } else {
                (void)session_.send_media(static_cast<MediaKind>(next.kind), next.timestamp_ms, next.payload);
            }
            queue_.pop_front();
        }
        // The kernel took it (a sendmsg per flush in the real server).
        if (sendq_.pieces.size() >= 64) {
            sendq_.pieces.clear();
        }
    }

private:
    SendQueue sendq_;
    proto::rtmp::RtmpServerSession session_;
    media::PlayerQueue queue_{30000};
};

void BM_StreamFanout(benchmark::State& state) {
    const auto players = static_cast<std::size_t>(state.range(0));
    const auto frame_bytes = static_cast<std::size_t>(state.range(1));
    const bool shared = state.range(2) != 0;
    core::BufferPool pool;
    core::BufferPool::set_current(&pool);
    NoHandler handler;
    media::Stream stream("__defaultVhost__/live/bench");
    std::vector<std::unique_ptr<Player>> sinks;
    for (std::size_t i = 0; i < players; ++i) {
        sinks.push_back(std::make_unique<Player>(handler));
        stream.attach(*sinks.back());
    }
    std::vector<std::uint8_t> bytes(frame_bytes, 0x42);
    bytes[0] = 0x27;
    bytes[1] = 1;
    const core::Buffer payload = core::Buffer::copy_of(std::span<const std::uint8_t>(bytes));
    std::uint32_t timestamp = 0;
    for (auto _ : state) {
        media::MediaFrame frame = media::classify(media::FrameKind::video, timestamp += 40, payload);
        if (shared) {
            // Once per shard per frame, as the StreamRegistry does before delivery.
            auto chunks = proto::rtmp::encode_shared_media(MediaKind::video, frame.timestamp_ms, frame.payload, 60000);
            frame.rtmp_chunks = std::move(*chunks);
            frame.rtmp_chunk_size = 60000;
        }
        stream.deliver(frame);
    }
    for (auto& sink : sinks) {
        stream.detach(*sink);
    }
    state.counters["ns_per_player"] = benchmark::Counter(
        static_cast<double>(state.iterations() * players), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    core::BufferPool::set_current(nullptr);
}
// players, frame bytes, shared chunks (1) or per-player encoding (0)
BENCHMARK(BM_StreamFanout)
    ->ArgNames({"players", "bytes", "shared"})
    ->Args({1000, 8000, 1})
    ->Args({1000, 8000, 0})
    ->Args({1000, 100000, 1})
    ->Args({1000, 100000, 0});

}  // namespace

BENCHMARK_MAIN();
