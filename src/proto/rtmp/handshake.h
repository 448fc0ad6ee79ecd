#pragma once
// RTMP handshake, both sides, sans-I/O: bytes in -> state, bytes out appended to the caller's
// vector. Simple handshake (RTMP spec 5.2) and the "complex" digest handshake that Flash Player,
// FMS, ffmpeg, librtmp, SRS and nginx-rtmp speak (HMAC-SHA256 digests keyed with the "Genuine
// Adobe Flash Player/Media Server 001" keys). No Diffie-Hellman/RTMPE: plain RTMP only (C0 = 3).

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "core/result.h"

namespace ringcast::proto::rtmp {

inline constexpr std::uint8_t rtmp_plain_version = 3;      // C0/S0: plain-text RTMP
inline constexpr std::size_t handshake_packet_size = 1536;  // C1, C2, S1, S2
inline constexpr std::size_t handshake_digest_size = 32;    // HMAC-SHA256
inline constexpr std::size_t genuine_fp_partial_size = 30;  // "Genuine Adobe Flash Player 001"
inline constexpr std::size_t genuine_fms_partial_size = 36;  // "Genuine Adobe Flash Media Server 001"

using HandshakeDigest = std::array<std::uint8_t, handshake_digest_size>;
using HandshakePacket = std::span<const std::uint8_t, handshake_packet_size>;
using MutableHandshakePacket = std::span<std::uint8_t, handshake_packet_size>;

/// Where the 32-byte digest of a complex C1/S1 sits (SRS's schema0/schema1). After the 8 bytes
/// of time and version come two 764-byte blocks, a key block and a digest block, in either order.
enum class DigestScheme : std::uint8_t {
    none,     // no valid digest: the simple handshake
    scheme0,  // key block first, digest block at 772 (Flash Player's usual layout)
    scheme1,  // digest block first at 8, key block after (librtmp, SRS and ffmpeg clients)
};

/// The 62-byte Flash Player key (client side) and the 68-byte Flash Media Server key (server
/// side); the first 30 / 36 bytes are the "partial" keys that sign C1 / S1.
std::span<const std::uint8_t> genuine_fp_key();
std::span<const std::uint8_t> genuine_fms_key();

/// HMAC-SHA256 of the concatenated parts.
core::Result<HandshakeDigest> hmac_sha256(std::span<const std::uint8_t> key,
                                          std::initializer_list<std::span<const std::uint8_t>> parts);

/// Offset of the digest inside C1/S1 for `scheme` (scheme0 or scheme1): derived from the four
/// offset bytes at the start of the digest block, always within [12, 1504].
std::size_t digest_offset(HandshakePacket packet, DigestScheme scheme);

/// The digest a complex C1/S1 should carry: HMAC over the packet without its 32 digest bytes.
core::Result<HandshakeDigest> compute_packet_digest(HandshakePacket packet, DigestScheme scheme,
                                                    std::span<const std::uint8_t> key);

/// Writes the digest into the packet at the scheme's offset (the other bytes stay as they are).
core::Status sign_packet(MutableHandshakePacket packet, DigestScheme scheme, std::span<const std::uint8_t> key);

/// Which scheme's digest validates with `key`: scheme0 is tried first, then scheme1, as SRS and
/// nginx-rtmp do; none when neither does (the peer is doing the simple handshake).
core::Result<DigestScheme> find_packet_digest(HandshakePacket packet, std::span<const std::uint8_t> key);

/// The last 32 bytes of a complex C2/S2: HMAC(HMAC(full_key, peer_digest), packet[0..1504)),
/// where peer_digest is the digest of the S1/C1 being answered.
core::Result<HandshakeDigest> compute_response_digest(HandshakePacket packet, const HandshakeDigest& peer_digest,
                                                      std::span<const std::uint8_t> full_key);

/// Server side of one connection's handshake (SRS SrsComplexHandshake with the simple fallback).
/// Owned by the connection on its shard; it holds about 1.6 KB, so the owner should drop it (e.g.
/// reset a std::optional) once done() and hand the unconsumed bytes to the chunk decoder.
class HandshakeServer {
public:
    enum class State : std::uint8_t { want_c0c1, want_c2, done, failed };

    struct Options {
        std::uint32_t epoch_ms = 0;  // S1's time field: the epoch of our chunk timestamps
        std::uint64_t seed = 0;      // seeds the (non-cryptographic) filler bytes; 0 = random
    };

    HandshakeServer() : HandshakeServer(Options{}) {}
    explicit HandshakeServer(Options options);

    /// Consumes handshake bytes from `in` and returns how many it took. Once C0C1 is complete it
    /// appends S0S1S2 (3073 bytes) to `out`. It never consumes past the end of C2: bytes after it
    /// (the client's first chunk often arrives with C2) belong to the chunk stream. After done()
    /// it consumes nothing. An error (bad C0, crypto failure) is sticky: the caller closes.
    core::Result<std::size_t> feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);

    [[nodiscard]] State state() const { return state_; }
    [[nodiscard]] bool done() const { return state_ == State::done; }
    /// The scheme of the client's C1 digest; none when we answered with the simple handshake.
    [[nodiscard]] DigestScheme scheme() const { return scheme_; }
    /// The client's C1 time field (its epoch).
    [[nodiscard]] std::uint32_t peer_epoch() const { return peer_epoch_; }

private:
    core::Status answer_c0c1(std::vector<std::uint8_t>& out);
    core::Status write_complex_s1s2(MutableHandshakePacket s1, MutableHandshakePacket s2, HandshakePacket c1);

    std::array<std::uint8_t, 1 + handshake_packet_size> c0c1_{};
    std::size_t c0c1_size_ = 0;
    std::size_t c2_size_ = 0;
    std::uint64_t rng_state_;
    std::uint32_t epoch_ms_;
    std::uint32_t peer_epoch_ = 0;
    core::Error error_{};
    State state_ = State::want_c0c1;
    DigestScheme scheme_ = DigestScheme::none;
};

/// Client side of one outgoing connection's handshake (edge pull, forward, tests). Owned by the
/// connection on its shard and dropped once done(); holds about 3 KB while S0S1S2 arrives.
class HandshakeClient {
public:
    enum class State : std::uint8_t { idle, want_s0s1s2, done, failed };

    struct Options {
        bool complex = true;         // send a scheme1 digest in C1, as librtmp and SRS do
        std::uint32_t epoch_ms = 0;  // C1's time field
        std::uint64_t seed = 0;      // seeds the filler bytes; 0 = random
    };

    HandshakeClient() : HandshakeClient(Options{}) {}
    explicit HandshakeClient(Options options);

    /// Appends C0C1 (1537 bytes) to `out`; call once, before feed().
    core::Status start(std::vector<std::uint8_t>& out);

    /// Consumes S0S1S2 bytes from `in` and returns how many it took; once all 3073 arrived it
    /// appends C2 (1536 bytes) to `out` and the handshake is done. Bytes past S2 are not consumed.
    /// S1's digest is checked when present, but a server that answers simple is accepted (nginx-
    /// rtmp and SRS clients do the same): C2 then echoes S1. Errors are sticky.
    core::Result<std::size_t> feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);

    [[nodiscard]] State state() const { return state_; }
    [[nodiscard]] bool done() const { return state_ == State::done; }
    /// The scheme of S1's valid digest; none when the server answered simple.
    [[nodiscard]] DigestScheme server_scheme() const { return server_scheme_; }
    /// True when S2 carried the correct response to our C1 digest (informational: like SRS and
    /// nginx-rtmp we do not refuse servers that get it wrong).
    [[nodiscard]] bool server_response_valid() const { return server_response_valid_; }
    /// The server's S1 time field (its epoch).
    [[nodiscard]] std::uint32_t peer_epoch() const { return peer_epoch_; }

private:
    core::Status answer_s0s1s2(std::vector<std::uint8_t>& out);

    std::array<std::uint8_t, 1 + 2 * handshake_packet_size> s0s1s2_{};
    std::size_t s0s1s2_size_ = 0;
    HandshakeDigest c1_digest_{};
    std::uint64_t rng_state_;
    std::uint32_t epoch_ms_;
    std::uint32_t peer_epoch_ = 0;
    core::Error error_{};
    State state_ = State::idle;
    DigestScheme c1_scheme_;
    DigestScheme server_scheme_ = DigestScheme::none;
    bool server_response_valid_ = false;
};

}  // namespace ringcast::proto::rtmp
