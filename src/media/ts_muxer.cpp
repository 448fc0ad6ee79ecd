// ISO/IEC 13818-1 (H.222.0): 2.4.3.2 transport packet, 2.4.3.4 adaptation field (PCR,
// random_access_indicator, stuffing), 2.4.3.6 PES packet (PTS/DTS), 2.4.4.3 PAT, 2.4.4.8 PMT,
// annex A CRC-32. H.264 7.3.2.4 / H.265 7.3.2.5 access unit delimiters, annex B byte streams.
// Shaped after SRS (srs_kernel_ts.cpp SrsTsContext::encode_pat_pmt/encode_pes,
// SrsTsMessageCache), paraphrased: PIDs 0x1001/0x100/0x101/0x102, AUD + SPS/PPS before IDR,
// audio gathered into one PES. Where this differs (PCR on every video PES and behind DTS by
// timestamp_offset_ms, random_access_indicator set, PMT versioned, PAT/PMT continuity counters
// advancing) the comments below say why. See ts_muxer.h.
#include "media/ts_muxer.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/byte_io.h"

namespace ringcast::media {
namespace {

using core::Errc;

constexpr std::size_t kTsHeaderSize = 4;
constexpr std::size_t kTsPayloadMax = kTsPacketSize - kTsHeaderSize;  // 184
constexpr std::uint8_t kTsSyncByte = 0x47;
constexpr std::uint8_t kStreamIdVideo = 0xE0;  // 13818-1 Table 2-22: video stream number 0
constexpr std::uint8_t kStreamIdAudio = 0xC0;  // audio stream number 0
constexpr std::uint8_t kPesHeaderMax = 19;     // 9 fixed + PTS 5 + DTS 5

constexpr std::array<std::uint8_t, 4> kStartCode = {0x00, 0x00, 0x00, 0x01};
// H.264 AUD: nal_unit_type 9, primary_pic_type 7 (any slice type) + rbsp stop bit.
constexpr std::array<std::uint8_t, 6> kAvcAud = {0x00, 0x00, 0x00, 0x01, 0x09, 0xF0};
// H.265 AUD: NAL header type 35 (layer 0, temporal id 1), pic_type 2 (any) + stop bit.
constexpr std::array<std::uint8_t, 7> kHevcAud = {0x00, 0x00, 0x00, 0x01, 0x46, 0x01, 0x50};

constexpr std::uint8_t kAvcNalIdr = 5;
constexpr std::uint8_t kAvcNalSps = 7;
constexpr std::uint8_t kAvcNalPps = 8;
constexpr std::uint8_t kAvcNalAud = 9;
constexpr std::uint8_t kHevcNalIrapFirst = 16;  // BLA_W_LP .. CRA_NUT, and 22/23 reserved IRAP
constexpr std::uint8_t kHevcNalIrapLast = 23;
constexpr std::uint8_t kHevcNalVps = 32;
constexpr std::uint8_t kHevcNalSps = 33;
constexpr std::uint8_t kHevcNalPps = 34;
constexpr std::uint8_t kHevcNalAud = 35;

/// CRC-32/MPEG-2 (annex A): polynomial 0x04C11DB7, initial 0xFFFFFFFF, not reflected, no final
/// XOR. A decoder checks it over each PSI section; a wrong one makes it drop the PAT/PMT.
constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t crc = i << 24;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
        }
        table[i] = crc;
    }
    return table;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

std::uint32_t crc32_mpeg2(std::span<const std::uint8_t> bytes) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (std::uint8_t byte : bytes) {
        crc = (crc << 8) ^ kCrcTable[((crc >> 24) ^ byte) & 0xFF];
    }
    return crc;
}

void put_u16(std::uint8_t* p, std::uint32_t value) {
    p[0] = static_cast<std::uint8_t>(value >> 8);
    p[1] = static_cast<std::uint8_t>(value);
}

/// 2.4.3.7: a 33-bit PTS or DTS in 5 bytes, 4-bit prefix and marker bits between the pieces.
void put_timestamp(std::uint8_t* p, std::uint8_t prefix, std::uint64_t ts_90khz) {
    p[0] = static_cast<std::uint8_t>(prefix << 4 | ((ts_90khz >> 29) & 0x0E) | 0x01);
    p[1] = static_cast<std::uint8_t>(ts_90khz >> 22);
    p[2] = static_cast<std::uint8_t>(((ts_90khz >> 14) & 0xFE) | 0x01);
    p[3] = static_cast<std::uint8_t>(ts_90khz >> 7);
    p[4] = static_cast<std::uint8_t>(((ts_90khz << 1) & 0xFE) | 0x01);
}

/// 2.4.3.5: program_clock_reference_base (33 bits), 6 reserved bits, extension (9 bits, 0: we
/// only have 90 kHz precision).
void put_pcr(std::uint8_t* p, std::uint64_t base_90khz) {
    p[0] = static_cast<std::uint8_t>(base_90khz >> 25);
    p[1] = static_cast<std::uint8_t>(base_90khz >> 17);
    p[2] = static_cast<std::uint8_t>(base_90khz >> 9);
    p[3] = static_cast<std::uint8_t>(base_90khz >> 1);
    p[4] = static_cast<std::uint8_t>((base_90khz & 0x01) << 7 | 0x7E);
    p[5] = 0x00;
}

/// PES header (2.4.3.6) up to and including PTS/DTS; returns its size. DTS only when it
/// differs from PTS, as SRS and ffmpeg do.
std::size_t put_pes_header(std::uint8_t* p, std::uint8_t stream_id, std::uint64_t pts, std::uint64_t dts,
                           std::size_t payload_bytes) {
    const bool with_dts = pts != dts;
    const std::size_t header_data_length = with_dts ? 10 : 5;
    const std::size_t after_length_field = 3 + header_data_length + payload_bytes;
    p[0] = 0x00;
    p[1] = 0x00;
    p[2] = 0x01;
    p[3] = stream_id;
    // 0 = unbounded, allowed for video only; audio PES stay below kTsAudioPesPayloadMax.
    put_u16(p + 4, after_length_field > 0xFFFF ? 0 : static_cast<std::uint32_t>(after_length_field));
    p[6] = 0x80;                         // '10', not scrambled, no priority/alignment/copyright
    p[7] = with_dts ? 0xC0 : 0x80;       // PTS_DTS_flags; no ESCR, rate, trick, CRC, extension
    p[8] = static_cast<std::uint8_t>(header_data_length);
    put_timestamp(p + 9, with_dts ? 0x3 : 0x2, pts);
    if (with_dts) {
        put_timestamp(p + 14, 0x1, dts);
    }
    return 9 + header_data_length;
}

/// Copies bytes out of a head span followed by a list of spans, in order.
class GatherCursor {
public:
    GatherCursor(std::span<const std::uint8_t> head, std::span<const std::span<const std::uint8_t>> pieces)
        : head_(head), pieces_(pieces) {}

    void copy_to(std::uint8_t* out, std::size_t count) {
        while (count > 0) {
            const std::span<const std::uint8_t> piece = current();
            const std::size_t take = std::min(count, piece.size() - offset_);
            if (take > 0) {
                std::memcpy(out, piece.data() + offset_, take);
                out += take;
                count -= take;
                offset_ += take;
            }
            if (offset_ == piece.size()) {
                ++index_;
                offset_ = 0;
            }
        }
    }

private:
    // Index 0 is the head, 1.. the pieces. Callers never ask past the total, so the index
    // stays in range while count > 0.
    std::span<const std::uint8_t> current() const { return index_ == 0 ? head_ : pieces_[index_ - 1]; }

    std::span<const std::uint8_t> head_;
    std::span<const std::span<const std::uint8_t>> pieces_;
    std::size_t index_ = 0;
    std::size_t offset_ = 0;
};

/// One PSI section (pointer_field 0) in one packet, CRC appended, rest 0xFF (2.4.4: stuffing
/// after a section is 0xFF). Sections here are a few dozen bytes.
void put_psi_packet(std::uint8_t* p, std::uint16_t pid, std::uint8_t continuity_counter,
                    std::span<const std::uint8_t> section) {
    p[0] = kTsSyncByte;
    p[1] = static_cast<std::uint8_t>(0x40 | (pid >> 8 & 0x1F));  // payload_unit_start
    p[2] = static_cast<std::uint8_t>(pid);
    p[3] = static_cast<std::uint8_t>(0x10 | continuity_counter);  // payload only
    p[4] = 0x00;                                                  // pointer_field
    std::memcpy(p + 5, section.data(), section.size());
    const std::uint32_t crc = crc32_mpeg2(section);
    std::uint8_t* crc_at = p + 5 + section.size();
    put_u16(crc_at, crc >> 16);
    put_u16(crc_at + 2, crc & 0xFFFF);
    std::memset(crc_at + 4, 0xFF, kTsPacketSize - (5 + section.size() + 4));
}

/// MPEG audio frame header (11-bit sync, then 2-bit version): MPEG-1 is stream_type 0x03,
/// MPEG-2 and 2.5 (the low sampling rates) 0x04. Anything unrecognisable is called MPEG-1,
/// which is what ffmpeg's muxer writes for every MP3.
TsStreamType mp3_stream_type(std::span<const std::uint8_t> frame) {
    if (frame.size() >= 2 && frame[0] == 0xFF && (frame[1] & 0xE0) == 0xE0) {
        const std::uint8_t version = (frame[1] >> 3) & 0x03;
        if (version == 0 || version == 2) {
            return TsStreamType::mpeg2_audio;
        }
    }
    return TsStreamType::mpeg1_audio;
}

}  // namespace

TsMuxer::TsMuxer(TsMuxerOptions options) : options_(options) {
    options_.audio_pes_bytes_max =
        std::min<std::uint32_t>(options_.audio_pes_bytes_max, static_cast<std::uint32_t>(kTsAudioPesPayloadMax));
    pieces_.reserve(64);
    held_audio_.reserve(options_.audio_pes_bytes_max);
}

std::uint16_t TsMuxer::pcr_pid() const {
    return video_.stream_type != TsStreamType::none ? kTsPidVideo : audio_.pid;
}

std::uint64_t TsMuxer::to_90khz(std::uint32_t timestamp_ms, bool with_offset) const {
    const std::uint64_t ms = std::uint64_t{timestamp_ms} + (with_offset ? options_.timestamp_offset_ms : 0);
    return (ms * 90) & kTs33BitMask;
}

std::uint8_t TsMuxer::next_continuity_counter(std::uint16_t pid) {
    std::uint8_t* counter = &cc_mp3_;
    switch (pid) {
    case kTsPidPat: counter = &cc_pat_; break;
    case kTsPidPmt: counter = &cc_pmt_; break;
    case kTsPidVideo: counter = &cc_video_; break;
    case kTsPidAudio: counter = &cc_aac_; break;
    default: break;
    }
    const std::uint8_t value = *counter;
    *counter = static_cast<std::uint8_t>((value + 1) & 0x0F);  // 4 bits, wraps 15 -> 0
    return value;
}

core::Result<TsMuxOutcome> TsMuxer::mux(const MediaFrame& frame, std::vector<std::uint8_t>& out) {
    if (frame.flags.metadata) {
        return TsMuxOutcome::ignored;
    }
    switch (frame.kind) {
    case FrameKind::video: return mux_video(frame, out);
    case FrameKind::audio: return mux_audio(frame, out);
    default: return TsMuxOutcome::ignored;  // script data: onMetaData has no place in TS
    }
}

void TsMuxer::write_tables(std::vector<std::uint8_t>& out) {
    if (video_.stream_type == TsStreamType::none && audio_.stream_type == TsStreamType::none) {
        tables_stale_ = true;  // written before the first PES, once a stream is known
        return;
    }
    if (tables_stale_ && pmt_written_once_) {
        pmt_version_ = static_cast<std::uint8_t>((pmt_version_ + 1) & 0x1F);  // 5 bits
    }
    const std::size_t base = out.size();
    out.resize(base + 2 * kTsPacketSize);
    std::uint8_t* p = out.data() + base;

    // PAT: table_id 0, section_length 13, transport_stream_id 1, version 0, one program.
    const std::array<std::uint8_t, 12> pat = {
        0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00,
        0x00, kTsProgramNumber, static_cast<std::uint8_t>(0xE0 | kTsPidPmt >> 8), kTsPidPmt & 0xFF};
    put_psi_packet(p, kTsPidPat, next_continuity_counter(kTsPidPat), pat);

    // PMT: table_id 2, program 1, PCR_PID, no program descriptors, then one entry per stream
    // (video first: ffprobe numbers streams in this order), no ES descriptors.
    std::array<std::uint8_t, 12 + 2 * 5> pmt{};
    std::size_t n = 0;
    auto put = [&](std::uint32_t byte) { pmt[n++] = static_cast<std::uint8_t>(byte); };
    const std::size_t stream_count =
        (video_.stream_type != TsStreamType::none ? 1 : 0) + (audio_.stream_type != TsStreamType::none ? 1 : 0);
    const std::size_t section_length = 9 + 5 * stream_count + 4;  // after the length field, CRC included
    put(0x02);
    put(0xB0 | section_length >> 8);
    put(section_length);
    put(kTsProgramNumber >> 8);
    put(kTsProgramNumber);
    put(0xC1 | pmt_version_ << 1);  // reserved, version_number, current_next_indicator
    put(0x00);                      // section_number
    put(0x00);                      // last_section_number
    put(0xE0 | pcr_pid() >> 8);
    put(pcr_pid());
    put(0xF0);  // program_info_length 0
    put(0x00);
    auto put_stream = [&](TsStreamType type, std::uint16_t pid) {
        put(static_cast<std::uint8_t>(type));
        put(0xE0 | pid >> 8);
        put(pid);
        put(0xF0);  // ES_info_length 0
        put(0x00);
    };
    if (video_.stream_type != TsStreamType::none) {
        put_stream(video_.stream_type, kTsPidVideo);
    }
    if (audio_.stream_type != TsStreamType::none) {
        put_stream(audio_.stream_type, audio_.pid);
    }
    put_psi_packet(p + kTsPacketSize, kTsPidPmt, next_continuity_counter(kTsPidPmt),
                   std::span<const std::uint8_t>(pmt.data(), n));

    tables_stale_ = false;
    tables_just_written_ = true;
    pmt_written_once_ = true;
    stats_.tables_written += 1;
    stats_.packets_written += 2;
}

void TsMuxer::write_tables_if_needed(std::vector<std::uint8_t>& out, bool at_keyframe) {
    if (tables_stale_ || (at_keyframe && options_.tables_before_keyframes && !tables_just_written_)) {
        write_tables(out);
    }
}

void TsMuxer::write_pes(std::vector<std::uint8_t>& out, const PesSpec& pes, std::span<const Piece> pieces,
                        std::size_t payload_bytes) {
    std::array<std::uint8_t, kPesHeaderMax> header{};
    const std::size_t header_bytes =
        put_pes_header(header.data(), pes.stream_id, pes.pts_90khz, pes.dts_90khz, payload_bytes);
    const std::size_t total = header_bytes + payload_bytes;
    // The first packet's adaptation field: length + flags, + 6 bytes of PCR.
    const bool first_has_flags = pes.write_pcr || pes.random_access;
    const std::size_t first_af_bytes = first_has_flags ? (pes.write_pcr ? 8 : 2) : 0;
    const std::size_t first_capacity = kTsPayloadMax - first_af_bytes;
    const std::size_t packets =
        total <= first_capacity ? 1 : 1 + (total - first_capacity + kTsPayloadMax - 1) / kTsPayloadMax;

    const std::size_t base = out.size();
    out.resize(base + packets * kTsPacketSize);
    std::uint8_t* p = out.data() + base;
    GatherCursor cursor(std::span<const std::uint8_t>(header.data(), header_bytes), pieces);
    std::size_t left = total;
    for (std::size_t i = 0; i < packets; ++i, p += kTsPacketSize) {
        const bool first = i == 0;
        const std::size_t required_af = first ? first_af_bytes : 0;
        const std::size_t take = std::min(left, kTsPayloadMax - required_af);
        // Only the last packet is short: its gap becomes adaptation-field stuffing, because a
        // PES must end exactly at a packet end and TS has no other padding inside a PID.
        const std::size_t af_bytes = kTsPayloadMax - take;
        p[0] = kTsSyncByte;
        p[1] = static_cast<std::uint8_t>((first ? 0x40 : 0x00) | (pes.pid >> 8 & 0x1F));
        p[2] = static_cast<std::uint8_t>(pes.pid);
        p[3] = static_cast<std::uint8_t>((af_bytes > 0 ? 0x30 : 0x10) | next_continuity_counter(pes.pid));
        std::uint8_t* q = p + kTsHeaderSize;
        if (af_bytes > 0) {
            q[0] = static_cast<std::uint8_t>(af_bytes - 1);  // adaptation_field_length
            if (af_bytes >= 2) {                              // 1 byte = the length alone
                std::size_t used = 2;
                q[1] = 0x00;
                if (first && pes.random_access) {
                    q[1] |= 0x40;
                }
                if (first && pes.write_pcr) {
                    q[1] |= 0x10;
                    put_pcr(q + 2, pes.pcr_90khz);
                    used += 6;
                }
                std::memset(q + used, 0xFF, af_bytes - used);
            }
            q += af_bytes;
        }
        cursor.copy_to(q, take);
        left -= take;
    }
    tables_just_written_ = false;
    stats_.pes_written += 1;
    stats_.packets_written += packets;
}

core::Result<TsMuxOutcome> TsMuxer::mux_video(const MediaFrame& frame, std::vector<std::uint8_t>& out) {
    const VideoTagView view = RINGCAST_TRY(parse_video_tag(frame.payload.span()));
    if (view.codec != Codec::h264 && view.codec != Codec::h265) {
        stats_.unsupported_frames += 1;
        return TsMuxOutcome::unsupported_codec;
    }
    if (view.packet_type == VideoPacketType::sequence_header) {
        return configure_video(view);
    }
    if (view.packet_type != VideoPacketType::coded_frames) {
        return TsMuxOutcome::ignored;
    }
    if (video_.codec != view.codec) {
        stats_.frames_without_config += 1;
        return TsMuxOutcome::waiting_for_config;
    }
    bool keyframe = view.keyframe;
    const std::size_t access_unit_bytes = RINGCAST_TRY(gather_access_unit(view.data, keyframe));
    if (access_unit_bytes == 0) {
        return TsMuxOutcome::ignored;
    }
    if (access_unit_bytes > options_.video_frame_bytes_max) {
        return core::fail(Errc::too_large, "ts: video frame larger than video_frame_bytes_max");
    }
    write_tables_if_needed(out, keyframe);
    PesSpec pes;
    pes.pid = kTsPidVideo;
    pes.stream_id = kStreamIdVideo;
    pes.dts_90khz = to_90khz(frame.timestamp_ms, true);
    // PTS = DTS + CTS. A negative composition time would put PTS before DTS, which no decoder
    // accepts (a frame shown before it is decoded); such a stream is broken, so show at DTS.
    const std::int64_t cts_ms = std::max<std::int32_t>(view.composition_time_ms, 0);
    pes.pts_90khz = (pes.dts_90khz + static_cast<std::uint64_t>(cts_ms) * 90) & kTs33BitMask;
    // PCR on every video PES rather than SRS's keyframes only: the spec wants one at least
    // every 100 ms and it costs 6 bytes per frame.
    pes.write_pcr = pcr_pid() == kTsPidVideo;
    pes.pcr_90khz = to_90khz(frame.timestamp_ms, false);
    pes.random_access = keyframe;
    write_pes(out, pes, pieces_, access_unit_bytes);
    stats_.video_frames += 1;
    return TsMuxOutcome::muxed;
}

core::Result<TsMuxOutcome> TsMuxer::configure_video(const VideoTagView& view) {
    VideoDecoderConfig config = RINGCAST_TRY(view.codec == Codec::h264 ? parse_avc_decoder_config(view.data)
                                                                        : parse_hevc_decoder_config(view.data));
    std::vector<std::uint8_t> annexb;
    auto append = [&](const std::vector<std::vector<std::uint8_t>>& list) {
        for (const auto& nalu : list) {
            annexb.insert(annexb.end(), kStartCode.begin(), kStartCode.end());
            annexb.insert(annexb.end(), nalu.begin(), nalu.end());
        }
    };
    append(config.vps);
    append(config.sps);
    append(config.pps);
    const TsStreamType stream_type = config.codec == Codec::h264 ? TsStreamType::h264 : TsStreamType::h265;
    if (video_.stream_type != stream_type) {
        tables_stale_ = true;
    }
    video_.codec = config.codec;
    video_.stream_type = stream_type;
    video_.nalu_length_size = config.nalu_length_size;
    video_.parameter_sets_annexb = std::move(annexb);
    return TsMuxOutcome::config_updated;
}

core::Result<std::size_t> TsMuxer::gather_access_unit(std::span<const std::uint8_t> nalus, bool& keyframe) {
    const bool avc = video_.codec == Codec::h264;
    pieces_.clear();
    // Our AUD first, then a slot for the parameter sets, filled below if this is a keyframe
    // that does not carry its own: they must precede the first slice, after the AUD.
    pieces_.push_back(avc ? Piece(kAvcAud) : Piece(kHevcAud));
    pieces_.push_back(Piece{});
    std::size_t bytes = pieces_.front().size();
    bool has_vps = false;
    bool has_sps = false;
    bool has_pps = false;
    std::size_t count = 0;
    core::ByteReader in(nalus);
    while (!in.empty()) {
        std::uint32_t length = 0;
        bool ok = false;
        switch (video_.nalu_length_size) {
        case 1: {
            std::uint8_t v = 0;
            ok = in.read_u8(v);
            length = v;
            break;
        }
        case 2: {
            std::uint16_t v = 0;
            ok = in.read_u16(v);
            length = v;
            break;
        }
        default: ok = in.read_u32(length); break;
        }
        Piece nalu;
        if (!ok || !in.read_bytes(length, nalu)) {
            return core::fail(Errc::protocol, "ts: NALU length past the frame");
        }
        if (nalu.empty()) {
            continue;  // a zero-length NALU would read as a stray start code in Annex B
        }
        const std::uint8_t type = avc ? nalu[0] & 0x1F : (nalu[0] >> 1) & 0x3F;
        if (type == (avc ? kAvcNalAud : kHevcNalAud)) {
            continue;  // ours goes first; a second AUD in one access unit is not allowed
        }
        if (avc) {
            has_sps |= type == kAvcNalSps;
            has_pps |= type == kAvcNalPps;
            keyframe |= type == kAvcNalIdr;
        } else {
            has_vps |= type == kHevcNalVps;
            has_sps |= type == kHevcNalSps;
            has_pps |= type == kHevcNalPps;
            keyframe |= type >= kHevcNalIrapFirst && type <= kHevcNalIrapLast;
        }
        if (++count > kTsFrameNalusMax) {
            return core::fail(Errc::too_large, "ts: too many NALUs in one frame");
        }
        pieces_.push_back(kStartCode);
        pieces_.push_back(nalu);
        bytes += kStartCode.size() + nalu.size();
    }
    if (count == 0) {
        return std::size_t{0};
    }
    const bool carries_parameter_sets = has_sps && has_pps && (avc || has_vps);
    if (keyframe && !carries_parameter_sets) {
        pieces_[1] = video_.parameter_sets_annexb;
        bytes += video_.parameter_sets_annexb.size();
    }
    return bytes;
}

core::Result<TsMuxOutcome> TsMuxer::mux_audio(const MediaFrame& frame, std::vector<std::uint8_t>& out) {
    const AudioTagView view = RINGCAST_TRY(parse_audio_tag(frame.payload.span()));
    if (view.codec == Codec::aac) {
        if (view.sequence_header) {
            return configure_aac(view, out);
        }
        if (!view.coded_frame || view.data.empty()) {
            return TsMuxOutcome::ignored;
        }
        if (audio_.codec != Codec::aac || !audio_.aac_configured) {
            stats_.frames_without_config += 1;
            return TsMuxOutcome::waiting_for_config;
        }
        const auto adts = make_adts_header(audio_.aac, view.data.size());
        if (!adts) {
            return core::Unexpected{adts.error()};
        }
        return hold_audio(frame.timestamp_ms, *adts, view.data, out);
    }
    if (view.codec == Codec::mp3) {
        if (!view.coded_frame || view.data.empty()) {
            return TsMuxOutcome::ignored;
        }
        if (view.data.size() > kTsAudioPesPayloadMax) {
            return core::fail(Errc::too_large, "ts: MP3 frame larger than an audio PES");
        }
        if (audio_.codec != Codec::mp3) {
            set_audio_codec(Codec::mp3, mp3_stream_type(view.data), kTsPidMp3, out);
        }
        return hold_audio(frame.timestamp_ms, {}, view.data, out);
    }
    stats_.unsupported_frames += 1;
    return TsMuxOutcome::unsupported_codec;
}

core::Result<TsMuxOutcome> TsMuxer::configure_aac(const AudioTagView& view, std::vector<std::uint8_t>& out) {
    const AacConfig config = RINGCAST_TRY(parse_aac_audio_specific_config(view.data));
    if (!make_adts_header(config, 0)) {
        // Valid AAC that ADTS cannot describe (e.g. channel configuration 0): the frames that
        // follow belong to it, so the old configuration must not frame them either.
        audio_.aac_configured = false;
        stats_.unsupported_frames += 1;
        return TsMuxOutcome::unsupported_codec;
    }
    if (audio_.codec != Codec::aac) {
        set_audio_codec(Codec::aac, TsStreamType::aac_adts, kTsPidAudio, out);
    }
    audio_.aac = config;
    audio_.aac_configured = true;
    return TsMuxOutcome::config_updated;
}

void TsMuxer::set_audio_codec(Codec codec, TsStreamType stream_type, std::uint16_t pid,
                              std::vector<std::uint8_t>& out) {
    // Held audio of the old codec goes out on its PID while the current PMT still lists it
    // (the only case where a sequence header appends bytes: a mid-stream audio codec switch).
    if (!held_audio_.empty() && held_audio_pid_ != pid) {
        flush(out);
    }
    audio_.codec = codec;
    audio_.stream_type = stream_type;
    audio_.pid = pid;
    tables_stale_ = true;
}

// Why audio is gathered: one AAC frame (~370 bytes at 128 kbps) alone in a PES costs a 14-byte
// PES header plus, on average, half a packet of stuffing: ~35% on top of the audio, and ~50%
// for an audio-only stream. SRS and ffmpeg both gather for this reason. The bound is time
// (audio_pes_duration_ms_max, so a PES never holds more than ~100 ms and players never wait
// for it) and bytes (audio_pes_bytes_max). The PES carries the first frame's PTS; each ADTS or
// MP3 frame inside has a fixed duration, so decoders time the rest themselves. A timestamp
// going backwards starts a new PES rather than hiding the jump.
TsMuxOutcome TsMuxer::hold_audio(std::uint32_t timestamp_ms, Piece header, Piece frame,
                                 std::vector<std::uint8_t>& out) {
    const std::size_t size = header.size() + frame.size();
    if (!held_audio_.empty()) {
        const bool out_of_span = timestamp_ms < held_audio_first_ms_ ||
                                 timestamp_ms - held_audio_first_ms_ >= options_.audio_pes_duration_ms_max;
        const bool too_big = held_audio_.size() + size > options_.audio_pes_bytes_max;
        if (out_of_span || too_big) {
            flush(out);
        }
    }
    if (held_audio_.empty()) {
        held_audio_first_ms_ = timestamp_ms;
        held_audio_pid_ = audio_.pid;
    }
    held_audio_.insert(held_audio_.end(), header.begin(), header.end());
    held_audio_.insert(held_audio_.end(), frame.begin(), frame.end());
    held_audio_frames_ += 1;
    stats_.audio_frames += 1;
    if (options_.audio_pes_duration_ms_max == 0 || held_audio_.size() >= options_.audio_pes_bytes_max) {
        flush(out);
        return TsMuxOutcome::muxed;
    }
    return TsMuxOutcome::buffered;
}

void TsMuxer::flush(std::vector<std::uint8_t>& out) {
    if (held_audio_.empty()) {
        return;
    }
    write_tables_if_needed(out, false);
    PesSpec pes;
    pes.pid = held_audio_pid_;
    pes.stream_id = kStreamIdAudio;
    pes.pts_90khz = to_90khz(held_audio_first_ms_, true);
    pes.dts_90khz = pes.pts_90khz;
    pes.write_pcr = pcr_pid() == held_audio_pid_;  // audio-only streams: SRS writes it on every audio PES
    pes.pcr_90khz = to_90khz(held_audio_first_ms_, false);
    pes.random_access = true;  // every audio frame is a random access point (ffmpeg marks them too)
    const Piece held(held_audio_);
    write_pes(out, pes, std::span<const Piece>(&held, 1), held_audio_.size());
    held_audio_.clear();
    held_audio_frames_ = 0;
}

}  // namespace ringcast::media
