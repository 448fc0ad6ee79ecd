// RTMP chunk codec throughput on video-sized messages: encoding (headers into one small pooled
// buffer per message, payload by reference) and decoding (bytes fed in recv-sized pieces,
// assembled into pooled buffers), at SRS's chunk size 60000 and the common 4096.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/buffer.h"
#include "proto/rtmp/chunk_decoder.h"
#include "proto/rtmp/chunk_encoder.h"

namespace {

using namespace ringcast;
using namespace ringcast::proto::rtmp;

RtmpMessage video_message(std::size_t size, std::uint32_t timestamp) {
    std::vector<std::uint8_t> bytes(size, 0x5A);
    bytes[0] = 0x17;
    return RtmpMessage{.type_id = message_type::video,
                       .timestamp = timestamp,
                       .stream_id = 1,
                       .csid = 6,
                       .payload = core::Buffer::copy_of(std::span<const std::uint8_t>(bytes))};
}

void BM_ChunkEncode(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const auto chunk_size = static_cast<std::uint32_t>(state.range(1));
    core::BufferPool pool;
    core::BufferPool::set_current(&pool);
    ChunkEncoder encoder({.chunk_size = chunk_size});
    const RtmpMessage msg = video_message(size, 1000);
    ChunkPieces pieces;
    for (auto _ : state) {
        pieces.clear();
        if (!encoder.encode(msg, pieces)) {
            state.SkipWithError("encode failed");
            break;
        }
        benchmark::DoNotOptimize(pieces.pieces().data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
    state.SetItemsProcessed(state.iterations());
    core::BufferPool::set_current(nullptr);
}
BENCHMARK(BM_ChunkEncode)->ArgNames({"size", "chunk"})->Args({4096, 4096})->Args({4096, 60000})->Args({65536, 4096})->Args({65536, 60000});

void BM_ChunkDecode(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const auto chunk_size = static_cast<std::uint32_t>(state.range(1));
    constexpr std::size_t recv_size = 64 * 1024;  // a provided-buffer ring entry
    core::BufferPool pool;
    core::BufferPool::set_current(&pool);
    ChunkEncoder encoder({.chunk_size = chunk_size});
    std::vector<std::uint8_t> stream;
    std::size_t messages = 0;
    while (stream.size() < 4 * 1024 * 1024) {
        auto bytes = encoder.encode_to_vector(video_message(size, static_cast<std::uint32_t>(messages * 40)));
        stream.insert(stream.end(), bytes->begin(), bytes->end());
        ++messages;
    }
    ChunkDecoder decoder;
    (void)decoder.set_chunk_size(chunk_size);
    std::size_t delivered = 0;
    for (auto _ : state) {
        for (std::size_t pos = 0; pos < stream.size(); pos += recv_size) {
            const std::size_t piece = std::min(recv_size, stream.size() - pos);
            auto status = decoder.feed(std::span(stream).subspan(pos, piece), [&](RtmpMessage&& m) {
                benchmark::DoNotOptimize(m.payload.data());
                ++delivered;
            });
            if (!status) {
                state.SkipWithError("decode failed");
                break;
            }
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * messages * size));
    state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
    core::BufferPool::set_current(nullptr);
}
BENCHMARK(BM_ChunkDecode)->ArgNames({"size", "chunk"})->Args({4096, 4096})->Args({4096, 60000})->Args({65536, 4096})->Args({65536, 60000});

}  // namespace

BENCHMARK_MAIN();
