// libFuzzer target: the RTMP chunk decoder must turn any bytes, split anyhow, into messages or
// an Error, never a crash or an overrun; the split must not change what it decodes; and what
// it decodes must survive an encoder -> decoder round trip unchanged.
// Input: byte 0 = split seed, byte 1 = flags (bits 0-1: round-trip chunk size, bit 2: header
// compression), then the chunk stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "proto/rtmp/chunk_decoder.h"
#include "proto/rtmp/chunk_encoder.h"

namespace {

using namespace ringcast;
using namespace ringcast::proto::rtmp;

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

struct Seen {
    std::uint8_t type_id;
    std::uint32_t timestamp;
    std::uint32_t stream_id;
    std::uint32_t csid;
    std::vector<std::uint8_t> payload;
    bool operator==(const Seen&) const = default;
};

struct Run {
    std::vector<Seen> messages;
    bool ok = true;
    core::Errc errc = core::Errc::ok;
    bool mid_message = false;
};

constexpr ChunkDecoderLimits limits{.message_size_max = 1u << 20, .chunk_streams_max = 16, .assembling_bytes_max = 4u << 20};

// Piece sizes come from a tiny LCG seeded by the input, so every input has its own splits.
Run decode(std::span<const std::uint8_t> in, std::uint32_t seed, bool split, std::uint32_t chunk_size = 0) {
    ChunkDecoder decoder(limits);
    if (chunk_size != 0) {
        check(decoder.set_chunk_size(chunk_size).has_value());
    }
    Run run;
    std::size_t pos = 0;
    while (pos < in.size() && run.ok) {
        std::size_t piece = in.size() - pos;
        if (split) {
            seed = seed * 1103515245u + 12345u;
            piece = std::min<std::size_t>(piece, 1 + (seed >> 16) % 40);
        }
        auto status = decoder.feed(in.subspan(pos, piece), [&](RtmpMessage&& m) {
            check(m.csid >= csid_min && m.csid <= csid_max);
            check(m.payload.size() <= limits.message_size_max);
            run.messages.push_back({m.type_id, m.timestamp, m.stream_id, m.csid,
                                    std::vector<std::uint8_t>(m.payload.data(), m.payload.data() + m.payload.size())});
        });
        pos += piece;
        if (!status) {
            run.ok = false;
            run.errc = status.error().code;
            check(decoder.failed());
        }
    }
    check(decoder.chunk_streams() <= limits.chunk_streams_max);
    run.mid_message = decoder.mid_message();
    return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::uint32_t seed = data[0];
    const std::uint8_t flags = data[1];
    const std::span<const std::uint8_t> in(data + 2, size - 2);

    const Run whole = decode(in, seed, false);
    const Run pieces = decode(in, seed, true);
    check(whole.ok == pieces.ok && whole.errc == pieces.errc);
    check(whole.messages == pieces.messages);
    check(whole.mid_message == pieces.mid_message);

    // Round trip what was decoded (minus the messages that steer the decoder itself).
    static constexpr std::uint32_t chunk_sizes[] = {1, 128, 4096, 60000};
    const std::uint32_t chunk_size = chunk_sizes[flags & 3];
    ChunkEncoder encoder({.chunk_size = chunk_size,
                          .compression = (flags & 4) != 0 ? HeaderCompression::per_connection : HeaderCompression::none});
    std::vector<std::uint8_t> encoded;
    std::vector<Seen> expected;
    for (const Seen& m : whole.messages) {
        if (m.type_id == message_type::set_chunk_size || m.type_id == message_type::abort) {
            continue;
        }
        RtmpMessage msg{.type_id = m.type_id,
                        .timestamp = m.timestamp,
                        .stream_id = m.stream_id,
                        .csid = m.csid,
                        .payload = core::Buffer::copy_of(std::span<const std::uint8_t>(m.payload))};
        auto bytes = encoder.encode_to_vector(msg);
        check(bytes.has_value());
        encoded.insert(encoded.end(), bytes->begin(), bytes->end());
        expected.push_back(m);
    }
    const Run again = decode(encoded, seed, true, chunk_size);
    check(again.ok);
    check(!again.mid_message);
    check(again.messages == expected);
    return 0;
}
