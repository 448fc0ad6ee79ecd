// libFuzzer target: the RTMP handshake state machines must turn any bytes, split anyhow, into
// progress or an Error, never a crash, an overrun or output of the wrong size.
// Input: byte 0 = flags (bit 0: sign the fuzzed C1 so the digest path runs, bit 1: its scheme,
// bit 2: simple client, bits 3-7: piece size - 1), then the peer's bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "proto/rtmp/handshake.h"

namespace {

using namespace ringcast::proto::rtmp;

constexpr std::size_t c0c1_size = 1 + handshake_packet_size;
constexpr std::size_t s0s1s2_size = 1 + 2 * handshake_packet_size;

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

// Feeds `in` in pieces of `step` bytes until the side stops consuming or fails; returns the
// total consumed.
template <class Side>
std::size_t feed_pieces(Side& side, std::span<const std::uint8_t> in, std::size_t step, std::vector<std::uint8_t>& out) {
    std::size_t pos = 0;
    while (pos < in.size()) {
        const std::size_t piece = std::min(step, in.size() - pos);
        auto used = side.feed(in.subspan(pos, piece), out);
        if (!used) {
            break;
        }
        check(*used <= piece);
        pos += *used;
        if (*used < piece) {
            break;
        }
    }
    return pos;
}

void fuzz_server(std::span<const std::uint8_t> in, std::uint8_t flags, std::size_t step) {
    std::vector<std::uint8_t> bytes(in.begin(), in.end());
    const bool signed_c1 = (flags & 1) != 0 && bytes.size() >= c0c1_size;
    const DigestScheme scheme = (flags & 2) != 0 ? DigestScheme::scheme1 : DigestScheme::scheme0;
    if (signed_c1) {
        check(sign_packet(MutableHandshakePacket(bytes.data() + 1, handshake_packet_size), scheme,
                          genuine_fp_key().first(genuine_fp_partial_size))
                  .has_value());
    }
    HandshakeServer server({.epoch_ms = 1, .seed = 1});
    std::vector<std::uint8_t> out;
    const std::size_t consumed = feed_pieces(server, bytes, step, out);
    check(consumed <= c0c1_size + handshake_packet_size);
    check(out.empty() || out.size() == s0s1s2_size);
    if (server.done()) {
        check(consumed == c0c1_size + handshake_packet_size);
    }
    if (out.size() == s0s1s2_size) {
        check(bytes[0] == rtmp_plain_version);
        if (signed_c1) {
            // scheme0 is tried first, so a scheme1 C1 may (astronomically rarely) match both.
            check(server.scheme() != DigestScheme::none);
        }
    }
}

void fuzz_client(std::span<const std::uint8_t> in, std::uint8_t flags, std::size_t step) {
    HandshakeClient client({.complex = (flags & 4) == 0, .epoch_ms = 1, .seed = 1});
    std::vector<std::uint8_t> out;
    check(client.start(out).has_value());
    check(out.size() == c0c1_size);
    out.clear();
    const std::size_t consumed = feed_pieces(client, in, step, out);
    check(consumed <= s0s1s2_size);
    check(out.empty() || out.size() == handshake_packet_size);
    check(client.done() == (out.size() == handshake_packet_size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::uint8_t flags = data[0];
    const std::size_t step = std::size_t{1} + (flags >> 3) * 97u;  // 1 .. 3008 bytes per feed
    const std::span<const std::uint8_t> rest(data + 1, size - 1);
    fuzz_server(rest, flags, step);
    fuzz_client(rest, flags, step);
    return 0;
}
