// RTMP handshake: fixed vectors computed outside our code (openssl dgst -mac HMAC), both digest
// schemes, the simple fallback, bad versions, and client <-> server round trips fed at every
// split offset.
#include "proto/rtmp/handshake.h"

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

constexpr std::size_t c0c1_size = 1 + handshake_packet_size;
constexpr std::size_t s0s1s2_size = 1 + 2 * handshake_packet_size;

HandshakeDigest from_hex(std::string_view hex) {
    HandshakeDigest out{};
    auto nibble = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    }
    return out;
}

// The fixed C1 of the vectors: byte i = (7i + 3) mod 256.
Bytes pattern_packet() {
    Bytes packet(handshake_packet_size);
    for (std::size_t i = 0; i < packet.size(); ++i) {
        packet[i] = static_cast<std::uint8_t>(i * 7 + 3);
    }
    return packet;
}

HandshakePacket packet_at(const Bytes& bytes, std::size_t offset) {
    return HandshakePacket(bytes.data() + offset, handshake_packet_size);
}

std::span<const std::uint8_t> fp_partial() { return genuine_fp_key().first(genuine_fp_partial_size); }
std::span<const std::uint8_t> fms_partial() { return genuine_fms_key().first(genuine_fms_partial_size); }

// Expected values computed with OpenSSL's command line over the pattern packet (python wrote the
// 1504 "joined" bytes, i.e. the packet without its digest):
//   openssl dgst -sha256 -mac HMAC -macopt hexkey:<key> joined.bin
constexpr std::size_t pattern_scheme0_offset = 942;  // 776 + (31+38+45+52) % 728
constexpr std::size_t pattern_scheme1_offset = 290;  // 12 + (59+66+73+80) % 728
constexpr std::string_view pattern_scheme0_fp_digest = "492c04ebd265e6343c4c12f5580a46399bec2724821f27f321b95ca75b63b318";
constexpr std::string_view pattern_scheme1_fp_digest = "36d27b365b84e5e55f376e2f24f3a7dd6b8b5e9b002f035f99366c07e43b8d41";
constexpr std::string_view pattern_scheme0_fms_digest = "01d1722f262d0920a2fd6c2cff614d034585bbacbc28b5c77a88ca2fc0c3b984";
// HMAC(HMAC(full key, scheme1 FP digest above), pattern[0..1504)) with the FMS and FP full keys.
constexpr std::string_view pattern_s2_response = "772fa88ea2f1725a5aaf4012f46e06c449901b7afae690f60982a347dbd77d24";
constexpr std::string_view pattern_c2_response = "4dfcdde170c9b38d1aa13050f799b96d93a147dd8b513eaedece20a19cc817c5";

TEST(HandshakeKeys, GenuineKeys) {
    auto fp = genuine_fp_key();
    auto fms = genuine_fms_key();
    ASSERT_EQ(fp.size(), 62u);
    ASSERT_EQ(fms.size(), 68u);
    EXPECT_EQ(std::string(fp.begin(), fp.begin() + 30), "Genuine Adobe Flash Player 001");
    EXPECT_EQ(std::string(fms.begin(), fms.begin() + 36), "Genuine Adobe Flash Media Server 001");
    EXPECT_TRUE(std::equal(fp.begin() + 30, fp.end(), fms.begin() + 36, fms.end()));
    EXPECT_EQ(fp[30], 0xF0);
    EXPECT_EQ(fp[61], 0xAE);
}

TEST(HandshakeVectors, DigestOffsets) {
    const Bytes p = pattern_packet();
    EXPECT_EQ(digest_offset(packet_at(p, 0), DigestScheme::scheme0), pattern_scheme0_offset);
    EXPECT_EQ(digest_offset(packet_at(p, 0), DigestScheme::scheme1), pattern_scheme1_offset);

    // The offset bytes at their extremes keep the digest inside its block.
    Bytes q(handshake_packet_size, 0xFF);
    EXPECT_EQ(digest_offset(packet_at(q, 0), DigestScheme::scheme0), 776u + (4 * 255) % 728);
    std::fill(q.begin(), q.end(), 0);
    EXPECT_EQ(digest_offset(packet_at(q, 0), DigestScheme::scheme1), 12u);
}

TEST(HandshakeVectors, PacketDigestsMatchOpenSslCli) {
    const Bytes p = pattern_packet();
    auto d0 = compute_packet_digest(packet_at(p, 0), DigestScheme::scheme0, fp_partial());
    auto d1 = compute_packet_digest(packet_at(p, 0), DigestScheme::scheme1, fp_partial());
    auto s0 = compute_packet_digest(packet_at(p, 0), DigestScheme::scheme0, fms_partial());
    ASSERT_TRUE(d0 && d1 && s0);
    EXPECT_EQ(*d0, from_hex(pattern_scheme0_fp_digest));
    EXPECT_EQ(*d1, from_hex(pattern_scheme1_fp_digest));
    EXPECT_EQ(*s0, from_hex(pattern_scheme0_fms_digest));
}

TEST(HandshakeVectors, ResponseDigestsMatchOpenSslCli) {
    const Bytes p = pattern_packet();
    const HandshakeDigest peer = from_hex(pattern_scheme1_fp_digest);
    auto s2 = compute_response_digest(packet_at(p, 0), peer, genuine_fms_key());
    auto c2 = compute_response_digest(packet_at(p, 0), peer, genuine_fp_key());
    ASSERT_TRUE(s2 && c2);
    EXPECT_EQ(*s2, from_hex(pattern_s2_response));
    EXPECT_EQ(*c2, from_hex(pattern_c2_response));
}

TEST(HandshakeVectors, SignAndFindBothSchemes) {
    for (DigestScheme scheme : {DigestScheme::scheme0, DigestScheme::scheme1}) {
        Bytes p = pattern_packet();
        auto before = find_packet_digest(packet_at(p, 0), fp_partial());
        ASSERT_TRUE(before);
        EXPECT_EQ(*before, DigestScheme::none);
        ASSERT_TRUE(sign_packet(MutableHandshakePacket(p.data(), handshake_packet_size), scheme, fp_partial()));
        auto found = find_packet_digest(packet_at(p, 0), fp_partial());
        ASSERT_TRUE(found);
        EXPECT_EQ(*found, scheme);
        // The FMS key does not validate a client digest.
        auto wrong_key = find_packet_digest(packet_at(p, 0), fms_partial());
        ASSERT_TRUE(wrong_key);
        EXPECT_EQ(*wrong_key, DigestScheme::none);
    }
}

// A C0C1 built by hand from the pattern, carrying the openssl-computed digest at `scheme`.
Bytes pattern_c0c1(DigestScheme scheme) {
    Bytes c0c1{rtmp_plain_version};
    Bytes p = pattern_packet();
    const bool first = scheme == DigestScheme::scheme0;
    const HandshakeDigest digest = from_hex(first ? pattern_scheme0_fp_digest : pattern_scheme1_fp_digest);
    std::copy(digest.begin(), digest.end(), p.begin() + (first ? pattern_scheme0_offset : pattern_scheme1_offset));
    c0c1.insert(c0c1.end(), p.begin(), p.end());
    return c0c1;
}

TEST(HandshakeServer, AcceptsBothSchemesAndSignsS1S2) {
    for (DigestScheme scheme : {DigestScheme::scheme0, DigestScheme::scheme1}) {
        SCOPED_TRACE(static_cast<int>(scheme));
        const Bytes c0c1 = pattern_c0c1(scheme);
        HandshakeServer server({.epoch_ms = 0x01020304, .seed = 42});
        Bytes out;
        auto used = server.feed(c0c1, out);
        ASSERT_TRUE(used);
        EXPECT_EQ(*used, c0c1_size);
        EXPECT_EQ(server.state(), HandshakeServer::State::want_c2);
        EXPECT_EQ(server.scheme(), scheme);
        EXPECT_EQ(server.peer_epoch(), 0x030A1118u);  // pattern bytes 0..3
        ASSERT_EQ(out.size(), s0s1s2_size);
        EXPECT_EQ(out[0], rtmp_plain_version);
        EXPECT_EQ(Bytes(out.begin() + 1, out.begin() + 5), (Bytes{1, 2, 3, 4}));

        // S1 carries an FMS digest in the client's scheme.
        auto s1_scheme = find_packet_digest(packet_at(out, 1), fms_partial());
        ASSERT_TRUE(s1_scheme);
        EXPECT_EQ(*s1_scheme, scheme);
        // S2's tail answers C1's digest with the full FMS key.
        const HandshakeDigest c1_digest = from_hex(scheme == DigestScheme::scheme0 ? pattern_scheme0_fp_digest
                                                                                   : pattern_scheme1_fp_digest);
        auto response = compute_response_digest(packet_at(out, 1 + handshake_packet_size), c1_digest, genuine_fms_key());
        ASSERT_TRUE(response);
        EXPECT_TRUE(std::equal(response->begin(), response->end(), out.end() - 32));
    }
}

TEST(HandshakeServer, SimpleFallbackWhenDigestInvalid) {
    Bytes c0c1 = pattern_c0c1(DigestScheme::scheme1);
    c0c1[1 + pattern_scheme1_offset] ^= 0x01;  // break the digest
    HandshakeServer server({.epoch_ms = 7, .seed = 1});
    Bytes out;
    auto used = server.feed(c0c1, out);
    ASSERT_TRUE(used);
    EXPECT_EQ(server.scheme(), DigestScheme::none);
    ASSERT_EQ(out.size(), s0s1s2_size);
    EXPECT_EQ(out[0], 3);
    EXPECT_EQ(Bytes(out.begin() + 1, out.begin() + 5), (Bytes{0, 0, 0, 7}));
    // SRS: S1's second field is C1's time, S2 echoes C1.
    EXPECT_TRUE(std::equal(out.begin() + 5, out.begin() + 9, c0c1.begin() + 1));
    EXPECT_TRUE(std::equal(out.begin() + 1 + handshake_packet_size, out.end(), c0c1.begin() + 1));
}

TEST(HandshakeServer, RejectsBadC0AtFirstByte) {
    for (std::uint8_t c0 : {std::uint8_t{0xF3}, std::uint8_t{'G'}, std::uint8_t{6}, std::uint8_t{0}}) {
        HandshakeServer server;
        Bytes out;
        const Bytes one{c0};
        auto used = server.feed(one, out);
        ASSERT_FALSE(used);
        EXPECT_EQ(used.error().code, core::Errc::protocol);
        EXPECT_NE(std::string_view(used.error().where).find("C0"), std::string_view::npos);
        EXPECT_EQ(server.state(), HandshakeServer::State::failed);
        EXPECT_TRUE(out.empty());
        // Sticky: more input does not revive it.
        auto again = server.feed(pattern_c0c1(DigestScheme::scheme1), out);
        ASSERT_FALSE(again);
        EXPECT_EQ(again.error().code, core::Errc::protocol);
    }
}

TEST(HandshakeServer, ReturnsBytesAfterC2) {
    Bytes in = pattern_c0c1(DigestScheme::scheme0);
    in.insert(in.end(), handshake_packet_size, 0xC2);
    const Bytes chunk{0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5A, 0x14};
    in.insert(in.end(), chunk.begin(), chunk.end());
    HandshakeServer server;
    Bytes out;
    auto used = server.feed(in, out);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, c0c1_size + handshake_packet_size);
    EXPECT_TRUE(server.done());
    EXPECT_EQ(out.size(), s0s1s2_size);
    EXPECT_EQ(Bytes(in.begin() + static_cast<std::ptrdiff_t>(*used), in.end()), chunk);
    // Done: nothing more is consumed and nothing more is written.
    auto after = server.feed(chunk, out);
    ASSERT_TRUE(after);
    EXPECT_EQ(*after, 0u);
    EXPECT_EQ(out.size(), s0s1s2_size);
}

TEST(HandshakeServer, AppendsToCallerBytes) {
    Bytes out{0xAA, 0xBB};
    HandshakeServer server;
    ASSERT_TRUE(server.feed(pattern_c0c1(DigestScheme::scheme1), out));
    ASSERT_EQ(out.size(), 2 + s0s1s2_size);
    EXPECT_EQ(out[0], 0xAA);
    EXPECT_EQ(out[1], 0xBB);
    EXPECT_EQ(out[2], 3);
}

TEST(HandshakeClient, ComplexC0C1HasScheme1Digest) {
    HandshakeClient client({.complex = true, .epoch_ms = 99, .seed = 5});
    Bytes c0c1;
    ASSERT_TRUE(client.start(c0c1));
    ASSERT_EQ(c0c1.size(), c0c1_size);
    EXPECT_EQ(c0c1[0], 3);
    EXPECT_EQ(Bytes(c0c1.begin() + 1, c0c1.begin() + 5), (Bytes{0, 0, 0, 99}));
    auto scheme = find_packet_digest(packet_at(c0c1, 1), fp_partial());
    ASSERT_TRUE(scheme);
    EXPECT_EQ(*scheme, DigestScheme::scheme1);
    EXPECT_EQ(client.state(), HandshakeClient::State::want_s0s1s2);
}

TEST(HandshakeClient, SimpleC0C1HasZeroVersion) {
    HandshakeClient client({.complex = false, .epoch_ms = 0, .seed = 5});
    Bytes c0c1;
    ASSERT_TRUE(client.start(c0c1));
    ASSERT_EQ(c0c1.size(), c0c1_size);
    EXPECT_EQ(Bytes(c0c1.begin() + 5, c0c1.begin() + 9), (Bytes{0, 0, 0, 0}));
}

TEST(HandshakeClient, MisuseIsAnError) {
    HandshakeClient client;
    Bytes out;
    auto early = client.feed(Bytes{3}, out);
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().code, core::Errc::invalid);
    ASSERT_TRUE(client.start(out));
    auto twice = client.start(out);
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, core::Errc::invalid);
    EXPECT_EQ(out.size(), c0c1_size);
}

TEST(HandshakeClient, RejectsBadS0) {
    HandshakeClient client;
    Bytes out;
    ASSERT_TRUE(client.start(out));
    out.clear();
    auto used = client.feed(Bytes{0xF3}, out);
    ASSERT_FALSE(used);
    EXPECT_EQ(used.error().code, core::Errc::protocol);
    EXPECT_EQ(client.state(), HandshakeClient::State::failed);
    EXPECT_TRUE(out.empty());
}

TEST(HandshakeClient, ToleratesSimpleServer) {
    HandshakeClient client({.complex = true, .epoch_ms = 0, .seed = 8});
    Bytes c0c1;
    ASSERT_TRUE(client.start(c0c1));
    // An old-style server: S1 = pattern (no digest anywhere), S2 = echo of C1.
    Bytes s0s1s2{3};
    const Bytes p = pattern_packet();
    s0s1s2.insert(s0s1s2.end(), p.begin(), p.end());
    s0s1s2.insert(s0s1s2.end(), c0c1.begin() + 1, c0c1.end());
    Bytes c2;
    auto used = client.feed(s0s1s2, c2);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, s0s1s2_size);
    EXPECT_TRUE(client.done());
    EXPECT_EQ(client.server_scheme(), DigestScheme::none);
    EXPECT_FALSE(client.server_response_valid());
    EXPECT_EQ(client.peer_epoch(), 0x030A1118u);
    EXPECT_EQ(c2, p);  // C2 echoes S1
}

TEST(HandshakeClient, FindsServerDigestInEitherScheme) {
    // nginx-rtmp answers every client in scheme1, SRS in the client's scheme: sign S1 in scheme0
    // although our C1 used scheme1 and check the client still answers with a digest C2.
    HandshakeClient client({.complex = true, .epoch_ms = 0, .seed = 9});
    Bytes c0c1;
    ASSERT_TRUE(client.start(c0c1));
    Bytes s1 = pattern_packet();
    ASSERT_TRUE(sign_packet(MutableHandshakePacket(s1.data(), handshake_packet_size), DigestScheme::scheme0, fms_partial()));
    Bytes s0s1s2{3};
    s0s1s2.insert(s0s1s2.end(), s1.begin(), s1.end());
    s0s1s2.resize(s0s1s2_size, 0x55);
    Bytes c2;
    ASSERT_TRUE(client.feed(s0s1s2, c2));
    EXPECT_EQ(client.server_scheme(), DigestScheme::scheme0);
    EXPECT_FALSE(client.server_response_valid());  // S2 was filler
    ASSERT_EQ(c2.size(), handshake_packet_size);
    auto s1_digest = compute_packet_digest(packet_at(s1, 0), DigestScheme::scheme0, fms_partial());
    ASSERT_TRUE(s1_digest);
    auto expected = compute_response_digest(packet_at(c2, 0), *s1_digest, genuine_fp_key());
    ASSERT_TRUE(expected);
    EXPECT_TRUE(std::equal(expected->begin(), expected->end(), c2.end() - 32));
}

// Feeds `in` to a handshake side in two pieces split at `split`, as a connection would: each
// call sees the bytes not consumed yet. Returns the bytes left over once the side stops taking.
template <class Side>
Bytes feed_split(Side& side, const Bytes& in, std::size_t split, Bytes& out) {
    std::size_t pos = 0;
    for (std::size_t end : {split, in.size()}) {
        auto used = side.feed(std::span<const std::uint8_t>(in.data() + pos, end - pos), out);
        EXPECT_TRUE(used) << (used ? "" : used.error().describe());
        if (!used) {
            return {};
        }
        pos += *used;
        if (pos < end) {  // it stopped taking: the rest belongs to the next layer
            break;
        }
    }
    return Bytes(in.begin() + static_cast<std::ptrdiff_t>(pos), in.end());
}

// Feeds `in` in pieces of `step` bytes.
template <class Side>
Bytes feed_steps(Side& side, const Bytes& in, std::size_t step, Bytes& out) {
    std::size_t pos = 0;
    while (pos < in.size()) {
        const std::size_t end = std::min(in.size(), pos + step);
        auto used = side.feed(std::span<const std::uint8_t>(in.data() + pos, end - pos), out);
        EXPECT_TRUE(used);
        if (!used || *used == 0) {
            break;
        }
        pos += *used;
    }
    return Bytes(in.begin() + static_cast<std::ptrdiff_t>(pos), in.end());
}

struct Transcript {
    Bytes c0c1, s0s1s2, c2;
};

// One unsplit run with fixed seeds: the reference every split run must reproduce.
Transcript reference_run(bool complex) {
    Transcript t;
    HandshakeClient client({.complex = complex, .epoch_ms = 1000, .seed = 11});
    HandshakeServer server({.epoch_ms = 2000, .seed = 22});
    EXPECT_TRUE(client.start(t.c0c1));
    EXPECT_TRUE(server.feed(t.c0c1, t.s0s1s2));
    EXPECT_TRUE(client.feed(t.s0s1s2, t.c2));
    EXPECT_TRUE(server.feed(t.c2, t.s0s1s2));
    EXPECT_TRUE(client.done());
    EXPECT_TRUE(server.done());
    const DigestScheme expected = complex ? DigestScheme::scheme1 : DigestScheme::none;
    EXPECT_EQ(server.scheme(), expected);
    EXPECT_EQ(client.server_scheme(), expected);
    EXPECT_EQ(client.server_response_valid(), complex);
    EXPECT_EQ(client.peer_epoch(), 2000u);
    EXPECT_EQ(server.peer_epoch(), 1000u);
    return t;
}

class HandshakeRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(HandshakeRoundTrip, EverySplitOffset) {
    const bool complex = GetParam();
    const Transcript ref = reference_run(complex);
    ASSERT_EQ(ref.c0c1.size(), c0c1_size);
    ASSERT_EQ(ref.s0s1s2.size(), s0s1s2_size);
    ASSERT_EQ(ref.c2.size(), handshake_packet_size);
    if (!complex) {
        EXPECT_TRUE(std::equal(ref.c2.begin(), ref.c2.end(), ref.s0s1s2.begin() + 1));  // C2 echoes S1
    }
    const Bytes chunk{0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x10, 0x00};

    // Server: C0C1, then C2 followed by the client's first chunk, split everywhere.
    for (std::size_t split = 0; split <= c0c1_size; ++split) {
        HandshakeServer server({.epoch_ms = 2000, .seed = 22});
        Bytes out;
        EXPECT_TRUE(feed_split(server, ref.c0c1, split, out).empty());
        ASSERT_EQ(out, ref.s0s1s2) << "split " << split;
    }
    Bytes c2_and_chunk = ref.c2;
    c2_and_chunk.insert(c2_and_chunk.end(), chunk.begin(), chunk.end());
    for (std::size_t split = 0; split <= c2_and_chunk.size(); ++split) {
        HandshakeServer server({.epoch_ms = 2000, .seed = 22});
        Bytes out;
        ASSERT_TRUE(server.feed(ref.c0c1, out));
        const Bytes rest = feed_split(server, c2_and_chunk, split, out);
        ASSERT_TRUE(server.done()) << "split " << split;
        ASSERT_EQ(rest, chunk) << "split " << split;
        ASSERT_EQ(out.size(), s0s1s2_size);
    }

    // Client: S0S1S2 followed by the server's first chunk, split everywhere.
    Bytes s0s1s2_and_chunk = ref.s0s1s2;
    s0s1s2_and_chunk.insert(s0s1s2_and_chunk.end(), chunk.begin(), chunk.end());
    for (std::size_t split = 0; split <= s0s1s2_and_chunk.size(); ++split) {
        HandshakeClient client({.complex = complex, .epoch_ms = 1000, .seed = 11});
        Bytes c0c1;
        ASSERT_TRUE(client.start(c0c1));
        Bytes c2;
        const Bytes rest = feed_split(client, s0s1s2_and_chunk, split, c2);
        ASSERT_TRUE(client.done()) << "split " << split;
        ASSERT_EQ(rest, chunk) << "split " << split;
        ASSERT_EQ(c2, ref.c2) << "split " << split;
    }
}

TEST_P(HandshakeRoundTrip, PieceSizes) {
    const bool complex = GetParam();
    const Transcript ref = reference_run(complex);
    for (std::size_t step : {1u, 2u, 3u, 7u, 31u, 512u, 1535u, 1536u, 1537u, 4096u}) {
        SCOPED_TRACE(step);
        HandshakeClient client({.complex = complex, .epoch_ms = 1000, .seed = 11});
        HandshakeServer server({.epoch_ms = 2000, .seed = 22});
        Bytes c0c1, s0s1s2, c2;
        ASSERT_TRUE(client.start(c0c1));
        EXPECT_TRUE(feed_steps(server, c0c1, step, s0s1s2).empty());
        EXPECT_TRUE(feed_steps(client, s0s1s2, step, c2).empty());
        EXPECT_TRUE(feed_steps(server, c2, step, s0s1s2).empty());
        EXPECT_TRUE(client.done());
        EXPECT_TRUE(server.done());
        EXPECT_EQ(s0s1s2, ref.s0s1s2);
        EXPECT_EQ(c2, ref.c2);
    }
}

INSTANTIATE_TEST_SUITE_P(Modes, HandshakeRoundTrip, ::testing::Values(true, false),
                         [](const auto& mode) { return mode.param ? "complex" : "simple"; });

TEST(HandshakeInterop, RandomSeeds) {
    // Default options draw the filler from RAND_bytes: many independent pairs must all agree.
    for (int i = 0; i < 50; ++i) {
        HandshakeClient client;
        HandshakeServer server;
        Bytes c0c1, s0s1s2, c2;
        ASSERT_TRUE(client.start(c0c1));
        ASSERT_TRUE(server.feed(c0c1, s0s1s2));
        ASSERT_TRUE(client.feed(s0s1s2, c2));
        ASSERT_TRUE(server.feed(c2, s0s1s2));
        ASSERT_TRUE(client.done() && server.done());
        EXPECT_EQ(server.scheme(), DigestScheme::scheme1);
        EXPECT_EQ(client.server_scheme(), DigestScheme::scheme1);
        EXPECT_TRUE(client.server_response_valid());
    }
}

}  // namespace
}  // namespace ringcast::proto::rtmp
