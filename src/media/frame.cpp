// FLV tag bodies: "Video File Format Specification" v10.1 annex E.4.2/E.4.3 (AUDIODATA,
// VIDEODATA), enhanced RTMP v1 (IsExHeader bit, PacketType, FourCC) for HEVC, AV1 and VP9, and
// enhanced RTMP v2's audio ExHeader (SoundFormat 9) for Opus, AAC, MP3 and others. Not read
// yet: v2's Multitrack and ModEx packet types, whose FourCC sits elsewhere (relayed, but a
// sequence start inside them is not recognised).
#include "media/frame.h"

#include <span>

namespace ringcast::media {
namespace {

constexpr std::uint32_t fourcc(char a, char b, char c, char d) {
    return std::uint32_t(std::uint8_t(a)) << 24 | std::uint32_t(std::uint8_t(b)) << 16 |
           std::uint32_t(std::uint8_t(c)) << 8 | std::uint32_t(std::uint8_t(d));
}

// Enhanced RTMP packet types (video and audio share SequenceStart and SequenceEnd).
constexpr std::uint8_t kExSequenceStart = 0;
constexpr std::uint8_t kExSequenceEnd = 2;
constexpr std::uint8_t kExMetadata = 4;
// Enhanced RTMP v2 audio: SoundFormat 9 means an ExHeader follows.
constexpr std::uint8_t kAudioExHeader = 9;

/// The FourCC after an enhanced RTMP header byte (bytes 1..4).
std::uint32_t read_fourcc(std::span<const std::uint8_t> bytes) {
    return std::uint32_t(bytes[1]) << 24 | std::uint32_t(bytes[2]) << 16 | std::uint32_t(bytes[3]) << 8 |
           std::uint32_t(bytes[4]);
}

void classify_video(MediaFrame& frame) {
    auto bytes = frame.payload.span();
    if (bytes.empty()) {
        return;
    }
    const std::uint8_t first = bytes[0];
    const std::uint8_t frame_type = (first >> 4) & 0x07;
    frame.flags.keyframe = frame_type == 1;
    if (first & 0x80) {  // enhanced RTMP: [IsExHeader:1][FrameType:3][PacketType:4][FourCC:32]
        const std::uint8_t packet_type = first & 0x0F;
        if (bytes.size() < 5) {
            return;
        }
        switch (read_fourcc(bytes)) {
        case fourcc('h', 'v', 'c', '1'): frame.codec = Codec::h265; break;
        case fourcc('a', 'v', '0', '1'): frame.codec = Codec::av1; break;
        case fourcc('v', 'p', '0', '9'): frame.codec = Codec::vp9; break;
        case fourcc('a', 'v', 'c', '1'): frame.codec = Codec::h264; break;
        default: break;
        }
        frame.flags.sequence_header = packet_type == kExSequenceStart;
        // Neither starts a GOP, whatever frame type the encoder put on it.
        if (packet_type == kExMetadata || packet_type == kExSequenceEnd) {
            frame.flags.keyframe = false;
        }
        return;
    }
    const std::uint8_t codec_id = first & 0x0F;
    if (codec_id == 7) {
        frame.codec = Codec::h264;
    } else if (codec_id == 12) {  // HEVC with the legacy id used by SRS, FFmpeg forks, OBS plugins
        frame.codec = Codec::h265;
    } else {
        return;
    }
    // AVCPacketType 0 = sequence header (decoder configuration record).
    frame.flags.sequence_header = bytes.size() >= 2 && bytes[1] == 0;
}

void classify_audio(MediaFrame& frame) {
    auto bytes = frame.payload.span();
    if (bytes.empty()) {
        return;
    }
    const std::uint8_t sound_format = bytes[0] >> 4;
    switch (sound_format) {
    case 10:
        frame.codec = Codec::aac;
        frame.flags.sequence_header = bytes.size() >= 2 && bytes[1] == 0;  // AACPacketType 0
        break;
    case 2:
    case 14: frame.codec = Codec::mp3; break;
    case 13: frame.codec = Codec::opus; break;  // SRS's Opus-in-FLV id
    case kAudioExHeader: {  // [SoundFormat 9:4][AudioPacketType:4][FourCC:32]
        frame.codec = Codec::other_audio;
        if (bytes.size() < 5) {
            return;
        }
        switch (read_fourcc(bytes)) {
        case fourcc('O', 'p', 'u', 's'): frame.codec = Codec::opus; break;
        case fourcc('m', 'p', '4', 'a'): frame.codec = Codec::aac; break;
        case fourcc('.', 'm', 'p', '3'): frame.codec = Codec::mp3; break;
        default: break;  // fLaC, ac-3, ec-3: relayed as other audio
        }
        // Opus's OpusHead, AAC's AudioSpecificConfig, FLAC's header: what a late player needs.
        frame.flags.sequence_header = (bytes[0] & 0x0F) == kExSequenceStart;
        break;
    }
    default: frame.codec = Codec::other_audio; break;
    }
}

}  // namespace

MediaFrame classify(FrameKind kind, std::uint32_t timestamp_ms, core::Buffer payload) {
    MediaFrame frame;
    frame.kind = kind;
    frame.timestamp_ms = timestamp_ms;
    frame.payload = std::move(payload);
    if (kind == FrameKind::video) {
        classify_video(frame);
    } else if (kind == FrameKind::audio) {
        classify_audio(frame);
    }
    // Script data: whether it is onMetaData needs AMF, which the protocol layer reads; it sets
    // flags.metadata itself.
    return frame;
}

}  // namespace ringcast::media
