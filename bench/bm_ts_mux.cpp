// MPEG-TS muxing: what an HLS segmenter (or a shard's HTTP-TS feed) pays per frame of a stream.
// The work is one copy of the frame into 188-byte packets plus headers, so the figure to watch
// is bytes/s of frame payload; ts_overhead is TS bytes out per payload byte in (PES/TS headers,
// AUD, stuffing, and for audio ADTS headers).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/buffer.h"
#include "media/ts_muxer.h"

namespace {

using namespace ringcast;

media::MediaFrame frame_of(media::FrameKind kind, std::uint32_t timestamp_ms, const std::vector<std::uint8_t>& bytes) {
    return media::classify(kind, timestamp_ms, core::Buffer::copy_of(std::span<const std::uint8_t>(bytes)));
}

const std::vector<std::uint8_t> kAvcSequenceHeader = {0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xc0,
                                                      0x0a, 0xff, 0xe1, 0x00, 0x05, 0x67, 0x42, 0xc0,
                                                      0x0a, 0xda, 0x01, 0x00, 0x02, 0x68, 0xce};
const std::vector<std::uint8_t> kAacSequenceHeader = {0xaf, 0x00, 0x12, 0x10};

/// A legacy AVC inter frame (or keyframe) of `size` payload bytes: one slice NALU.
std::vector<std::uint8_t> avc_frame(std::size_t size, bool keyframe) {
    std::vector<std::uint8_t> bytes(size, 0x5a);
    const auto nalu = static_cast<std::uint32_t>(size - 9);
    bytes[0] = keyframe ? 0x17 : 0x27;
    bytes[1] = 0x01;
    bytes[2] = bytes[3] = bytes[4] = 0x00;
    bytes[5] = static_cast<std::uint8_t>(nalu >> 24);
    bytes[6] = static_cast<std::uint8_t>(nalu >> 16);
    bytes[7] = static_cast<std::uint8_t>(nalu >> 8);
    bytes[8] = static_cast<std::uint8_t>(nalu);
    bytes[9] = keyframe ? 0x65 : 0x41;
    return bytes;
}

void BM_TsMuxVideo(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const bool keyframe = state.range(1) != 0;
    media::TsMuxer muxer;
    std::vector<std::uint8_t> out;
    out.reserve(2 * size + 4096);
    (void)muxer.mux(frame_of(media::FrameKind::video, 0, kAvcSequenceHeader), out);
    media::MediaFrame frame = frame_of(media::FrameKind::video, 0, avc_frame(size, keyframe));
    std::size_t ts_bytes = 0;
    for (auto _ : state) {
        out.clear();
        frame.timestamp_ms += 40;
        auto outcome = muxer.mux(frame, out);
        benchmark::DoNotOptimize(outcome);
        benchmark::DoNotOptimize(out.data());
        ts_bytes += out.size();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
    state.counters["ts_overhead"] = static_cast<double>(ts_bytes) / static_cast<double>(state.iterations() * size);
}
BENCHMARK(BM_TsMuxVideo)->ArgNames({"bytes", "key"})->Args({8192, 0})->Args({8192, 1})->Args({65536, 1});

/// 400-byte AAC frames every 23 ms; the argument is audio_pes_duration_ms_max (0 = one PES
/// per frame, 100 = the default gathering).
void BM_TsMuxAudio(benchmark::State& state) {
    constexpr std::size_t kFrameBytes = 400;
    media::TsMuxerOptions options;
    options.audio_pes_duration_ms_max = static_cast<std::uint32_t>(state.range(0));
    media::TsMuxer muxer(options);
    std::vector<std::uint8_t> out;
    out.reserve(64 * 1024);
    (void)muxer.mux(frame_of(media::FrameKind::audio, 0, kAacSequenceHeader), out);
    std::vector<std::uint8_t> payload(kFrameBytes, 0x21);
    payload[0] = 0xaf;
    payload[1] = 0x01;
    media::MediaFrame frame = frame_of(media::FrameKind::audio, 0, payload);
    std::size_t ts_bytes = 0;
    for (auto _ : state) {
        frame.timestamp_ms += 23;
        auto outcome = muxer.mux(frame, out);
        benchmark::DoNotOptimize(outcome);
        if (out.size() > 32 * 1024) {
            ts_bytes += out.size();
            out.clear();
        }
    }
    ts_bytes += out.size();
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kFrameBytes));
    state.counters["ts_overhead"] =
        static_cast<double>(ts_bytes) / static_cast<double>(state.iterations() * kFrameBytes);
}
BENCHMARK(BM_TsMuxAudio)->ArgName("pes_ms")->Arg(0)->Arg(100);

}  // namespace

BENCHMARK_MAIN();
