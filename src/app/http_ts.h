#pragma once
// HTTP-TS, .aac and .mp3 players' bytes, made once per stream per shard (SRS's http_remux with
// a .ts, .aac or .mp3 mount): the HttpRemuxEncoder of a stream sees every frame the shard
// delivers, in order, and fills MediaFrame::http_remux_chunk, which every such player of the
// shard sends as it is (see MediaFrame::http_flv_chunk for the same idea with FLV).
//
// TS is stateful (continuity counters, held audio, tables), so the encoder of a shard is one
// TsMuxer shared by all its players: a player joins the shared packet stream at a keyframe,
// where PAT and PMT are repeated (tables_before_keyframes). Its first packet of each PID shows
// a continuity-counter jump, which decoders take as the start of the stream (ffmpeg and VLC
// only note it; they resynchronise on the next payload_unit_start, which every chunk begins
// with: the muxer writes whole PES packets per call).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "media/codec_config.h"
#include "media/frame.h"
#include "media/ts_muxer.h"

namespace ringcast::app {

/// The HTTP content type of a format ("video/x-flv", "video/MP2T", "audio/aac", "audio/mpeg").
std::string_view http_remux_content_type(media::HttpRemuxFormat format);

/// Counters of one encoder.
struct HttpRemuxStats {
    std::uint64_t chunks = 0;         // frames given a non-empty chunk
    std::uint64_t failed_frames = 0;  // frames the format cannot carry or that are malformed
};

/// One stream on one shard, for one of ts/aac/mp3. Shard-local, not thread-safe.
class HttpRemuxEncoder {
public:
    /// For an audio-only TS stream (no keyframe to repeat the tables at): PAT and PMT at least
    /// this often in media time, so a player joining at any audio PES finds them soon.
    static constexpr std::uint32_t kAudioOnlyTablesIntervalMs = 500;

    explicit HttpRemuxEncoder(media::HttpRemuxFormat format);

    [[nodiscard]] media::HttpRemuxFormat format() const { return format_; }
    /// Feeds one frame (every frame of the stream, in delivery order, sequence headers
    /// included) and fills its http_remux_* fields. Never fails: what the format cannot carry
    /// (video to .aac, Opus to .ts, a malformed frame) gets an empty chunk.
    void encode(media::MediaFrame& frame);
    /// The TS muxer's held audio as a chunk (empty if none, or not TS): when the publisher
    /// leaves, so the last ~100 ms of audio reach the players.
    core::Buffer flush(std::uint32_t& body_offset, std::uint32_t& body_bytes);
    [[nodiscard]] const HttpRemuxStats& stats() const { return stats_; }

private:
    void encode_ts(media::MediaFrame& frame);
    void encode_aac(media::MediaFrame& frame);
    void encode_mp3(media::MediaFrame& frame);
    /// `head` + `body` in chunked framing into frame's fields: one pooled block per frame.
    void set_chunk(media::MediaFrame& frame, std::span<const std::uint8_t> head, std::span<const std::uint8_t> body);
    core::Buffer make_chunk(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body,
                            std::uint32_t& body_offset, std::uint32_t& body_bytes);

    media::HttpRemuxFormat format_;
    std::optional<media::TsMuxer> ts_;
    std::vector<std::uint8_t> ts_out_;  // reused: no allocation per frame once grown
    std::optional<std::uint32_t> audio_only_tables_ms_;
    media::AacConfig aac_;
    bool aac_configured_ = false;
    HttpRemuxStats stats_;
};

}  // namespace ringcast::app
