#pragma once
// Codec configuration carried by sequence-header frames, and the FLV tag-body layouts around it:
//   - AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1): H.264 SPS/PPS, NALU length size;
//   - HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1): H.265 VPS/SPS/PPS arrays;
//   - AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): AAC object type, sampling frequency index,
//     channel configuration, and the ADTS header (ISO/IEC 13818-7 6.2) that MPEG-TS needs in
//     front of every raw AAC frame, since TS has no place for the AudioSpecificConfig itself.
// The FLV readers locate that configuration (or the coded frame) inside a tag body in both the
// legacy layout (FLV spec annex E.4.2/E.4.3) and enhanced RTMP's (ExVideoTagHeader with FourCC
// avc1/hvc1, ExAudioTagHeader with FourCC mp4a/.mp3); frame.cpp's classify() recognises the
// same layouts for flags only.
//
// Everything here reads network input: every size is checked against the bytes present and
// against the bounds below, and malformed input gives an Error value, never an assert.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "media/frame.h"

namespace ringcast::media {

/// At most this many parameter sets of one kind (VPS, SPS or PPS) are kept from a record. The
/// AVC record's SPS count field is 5 bits (31); real encoders send one of each.
inline constexpr std::size_t kParameterSetsPerKindMax = 32;
/// Total bytes of parameter sets kept from one record: an SPS is tens of bytes, so this only
/// stops a hostile record from making every later keyframe carry a megabyte of "SPS".
inline constexpr std::size_t kParameterSetsBytesMax = 16 * 1024;
/// An HEVC record declares at most this many NAL unit arrays (one per NAL type in practice).
inline constexpr std::size_t kHevcArraysMax = 16;

/// Video decoder configuration from an AVC or HEVC record, in the order a decoder needs the
/// parameter sets (VPS, SPS, PPS), each without start code or length prefix.
struct VideoDecoderConfig {
    Codec codec = Codec::unknown;  // h264 or h265
    std::uint8_t profile_idc = 0;  // AVCProfileIndication / general_profile_idc
    std::uint8_t level_idc = 0;    // AVCLevelIndication / general_level_idc
    /// Bytes of the length in front of every NALU of a coded frame: 1, 2 or 4.
    std::uint8_t nalu_length_size = 4;
    std::vector<std::vector<std::uint8_t>> vps;  // HEVC only
    std::vector<std::vector<std::uint8_t>> sps;
    std::vector<std::vector<std::uint8_t>> pps;
};

/// The picture size an H.264 SPS declares, after its frame cropping (what SRS's API shows as
/// width and height). `sps` is one NAL unit with its header byte, emulation prevention bytes
/// still in. nullopt when truncated, not an SPS, or out of H.264's ranges; never reads past it.
struct VideoSize {
    int width = 0;
    int height = 0;
};
std::optional<VideoSize> h264_sps_size(std::span<const std::uint8_t> sps);

/// The record itself (what follows the FLV video header). Errc::protocol when truncated, when
/// a count or length disagrees with the bytes, when a NALU is empty or not of the kind its list
/// says, when the SPS or PPS list (and for HEVC the VPS list) is empty, or when the length size
/// is 3; Errc::too_large past the bounds above. Bytes after the parameter sets (the AVC
/// high-profile extension) are ignored.
core::Result<VideoDecoderConfig> parse_avc_decoder_config(std::span<const std::uint8_t> record);
core::Result<VideoDecoderConfig> parse_hevc_decoder_config(std::span<const std::uint8_t> record);

/// What a video tag body holds, whatever its layout.
enum class VideoPacketType : std::uint8_t {
    sequence_header,  // decoder configuration record in `data`
    coded_frames,     // length-prefixed NALUs (AVC/HEVC) or codec-specific frame bytes
    end_of_sequence,
    other,            // metadata, video info/command frames, enhanced packet types not carried
};

/// A located view into a video tag body; `data` points into the body.
struct VideoTagView {
    Codec codec = Codec::unknown;
    VideoPacketType packet_type = VideoPacketType::other;
    bool keyframe = false;                   // FrameType 1
    std::int32_t composition_time_ms = 0;    // PTS - DTS; 0 where the layout has none
    bool multitrack = false;                 // enhanced RTMP v2 Multitrack/ModEx: not parsed
    std::span<const std::uint8_t> data;
};

/// Reads the legacy header ([FrameType|CodecID][AVCPacketType][CompositionTime SI24]) for codec
/// ids 7 (AVC) and 12 (HEVC, the id SRS and OBS use), and the enhanced one ([1|FrameType|
/// PacketType][FourCC], plus SI24 composition time for avc1/hvc1 CodedFrames). Other codecs
/// come back with their Codec (or unknown) and packet_type other. Errc::protocol when the
/// header is shorter than its layout says.
core::Result<VideoTagView> parse_video_tag(std::span<const std::uint8_t> body);

/// The decoder configuration of an AVC or HEVC sequence-header tag body (either layout).
/// Errc::invalid when the body is not an AVC/HEVC sequence header; the record's own errors
/// otherwise.
core::Result<VideoDecoderConfig> parse_video_sequence_header(std::span<const std::uint8_t> body);

/// The AAC AudioSpecificConfig fields an ADTS header needs.
struct AacConfig {
    /// audioObjectType as signalled (2 = AAC LC, 5 = SBR/HE-AAC, 29 = PS/HE-AACv2).
    std::uint8_t object_type = 0;
    std::uint8_t sampling_frequency_index = 0;  // 0..12 (15 = explicit, see below)
    std::uint32_t sampling_frequency_hz = 0;
    std::uint8_t channel_configuration = 0;
    /// For explicit SBR/PS signalling (object type 5 or 29): the underlying core object type
    /// (usually 2); otherwise equal to object_type. ADTS carries this one, at the core
    /// sampling rate, and the decoder finds SBR/PS in the stream itself (as ffmpeg does).
    std::uint8_t core_object_type = 0;
};

/// Errc::protocol when shorter than the fields it declares or a reserved sampling frequency
/// index (13, 14) is used. Trailing bytes (GASpecificConfig, sync extensions) are ignored.
core::Result<AacConfig> parse_aac_audio_specific_config(std::span<const std::uint8_t> asc);

inline constexpr std::size_t kAdtsHeaderSize = 7;
/// aac_frame_length is 13 bits and counts the header.
inline constexpr std::size_t kAdtsFrameBytesMax = 8191;
inline constexpr std::size_t kAdtsRawFrameBytesMax = kAdtsFrameBytesMax - kAdtsHeaderSize;

/// The 7-byte ADTS header (MPEG-4, no CRC, buffer fullness 0x7FF = VBR) for one raw AAC frame
/// of `raw_frame_bytes`. Errc::unsupported when ADTS cannot express the configuration (core
/// object type outside 1..4, explicit sampling frequency, channel configuration 0 = PCE or
/// above 7); Errc::too_large past kAdtsRawFrameBytesMax.
core::Result<std::array<std::uint8_t, kAdtsHeaderSize>> make_adts_header(const AacConfig& config,
                                                                         std::size_t raw_frame_bytes);

/// What an audio tag body holds.
struct AudioTagView {
    Codec codec = Codec::unknown;
    bool sequence_header = false;  // AAC AudioSpecificConfig in `data`
    bool coded_frame = false;      // raw AAC frame or MP3 frame bytes in `data`
    std::span<const std::uint8_t> data;
};

/// Reads the legacy header (SoundFormat 10 AAC with AACPacketType, 2/14 MP3) and enhanced
/// RTMP's ExAudioTagHeader (SoundFormat 9, FourCC mp4a / .mp3). Other formats come back with
/// their Codec and neither flag. Errc::protocol when shorter than the header.
core::Result<AudioTagView> parse_audio_tag(std::span<const std::uint8_t> body);

/// The AudioSpecificConfig of an AAC sequence-header tag body (either layout). Errc::invalid
/// when the body is not an AAC sequence header.
core::Result<AacConfig> parse_aac_sequence_header(std::span<const std::uint8_t> body);

}  // namespace ringcast::media
