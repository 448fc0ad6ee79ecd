// FLV tag bodies: "Video File Format Specification" v10.1 annex E.4.2/E.4.3 (AUDIODATA,
// VIDEODATA), and enhanced RTMP v1 (IsExHeader bit, PacketType, FourCC) for HEVC, AV1 and VP9.
#include "media/frame.h"

namespace ringcast::media {
namespace {

constexpr std::uint32_t fourcc(char a, char b, char c, char d) {
    return std::uint32_t(std::uint8_t(a)) << 24 | std::uint32_t(std::uint8_t(b)) << 16 |
           std::uint32_t(std::uint8_t(c)) << 8 | std::uint32_t(std::uint8_t(d));
}

// Enhanced RTMP packet types.
constexpr std::uint8_t kExSequenceStart = 0;
constexpr std::uint8_t kExMetadata = 4;

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
        const std::uint32_t code = std::uint32_t(bytes[1]) << 24 | std::uint32_t(bytes[2]) << 16 |
                                   std::uint32_t(bytes[3]) << 8 | std::uint32_t(bytes[4]);
        switch (code) {
        case fourcc('h', 'v', 'c', '1'): frame.codec = Codec::h265; break;
        case fourcc('a', 'v', '0', '1'): frame.codec = Codec::av1; break;
        case fourcc('v', 'p', '0', '9'): frame.codec = Codec::vp9; break;
        case fourcc('a', 'v', 'c', '1'): frame.codec = Codec::h264; break;
        default: break;
        }
        frame.flags.sequence_header = packet_type == kExSequenceStart;
        if (packet_type == kExMetadata) {
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
