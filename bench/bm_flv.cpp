// FLV tag framing: encode_flv_tag is paid once per shard per frame for all HTTP-FLV players
// (the payload copy dominates), and FlvTagReader is what each load-client HTTP-FLV player pays
// per received byte (16 KiB recv pieces, so large video tags arrive split and are assembled).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/buffer.h"
#include "media/flv.h"

namespace {

using namespace ringcast;

media::MediaFrame video_frame(std::size_t size, std::uint32_t timestamp) {
    std::vector<std::uint8_t> bytes(size, 0x5A);
    bytes[0] = 0x27;
    bytes[1] = 0x01;
    media::MediaFrame frame;
    frame.kind = media::FrameKind::video;
    frame.timestamp_ms = timestamp;
    frame.payload = core::Buffer::copy_of(std::span<const std::uint8_t>(bytes));
    return frame;
}

void BM_FlvEncodeTag(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    core::BufferPool pool;
    core::BufferPool::set_current(&pool);
    media::MediaFrame frame = video_frame(size, 0);
    for (auto _ : state) {
        frame.timestamp_ms += 40;
        auto tag = media::encode_flv_tag(frame);
        benchmark::DoNotOptimize(tag->data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
    core::BufferPool::set_current(nullptr);
}
BENCHMARK(BM_FlvEncodeTag)->ArgName("bytes")->Arg(8000)->Arg(100000);

/// Ten seconds of a 2 Mbps-like stream: 25 fps video with a 60 KB keyframe every 2 s and ~9 KB
/// inter frames, AAC at 128 kbps (370-byte frames every 23 ms), metadata and sequence headers.
std::vector<std::uint8_t> two_mbps_stream(std::size_t& tags) {
    std::vector<std::uint8_t> out;
    auto add = [&](const media::MediaFrame& frame) {
        auto tag = media::encode_flv_tag(frame);
        out.insert(out.end(), tag->data(), tag->data() + tag->size());
        ++tags;
    };
    const core::Buffer header = media::flv_file_header(true, true);
    out.assign(header.data(), header.data() + header.size());
    tags = 0;
    media::MediaFrame meta = video_frame(300, 0);
    meta.kind = media::FrameKind::data;
    add(meta);
    add(video_frame(40, 0));
    media::MediaFrame audio = video_frame(370, 0);
    audio.kind = media::FrameKind::audio;
    add(audio);
    std::uint32_t audio_ms = 0;
    for (std::uint32_t frame = 0; frame < 250; ++frame) {
        const std::uint32_t video_ms = frame * 40;
        for (; audio_ms <= video_ms; audio_ms += 23) {
            audio.timestamp_ms = audio_ms;
            add(audio);
        }
        add(video_frame(frame % 50 == 0 ? 60000 : 9000, video_ms));
    }
    return out;
}

void BM_FlvReadStream(benchmark::State& state) {
    constexpr std::size_t kRecvPiece = 16 * 1024;
    std::size_t tags = 0;
    const std::vector<std::uint8_t> stream = two_mbps_stream(tags);
    const std::span<const std::uint8_t> all(stream);
    for (auto _ : state) {
        media::FlvTagReader reader;
        std::size_t payload_bytes = 0;
        auto on_tag = [&](const media::FlvTagView& tag) { payload_bytes += tag.payload.size(); };
        for (std::size_t offset = 0; offset < all.size(); offset += kRecvPiece) {
            if (!reader.feed(all.subspan(offset, std::min(kRecvPiece, all.size() - offset)), on_tag)) {
                state.SkipWithError("feed failed");
                return;
            }
        }
        benchmark::DoNotOptimize(payload_bytes);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
    state.counters["tags"] = benchmark::Counter(static_cast<double>(state.iterations() * tags),
                                                benchmark::Counter::kIsRate);
    state.counters["stream_MB"] = static_cast<double>(stream.size()) / 1e6;
}
BENCHMARK(BM_FlvReadStream);

}  // namespace

BENCHMARK_MAIN();
