// RTMP handshake: Adobe RTMP specification 1.0, section 5.2 "Handshake" (C0/S0 version, C1/S1
// time + zero + random, C2/S2 echo), plus the undocumented digest ("complex") handshake every
// Flash-era peer uses. Its layout and keys follow SRS (srs_protocol_rtmp_handshake.cpp: c1s1
// schema0/schema1, c2s2) and nginx-rtmp (ngx_rtmp_handshake.c), which agree byte for byte:
//   C1/S1 = time(4) version(4) block(764) block(764); the digest block is offset(4) random
//   digest(32) random, the digest at 4 + (sum of the offset bytes % 728); the digest is
//   HMAC-SHA256(partial key, packet without the digest);
//   C2/S2 = random(1504) HMAC-SHA256(HMAC-SHA256(full key, peer's C1/S1 digest), random).

#include "proto/rtmp/handshake.h"

#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "core/byte_io.h"
#include "core/log.h"

namespace ringcast::proto::rtmp {

namespace {

using core::Errc;

constexpr std::uint8_t fp_key[] = {
    'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ', 'F', 'l', 'a', 's', 'h', ' ', 'P', 'l',
    'a', 'y', 'e', 'r', ' ', '0', '0', '1',  // the 30-byte partial key ends here
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
static_assert(sizeof fp_key == 62);

constexpr std::uint8_t fms_key[] = {
    'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ', 'F', 'l', 'a', 's', 'h', ' ', 'M', 'e',
    'd', 'i', 'a', ' ', 'S', 'e', 'r', 'v', 'e', 'r', ' ', '0', '0', '1',  // the 36-byte partial key ends here
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
static_assert(sizeof fms_key == 68);

constexpr std::size_t c1_time_version_size = 8;
constexpr std::size_t block_size = 764;
constexpr std::size_t digest_offset_modulus = block_size - 4 - handshake_digest_size;  // 728
constexpr std::size_t response_random_size = handshake_packet_size - handshake_digest_size;  // 1504
constexpr std::size_t c0c1_size = 1 + handshake_packet_size;
constexpr std::size_t s0s1s2_size = 1 + 2 * handshake_packet_size;

// The version fields of C1/S1 are informational. The client value is SRS's. The server value is
// nginx-rtmp's: a major >= 3 makes ffmpeg (and librtmp) players verify S1's digest and S2's
// response, as they do against FMS, so a real player checks our digests end to end.
constexpr std::uint32_t client_version = 0x80000702;
constexpr std::uint32_t server_version = 0x0D0E0A0D;

void store_be32(std::uint8_t* at, std::uint32_t value) {
    at[0] = static_cast<std::uint8_t>(value >> 24);
    at[1] = static_cast<std::uint8_t>(value >> 16);
    at[2] = static_cast<std::uint8_t>(value >> 8);
    at[3] = static_cast<std::uint8_t>(value);
}

std::uint32_t load_be32(std::span<const std::uint8_t> bytes) {
    core::ByteReader reader(bytes);
    std::uint32_t value = 0;
    reader.read_u32(value);
    return value;
}

// The filler bytes only have to look random to the peer (SRS uses rand()); splitmix64 is cheap
// and lets tests pin the bytes with a seed.
std::uint64_t next_random(std::uint64_t& state) {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void fill_random(std::uint64_t& state, std::span<std::uint8_t> bytes) {
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
        const std::uint64_t value = next_random(state);
        std::memcpy(bytes.data() + i, &value, std::min<std::size_t>(8, bytes.size() - i));
    }
}

std::uint64_t initial_seed(std::uint64_t seed) {
    if (seed != 0) {
        return seed;
    }
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) == 1) {
        return seed;
    }
    // No entropy source: the bytes need not be unpredictable, only vary between connections.
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

// Fetching an algorithm walks OpenSSL's provider store under a lock; do it once per process.
// The EVP_MAC is immutable and safe to share between threads.
EVP_MAC* hmac_algorithm() {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

struct MacCtxFree {
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

HandshakeDigest digest_at(HandshakePacket packet, std::size_t offset) {
    HandshakeDigest digest{};
    std::copy_n(packet.begin() + static_cast<std::ptrdiff_t>(offset), digest.size(), digest.begin());
    return digest;
}

bool digests_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

core::Result<bool> digest_validates(HandshakePacket packet, DigestScheme scheme, std::span<const std::uint8_t> key) {
    const HandshakeDigest expected = RINGCAST_TRY(compute_packet_digest(packet, scheme, key));
    return digests_equal(expected, packet.subspan(digest_offset(packet, scheme), handshake_digest_size));
}

DigestScheme other_scheme(DigestScheme scheme) {
    return scheme == DigestScheme::scheme0 ? DigestScheme::scheme1 : DigestScheme::scheme0;
}

}  // namespace

std::span<const std::uint8_t> genuine_fp_key() { return fp_key; }
std::span<const std::uint8_t> genuine_fms_key() { return fms_key; }

core::Result<HandshakeDigest> hmac_sha256(std::span<const std::uint8_t> key,
                                          std::initializer_list<std::span<const std::uint8_t>> parts) {
    EVP_MAC* mac = hmac_algorithm();
    if (mac == nullptr) {
        return core::fail(Errc::unsupported, "rtmp handshake: OpenSSL has no HMAC");
    }
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
    if (!ctx) {
        return core::fail_errno(ENOMEM, "rtmp handshake: EVP_MAC_CTX_new");
    }
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0), OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) {
        return core::fail(Errc::unsupported, "rtmp handshake: HMAC-SHA256 init");
    }
    for (const auto& part : parts) {
        if (!part.empty() && EVP_MAC_update(ctx.get(), part.data(), part.size()) != 1) {
            return core::fail(Errc::unsupported, "rtmp handshake: HMAC-SHA256 update");
        }
    }
    HandshakeDigest digest{};
    std::size_t digest_size = 0;
    if (EVP_MAC_final(ctx.get(), digest.data(), &digest_size, digest.size()) != 1 || digest_size != digest.size()) {
        return core::fail(Errc::unsupported, "rtmp handshake: HMAC-SHA256 final");
    }
    return digest;
}

std::size_t digest_offset(HandshakePacket packet, DigestScheme scheme) {
    const std::size_t block = scheme == DigestScheme::scheme0 ? c1_time_version_size + block_size : c1_time_version_size;
    const std::size_t sum = std::size_t{packet[block]} + packet[block + 1] + packet[block + 2] + packet[block + 3];
    return block + 4 + sum % digest_offset_modulus;
}

core::Result<HandshakeDigest> compute_packet_digest(HandshakePacket packet, DigestScheme scheme,
                                                    std::span<const std::uint8_t> key) {
    const std::size_t at = digest_offset(packet, scheme);
    return hmac_sha256(key, {packet.first(at), packet.subspan(at + handshake_digest_size)});
}

core::Status sign_packet(MutableHandshakePacket packet, DigestScheme scheme, std::span<const std::uint8_t> key) {
    const HandshakeDigest digest = RINGCAST_TRY(compute_packet_digest(packet, scheme, key));
    std::copy(digest.begin(), digest.end(), packet.begin() + static_cast<std::ptrdiff_t>(digest_offset(packet, scheme)));
    return {};
}

core::Result<DigestScheme> find_packet_digest(HandshakePacket packet, std::span<const std::uint8_t> key) {
    for (DigestScheme scheme : {DigestScheme::scheme0, DigestScheme::scheme1}) {
        if (RINGCAST_TRY(digest_validates(packet, scheme, key))) {
            return scheme;
        }
    }
    return DigestScheme::none;
}

core::Result<HandshakeDigest> compute_response_digest(HandshakePacket packet, const HandshakeDigest& peer_digest,
                                                      std::span<const std::uint8_t> full_key) {
    const HandshakeDigest temp_key = RINGCAST_TRY(hmac_sha256(full_key, {peer_digest}));
    return hmac_sha256(temp_key, {packet.first(response_random_size)});
}

// ---- server ------------------------------------------------------------------------------------

HandshakeServer::HandshakeServer(Options options)
    : rng_state_(initial_seed(options.seed)), epoch_ms_(options.epoch_ms) {}

core::Result<std::size_t> HandshakeServer::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
    if (state_ == State::failed) {
        return core::fail(error_);
    }
    std::size_t used = 0;
    if (state_ == State::want_c0c1) {
        const std::size_t take = std::min(in.size(), c0c1_size - c0c1_size_);
        std::copy_n(in.begin(), take, c0c1_.begin() + static_cast<std::ptrdiff_t>(c0c1_size_));
        c0c1_size_ += take;
        used += take;
        // Reject at the first byte: an HTTP request or an RTMPE (6) client must not make us
        // wait for 1536 more bytes before closing.
        if (c0c1_size_ > 0 && c0c1_[0] != rtmp_plain_version) {
            state_ = State::failed;
            error_ = core::Error::make(Errc::protocol, "rtmp handshake: C0 version is not 3 (plain RTMP)");
            return core::fail(error_);
        }
        if (c0c1_size_ < c0c1_size) {
            return used;
        }
        if (auto status = answer_c0c1(out); !status) {
            state_ = State::failed;
            error_ = status.error();
            return core::fail(error_);
        }
        state_ = State::want_c2;
    }
    if (state_ == State::want_c2) {
        // C2 is not verified: SRS never does, because ffmpeg's C2 would fail the check.
        const std::size_t take = std::min(in.size() - used, handshake_packet_size - c2_size_);
        c2_size_ += take;
        used += take;
        if (c2_size_ == handshake_packet_size) {
            state_ = State::done;
        }
    }
    return used;
}

core::Status HandshakeServer::answer_c0c1(std::vector<std::uint8_t>& out) {
    const HandshakePacket c1(c0c1_.data() + 1, handshake_packet_size);
    peer_epoch_ = load_be32(c1);
    scheme_ = RINGCAST_TRY(find_packet_digest(c1, genuine_fp_key().first(genuine_fp_partial_size)));

    const std::size_t base = out.size();
    out.resize(base + s0s1s2_size);
    std::uint8_t* s0 = out.data() + base;
    const MutableHandshakePacket s1(s0 + 1, handshake_packet_size);
    const MutableHandshakePacket s2(s0 + 1 + handshake_packet_size, handshake_packet_size);
    s0[0] = rtmp_plain_version;
    fill_random(rng_state_, {s1.data(), 2 * handshake_packet_size});
    store_be32(s1.data(), epoch_ms_);

    if (scheme_ == DigestScheme::none) {
        // Simple handshake as SRS answers it: S1 carries C1's time as its second field and S2
        // echoes C1 (RTMP 1.0, 5.2.4).
        RC_VERBOSE("rtmp handshake: C1 has no valid digest, simple handshake");
        std::copy_n(c1.begin(), 4, s1.begin() + 4);
        std::copy(c1.begin(), c1.end(), s2.begin());
        return {};
    }
    if (auto status = write_complex_s1s2(s1, s2, c1); !status) {
        out.resize(base);
        return status;
    }
    return {};
}

core::Status HandshakeServer::write_complex_s1s2(MutableHandshakePacket s1, MutableHandshakePacket s2,
                                                 HandshakePacket c1) {
    // S1 uses the client's scheme (SRS; FMS does the same), so a client that only looks for the
    // digest where it put its own finds it.
    store_be32(s1.data() + 4, server_version);
    RINGCAST_TRY(sign_packet(s1, scheme_, genuine_fms_key().first(genuine_fms_partial_size)));
    const HandshakeDigest c1_digest = digest_at(c1, digest_offset(c1, scheme_));
    const HandshakeDigest response = RINGCAST_TRY(compute_response_digest(s2, c1_digest, genuine_fms_key()));
    std::copy(response.begin(), response.end(), s2.begin() + static_cast<std::ptrdiff_t>(response_random_size));
    return {};
}

// ---- client ------------------------------------------------------------------------------------

HandshakeClient::HandshakeClient(Options options)
    : rng_state_(initial_seed(options.seed)),
      epoch_ms_(options.epoch_ms),
      c1_scheme_(options.complex ? DigestScheme::scheme1 : DigestScheme::none) {}

core::Status HandshakeClient::start(std::vector<std::uint8_t>& out) {
    if (state_ != State::idle) {
        return core::fail(Errc::invalid, "rtmp handshake: client started twice");
    }
    const std::size_t base = out.size();
    out.resize(base + c0c1_size);
    std::uint8_t* c0 = out.data() + base;
    const MutableHandshakePacket c1(c0 + 1, handshake_packet_size);
    c0[0] = rtmp_plain_version;
    fill_random(rng_state_, c1);
    store_be32(c1.data(), epoch_ms_);
    if (c1_scheme_ == DigestScheme::none) {
        // A zero version tells nginx-rtmp (and FMS) to answer with the simple handshake.
        store_be32(c1.data() + 4, 0);
    } else {
        // FMS accepts only scheme1 from a client (SRS's note), hence librtmp's and SRS's choice.
        store_be32(c1.data() + 4, client_version);
        if (auto status = sign_packet(c1, c1_scheme_, genuine_fp_key().first(genuine_fp_partial_size)); !status) {
            out.resize(base);
            state_ = State::failed;
            error_ = status.error();
            return status;
        }
        c1_digest_ = digest_at(c1, digest_offset(c1, c1_scheme_));
    }
    state_ = State::want_s0s1s2;
    return {};
}

core::Result<std::size_t> HandshakeClient::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
    switch (state_) {
    case State::idle: return core::fail(Errc::invalid, "rtmp handshake: client fed before start");
    case State::failed: return core::fail(error_);
    case State::done: return std::size_t{0};
    case State::want_s0s1s2: break;
    }
    const std::size_t take = std::min(in.size(), s0s1s2_size - s0s1s2_size_);
    std::copy_n(in.begin(), take, s0s1s2_.begin() + static_cast<std::ptrdiff_t>(s0s1s2_size_));
    s0s1s2_size_ += take;
    if (s0s1s2_size_ > 0 && s0s1s2_[0] != rtmp_plain_version) {
        state_ = State::failed;
        error_ = core::Error::make(Errc::protocol, "rtmp handshake: S0 version is not 3 (plain RTMP)");
        return core::fail(error_);
    }
    if (s0s1s2_size_ < s0s1s2_size) {
        return take;
    }
    if (auto status = answer_s0s1s2(out); !status) {
        state_ = State::failed;
        error_ = status.error();
        return core::fail(error_);
    }
    state_ = State::done;
    return take;
}

core::Status HandshakeClient::answer_s0s1s2(std::vector<std::uint8_t>& out) {
    const HandshakePacket s1(s0s1s2_.data() + 1, handshake_packet_size);
    const HandshakePacket s2(s0s1s2_.data() + 1 + handshake_packet_size, handshake_packet_size);
    peer_epoch_ = load_be32(s1);

    if (c1_scheme_ != DigestScheme::none) {
        // Look where we put our own digest first, then at the other place (librtmp's order):
        // SRS answers in the client's scheme, nginx-rtmp always in scheme1.
        const auto key = genuine_fms_key().first(genuine_fms_partial_size);
        for (DigestScheme scheme : {c1_scheme_, other_scheme(c1_scheme_)}) {
            if (RINGCAST_TRY(digest_validates(s1, scheme, key))) {
                server_scheme_ = scheme;
                break;
            }
        }
    }

    const std::size_t base = out.size();
    out.resize(base + handshake_packet_size);
    const MutableHandshakePacket c2(out.data() + base, handshake_packet_size);
    if (server_scheme_ == DigestScheme::none) {
        // The server answered simple (or we asked for simple): C2 echoes S1 (RTMP 1.0, 5.2.4).
        std::copy(s1.begin(), s1.end(), c2.begin());
        return {};
    }

    fill_random(rng_state_, c2);
    const HandshakeDigest s1_digest = digest_at(s1, digest_offset(s1, server_scheme_));
    auto response = compute_response_digest(c2, s1_digest, genuine_fp_key());
    auto expected = compute_response_digest(s2, c1_digest_, genuine_fms_key());
    if (!response || !expected) {
        out.resize(base);
        return core::fail(response ? expected.error() : response.error());
    }
    std::copy(response->begin(), response->end(), c2.begin() + static_cast<std::ptrdiff_t>(response_random_size));
    server_response_valid_ = digests_equal(*expected, s2.subspan(response_random_size));
    return {};
}

}  // namespace ringcast::proto::rtmp
