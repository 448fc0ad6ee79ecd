#include "load/clock_stamp.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace ringcast::load {
namespace {

constexpr std::array<std::uint8_t, 16> kUuid = {'r', 'i', 'n', 'g', 'c', 'a', 's', 't',
                                                '-', 'l', 'a', 't', 'e', 'n', 'c', 'y'};
constexpr std::uint8_t kNalSei = 0x06;
constexpr std::uint8_t kSeiUserDataUnregistered = 5;
constexpr std::size_t kSeiPayloadSize = kUuid.size() + 8;
// Payload type, payload size, payload, trailing bits.
constexpr std::size_t kRbspSize = 2 + kSeiPayloadSize + 1;
// Header byte + the RBSP with at most one emulation prevention byte per two RBSP bytes.
constexpr std::size_t kNalSizeMax = 1 + kRbspSize + kRbspSize / 2 + 1;
constexpr std::size_t kFlvAvcHeader = 5;  // frame type/codec, packet type, composition time

std::array<std::uint8_t, kRbspSize> stamp_rbsp(std::uint64_t stamp_ns) {
    std::array<std::uint8_t, kRbspSize> rbsp{};
    rbsp[0] = kSeiUserDataUnregistered;
    rbsp[1] = static_cast<std::uint8_t>(kSeiPayloadSize);
    std::copy(kUuid.begin(), kUuid.end(), rbsp.begin() + 2);
    for (std::size_t i = 0; i < 8; ++i) {
        rbsp[2 + kUuid.size() + i] = static_cast<std::uint8_t>(stamp_ns >> (56 - 8 * i));
    }
    rbsp[kRbspSize - 1] = 0x80;
    return rbsp;
}

/// The NAL unit (header + escaped RBSP) written to `out`; returns its size.
std::size_t write_nal(std::uint64_t stamp_ns, std::uint8_t* out) {
    const auto rbsp = stamp_rbsp(stamp_ns);
    std::size_t n = 0;
    out[n++] = kNalSei;
    int zeros = 0;
    for (std::uint8_t byte : rbsp) {
        if (zeros >= 2 && byte <= 3) {
            out[n++] = 3;
            zeros = 0;
        }
        out[n++] = byte;
        zeros = byte == 0 ? zeros + 1 : 0;
    }
    return n;
}

std::uint32_t be32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

}  // namespace

std::uint64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

bool is_avc_nalu_payload(std::span<const std::uint8_t> payload) {
    return payload.size() > kFlvAvcHeader && (payload[0] & 0x0f) == 7 && payload[1] == 1;
}

core::Buffer stamp_avc_payload(std::span<const std::uint8_t> payload, std::uint64_t stamp_ns) {
    std::uint8_t nal[kNalSizeMax];
    const std::size_t nal_size = write_nal(stamp_ns, nal);
    core::MutableBuffer out = core::MutableBuffer::allocate(payload.size() + 4 + nal_size);
    std::uint8_t* p = out.data();
    std::memcpy(p, payload.data(), kFlvAvcHeader);
    p += kFlvAvcHeader;
    const auto length = static_cast<std::uint32_t>(nal_size);
    *p++ = static_cast<std::uint8_t>(length >> 24);
    *p++ = static_cast<std::uint8_t>(length >> 16);
    *p++ = static_cast<std::uint8_t>(length >> 8);
    *p++ = static_cast<std::uint8_t>(length);
    std::memcpy(p, nal, nal_size);
    p += nal_size;
    std::memcpy(p, payload.data() + kFlvAvcHeader, payload.size() - kFlvAvcHeader);
    out.set_size(payload.size() + 4 + nal_size);
    return std::move(out).freeze();
}

std::optional<std::uint64_t> read_stamp(std::span<const std::uint8_t> payload) {
    if (!is_avc_nalu_payload(payload) || payload.size() < kFlvAvcHeader + 5) {
        return std::nullopt;
    }
    const std::size_t available = payload.size() - kFlvAvcHeader - 4;
    const std::uint32_t nal_size = be32(payload.data() + kFlvAvcHeader);
    if (nal_size > available) {
        return std::nullopt;
    }
    return read_stamp_nal(payload.subspan(kFlvAvcHeader + 4, nal_size));
}

std::optional<std::uint64_t> read_stamp_nal(std::span<const std::uint8_t> nal) {
    while (!nal.empty() && nal.back() == 0) {
        nal = nal.first(nal.size() - 1);  // trailing_zero_8bits (Annex B); our RBSP ends in 0x80
    }
    const std::size_t nal_size = nal.size();
    if (nal_size < 1 + kRbspSize || nal_size > kNalSizeMax || (nal[0] & 0x1f) != kNalSei) {
        return std::nullopt;
    }
    // Undo emulation prevention into a fixed array: the unit is ours only if it fits.
    std::array<std::uint8_t, kRbspSize> rbsp{};
    std::size_t n = 0;
    int zeros = 0;
    for (std::size_t i = 1; i < nal_size && n < kRbspSize; ++i) {
        std::uint8_t byte = nal[i];
        if (zeros >= 2 && byte == 3) {
            zeros = 0;
            continue;
        }
        rbsp[n++] = byte;
        zeros = byte == 0 ? zeros + 1 : 0;
    }
    if (n != kRbspSize || rbsp[0] != kSeiUserDataUnregistered || rbsp[1] != kSeiPayloadSize ||
        !std::equal(kUuid.begin(), kUuid.end(), rbsp.begin() + 2)) {
        return std::nullopt;
    }
    std::uint64_t stamp = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        stamp = stamp << 8 | rbsp[2 + kUuid.size() + i];
    }
    return stamp;
}

}  // namespace ringcast::load
