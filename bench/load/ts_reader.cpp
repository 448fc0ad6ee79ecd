#include "load/ts_reader.h"

#include <algorithm>
#include <cstring>

#include "load/clock_stamp.h"

namespace ringcast::load {
namespace {

constexpr std::uint8_t kSyncByte = 0x47;
constexpr std::uint16_t kPidPat = 0;
constexpr std::uint16_t kNoPid = 0xFFFF;

/// 33-bit PTS/DTS from its 5-byte field.
std::uint64_t timestamp_90k(const std::uint8_t* p) {
    return (std::uint64_t{p[0]} >> 1 & 0x07) << 30 | std::uint64_t{p[1]} << 22 | (std::uint64_t{p[2]} >> 1) << 15 |
           std::uint64_t{p[3]} << 7 | std::uint64_t{p[4]} >> 1;
}

/// The section a PSI payload starts (pointer_field skipped), or empty when it does not fit.
std::span<const std::uint8_t> psi_section(std::span<const std::uint8_t> payload) {
    if (payload.empty() || std::size_t{payload[0]} + 1 > payload.size()) {
        return {};
    }
    return payload.subspan(std::size_t{payload[0]} + 1);
}

struct AnnexBScan {
    bool keyframe = false;
    std::optional<std::uint64_t> stamp_ns;
};

/// Walks the NAL units of an Annex B prefix (the last one may be cut short by the prefix
/// bound, which at worst hides a stamp in a frame that has too much in front of it).
AnnexBScan scan_annex_b(std::span<const std::uint8_t> bytes, bool hevc) {
    AnnexBScan scan;
    std::size_t i = 0;
    std::size_t nal_start = std::span<const std::uint8_t>::extent;  // none yet
    auto take = [&](std::size_t end) {
        if (nal_start >= end) {
            return;
        }
        const auto nal = bytes.subspan(nal_start, end - nal_start);
        if (hevc) {
            const int type = nal[0] >> 1 & 0x3f;
            scan.keyframe = scan.keyframe || (type >= 16 && type <= 21);  // IRAP pictures
        } else {
            const int type = nal[0] & 0x1f;
            if (type == 5) {
                scan.keyframe = true;
            } else if (type == 6 && !scan.stamp_ns) {
                scan.stamp_ns = read_stamp_nal(nal);
            }
        }
    };
    while (i + 3 <= bytes.size()) {
        if (bytes[i] == 0 && bytes[i + 1] == 0 && bytes[i + 2] == 1) {
            take(i);  // a 4-byte start code's leading zero is trailing_zero, trimmed by readers
            i += 3;
            nal_start = i;
        } else {
            ++i;
        }
    }
    if (nal_start != std::span<const std::uint8_t>::extent) {
        take(bytes.size());
    }
    return scan;
}

}  // namespace

core::Status TsReader::feed(std::span<const std::uint8_t> bytes, Sink& sink) {
    if (failed_) {
        return core::fail(core::Errc::protocol, "ts: reader failed");
    }
    while (!bytes.empty()) {
        if (partial_bytes_ == 0 && bytes.size() >= kPacketBytes) {
            if (auto done = packet(bytes.data(), sink); !done) {
                failed_ = true;
                return done;
            }
            bytes = bytes.subspan(kPacketBytes);
            continue;
        }
        // A packet split across reads: gathered in a 188-byte array, never more.
        const std::size_t n = std::min(kPacketBytes - partial_bytes_, bytes.size());
        std::memcpy(partial_.data() + partial_bytes_, bytes.data(), n);
        partial_bytes_ += n;
        bytes = bytes.subspan(n);
        if (partial_bytes_ == kPacketBytes) {
            partial_bytes_ = 0;
            if (auto done = packet(partial_.data(), sink); !done) {
                failed_ = true;
                return done;
            }
        }
    }
    return {};
}

core::Status TsReader::finish_segment(Sink& sink) {
    if (failed_) {
        return core::fail(core::Errc::protocol, "ts: reader failed");
    }
    flush_video(sink);
    if (partial_bytes_ != 0) {
        return core::fail(core::Errc::protocol, "ts: segment does not end on a packet boundary");
    }
    return {};
}

void TsReader::start_segment() {
    partial_bytes_ = 0;
    failed_ = false;
    video_pending_ = false;
    prefix_bytes_ = 0;
}

core::Status TsReader::packet(const std::uint8_t* p, Sink& sink) {
    if (p[0] != kSyncByte) {
        return core::fail(core::Errc::protocol, "ts: bad sync byte");
    }
    const bool unit_start = (p[1] & 0x40) != 0;
    const auto pid = static_cast<std::uint16_t>((p[1] & 0x1f) << 8 | p[2]);
    const int adaptation = p[3] >> 4 & 0x03;
    std::size_t offset = 4;
    bool random_access = false;
    if ((adaptation & 0x02) != 0) {
        const std::size_t length = p[4];
        if (5 + length > kPacketBytes) {
            return core::fail(core::Errc::protocol, "ts: adaptation field too long");
        }
        random_access = length > 0 && (p[5] & 0x40) != 0;
        offset = 5 + length;
    }
    if ((adaptation & 0x01) == 0 || offset >= kPacketBytes) {
        return {};  // no payload
    }
    const std::span<const std::uint8_t> payload(p + offset, kPacketBytes - offset);
    if (pid == kPidPat) {
        return unit_start ? pat(payload) : core::Status{};
    }
    if (pid == pmt_pid_) {
        return unit_start ? pmt(payload) : core::Status{};
    }
    const bool video = pid == video_pid_;
    if (!video && pid != audio_pid_) {
        return {};  // null packets, other programs' PIDs
    }
    if (unit_start) {
        return pes_start(payload, video, random_access, sink);
    }
    if (video) {
        video_bytes(payload, sink);
    }
    return {};
}

core::Status TsReader::pat(std::span<const std::uint8_t> payload) {
    const auto s = psi_section(payload);
    if (s.size() < 8 || s[0] != 0x00) {
        return core::fail(core::Errc::protocol, "ts: bad PAT");
    }
    const std::size_t section_length = static_cast<std::size_t>(s[1] & 0x0f) << 8 | s[2];
    if (3 + section_length > s.size() || section_length < 9) {
        return core::fail(core::Errc::protocol, "ts: PAT longer than its packet");
    }
    // Programs from byte 8 to the CRC; the first one that is not the network PID (program 0).
    for (std::size_t i = 8; i + 4 <= 3 + section_length - 4; i += 4) {
        const int program = s[i] << 8 | s[i + 1];
        if (program != 0) {
            pmt_pid_ = static_cast<std::uint16_t>((s[i + 2] & 0x1f) << 8 | s[i + 3]);
            return {};
        }
    }
    return core::fail(core::Errc::protocol, "ts: PAT without a program");
}

core::Status TsReader::pmt(std::span<const std::uint8_t> payload) {
    const auto s = psi_section(payload);
    if (s.size() < 12 || s[0] != 0x02) {
        return core::fail(core::Errc::protocol, "ts: bad PMT");
    }
    const std::size_t section_length = static_cast<std::size_t>(s[1] & 0x0f) << 8 | s[2];
    if (3 + section_length > s.size() || section_length < 13) {
        return core::fail(core::Errc::protocol, "ts: PMT longer than its packet");
    }
    const std::size_t end = 3 + section_length - 4;  // the CRC
    std::size_t i = 12 + (static_cast<std::size_t>(s[10] & 0x0f) << 8 | s[11]);
    std::uint16_t video = kNoPid;
    std::uint16_t audio = kNoPid;
    bool hevc = false;
    while (i + 5 <= end) {
        const std::uint8_t type = s[i];
        const auto pid = static_cast<std::uint16_t>((s[i + 1] & 0x1f) << 8 | s[i + 2]);
        const std::size_t info_length = static_cast<std::size_t>(s[i + 3] & 0x0f) << 8 | s[i + 4];
        if ((type == 0x1B || type == 0x24) && video == kNoPid) {
            video = pid;
            hevc = type == 0x24;
        } else if ((type == 0x0F || type == 0x03 || type == 0x04) && audio == kNoPid) {
            audio = pid;
        }
        i += 5 + info_length;
    }
    if (video != video_pid_) {
        video_pending_ = false;  // a frame of the old PID is not this stream's
    }
    video_pid_ = video;
    audio_pid_ = audio;
    hevc_ = hevc;
    return {};
}

core::Status TsReader::pes_start(std::span<const std::uint8_t> payload, bool video, bool random_access, Sink& sink) {
    if (video) {
        flush_video(sink);  // the previous PES ended where this one starts
    }
    // packet_start_code_prefix, stream_id, PES_packet_length, two flag bytes, header length.
    if (payload.size() < 9 || payload[0] != 0 || payload[1] != 0 || payload[2] != 1) {
        return core::fail(core::Errc::protocol, "ts: bad PES start");
    }
    const std::size_t header_end = 9 + std::size_t{payload[8]};
    const int pts_dts = payload[7] >> 6;
    if (header_end > payload.size() || pts_dts == 1 || (pts_dts == 2 && header_end < 14) ||
        (pts_dts == 3 && header_end < 19)) {
        return core::fail(core::Errc::protocol, "ts: PES header longer than its packet");
    }
    if (pts_dts == 0) {
        return core::fail(core::Errc::protocol, "ts: PES without PTS");
    }
    const std::uint64_t dts_90k = timestamp_90k(payload.data() + (pts_dts == 3 ? 14 : 9));
    // 2^33 / 90 ms fits 32 bits; the wrap (every 26.5 h) is not undone.
    const auto dts_ms = static_cast<std::uint32_t>(dts_90k / 90);
    if (!video) {
        sink.on_ts_audio(dts_ms);  // one PES may hold several audio frames: counted as one
        return {};
    }
    video_pending_ = true;
    video_random_access_ = random_access;
    video_dts_ms_ = dts_ms;
    prefix_bytes_ = 0;
    video_bytes(payload.subspan(header_end), sink);
    return {};
}

void TsReader::video_bytes(std::span<const std::uint8_t> bytes, Sink& sink) {
    if (!video_pending_) {
        return;  // already reported (prefix full), or a PES whose start this segment lacks
    }
    const std::size_t n = std::min(kVideoPrefixBytes - prefix_bytes_, bytes.size());
    std::memcpy(prefix_.data() + prefix_bytes_, bytes.data(), n);
    prefix_bytes_ += n;
    if (prefix_bytes_ == kVideoPrefixBytes) {
        flush_video(sink);
    }
}

void TsReader::flush_video(Sink& sink) {
    if (!video_pending_) {
        return;
    }
    video_pending_ = false;
    const AnnexBScan scan = scan_annex_b(std::span<const std::uint8_t>(prefix_.data(), prefix_bytes_), hevc_);
    sink.on_ts_video(video_dts_ms_, video_random_access_ || scan.keyframe, scan.stamp_ns);
}

}  // namespace ringcast::load
