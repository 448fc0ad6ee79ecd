// RTMP chunk stream: hand-made byte streams for every header form (fmt 0..3, 1/2/3-byte basic
// headers, extended timestamps with and without the fmt 3 repeat), encoder -> decoder round
// trips over chunk sizes, lengths, csids and timestamps, protocol control messages, errors,
// and a capture of what ffmpeg 5.1 sends when it publishes. Every decode is also fed split
// at every offset and must give the same messages.
#include "proto/rtmp/chunk_decoder.h"
#include "proto/rtmp/chunk_encoder.h"
#include "proto/rtmp/message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::proto::rtmp {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Decoded {
    std::uint8_t type_id = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t stream_id = 0;
    std::uint32_t csid = 0;
    Bytes payload;
    bool operator==(const Decoded&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Decoded& d) {
    return os << "{type " << int{d.type_id} << " ts " << d.timestamp << " sid " << d.stream_id << " csid " << d.csid
              << " len " << d.payload.size() << "}";
}

struct Outcome {
    std::vector<Decoded> messages;
    bool ok = true;
    core::Errc errc = core::Errc::ok;
    bool mid_message = false;
};

Decoded to_decoded(const RtmpMessage& m) {
    return {m.type_id, m.timestamp, m.stream_id, m.csid, Bytes(m.payload.data(), m.payload.data() + m.payload.size())};
}

// Feeds `bytes` in the pieces given by the cut offsets (sorted, inside the stream).
Outcome decode_cuts(std::span<const std::uint8_t> bytes, const std::vector<std::size_t>& cuts,
                    ChunkDecoderLimits limits = {}) {
    ChunkDecoder decoder(limits);
    Outcome out;
    std::size_t pos = 0;
    auto feed_to = [&](std::size_t end) {
        if (!out.ok) {
            return;
        }
        auto status = decoder.feed(bytes.subspan(pos, end - pos),
                                   [&](RtmpMessage&& m) { out.messages.push_back(to_decoded(m)); });
        pos = end;
        if (!status) {
            out.ok = false;
            out.errc = status.error().code;
        }
    };
    for (std::size_t cut : cuts) {
        feed_to(cut);
    }
    feed_to(bytes.size());
    out.mid_message = decoder.mid_message();
    return out;
}

Outcome decode(std::span<const std::uint8_t> bytes, ChunkDecoderLimits limits = {}) {
    return decode_cuts(bytes, {}, limits);
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& how) {
    ASSERT_EQ(a.ok, b.ok) << how;
    ASSERT_EQ(a.errc, b.errc) << how;
    ASSERT_EQ(a.messages, b.messages) << how;
    ASSERT_EQ(a.mid_message, b.mid_message) << how;
}

// Decodes whole, one byte at a time, and at every 2-way split; all must agree. Returns the
// whole-stream outcome.
Outcome decode_every_split(std::span<const std::uint8_t> bytes, ChunkDecoderLimits limits = {}) {
    Outcome whole = decode(bytes, limits);
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < bytes.size(); ++i) {
        every.push_back(i);
    }
    expect_same(whole, decode_cuts(bytes, every, limits), "byte by byte");
    for (std::size_t i = 1; i < bytes.size(); ++i) {
        expect_same(whole, decode_cuts(bytes, {i}, limits), "split at " + std::to_string(i));
        if (::testing::Test::HasFatalFailure()) {
            break;
        }
    }
    return whole;
}

Bytes pattern(std::size_t n, std::uint8_t seed = 1) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::uint8_t>(i * 31 + seed);
    }
    return out;
}

RtmpMessage make_msg(std::uint8_t type, std::uint32_t ts, std::uint32_t sid, std::uint32_t csid, const Bytes& payload) {
    return RtmpMessage{.type_id = type,
                       .timestamp = ts,
                       .stream_id = sid,
                       .csid = csid,
                       .payload = core::Buffer::copy_of(std::span<const std::uint8_t>(payload))};
}

Bytes encode_all(ChunkEncoder& encoder, const std::vector<RtmpMessage>& msgs) {
    Bytes out;
    for (const RtmpMessage& m : msgs) {
        auto bytes = encoder.encode_to_vector(m);
        EXPECT_TRUE(bytes.has_value());
        out.insert(out.end(), bytes->begin(), bytes->end());
    }
    return out;
}

void append(Bytes& out, std::initializer_list<int> bytes) {
    for (int b : bytes) {
        out.push_back(static_cast<std::uint8_t>(b));
    }
}
void append(Bytes& out, const Bytes& bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

Bytes from_hex(std::string_view hex) {
    Bytes out;
    auto nibble = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
}

// ---- hand-made streams ------------------------------------------------------------------

TEST(ChunkDecoder, Fmt0SingleChunk) {
    Bytes in;
    append(in, {0x03, 0x00, 0x01, 0x02, 0x00, 0x00, 0x03, 0x14, 0x01, 0x00, 0x00, 0x00, 'a', 'b', 'c'});
    Outcome out = decode_every_split(in);
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.messages.size(), 1u);
    EXPECT_EQ(out.messages[0], (Decoded{20, 0x102, 1, 3, Bytes{'a', 'b', 'c'}}));
    EXPECT_FALSE(out.mid_message);
}

// fmt 0 -> fmt 1 (new type/length, delta) -> fmt 2 (new delta) -> fmt 3 (same delta).
TEST(ChunkDecoder, Fmt0123Timestamps) {
    Bytes in;
    append(in, {0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x02, 0x08, 0x01, 0x00, 0x00, 0x00, 1, 2});  // ts 1000
    append(in, {0x44, 0x00, 0x00, 0x14, 0x00, 0x00, 0x01, 0x09, 3});                               // +20
    append(in, {0x84, 0x00, 0x00, 0x1E, 4});                                                       // +30
    append(in, {0xC4, 5});                                                                         // +30
    append(in, {0xC4, 6});                                                                         // +30
    Outcome out = decode_every_split(in);
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.messages.size(), 5u);
    EXPECT_EQ(out.messages[0], (Decoded{8, 1000, 1, 4, Bytes{1, 2}}));
    EXPECT_EQ(out.messages[1], (Decoded{9, 1020, 1, 4, Bytes{3}}));
    EXPECT_EQ(out.messages[2], (Decoded{9, 1050, 1, 4, Bytes{4}}));
    EXPECT_EQ(out.messages[3], (Decoded{9, 1080, 1, 4, Bytes{5}}));
    EXPECT_EQ(out.messages[4], (Decoded{9, 1110, 1, 4, Bytes{6}}));
}

// SRS's example (read_message_header): FMLE sends a fmt 3 audio message right after a fmt 0
// one; the fmt 0 timestamp is the delta (spec 5.3.1.2.4), so 26 then 52.
TEST(ChunkDecoder, Fmt3AfterFmt0ReusesTimestampAsDelta) {
    Bytes in;
    append(in, {0x04, 0x00, 0x00, 0x1A, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00, 7});
    append(in, {0xC4, 8});
    Outcome out = decode_every_split(in);
    ASSERT_EQ(out.messages.size(), 2u);
    EXPECT_EQ(out.messages[1], (Decoded{8, 52, 1, 4, Bytes{8}}));
}

// librtmp pings with a fmt 1 chunk on a fresh chunk stream (SRS accepts it).
TEST(ChunkDecoder, FreshStreamMayStartWithFmt1) {
    Bytes in;
    append(in, {0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x04, 0x00, 0x06, 0x00, 0x00, 0x0D, 0x0F});
    Outcome out = decode_every_split(in);
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.messages.size(), 1u);
    EXPECT_EQ(out.messages[0].type_id, message_type::user_control);
    auto ping = parse_user_control(out.messages[0].payload);
    ASSERT_TRUE(ping.has_value());
    EXPECT_EQ(ping->event, UserControlEvent::ping_request);
    EXPECT_EQ(ping->value, 0x0D0Fu);
}

TEST(ChunkDecoder, MultiChunkMessageDefaultChunkSize) {
    Bytes payload = pattern(300);
    Bytes in;
    append(in, {0x06, 0x00, 0x00, 0x05, 0x00, 0x01, 0x2C, 0x09, 0x01, 0x00, 0x00, 0x00});
    in.insert(in.end(), payload.begin(), payload.begin() + 128);
    in.push_back(0xC6);
    in.insert(in.end(), payload.begin() + 128, payload.begin() + 256);
    in.push_back(0xC6);
    in.insert(in.end(), payload.begin() + 256, payload.end());
    Outcome out = decode_every_split(in);
    ASSERT_EQ(out.messages.size(), 1u);
    EXPECT_EQ(out.messages[0], (Decoded{9, 5, 1, 6, payload}));
}

TEST(ChunkDecoder, BasicHeaderForms) {
    Bytes in;
    // 2-byte form: csid 64 + 0xFF = 319.
    append(in, {0x00, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x12, 0x00, 0x00, 0x00, 0x00, 'x'});
    // 3-byte form: csid 64 + 0x0102 + 0xFF00... = 64 + 0x01 + 0x02 * 256 = 577.
    append(in, {0x01, 0x01, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x12, 0x00, 0x00, 0x00, 0x00, 'y'});
    // 3-byte form, largest id: 64 + 0xFFFF = 65599; then a fmt 3 message on it.
    append(in, {0x01, 0xFF, 0xFF, 0x00, 0x00, 0x03, 0x00, 0x00, 0x01, 0x12, 0x00, 0x00, 0x00, 0x00, 'z'});
    append(in, {0xC1, 0xFF, 0xFF, 'w'});
    Outcome out = decode_every_split(in);
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.messages.size(), 4u);
    EXPECT_EQ(out.messages[0].csid, 319u);
    EXPECT_EQ(out.messages[1].csid, 577u);
    EXPECT_EQ(out.messages[2].csid, 65599u);
    EXPECT_EQ(out.messages[3], (Decoded{18, 6, 0, 65599, Bytes{'w'}}));
}

// fmt 0 with an extended timestamp; the continuation repeats it (Flash/FMS/SRS/ffmpeg) or
// not (old ffmpeg/librtmp): both decode the same.
TEST(ChunkDecoder, ExtendedTimestampWithAndWithoutFmt3Repeat) {
    Bytes payload = pattern(200, 9);
    auto build = [&](bool repeat) {
        Bytes in;
        append(in, {0x05, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xC8, 0x09, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04});
        in.insert(in.end(), payload.begin(), payload.begin() + 128);
        in.push_back(0xC5);
        if (repeat) {
            append(in, {0x01, 0x02, 0x03, 0x04});
        }
        in.insert(in.end(), payload.begin() + 128, payload.end());
        // Next message starts with fmt 3: the extended timestamp must be there and is the delta.
        append(in, {0xC5, 0x00, 0x00, 0x00, 0x10});
        in.insert(in.end(), payload.begin(), payload.begin() + 128);
        in.push_back(0xC5);
        if (repeat) {
            append(in, {0x00, 0x00, 0x00, 0x10});
        }
        in.insert(in.end(), payload.begin() + 128, payload.end());
        return in;
    };
    for (bool repeat : {true, false}) {
        SCOPED_TRACE(repeat ? "repeated" : "omitted");
        Outcome out = decode_every_split(build(repeat));
        ASSERT_TRUE(out.ok);
        ASSERT_EQ(out.messages.size(), 2u);
        EXPECT_EQ(out.messages[0], (Decoded{9, 0x01020304, 1, 5, payload}));
        EXPECT_EQ(out.messages[1], (Decoded{9, 0x01020314, 1, 5, payload}));
    }
}

// A continuation chunk's payload that merely starts like a different number stays payload even
// when the message's header had an extended timestamp.
TEST(ChunkDecoder, ExtendedTimestampOnFmt1IsADelta) {
    Bytes in;
    append(in, {0x04, 0x00, 0x00, 0x64, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00, 1});         // ts 100
    append(in, {0x44, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00, 2});         // +2^24
    append(in, {0x84, 0x00, 0x00, 0x01, 3});                                                         // +1
    Outcome out = decode_every_split(in);
    ASSERT_EQ(out.messages.size(), 3u);
    EXPECT_EQ(out.messages[1].timestamp, 100u + 0x1000000u);
    EXPECT_EQ(out.messages[2].timestamp, 101u + 0x1000000u);
}

TEST(ChunkDecoder, ZeroLengthMessages) {
    Bytes in;
    append(in, {0x03, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x12, 0x01, 0x00, 0x00, 0x00});
    append(in, {0xC3});  // a second empty message, +7
    Outcome out = decode_every_split(in);
    ASSERT_EQ(out.messages.size(), 2u);
    EXPECT_EQ(out.messages[0], (Decoded{18, 7, 1, 3, {}}));
    EXPECT_EQ(out.messages[1], (Decoded{18, 14, 1, 3, {}}));
}

TEST(ChunkDecoder, StreamStoppingMidChunkWaits) {
    ChunkEncoder encoder({.chunk_size = 128});
    Bytes in = encode_all(encoder, {make_msg(9, 1, 1, 6, pattern(1000))});
    for (std::size_t cut : {std::size_t{1}, std::size_t{5}, std::size_t{12}, std::size_t{200}, in.size() - 1}) {
        Outcome out = decode(std::span(in).first(cut));
        EXPECT_TRUE(out.ok);
        EXPECT_TRUE(out.messages.empty());
        EXPECT_TRUE(out.mid_message);
    }
}

// ---- control messages acted on by the decoder -------------------------------------------

TEST(ChunkDecoder, SetChunkSizeTakesEffectForTheNextChunk) {
    ChunkEncoder encoder({.chunk_size = 128});
    std::vector<RtmpMessage> msgs;
    Bytes in;
    // A message on csid 4 interrupted after its first 128-byte chunk by Set Chunk Size 256;
    // its remaining 172 bytes then arrive as one chunk.
    Bytes big = pattern(300, 4);
    Bytes head;
    append(head, {0x04, 0x00, 0x00, 0x01, 0x00, 0x01, 0x2C, 0x09, 0x01, 0x00, 0x00, 0x00});
    append(in, head);
    in.insert(in.end(), big.begin(), big.begin() + 128);
    append(in, *encoder.encode_to_vector(make_set_chunk_size(256)));
    in.push_back(0xC4);
    in.insert(in.end(), big.begin() + 128, big.end());
    // A 5000-byte message at 4096 after another Set Chunk Size.
    append(in, *encoder.encode_to_vector(make_set_chunk_size(4096)));
    ASSERT_TRUE(encoder.set_chunk_size(4096).has_value());
    Bytes video = pattern(5000, 7);
    append(in, *encoder.encode_to_vector(make_msg(9, 40, 1, 6, video)));

    Outcome out = decode_every_split(in);
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.messages.size(), 4u);
    EXPECT_EQ(out.messages[0].type_id, message_type::set_chunk_size);
    EXPECT_EQ(out.messages[1], (Decoded{9, 1, 1, 4, big}));
    EXPECT_EQ(out.messages[3], (Decoded{9, 40, 1, 6, video}));

    ChunkDecoder decoder;
    ASSERT_TRUE(decoder.feed(in, [](RtmpMessage&&) {}).has_value());
    EXPECT_EQ(decoder.chunk_size(), 4096u);
}

TEST(ChunkDecoder, HandlerMayChangeTheDecoderFromInside) {
    ChunkEncoder encoder({.chunk_size = 128});
    Bytes in = encode_all(encoder, {make_msg(20, 0, 0, 3, pattern(10))});
    ASSERT_TRUE(encoder.set_chunk_size(1000).has_value());
    append(in, encode_all(encoder, {make_msg(9, 0, 1, 6, pattern(900))}));
    ChunkDecoder decoder;
    std::vector<std::size_t> sizes;
    auto status = decoder.feed(in, [&](RtmpMessage&& m) -> core::Status {
        sizes.push_back(m.payload.size());
        if (m.type_id == 20) {
            return decoder.set_chunk_size(1000);  // e.g. agreed out of band
        }
        return {};
    });
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 900}));
}

TEST(ChunkDecoder, HandlerErrorFailsTheDecoder) {
    ChunkEncoder encoder;
    Bytes in = encode_all(encoder, {make_msg(20, 0, 0, 3, pattern(10)), make_msg(20, 0, 0, 3, pattern(10))});
    ChunkDecoder decoder;
    int calls = 0;
    auto status = decoder.feed(in, [&](RtmpMessage&&) -> core::Status {
        ++calls;
        return core::fail(core::Errc::canceled, "test: refuse");
    });
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code, core::Errc::canceled);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(decoder.failed());
    EXPECT_FALSE(decoder.feed(in, [&](RtmpMessage&&) { ++calls; }).has_value());
    EXPECT_EQ(calls, 1);
}

TEST(ChunkDecoder, AbortDropsThePartialMessage) {
    Bytes in;
    append(in, {0x04, 0x00, 0x00, 0x01, 0x00, 0x01, 0x2C, 0x09, 0x01, 0x00, 0x00, 0x00});
    append(in, pattern(128));  // first chunk of 300
    ChunkEncoder encoder({.chunk_size = 128});
    append(in, *encoder.encode_to_vector(make_abort(4)));
    // A fmt 0 is legal again on csid 4 now; so is a fmt 3 (new message, +1).
    append(in, {0x04, 0x00, 0x00, 0x02, 0x00, 0x00, 0x02, 0x09, 0x01, 0x00, 0x00, 0x00, 'o', 'k'});
    Outcome out = decode_every_split(in);
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.messages.size(), 2u);
    EXPECT_EQ(out.messages[0].type_id, message_type::abort);
    EXPECT_EQ(out.messages[1], (Decoded{9, 2, 1, 4, Bytes{'o', 'k'}}));
    EXPECT_FALSE(out.mid_message);
}

TEST(ChunkDecoder, AcknowledgementWindow) {
    ChunkEncoder encoder;
    Bytes in = encode_all(encoder, {make_window_ack_size(1000)});
    const std::size_t control_size = in.size();
    ChunkDecoder decoder;
    ASSERT_TRUE(decoder.feed(in, [](RtmpMessage&&) {}).has_value());
    EXPECT_EQ(decoder.ack_window(), 1000u);
    EXPECT_FALSE(decoder.ack_due());
    ChunkEncoder small({.chunk_size = default_chunk_size});
    Bytes video = encode_all(small, {make_msg(9, 0, 1, 6, pattern(1200))});
    ASSERT_TRUE(decoder.feed(video, [](RtmpMessage&&) {}).has_value());
    EXPECT_EQ(decoder.bytes_received(), control_size + video.size());
    ASSERT_TRUE(decoder.ack_due());
    EXPECT_EQ(decoder.take_ack_sequence(), control_size + video.size());
    EXPECT_FALSE(decoder.ack_due());
}

TEST(ChunkDecoder, ServerSideAckWindowWithoutThePeerAsking) {
    ChunkDecoder decoder;
    decoder.set_ack_window(1000);  // SRS's in_ack_size
    ChunkEncoder small({.chunk_size = default_chunk_size});
    Bytes video = encode_all(small, {make_msg(9, 0, 1, 6, pattern(1200))});
    ASSERT_TRUE(decoder.feed(video, [](RtmpMessage&&) {}).has_value());
    ASSERT_TRUE(decoder.ack_due());
    EXPECT_EQ(decoder.take_ack_sequence(), video.size());
}

// ---- errors -----------------------------------------------------------------------------

Bytes set_chunk_size_bytes(std::uint32_t raw) {
    Bytes in;
    append(in, {0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00});
    append(in, {static_cast<int>(raw >> 24), static_cast<int>((raw >> 16) & 0xFF), static_cast<int>((raw >> 8) & 0xFF),
                static_cast<int>(raw & 0xFF)});
    return in;
}

TEST(ChunkDecoder, ChunkSizeLimits) {
    EXPECT_EQ(decode_every_split(set_chunk_size_bytes(0)).errc, core::Errc::protocol);
    EXPECT_EQ(decode_every_split(set_chunk_size_bytes(0x1000000)).errc, core::Errc::protocol);
    EXPECT_EQ(decode_every_split(set_chunk_size_bytes(0x80000080)).errc, core::Errc::protocol);
    EXPECT_TRUE(decode_every_split(set_chunk_size_bytes(1)).ok);
    EXPECT_TRUE(decode_every_split(set_chunk_size_bytes(0xFFFFFF)).ok);
    Bytes short_payload;
    append(short_payload, {0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00});
    EXPECT_EQ(decode_every_split(short_payload).errc, core::Errc::protocol);
    ChunkDecoder decoder;
    EXPECT_FALSE(decoder.set_chunk_size(0).has_value());
    EXPECT_FALSE(decoder.set_chunk_size(0x1000000).has_value());
}

TEST(ChunkDecoder, MessageLongerThanTheMax) {
    Bytes in;
    append(in, {0x04, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00});  // 4097 bytes
    Outcome out = decode_every_split(in, {.message_size_max = 4096});
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.errc, core::Errc::too_large);
    EXPECT_TRUE(decode(in, {.message_size_max = 4097}).ok);
    // Many interleaved partial messages: bounded by assembling_bytes_max.
    Bytes many = set_chunk_size_bytes(1);  // one payload byte per chunk
    for (int csid = 3; csid < 13; ++csid) {
        append(many, {csid, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x09, 0x01, 0x00, 0x00, 0x00, 0xAA});
    }
    EXPECT_EQ(decode(many, {.assembling_bytes_max = 5 * 4096}).errc, core::Errc::too_large);
    EXPECT_TRUE(decode(many, {.assembling_bytes_max = 10 * 4096}).ok);
}

TEST(ChunkDecoder, TooManyChunkStreams) {
    ChunkEncoder encoder;
    std::vector<RtmpMessage> msgs;
    for (std::uint32_t csid = 3; csid < 3 + 5; ++csid) {
        msgs.push_back(make_msg(9, 0, 1, csid, pattern(3)));
    }
    Bytes in = encode_all(encoder, msgs);
    Outcome out = decode_every_split(in, {.chunk_streams_max = 4});
    EXPECT_EQ(out.errc, core::Errc::too_large);
    EXPECT_EQ(out.messages.size(), 4u);
    EXPECT_TRUE(decode(in, {.chunk_streams_max = 5}).ok);
}

TEST(ChunkDecoder, GarbageIsAProtocolError) {
    for (Bytes in : {Bytes{0x83, 0x00, 0x00, 0x00, 1, 2, 3}, Bytes{0xC3, 0x00}, Bytes{0xC1, 0x00, 0x00, 0x00}}) {
        Outcome out = decode_every_split(in);
        EXPECT_FALSE(out.ok);
        EXPECT_EQ(out.errc, core::Errc::protocol);
    }
    // A fmt 0 chunk in the middle of a message.
    Bytes in;
    append(in, {0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x01, 0x00, 0x00, 0x00});
    append(in, pattern(128));
    append(in, {0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x01, 0x00, 0x00, 0x00});
    EXPECT_EQ(decode_every_split(in).errc, core::Errc::protocol);
    // A fmt 1 chunk that changes the length in the middle of a message.
    Bytes changed;
    append(changed, {0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x01, 0x00, 0x00, 0x00});
    append(changed, pattern(128));
    append(changed, {0x44, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x09});
    EXPECT_EQ(decode_every_split(changed).errc, core::Errc::protocol);
}

TEST(ChunkDecoder, StaysFailedAfterAnError) {
    ChunkDecoder decoder;
    const Bytes bad{0x83, 0x00, 0x00, 0x00};
    auto first = decoder.feed(bad, [](RtmpMessage&&) {});
    ASSERT_FALSE(first.has_value());
    ChunkEncoder encoder;
    Bytes good = encode_all(encoder, {make_msg(9, 0, 1, 4, pattern(4))});
    int calls = 0;
    auto second = decoder.feed(good, [&](RtmpMessage&&) { ++calls; });
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code, first.error().code);
    EXPECT_EQ(calls, 0);
}

// ---- encoder ------------------------------------------------------------------------------

TEST(ChunkEncoder, Fmt0AndFmt3LayoutAsSrs) {
    ChunkEncoder encoder({.chunk_size = 4});
    auto bytes = encoder.encode_to_vector(make_msg(9, 0x10, 1, 6, Bytes{1, 2, 3, 4, 5, 6}));
    ASSERT_TRUE(bytes.has_value());
    Bytes want;
    append(want, {0x06, 0x00, 0x00, 0x10, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00, 1, 2, 3, 4, 0xC6, 5, 6});
    EXPECT_EQ(*bytes, want);
    // Extended: 0xFFFFFF in the header, the timestamp after it and after every fmt 3.
    auto ext = encoder.encode_to_vector(make_msg(9, 0x12345678, 1, 6, Bytes{1, 2, 3, 4, 5}));
    Bytes want_ext;
    append(want_ext, {0x06, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x05, 0x09, 0x01, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78,
                      1, 2, 3, 4, 0xC6, 0x12, 0x34, 0x56, 0x78, 5});
    EXPECT_EQ(*ext, want_ext);
}

TEST(ChunkEncoder, CompressedHeaders) {
    ChunkEncoder encoder({.chunk_size = 128, .compression = HeaderCompression::per_connection});
    Bytes a{1, 2}, b{3};
    Bytes in = encode_all(encoder, {make_msg(8, 1000, 1, 4, a), make_msg(9, 1020, 1, 4, b), make_msg(9, 1050, 1, 4, b),
                                    make_msg(9, 1080, 1, 4, b), make_msg(9, 1000, 1, 4, b), make_msg(9, 1000, 2, 4, b)});
    Bytes want;
    append(want, {0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x02, 0x08, 0x01, 0x00, 0x00, 0x00, 1, 2});
    append(want, {0x44, 0x00, 0x00, 0x14, 0x00, 0x00, 0x01, 0x09, 3});
    append(want, {0x84, 0x00, 0x00, 0x1E, 3});
    append(want, {0xC4, 3});
    append(want, {0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00, 3});  // backwards
    append(want, {0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x01, 0x09, 0x02, 0x00, 0x00, 0x00, 3});  // other stream
    EXPECT_EQ(in, want);
}

TEST(ChunkEncoder, PiecesReferenceThePayload) {
    ChunkEncoder encoder({.chunk_size = 4096});
    RtmpMessage msg = make_msg(9, 0, 1, 6, pattern(10000));
    ChunkPieces pieces;
    ASSERT_TRUE(encoder.encode(msg, pieces).has_value());
    ASSERT_EQ(pieces.pieces().size(), 6u);  // header, payload x 3
    const core::Buffer& headers = pieces.pieces()[0].buffer;
    for (std::size_t i = 0; i < pieces.pieces().size(); ++i) {
        const core::BufferSlice& piece = pieces.pieces()[i];
        if (i % 2 == 0) {
            EXPECT_EQ(piece.buffer.data(), headers.data());  // all headers share one buffer
        } else {
            EXPECT_EQ(piece.buffer.data(), msg.payload.data());  // payload not copied
            EXPECT_EQ(piece.data(), msg.payload.data() + (i / 2) * 4096);
        }
    }
    EXPECT_EQ(pieces.size_bytes(), 10000u + 12 + 2);
    EXPECT_EQ(pieces.pieces()[5].size(), 10000u - 2 * 4096);
}

TEST(ChunkEncoder, RejectsBadInput) {
    ChunkEncoder encoder;
    ChunkPieces pieces;
    EXPECT_FALSE(encoder.encode(make_msg(9, 0, 1, 1, {}), pieces).has_value());
    EXPECT_FALSE(encoder.encode(make_msg(9, 0, 1, 65600, {}), pieces).has_value());
    EXPECT_FALSE(encoder.set_chunk_size(0).has_value());
    EXPECT_FALSE(encoder.set_chunk_size(0x1000000).has_value());
    EXPECT_TRUE(pieces.pieces().empty());
}

// ---- round trips ----------------------------------------------------------------------------

void round_trip(const std::vector<RtmpMessage>& msgs, ChunkEncoderOptions options, bool every_split) {
    ChunkEncoder encoder(options);
    Bytes in;
    if (options.chunk_size != default_chunk_size) {
        ChunkEncoder control({.chunk_size = default_chunk_size});
        append(in, *control.encode_to_vector(make_set_chunk_size(options.chunk_size)));
    }
    append(in, encode_all(encoder, msgs));
    Outcome out = every_split ? decode_every_split(in) : decode(in);
    ASSERT_TRUE(out.ok);
    const std::size_t skip = options.chunk_size != default_chunk_size ? 1 : 0;
    ASSERT_EQ(out.messages.size(), msgs.size() + skip);
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        EXPECT_EQ(out.messages[i + skip], to_decoded(msgs[i])) << "message " << i;
    }
}

TEST(ChunkRoundTrip, ChunkSizesAndLengths) {
    for (HeaderCompression compression : {HeaderCompression::none, HeaderCompression::per_connection}) {
        for (std::uint32_t chunk : {1u, 128u, 4096u, 60000u, 0xFFFFFFu}) {
            SCOPED_TRACE("chunk size " + std::to_string(chunk));
            std::vector<std::size_t> lengths{0, 1, 2, 127, 128, 129, 4096, 4097, 70000};
            if (chunk > 1) {
                lengths.push_back(chunk - 1);
            }
            if (chunk < 0xFFFFFF) {
                lengths.push_back(chunk);
                lengths.push_back(chunk + 1);
            } else {
                lengths.push_back(0xFFFFFF);  // one chunk: the largest message there is
            }
            std::vector<RtmpMessage> msgs;
            std::uint32_t ts = 0;
            for (std::size_t len : lengths) {
                msgs.push_back(make_msg(9, ts, 1, 6, pattern(len, static_cast<std::uint8_t>(len))));
                ts += 40;
            }
            round_trip(msgs, {.chunk_size = chunk, .compression = compression}, false);
        }
    }
}

TEST(ChunkRoundTrip, EverySplitSmallStream) {
    for (HeaderCompression compression : {HeaderCompression::none, HeaderCompression::per_connection}) {
        std::vector<RtmpMessage> msgs{
            make_msg(20, 0, 0, 3, pattern(150)),        make_msg(8, 0xFFFFF0, 1, 4, pattern(3)),
            make_msg(8, 0xFFFFFF, 1, 4, pattern(140)),  make_msg(8, 0x1000010, 1, 4, pattern(3)),
            make_msg(9, 0x1000020, 1, 300, pattern(5)), make_msg(9, 0x1000040, 1, 300, pattern(5)),
            make_msg(18, 7, 1, 65599, {}),              make_msg(8, 0x1000030, 1, 4, pattern(129)),
        };
        round_trip(msgs, {.chunk_size = 64, .compression = compression}, true);
    }
}

TEST(ChunkRoundTrip, TimestampsCrossing24BitsAndWrapping) {
    std::vector<std::uint32_t> stamps{0xFFFFF0, 0xFFFFFE, 0xFFFFFF, 0x1000000, 0x1000010, 0x2FFFFFF,
                                      0xFFFFFFF0, 0xFFFFFFFF, 0x00000010, 0x20, 0xFFFFFF, 0x10};
    for (HeaderCompression compression : {HeaderCompression::none, HeaderCompression::per_connection}) {
        std::vector<RtmpMessage> msgs;
        for (std::uint32_t ts : stamps) {
            msgs.push_back(make_msg(9, ts, 1, 6, pattern(300, static_cast<std::uint8_t>(ts))));
            msgs.push_back(make_msg(8, ts, 1, 4, pattern(10)));
        }
        round_trip(msgs, {.chunk_size = 128, .compression = compression}, false);
    }
}

// Chunks of several messages on different chunk streams interleaved on the wire.
TEST(ChunkRoundTrip, InterleavedChunkStreams) {
    ChunkEncoder encoder({.chunk_size = 100});
    std::vector<RtmpMessage> msgs{make_msg(9, 10, 1, 6, pattern(450, 1)), make_msg(8, 11, 1, 4, pattern(230, 2)),
                                  make_msg(18, 12, 1, 5, pattern(100, 3)), make_msg(9, 13, 2, 64, pattern(301, 4))};
    std::vector<ChunkPieces> encoded(msgs.size());
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        ASSERT_TRUE(encoder.encode(msgs[i], encoded[i]).has_value());
    }
    Bytes in;
    append(in, *ChunkEncoder({.chunk_size = 128}).encode_to_vector(make_set_chunk_size(100)));
    for (std::size_t chunk = 0;; ++chunk) {
        bool any = false;
        for (const ChunkPieces& p : encoded) {
            for (std::size_t k = 2 * chunk; k < std::min(2 * chunk + 2, p.pieces().size()); ++k) {
                in.insert(in.end(), p.pieces()[k].data(), p.pieces()[k].data() + p.pieces()[k].size());
                any = true;
            }
        }
        if (!any) {
            break;
        }
    }
    Outcome out = decode_every_split(in);
    ASSERT_TRUE(out.ok);
    ASSERT_EQ(out.messages.size(), 5u);
    // Completion order: the shortest (one chunk) first.
    std::vector<Decoded> got(out.messages.begin() + 1, out.messages.end());
    std::vector<Decoded> want;
    for (const RtmpMessage& m : msgs) {
        want.push_back(to_decoded(m));
    }
    auto by_csid = [](const Decoded& a, const Decoded& b) { return a.csid < b.csid; };
    std::sort(got.begin(), got.end(), by_csid);
    std::sort(want.begin(), want.end(), by_csid);
    EXPECT_EQ(got, want);
    EXPECT_EQ(out.messages[1].csid, 5u);
}

// ---- protocol control messages ------------------------------------------------------------

TEST(ChunkControl, BuildersAndParsers) {
    auto bytes_of = [](const RtmpMessage& m) { return Bytes(m.payload.data(), m.payload.data() + m.payload.size()); };
    RtmpMessage scs = make_set_chunk_size(60000);
    EXPECT_EQ(scs.type_id, message_type::set_chunk_size);
    EXPECT_EQ(scs.csid, protocol_control_csid);
    EXPECT_EQ(scs.stream_id, 0u);
    EXPECT_EQ(bytes_of(scs), (Bytes{0x00, 0x00, 0xEA, 0x60}));
    EXPECT_EQ(*parse_set_chunk_size(scs.payload.span()), 60000u);
    EXPECT_EQ(*parse_abort(make_abort(7).payload.span()), 7u);
    EXPECT_EQ(*parse_acknowledgement(make_acknowledgement(0xDEADBEEF).payload.span()), 0xDEADBEEFu);
    EXPECT_EQ(*parse_window_ack_size(make_window_ack_size(2500000).payload.span()), 2500000u);
    RtmpMessage bw = make_set_peer_bandwidth(2500000, PeerBandwidthLimit::dynamic);
    EXPECT_EQ(bytes_of(bw), (Bytes{0x00, 0x26, 0x25, 0xA0, 0x02}));
    auto parsed_bw = parse_set_peer_bandwidth(bw.payload.span());
    EXPECT_EQ(parsed_bw->window_size, 2500000u);
    EXPECT_EQ(parsed_bw->limit, PeerBandwidthLimit::dynamic);

    EXPECT_EQ(bytes_of(make_stream_begin(1)), (Bytes{0, 0, 0, 0, 0, 1}));
    EXPECT_EQ(bytes_of(make_set_buffer_length(1, 3000)), (Bytes{0, 3, 0, 0, 0, 1, 0, 0, 0x0B, 0xB8}));
    struct Case {
        RtmpMessage msg;
        UserControlEvent event;
        std::uint32_t value;
    };
    for (const Case& c : {Case{make_stream_begin(1), UserControlEvent::stream_begin, 1},
                          Case{make_stream_eof(2), UserControlEvent::stream_eof, 2},
                          Case{make_stream_dry(3), UserControlEvent::stream_dry, 3},
                          Case{make_ping_request(1234), UserControlEvent::ping_request, 1234},
                          Case{make_ping_response(1234), UserControlEvent::ping_response, 1234}}) {
        EXPECT_EQ(c.msg.type_id, message_type::user_control);
        auto uc = parse_user_control(c.msg.payload.span());
        ASSERT_TRUE(uc.has_value());
        EXPECT_EQ(uc->event, c.event);
        EXPECT_EQ(uc->value, c.value);
    }
    auto sbl = parse_user_control(make_set_buffer_length(1, 3000).payload.span());
    EXPECT_EQ(sbl->buffer_length_ms, 3000u);

    EXPECT_FALSE(parse_set_chunk_size(Bytes{0, 0, 1}).has_value());
    EXPECT_FALSE(parse_set_chunk_size(Bytes{0, 0, 0, 0}).has_value());
    EXPECT_FALSE(parse_set_chunk_size(Bytes{1, 0, 0, 0}).has_value());
    EXPECT_FALSE(parse_set_peer_bandwidth(Bytes{0, 0, 0, 1}).has_value());
    EXPECT_FALSE(parse_user_control(Bytes{0, 3, 0, 0, 0, 1, 0}).has_value());
    EXPECT_FALSE(parse_user_control(Bytes{0, 6, 0}).has_value());
}

// ---- golden capture --------------------------------------------------------------------------

// What ffmpeg 5.1 (Lavf59.27.100) sent after the handshake when publishing
// `-f lavfi -i testsrc=size=32x32:rate=5 -t 0.5 -c:v libx264 -f flv rtmp://127.0.0.1:19356/live/golden`
// to a script answering connect, createStream and publish: commands on csid 3 (fmt 0, then fmt 1
// headers), publish/metadata/video on stream 1, chunk size 128 throughout.
constexpr std::string_view ffmpeg_publish_hex =
    "0300000000008c1400000000020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479"
    "706502000a6e6f6e707269766174650008666c617368566572020024464d4c452f332e302028636f6d70617469626c65"
    "3b204c61766635392e32372e313030290005746355726c02001b72746d703a2f2f3132372e302e302e313a31c3393335"
    "362f6c697665000009430000000000231402000d72656c6561736553747265616d00400000000000000005020006676f"
    "6c64656e4300000000001f1402000946435075626c69736800400800000000000005020006676f6c64656e4300000000"
    "00191402000c63726561746553747265616d004010000000000000050800000000002414010000000200077075626c69"
    "736800401400000000000005020006676f6c64656e0200046c697665040000000000c8120100000002000d4073657444"
    "6174614672616d6502000a6f6e4d65746144617461080000000800086475726174696f6e000000000000000000000577"
    "696474680040400000000000000006686569676874004040000000000000000d766964656f6461746172617465000000"
    "00000000000000096672616d657261746500401400000000c40000000c766964656f636f646563696400401c00000000"
    "00000007656e636f64657202000d4c61766635392e32372e313030000866696c6573697a650000000000000000000000"
    "09060000000000300901000000170000000001f4000affe1001767f4000a9196896c044000000300400000030283c489"
    "a801000568ce0f1920fff8f8000600000000054b09010000001701000000000002530605ffff4fdc45e9bde6d948b796"
    "2cd820d923eeef78323634202d20636f7265203136342072333039352062616565343030202d20482e3236342f4d5045"
    "472d342041564320636f646563202d20436f70796c65667420323030332d32303232202d20687474703a2f2f7777772e"
    "766964656f6c616e2ec66f72672f783236342e68746d6c202d206f7074696f6e733a2063616261633d30207265663d31"
    "206465626c6f636b3d303a303a3020616e616c7973653d303a30206d653d646961207375626d653d30207073793d3120"
    "7073795f72643d312e30303a302e3030206d697865645f7265663d30206d655f72616e67653d31362063c668726f6d61"
    "5f6d653d31207472656c6c69733d30203878386463743d302063716d3d3020646561647a6f6e653d32312c3131206661"
    "73745f70736b69703d31206368726f6d615f71705f6f66667365743d3620746872656164733d31206c6f6f6b61686561"
    "645f746872656164733d3120736c696365645f746872656164733dc630206e723d3020646563696d6174653d3120696e"
    "7465726c616365643d3020626c757261795f636f6d7061743d3020636f6e73747261696e65645f696e7472613d302062"
    "6672616d65733d3020776569676874703d30206b6579696e743d323530206b6579696e745f6d696e3d35207363656e65"
    "6375743d3020696e7472615fc6726566726573683d302072633d637266206d62747265653d30206372663d32332e3020"
    "71636f6d703d302e36302071706d696e3d302071706d61783d3639207170737465703d342069705f726174696f3d312e"
    "34302061713d300080000002eb6588843a0840010d00807961bd7953005a4190b6a84f800536444c6fd0c8ee00c60e83"
    "288e624d352e15e555c099a24fd4174d37f6603dfe0dc3df840000800000600a961ec000140039a6028d81d1f3c06400"
    "008058000803801f73f0004409086201d0e0bf51b7c131340046db7ca6c82e4afc3a52fe66000584ef0be8f7e1000054"
    "0282e587fff00040001009280140dc94d145410d5955c3f8a000f9118d50c6844717d08e03297bf4460370a6bf660000"
    "89022120d447bf08914b0fffe10801c0c2001e442681192241314dc08c07ebff070001001000e0172c0480adca1f10e5"
    "fd38c4c2d39a43776830233323436e87467c00305335da943c0ef8a35fdbc304200010001025353192064d06f7ddf001"
    "c45210ac04e485e68c3409801e8700c6028010152c02d701132980325ba5fccd1c4625fb41814fcd73933fff800e0002"
    "00e3079bf1444a240d64a31d4a51074ce58058b80212bd80ceb74bfa2320ca369ae35dbb4180b1910d14854713d280fc"
    "3e3a0038c1840f4f91d43a17a70892e194e3f001e088005d48f34412795f57bfc800010040001006032e15007dc00e88"
    "c602700200565e2c1e2e0260f72904ebad147b2ff12001b858f12cd0b4d41395bf8480016b4030323b0002e60cc00558"
    "4e8874c018a84f6ff1005844060d0cf278052507a5d4e5ee146240058c634329ef73005b7efe6600fe1cfb9e00020083"
    "120526a26ad84671ad28ee91bfc400581000580303318689e012c2f98eea8e6502c6b1f84001616d832096babf303ffe"
    "fd8804e3cb1d000400101520cb240dc2dde93074956cdbabf800f61066a07aa40c3e6fd5e078000801300c00eb838406"
    "c4071b6ef0063b034d6280e2684e00370f3a1b80a131ca00efdda120006e400381f0d80008b3001c03029b7167499b02"
    "a8849fe24058645400368102233c0766411fc6081896f768531000580cc04c929b7dda24aa53c00040c1540072845421"
    "905e8a75a28a7fc4802c09001600d01bc72e67815990078411145ba4240058705a4c007c3ee2019cdda2008c54b84600"
    "00c800003f09270100000000000036419a20427c4c5003078990534b288d12f5e2b6d9c5c5392828c573d897ff898a00"
    "30746c82eb96a423df8ba7dc51da1714d49623d62c460000c80000780927010000000000006f419a4127c4c5000250c0"
    "0a600f2229683bffaa38fc0c1154c55fa9dadda28d41aecb074b8a0618cb0a6961418a00c175cb276581d3e564ddf1df"
    "e2658001387c0a60d1372cdad73fc2cb0348e2648d48aeb768a6e496b83c7c5018247ee72aee58503140c194d5019607"
    "ae66507ee046000000000005091702000000430000000000211402000b4643556e7075626c6973680040180000000000"
    "0005020006676f6c64656e430000000000221402000c64656c65746553747265616d00401c00000000000005003ff000"
    "0000000000"    ;

// The AMF0 string that starts a command or data message.
std::string first_amf0_string(const Bytes& payload) {
    if (payload.size() < 3 || payload[0] != 0x02) {
        return {};
    }
    const std::size_t len = std::size_t{payload[1]} << 8 | payload[2];
    if (payload.size() < 3 + len) {
        return {};
    }
    return std::string(payload.begin() + 3, payload.begin() + 3 + static_cast<std::ptrdiff_t>(len));
}

TEST(ChunkGolden, FfmpegPublish) {
    const Bytes in = from_hex(ffmpeg_publish_hex);
    ASSERT_EQ(in.size(), 2261u);
    Outcome out = decode_every_split(in);
    ASSERT_TRUE(out.ok);
    std::vector<std::string> commands;
    std::size_t videos = 0;
    for (const Decoded& m : out.messages) {
        if (m.type_id == message_type::amf0_command || m.type_id == message_type::amf0_data) {
            commands.push_back(first_amf0_string(m.payload));
        } else if (m.type_id == message_type::video) {
            ++videos;
            EXPECT_EQ(m.stream_id, 1u);
        }
    }
    EXPECT_EQ(commands, (std::vector<std::string>{"connect", "releaseStream", "FCPublish", "createStream", "publish",
                                                  "@setDataFrame", "FCUnpublish", "deleteStream"}));
    EXPECT_GE(videos, 2u);
    EXPECT_EQ(out.messages[0].payload.size(), 140u);
    EXPECT_EQ(out.messages[0].csid, 3u);
    // First video message: the AVC sequence header (keyframe, AVCPacketType 0).
    auto first_video = std::find_if(out.messages.begin(), out.messages.end(),
                                    [](const Decoded& m) { return m.type_id == message_type::video; });
    ASSERT_NE(first_video, out.messages.end());
    EXPECT_EQ(first_video->payload[0], 0x17);
    EXPECT_EQ(first_video->payload[1], 0x00);
}

}  // namespace
}  // namespace ringcast::proto::rtmp
