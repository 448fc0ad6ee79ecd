// ISO/IEC 14496-15 5.3.3.1 (AVCDecoderConfigurationRecord) and 8.3.3.1
// (HEVCDecoderConfigurationRecord); ISO/IEC 14496-3 1.6.2.1 (AudioSpecificConfig) and
// ISO/IEC 13818-7 6.2 (adts_fixed_header, adts_variable_header); "Video File Format
// Specification" v10.1 annex E.4.2/E.4.3 and enhanced RTMP v1/v2 for the tag-body headers.
// See codec_config.h.
#include "media/codec_config.h"

#include "core/byte_io.h"

namespace ringcast::media {
namespace {

using core::Errc;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint32_t fourcc(char a, char b, char c, char d) {
    return std::uint32_t(std::uint8_t(a)) << 24 | std::uint32_t(std::uint8_t(b)) << 16 |
           std::uint32_t(std::uint8_t(c)) << 8 | std::uint32_t(std::uint8_t(d));
}

std::uint32_t read_fourcc_at1(std::span<const std::uint8_t> body) {
    return std::uint32_t(body[1]) << 24 | std::uint32_t(body[2]) << 16 | std::uint32_t(body[3]) << 8 |
           std::uint32_t(body[4]);
}

/// SI24 composition time (FLV annex E.4.3.1), sign-extended.
std::int32_t read_si24(const std::uint8_t* p) {
    std::uint32_t value = std::uint32_t{p[0]} << 16 | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]};
    if (value & 0x800000) {
        value |= 0xFF000000u;
    }
    return static_cast<std::int32_t>(value);
}

// H.264 nal_unit_type (7.4.1) and H.265 nal_unit_type (7.4.2.2) of parameter sets.
constexpr std::uint8_t kAvcNalSps = 7;
constexpr std::uint8_t kAvcNalPps = 8;
constexpr std::uint8_t kHevcNalVps = 32;
constexpr std::uint8_t kHevcNalSps = 33;
constexpr std::uint8_t kHevcNalPps = 34;

/// Reads one u16-length-prefixed NALU and appends it to `list`, charging `bytes_kept`.
core::Status read_parameter_set(core::ByteReader& in, std::vector<Bytes>& list, std::size_t& bytes_kept,
                                const char* where) {
    std::uint16_t length = 0;
    std::span<const std::uint8_t> nalu;
    if (!in.read_u16(length) || !in.read_bytes(length, nalu)) {
        return core::fail(Errc::protocol, where);
    }
    if (nalu.empty()) {
        return core::fail(Errc::protocol, "codec: empty parameter set");
    }
    if (list.size() >= kParameterSetsPerKindMax || bytes_kept + nalu.size() > kParameterSetsBytesMax) {
        return core::fail(Errc::too_large, "codec: too many parameter set bytes");
    }
    bytes_kept += nalu.size();
    list.emplace_back(nalu.begin(), nalu.end());
    return {};
}

/// lengthSizeMinusOne is 2 bits; 3-byte lengths are reserved for AVC (14496-15 5.3.3.1.2:
/// "the value 2 is not allowed") and no HEVC encoder uses them, so both refuse them.
core::Result<std::uint8_t> nalu_length_size_of(std::uint8_t field) {
    const auto size = static_cast<std::uint8_t>((field & 0x03) + 1);
    if (size == 3) {
        return core::fail(Errc::protocol, "codec: NALU length size 3");
    }
    return size;
}

// ISO/IEC 14496-3 Table 1.18, samplingFrequencyIndex 0..12.
constexpr std::array<std::uint32_t, 13> kAacSamplingFrequencies = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350};
constexpr std::uint8_t kAacExplicitFrequency = 15;
constexpr std::uint8_t kAacObjectSbr = 5;
constexpr std::uint8_t kAacObjectPs = 29;

/// MSB-first bit reader over an AudioSpecificConfig: a few dozen bits, every read checked.
class BitReader {
public:
    explicit BitReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    bool read(unsigned count, std::uint32_t& out) {
        if (count > 32 || bytes_.size() * 8 - bit_ < count) {
            return false;
        }
        std::uint32_t value = 0;
        for (unsigned i = 0; i < count; ++i, ++bit_) {
            value = value << 1 | ((bytes_[bit_ / 8] >> (7 - bit_ % 8)) & 1u);
        }
        out = value;
        return true;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t bit_ = 0;
};

/// GetAudioObjectType() (1.6.2.1): 5 bits, 31 escapes to 32 + 6 more bits.
bool read_object_type(BitReader& bits, std::uint8_t& out) {
    std::uint32_t value = 0;
    if (!bits.read(5, value)) {
        return false;
    }
    if (value == 31) {
        std::uint32_t extension = 0;
        if (!bits.read(6, extension)) {
            return false;
        }
        value = 32 + extension;
    }
    out = static_cast<std::uint8_t>(value);
    return true;
}

/// samplingFrequencyIndex, with the 24-bit explicit frequency after index 15.
bool read_sampling_frequency(BitReader& bits, std::uint8_t& index, std::uint32_t& hz) {
    std::uint32_t value = 0;
    if (!bits.read(4, value)) {
        return false;
    }
    index = static_cast<std::uint8_t>(value);
    if (index == kAacExplicitFrequency) {
        return bits.read(24, hz);
    }
    hz = index < kAacSamplingFrequencies.size() ? kAacSamplingFrequencies[index] : 0;
    return true;
}

}  // namespace

core::Result<VideoDecoderConfig> parse_avc_decoder_config(std::span<const std::uint8_t> record) {
    core::ByteReader in(record);
    std::uint8_t version = 0;
    std::uint8_t compatibility = 0;
    std::uint8_t length_field = 0;
    std::uint8_t sps_count = 0;
    VideoDecoderConfig config;
    config.codec = Codec::h264;
    if (!in.read_u8(version) || !in.read_u8(config.profile_idc) || !in.read_u8(compatibility) ||
        !in.read_u8(config.level_idc) || !in.read_u8(length_field) || !in.read_u8(sps_count)) {
        return core::fail(Errc::protocol, "avc: configuration record truncated");
    }
    if (version != 1) {
        return core::fail(Errc::protocol, "avc: configurationVersion is not 1");
    }
    config.nalu_length_size = RINGCAST_TRY(nalu_length_size_of(length_field));
    std::size_t bytes_kept = 0;
    sps_count &= 0x1F;  // 3 reserved bits above numOfSequenceParameterSets
    for (std::uint8_t i = 0; i < sps_count; ++i) {
        RINGCAST_TRY(read_parameter_set(in, config.sps, bytes_kept, "avc: SPS truncated"));
        if ((config.sps.back()[0] & 0x1F) != kAvcNalSps) {
            return core::fail(Errc::protocol, "avc: SPS list holds another NALU type");
        }
    }
    std::uint8_t pps_count = 0;
    if (!in.read_u8(pps_count)) {
        return core::fail(Errc::protocol, "avc: PPS count missing");
    }
    for (std::uint8_t i = 0; i < pps_count; ++i) {
        RINGCAST_TRY(read_parameter_set(in, config.pps, bytes_kept, "avc: PPS truncated"));
        if ((config.pps.back()[0] & 0x1F) != kAvcNalPps) {
            return core::fail(Errc::protocol, "avc: PPS list holds another NALU type");
        }
    }
    // A decoder can start at no keyframe without both; SRS refuses such a header too.
    if (config.sps.empty() || config.pps.empty()) {
        return core::fail(Errc::protocol, "avc: record without SPS or PPS");
    }
    return config;
}

core::Result<VideoDecoderConfig> parse_hevc_decoder_config(std::span<const std::uint8_t> record) {
    // 14496-15 8.3.3.1.1: 22 fixed bytes (version, profile/tier/level, compatibility and
    // constraint flags, segmentation, parallelism, chroma, bit depths, frame rate, then
    // constantFrameRate|numTemporalLayers|temporalIdNested|lengthSizeMinusOne) + numOfArrays.
    constexpr std::size_t kFixedBytes = 22;
    core::ByteReader in(record);
    std::span<const std::uint8_t> fixed;
    std::uint8_t array_count = 0;
    if (!in.read_bytes(kFixedBytes, fixed) || !in.read_u8(array_count)) {
        return core::fail(Errc::protocol, "hevc: configuration record truncated");
    }
    if (fixed[0] != 1) {
        return core::fail(Errc::protocol, "hevc: configurationVersion is not 1");
    }
    if (array_count > kHevcArraysMax) {
        return core::fail(Errc::too_large, "hevc: too many NALU arrays");
    }
    VideoDecoderConfig config;
    config.codec = Codec::h265;
    config.profile_idc = fixed[1] & 0x1F;
    config.level_idc = fixed[12];
    config.nalu_length_size = RINGCAST_TRY(nalu_length_size_of(fixed[21]));
    std::size_t bytes_kept = 0;
    for (std::uint8_t array = 0; array < array_count; ++array) {
        std::uint8_t type_field = 0;
        std::uint16_t nalu_count = 0;
        if (!in.read_u8(type_field) || !in.read_u16(nalu_count)) {
            return core::fail(Errc::protocol, "hevc: NALU array truncated");
        }
        const std::uint8_t type = type_field & 0x3F;  // array_completeness|reserved|NAL_unit_type
        std::vector<Bytes>* list = type == kHevcNalVps   ? &config.vps
                                   : type == kHevcNalSps ? &config.sps
                                   : type == kHevcNalPps ? &config.pps
                                                         : nullptr;
        for (std::uint16_t i = 0; i < nalu_count; ++i) {
            if (list == nullptr) {  // SEI and others: skipped, but must still be there
                std::uint16_t length = 0;
                if (!in.read_u16(length) || !in.skip(length)) {
                    return core::fail(Errc::protocol, "hevc: NALU truncated");
                }
                continue;
            }
            RINGCAST_TRY(read_parameter_set(in, *list, bytes_kept, "hevc: parameter set truncated"));
            const Bytes& nalu = list->back();
            // The NAL unit header is 2 bytes (7.3.1.2); its type must be the array's.
            if (nalu.size() < 2 || ((nalu[0] >> 1) & 0x3F) != type) {
                return core::fail(Errc::protocol, "hevc: array holds another NALU type");
            }
        }
    }
    if (config.vps.empty() || config.sps.empty() || config.pps.empty()) {
        return core::fail(Errc::protocol, "hevc: record without VPS, SPS or PPS");
    }
    return config;
}

core::Result<VideoTagView> parse_video_tag(std::span<const std::uint8_t> body) {
    if (body.empty()) {
        return core::fail(Errc::protocol, "video: empty tag body");
    }
    VideoTagView view;
    const std::uint8_t first = body[0];
    if (first & 0x80) {
        // Enhanced RTMP: [IsExHeader:1][FrameType:3][PacketType:4][FourCC:32] ...
        constexpr std::size_t kExHeaderBytes = 5;
        if (body.size() < kExHeaderBytes) {
            return core::fail(Errc::protocol, "video: enhanced header truncated");
        }
        const std::uint8_t packet_type = first & 0x0F;
        view.keyframe = ((first >> 4) & 0x07) == 1;
        switch (read_fourcc_at1(body)) {
        case fourcc('a', 'v', 'c', '1'): view.codec = Codec::h264; break;
        case fourcc('h', 'v', 'c', '1'): view.codec = Codec::h265; break;
        case fourcc('a', 'v', '0', '1'): view.codec = Codec::av1; break;
        case fourcc('v', 'p', '0', '9'): view.codec = Codec::vp9; break;
        default: break;
        }
        view.data = body.subspan(kExHeaderBytes);
        switch (packet_type) {
        case 0: view.packet_type = VideoPacketType::sequence_header; break;
        case 1:  // CodedFrames: avc1/hvc1 carry an SI24 composition time first
            view.packet_type = VideoPacketType::coded_frames;
            if (view.codec == Codec::h264 || view.codec == Codec::h265) {
                if (body.size() < kExHeaderBytes + 3) {
                    return core::fail(Errc::protocol, "video: composition time truncated");
                }
                view.composition_time_ms = read_si24(body.data() + kExHeaderBytes);
                view.data = body.subspan(kExHeaderBytes + 3);
            }
            break;
        case 2: view.packet_type = VideoPacketType::end_of_sequence; break;
        case 3: view.packet_type = VideoPacketType::coded_frames; break;  // CodedFramesX: no composition time
        case 6:  // Multitrack: the FourCC is not at bytes 1..4, so the codec above is meaningless
        case 7:  // ModEx: a modifier prefix before the real packet type
            view.codec = Codec::unknown;
            view.multitrack = true;
            view.packet_type = VideoPacketType::other;
            break;
        default: view.packet_type = VideoPacketType::other; break;  // Metadata, MPEG2TSSequenceStart, reserved
        }
        if (view.packet_type != VideoPacketType::coded_frames) {
            view.keyframe = false;  // neither a header nor an end starts a GOP
        }
        return view;
    }
    // Legacy: [FrameType:4][CodecID:4][AVCPacketType:8][CompositionTime:SI24] for AVC and HEVC.
    const std::uint8_t frame_type = first >> 4;
    const std::uint8_t codec_id = first & 0x0F;
    if (codec_id == 7) {
        view.codec = Codec::h264;
    } else if (codec_id == 12) {
        view.codec = Codec::h265;
    } else {
        return view;  // Sorenson, VP6, screen video: not parsed further
    }
    if (frame_type == 5) {
        return view;  // video info/command frame: one byte of command, no packet type
    }
    if (body.size() < 2) {
        return core::fail(Errc::protocol, "video: AVCPacketType missing");
    }
    const std::uint8_t packet_type = body[1];
    if (packet_type == 2) {
        view.packet_type = VideoPacketType::end_of_sequence;
        return view;
    }
    if (packet_type > 2) {
        return view;
    }
    constexpr std::size_t kLegacyHeaderBytes = 5;
    if (body.size() < kLegacyHeaderBytes) {
        return core::fail(Errc::protocol, "video: composition time truncated");
    }
    view.packet_type = packet_type == 0 ? VideoPacketType::sequence_header : VideoPacketType::coded_frames;
    view.keyframe = frame_type == 1 && packet_type == 1;
    view.composition_time_ms = packet_type == 1 ? read_si24(body.data() + 2) : 0;
    view.data = body.subspan(kLegacyHeaderBytes);
    return view;
}

core::Result<VideoDecoderConfig> parse_video_sequence_header(std::span<const std::uint8_t> body) {
    const VideoTagView view = RINGCAST_TRY(parse_video_tag(body));
    if (view.packet_type != VideoPacketType::sequence_header) {
        return core::fail(Errc::invalid, "video: not a sequence header");
    }
    if (view.codec == Codec::h264) {
        return parse_avc_decoder_config(view.data);
    }
    if (view.codec == Codec::h265) {
        return parse_hevc_decoder_config(view.data);
    }
    return core::fail(Errc::invalid, "video: sequence header of a codec other than AVC/HEVC");
}

core::Result<AacConfig> parse_aac_audio_specific_config(std::span<const std::uint8_t> asc) {
    BitReader bits(asc);
    AacConfig config;
    std::uint32_t channels = 0;
    if (!read_object_type(bits, config.object_type) ||
        !read_sampling_frequency(bits, config.sampling_frequency_index, config.sampling_frequency_hz) ||
        !bits.read(4, channels)) {
        return core::fail(Errc::protocol, "aac: AudioSpecificConfig truncated");
    }
    if (config.sampling_frequency_index >= kAacSamplingFrequencies.size() &&
        config.sampling_frequency_index != kAacExplicitFrequency) {
        return core::fail(Errc::protocol, "aac: reserved samplingFrequencyIndex");
    }
    config.channel_configuration = static_cast<std::uint8_t>(channels);
    config.core_object_type = config.object_type;
    if (config.object_type == kAacObjectSbr || config.object_type == kAacObjectPs) {
        // Explicit SBR/PS: extensionSamplingFrequencyIndex (the output rate), then the core's
        // object type. The fields above stay those of the core (what ADTS describes).
        std::uint8_t extension_index = 0;
        std::uint32_t extension_hz = 0;
        if (!read_sampling_frequency(bits, extension_index, extension_hz) ||
            !read_object_type(bits, config.core_object_type)) {
            return core::fail(Errc::protocol, "aac: SBR extension truncated");
        }
    }
    return config;
}

core::Result<std::array<std::uint8_t, kAdtsHeaderSize>> make_adts_header(const AacConfig& config,
                                                                         std::size_t raw_frame_bytes) {
    // profile_ObjectType is 2 bits: object type - 1, so only Main, LC, SSR and LTP fit.
    if (config.core_object_type < 1 || config.core_object_type > 4) {
        return core::fail(Errc::unsupported, "aac: object type not expressible in ADTS");
    }
    if (config.sampling_frequency_index >= kAacSamplingFrequencies.size()) {
        return core::fail(Errc::unsupported, "aac: explicit sampling frequency not expressible in ADTS");
    }
    // 0 would need a program_config_element inside the first raw frame.
    if (config.channel_configuration < 1 || config.channel_configuration > 7) {
        return core::fail(Errc::unsupported, "aac: channel configuration not expressible in ADTS");
    }
    if (raw_frame_bytes > kAdtsRawFrameBytesMax) {
        return core::fail(Errc::too_large, "aac: frame larger than ADTS can frame");
    }
    const auto frame_length = static_cast<std::uint32_t>(raw_frame_bytes + kAdtsHeaderSize);
    const auto profile = static_cast<std::uint8_t>(config.core_object_type - 1);
    const std::uint8_t channels = config.channel_configuration;
    constexpr std::uint32_t kBufferFullnessVbr = 0x7FF;
    return std::array<std::uint8_t, kAdtsHeaderSize>{
        0xFF,  // syncword 0xFFF ...
        0xF1,  // ... ID 0 (MPEG-4), layer 00, protection_absent 1 (no CRC)
        static_cast<std::uint8_t>(profile << 6 | config.sampling_frequency_index << 2 | channels >> 2),
        // channel_configuration low bits; original_copy, home, copyright bits all 0.
        static_cast<std::uint8_t>((channels & 0x03) << 6 | frame_length >> 11),
        static_cast<std::uint8_t>(frame_length >> 3),
        static_cast<std::uint8_t>((frame_length & 0x07) << 5 | kBufferFullnessVbr >> 6),
        // number_of_raw_data_blocks_in_frame 0: one raw data block.
        static_cast<std::uint8_t>((kBufferFullnessVbr & 0x3F) << 2),
    };
}

core::Result<AudioTagView> parse_audio_tag(std::span<const std::uint8_t> body) {
    if (body.empty()) {
        return core::fail(Errc::protocol, "audio: empty tag body");
    }
    AudioTagView view;
    const std::uint8_t sound_format = body[0] >> 4;
    switch (sound_format) {
    case 10:  // AAC: [SoundFormat|rate|size|type][AACPacketType]
        view.codec = Codec::aac;
        if (body.size() < 2) {
            return core::fail(Errc::protocol, "audio: AACPacketType missing");
        }
        view.sequence_header = body[1] == 0;
        view.coded_frame = body[1] == 1;
        view.data = body.subspan(2);
        return view;
    case 2:   // MP3
    case 14:  // MP3 8 kHz
        view.codec = Codec::mp3;
        view.coded_frame = true;
        view.data = body.subspan(1);
        return view;
    case 13: view.codec = Codec::opus; return view;
    case 9: {  // enhanced RTMP v2: [9:4][AudioPacketType:4][FourCC:32]
        constexpr std::size_t kExHeaderBytes = 5;
        if (body.size() < kExHeaderBytes) {
            return core::fail(Errc::protocol, "audio: enhanced header truncated");
        }
        const std::uint8_t packet_type = body[0] & 0x0F;
        if (packet_type == 5 || packet_type == 7) {  // Multitrack, ModEx: FourCC elsewhere
            return view;
        }
        switch (read_fourcc_at1(body)) {
        case fourcc('m', 'p', '4', 'a'): view.codec = Codec::aac; break;
        case fourcc('.', 'm', 'p', '3'): view.codec = Codec::mp3; break;
        case fourcc('O', 'p', 'u', 's'): view.codec = Codec::opus; break;
        default: view.codec = Codec::other_audio; break;
        }
        view.sequence_header = packet_type == 0;
        view.coded_frame = packet_type == 1;
        view.data = body.subspan(kExHeaderBytes);
        return view;
    }
    default: view.codec = Codec::other_audio; return view;
    }
}

core::Result<AacConfig> parse_aac_sequence_header(std::span<const std::uint8_t> body) {
    const AudioTagView view = RINGCAST_TRY(parse_audio_tag(body));
    if (view.codec != Codec::aac || !view.sequence_header) {
        return core::fail(Errc::invalid, "audio: not an AAC sequence header");
    }
    return parse_aac_audio_specific_config(view.data);
}

namespace {

/// Exp-Golomb reader over an RBSP whose emulation prevention bytes (00 00 03) are skipped on
/// the fly. Reads past the end set `failed` and return 0; nothing is copied.
class SpsBitReader {
public:
    explicit SpsBitReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    [[nodiscard]] bool failed() const { return failed_; }
    void fail() { failed_ = true; }
    std::uint32_t bit() {
        if (bit_ == 0 && !next_byte()) {
            failed_ = true;
            return 0;
        }
        --bit_;
        return (current_ >> bit_) & 1u;
    }
    std::uint32_t bits(int count) {
        std::uint32_t value = 0;
        for (int i = 0; i < count; ++i) {
            value = (value << 1) | bit();
        }
        return value;
    }
    /// ue(v); more than 31 leading zeros is not H.264 (fails).
    std::uint32_t ue() {
        int zeros = 0;
        while (bit() == 0) {
            if (failed_ || ++zeros > 31) {
                failed_ = true;
                return 0;
            }
        }
        return (zeros == 0 ? 0 : ((1u << zeros) - 1u + bits(zeros)));
    }
    std::int32_t se() {
        const std::uint32_t code = ue();
        return (code & 1u) != 0 ? static_cast<std::int32_t>((code + 1) / 2) : -static_cast<std::int32_t>(code / 2);
    }

private:
    bool next_byte() {
        if (offset_ >= bytes_.size()) {
            return false;
        }
        std::uint8_t byte = bytes_[offset_++];
        if (zeros_ >= 2 && byte == 0x03) {  // emulation prevention: not part of the RBSP
            zeros_ = 0;
            if (offset_ >= bytes_.size()) {
                return false;
            }
            byte = bytes_[offset_++];
        }
        zeros_ = byte == 0 ? zeros_ + 1 : 0;
        current_ = byte;
        bit_ = 8;
        return true;
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t offset_ = 0;
    int zeros_ = 0;
    std::uint8_t current_ = 0;
    int bit_ = 0;
    bool failed_ = false;
};

/// scaling_list() of the SPS: only skipped, its deltas read.
void skip_scaling_list(SpsBitReader& in, int size) {
    std::int32_t last = 8;
    std::int32_t next = 8;
    for (int j = 0; j < size && !in.failed(); ++j) {
        if (next != 0) {
            const std::int32_t delta_scale = in.se();
            if (delta_scale < -128 || delta_scale > 127) {  // the spec's range; also keeps the sum small
                in.fail();
                return;
            }
            next = (last + delta_scale + 256) % 256;
        }
        last = next == 0 ? last : next;
    }
}

}  // namespace

std::optional<VideoSize> h264_sps_size(std::span<const std::uint8_t> sps) {
    // ITU-T H.264 section 7.3.2.1.1, up to frame_cropping.
    if (sps.size() < 4 || (sps[0] & 0x1f) != 7) {
        return std::nullopt;
    }
    SpsBitReader in(sps.subspan(1));
    const std::uint32_t profile_idc = in.bits(8);
    in.bits(16);  // constraint flags, reserved bits, level_idc
    in.ue();      // seq_parameter_set_id
    std::uint32_t chroma_format_idc = 1;
    bool separate_colour_plane = false;
    switch (profile_idc) {
    case 100: case 110: case 122: case 244: case 44: case 83: case 86: case 118: case 128: case 138: case 139:
    case 134: case 135:
        chroma_format_idc = in.ue();
        if (chroma_format_idc > 3) {
            return std::nullopt;
        }
        if (chroma_format_idc == 3) {
            separate_colour_plane = in.bit() != 0;
        }
        in.ue();   // bit_depth_luma_minus8
        in.ue();   // bit_depth_chroma_minus8
        in.bit();  // qpprime_y_zero_transform_bypass_flag
        if (in.bit() != 0) {  // seq_scaling_matrix_present_flag
            const int lists = chroma_format_idc != 3 ? 8 : 12;
            for (int i = 0; i < lists && !in.failed(); ++i) {
                if (in.bit() != 0) {
                    skip_scaling_list(in, i < 6 ? 16 : 64);
                }
            }
        }
        break;
    default: break;
    }
    in.ue();  // log2_max_frame_num_minus4
    const std::uint32_t poc_type = in.ue();
    if (poc_type == 0) {
        in.ue();  // log2_max_pic_order_cnt_lsb_minus4
    } else if (poc_type == 1) {
        in.bit();
        in.se();
        in.se();
        const std::uint32_t cycle = in.ue();
        if (cycle > 255) {
            return std::nullopt;
        }
        for (std::uint32_t i = 0; i < cycle && !in.failed(); ++i) {
            in.se();
        }
    } else if (poc_type != 2) {
        return std::nullopt;
    }
    in.ue();   // max_num_ref_frames
    in.bit();  // gaps_in_frame_num_value_allowed_flag
    const std::uint32_t width_mbs = in.ue() + 1;
    const std::uint32_t height_map_units = in.ue() + 1;
    const std::uint32_t frame_mbs_only = in.bit();
    if (frame_mbs_only == 0) {
        in.bit();  // mb_adaptive_frame_field_flag
    }
    in.bit();  // direct_8x8_inference_flag
    std::uint32_t crop_left = 0, crop_right = 0, crop_top = 0, crop_bottom = 0;
    if (in.bit() != 0) {
        crop_left = in.ue();
        crop_right = in.ue();
        crop_top = in.ue();
        crop_bottom = in.ue();
    }
    // Level 6.2's largest frame is 139,264 macroblocks: anything wider or taller is not H.264.
    if (in.failed() || width_mbs > 8192 || height_map_units > 8192) {
        return std::nullopt;
    }
    // Table 6-1: the crop unit depends on the chroma format (ChromaArrayType).
    const std::uint32_t chroma_array_type = separate_colour_plane ? 0 : chroma_format_idc;
    const std::uint32_t crop_unit_x = chroma_array_type == 1 || chroma_array_type == 2 ? 2 : 1;
    const std::uint32_t crop_unit_y = (chroma_array_type == 1 ? 2 : 1) * (2 - frame_mbs_only);
    const std::int64_t width = static_cast<std::int64_t>(width_mbs) * 16 -
                               static_cast<std::int64_t>(crop_unit_x) * (crop_left + crop_right);
    const std::int64_t height = static_cast<std::int64_t>(height_map_units) * 16 * (2 - frame_mbs_only) -
                                static_cast<std::int64_t>(crop_unit_y) * (crop_top + crop_bottom);
    if (width <= 0 || height <= 0) {
        return std::nullopt;
    }
    return VideoSize{static_cast<int>(width), static_cast<int>(height)};
}

}  // namespace ringcast::media
