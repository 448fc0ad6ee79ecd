#pragma once
// MediaFrame: one audio, video or script-data message of a live stream, as carried by RTMP and
// FLV (the payload is the FLV tag body). The payload is immutable and shared: a frame is copied
// by reference into the GOP cache, other shards' mirrors and players' queues (SRS's shared
// message). Only the small header (timestamp, flags) is per copy.

#include <cstdint>

#include "core/buffer.h"

namespace ringcast::media {

enum class FrameKind : std::uint8_t { audio = 8, video = 9, data = 18 };

/// Codec of a frame's payload, from its FLV tag body header (legacy ids and enhanced RTMP FourCCs).
enum class Codec : std::uint8_t {
    unknown,
    // video
    h264,
    h265,
    av1,
    vp9,
    // audio
    aac,
    mp3,
    opus,
    other_audio,
};

/// What an http_remux mount serves, from its extension (SRS's SrsHttpStreamServer): an FLV
/// file, an MPEG-TS stream, ADTS AAC or raw MP3 frames.
enum class HttpRemuxFormat : std::uint8_t { flv, ts, aac, mp3 };

struct FrameFlags {
    bool keyframe = false;         // a video frame a decoder can start at
    bool sequence_header = false;  // AVC/HEVC decoder configuration, AAC AudioSpecificConfig
    bool metadata = false;         // onMetaData / @setDataFrame
};

/// Shard-local value; the payload's refcount is atomic so frames may cross shards by value.
struct MediaFrame {
    FrameKind kind = FrameKind::data;
    Codec codec = Codec::unknown;
    FrameFlags flags;
    std::uint32_t timestamp_ms = 0;  // decode time, after jitter correction
    core::Buffer payload;
    /// The frame as RTMP players receive it (chunk headers and payload), encoded once per
    /// shard before delivery so players send these bytes instead of encoding their own; empty
    /// if not made. Valid for players whose out chunk size is rtmp_chunk_size.
    core::Buffer rtmp_chunks;
    std::uint32_t rtmp_chunk_size = 0;
    /// The frame as HTTP-FLV players receive it, made once per shard the same way: an FLV tag
    /// inside HTTP/1.1 chunked framing ("<hex size>\r\n" tag "\r\n"). HTTP/1.0 players send
    /// the tag alone: http_flv_tag_offset and http_flv_tag_bytes locate it inside.
    core::Buffer http_flv_chunk;
    std::uint32_t http_flv_tag_offset = 0;
    std::uint32_t http_flv_tag_bytes = 0;
    /// The frame as HTTP-TS, .aac or .mp3 players receive it, made once per shard by the
    /// stream's HttpRemuxEncoder (app/http_ts.h) on shards that have such players: TS packets,
    /// an ADTS frame or an MP3 frame, inside HTTP/1.1 chunked framing like http_flv_chunk; the
    /// body alone at http_remux_body_offset for HTTP/1.0. One field for the three formats: a
    /// vhost has one mount, so a stream is served in one of them. Empty when the frame adds no
    /// bytes (a sequence header, video to an .aac player, audio the TS muxer holds for a later
    /// PES). Meaningful only when http_remux_format is that format (flv: none was made).
    core::Buffer http_remux_chunk;
    std::uint32_t http_remux_body_offset = 0;
    std::uint32_t http_remux_body_bytes = 0;
    HttpRemuxFormat http_remux_format = HttpRemuxFormat::flv;

    [[nodiscard]] bool is_video() const { return kind == FrameKind::video; }
    [[nodiscard]] bool is_audio() const { return kind == FrameKind::audio; }
};

/// Reads codec, keyframe and sequence-header flags from an FLV tag body (the first bytes of an
/// RTMP audio or video message). Never reads past the payload; an empty or short payload gives
/// Codec::unknown and no flags.
MediaFrame classify(FrameKind kind, std::uint32_t timestamp_ms, core::Buffer payload);

}  // namespace ringcast::media
