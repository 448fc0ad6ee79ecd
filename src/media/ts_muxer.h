#pragma once
// MPEG-2 transport stream muxer (ISO/IEC 13818-1) for HLS segments and HTTP-TS players: frames
// in (FLV tag bodies, as MediaFrame carries them), 188-byte TS packets out. Sans-I/O: it
// appends to a caller's byte vector and never touches a file or socket.
//
// Output, shaped like SRS's HLS so players and tools see the same thing:
//   PAT (PID 0, program 1 -> PMT PID 0x1001), PMT (video PID 0x100, AAC PID 0x101, MP3 PID
//   0x102 as SRS uses; PCR on the video PID, or the audio PID when there is no video);
//   video PES (stream_id 0xE0, stream_type 0x1B H.264 / 0x24 H.265): Annex B with an access
//   unit delimiter first and the parameter sets in front of every keyframe that lacks them;
//   audio PES (stream_id 0xC0, stream_type 0x0F AAC with an ADTS header per raw frame, 0x03
//   MPEG-1 / 0x04 MPEG-2 audio for MP3).
// Each PES starts a packet with payload_unit_start set; its first packet carries the PCR (PCR
// PID only) and random_access_indicator (keyframes, audio); its last packet is padded with
// adaptation-field stuffing. Continuity counters run per PID across the muxer's whole life, so
// consecutive HLS segments continue each other.
//
// Allocation: none per packet. mux() grows the caller's vector once per PES (amortised to none
// when the caller reuses it); internal scratch (the NALU gather list, held audio) is reused
// and bounded. A sequence header allocates its parameter-set copy (rare).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "media/codec_config.h"
#include "media/frame.h"

namespace ringcast::media {

inline constexpr std::size_t kTsPacketSize = 188;
inline constexpr std::uint16_t kTsPidPat = 0x0000;
inline constexpr std::uint16_t kTsPidPmt = 0x1001;
inline constexpr std::uint16_t kTsPidVideo = 0x0100;
inline constexpr std::uint16_t kTsPidAudio = 0x0101;  // AAC
inline constexpr std::uint16_t kTsPidMp3 = 0x0102;    // SRS's TS_AUDIO_MP3_PID
inline constexpr std::uint16_t kTsProgramNumber = 1;
/// 90 kHz PTS/DTS and the PCR base are 33-bit counters; values wrap (about every 26.5 h).
inline constexpr std::uint64_t kTs33BitMask = (std::uint64_t{1} << 33) - 1;
/// An audio PES must state its length (PES_packet_length 0 is allowed for video only), so its
/// payload fits the 16-bit field after the 3 flag bytes and a 5-byte PTS.
inline constexpr std::size_t kTsAudioPesPayloadMax = 0xFFFF - 3 - 5;
/// NALUs in one video frame: a frame is a handful of slices plus SEI; this bounds the gather
/// list a hostile frame of 1-byte NALUs could build.
inline constexpr std::size_t kTsFrameNalusMax = 4096;

/// stream_type of the PMT (13818-1 Table 2-34; 0x24 from its HEVC amendment).
enum class TsStreamType : std::uint8_t {
    none = 0x00,
    mpeg1_audio = 0x03,  // MP3 at 32/44.1/48 kHz
    mpeg2_audio = 0x04,  // MP3 at 16/22.05/24 kHz (and MPEG-2.5's 8/11/12)
    aac_adts = 0x0F,
    h264 = 0x1B,
    h265 = 0x24,
};

struct TsMuxerOptions {
    /// Added to every PTS and DTS but not to the PCR, so each PES reaches the decoder this long
    /// before it is due (what the T-STD buffer model expects, and what lets held audio go out
    /// after later video). ffmpeg's mpegts muxer keeps PTS ahead of PCR the same way (its
    /// -muxdelay). SRS has no offset: DTS = timestamp * 90 and PCR = DTS; 0 reproduces that.
    std::uint32_t timestamp_offset_ms = 200;
    /// Audio frames are gathered into one PES until the next frame would start this much after
    /// the first, or until audio_pes_bytes_max. 0 = one PES per frame. See ts_muxer.cpp.
    std::uint32_t audio_pes_duration_ms_max = 100;
    std::uint32_t audio_pes_bytes_max = 4096;  // capped at kTsAudioPesPayloadMax
    /// PAT and PMT before every video keyframe (unless tables were just written): for HTTP-TS,
    /// whose players join at a keyframe of a shared byte stream. HLS leaves it off and calls
    /// write_tables() at each segment start, as SRS does.
    bool tables_before_keyframes = false;
    /// Largest Annex B access unit muxed; a bigger frame is Errc::too_large.
    std::uint32_t video_frame_bytes_max = 16 * 1024 * 1024;
};

/// What mux() did with a frame (the error cases aside).
enum class TsMuxOutcome : std::uint8_t {
    muxed,               // its PES (and any tables or held audio before it) was appended
    buffered,            // audio held for the next PES; earlier held audio may have been appended
    config_updated,      // a sequence header: codec state changed, nothing appended
    ignored,             // metadata, end of sequence, info frames, empty frames
    unsupported_codec,   // AV1, VP9, Opus, other audio, or a config ADTS cannot express
    waiting_for_config,  // an AVC/HEVC/AAC frame before its sequence header: dropped
};

/// Counters of one muxer, read on its owner's thread.
struct TsMuxerStats {
    std::uint64_t packets_written = 0;
    std::uint64_t pes_written = 0;
    std::uint64_t tables_written = 0;  // PAT+PMT pairs
    std::uint64_t video_frames = 0;    // coded frames muxed
    std::uint64_t audio_frames = 0;    // coded frames muxed or held
    std::uint64_t unsupported_frames = 0;
    std::uint64_t frames_without_config = 0;
};

/// One TS program of one stream: owned by whatever writes that stream's TS (an HLS segmenter,
/// or a shard's HTTP-TS feed shared by its players), on that owner's shard; not thread-safe.
/// Frames must be fed in the stream's order (DTS order per track), sequence headers included.
///
/// Every method that writes appends whole 188-byte packets to `out` and leaves earlier bytes
/// alone. A frame that fails (Errc::protocol for malformed NALU lengths or sequence headers,
/// Errc::too_large past a bound) appends nothing and changes no state: the caller drops it (or
/// the connection) and may go on muxing.
class TsMuxer {
public:
    explicit TsMuxer(TsMuxerOptions options = {});

    /// Muxes one frame. Tables go first when none were written yet or the streams changed (a
    /// new codec: the PMT's version_number increments).
    core::Result<TsMuxOutcome> mux(const MediaFrame& frame, std::vector<std::uint8_t>& out);

    /// Appends PAT and PMT now, for a segment start. With no stream configured yet there is
    /// nothing to describe: they are written before the first PES instead.
    void write_tables(std::vector<std::uint8_t>& out);

    /// Appends held audio as a PES (nothing if none). Call before closing an HLS segment so the
    /// audio lands in the segment its timestamps belong to.
    void flush(std::vector<std::uint8_t>& out);

    [[nodiscard]] TsStreamType video_stream_type() const { return video_.stream_type; }
    [[nodiscard]] TsStreamType audio_stream_type() const { return audio_.stream_type; }
    /// The PID carrying the PCR: video when a video codec is configured, else audio.
    [[nodiscard]] std::uint16_t pcr_pid() const;
    [[nodiscard]] bool has_held_audio() const { return !held_audio_.empty(); }
    [[nodiscard]] const TsMuxerStats& stats() const { return stats_; }
    [[nodiscard]] const TsMuxerOptions& options() const { return options_; }

private:
    struct VideoTrack {
        Codec codec = Codec::unknown;
        TsStreamType stream_type = TsStreamType::none;
        std::uint8_t nalu_length_size = 4;
        /// Start code + NALU for each VPS, SPS, PPS: copied in front of keyframes as one piece.
        std::vector<std::uint8_t> parameter_sets_annexb;
    };
    struct AudioTrack {
        Codec codec = Codec::unknown;
        TsStreamType stream_type = TsStreamType::none;
        std::uint16_t pid = kTsPidAudio;
        AacConfig aac;
        bool aac_configured = false;
    };
    struct PesSpec {
        std::uint16_t pid = 0;
        std::uint8_t stream_id = 0;
        std::uint64_t pts_90khz = 0;
        std::uint64_t dts_90khz = 0;
        std::uint64_t pcr_90khz = 0;
        bool write_pcr = false;
        bool random_access = false;
    };
    using Piece = std::span<const std::uint8_t>;

    core::Result<TsMuxOutcome> mux_video(const MediaFrame& frame, std::vector<std::uint8_t>& out);
    core::Result<TsMuxOutcome> mux_audio(const MediaFrame& frame, std::vector<std::uint8_t>& out);
    core::Result<TsMuxOutcome> configure_video(const VideoTagView& view);
    core::Result<TsMuxOutcome> configure_aac(const AudioTagView& view, std::vector<std::uint8_t>& out);
    /// Fills pieces_ with the Annex B access unit; returns its byte count (0: no NALU).
    core::Result<std::size_t> gather_access_unit(std::span<const std::uint8_t> nalus, bool& keyframe);
    TsMuxOutcome hold_audio(std::uint32_t timestamp_ms, Piece header, Piece frame, std::vector<std::uint8_t>& out);
    void set_audio_codec(Codec codec, TsStreamType stream_type, std::uint16_t pid, std::vector<std::uint8_t>& out);
    void write_tables_if_needed(std::vector<std::uint8_t>& out, bool at_keyframe);
    void write_pes(std::vector<std::uint8_t>& out, const PesSpec& pes, std::span<const Piece> pieces,
                   std::size_t payload_bytes);
    std::uint8_t next_continuity_counter(std::uint16_t pid);
    [[nodiscard]] std::uint64_t to_90khz(std::uint32_t timestamp_ms, bool with_offset) const;

    TsMuxerOptions options_;
    VideoTrack video_;
    AudioTrack audio_;
    /// Set when the streams changed since the tables were last written (or none were).
    bool tables_stale_ = true;
    /// True between writing tables and the next PES: an automatic repeat would add nothing.
    bool tables_just_written_ = false;
    std::uint8_t pmt_version_ = 0;
    bool pmt_written_once_ = false;
    std::uint8_t cc_pat_ = 0;
    std::uint8_t cc_pmt_ = 0;
    std::uint8_t cc_video_ = 0;
    std::uint8_t cc_aac_ = 0;
    std::uint8_t cc_mp3_ = 0;
    /// The video frame being muxed, as spans: start codes, our AUD and parameter sets, and the
    /// frame's NALUs (views into its payload). Reused; at most 2 * kTsFrameNalusMax + 2 long.
    std::vector<Piece> pieces_;
    /// Audio frames (ADTS header + raw AAC, or MP3 frames) waiting for their PES.
    std::vector<std::uint8_t> held_audio_;
    std::uint32_t held_audio_first_ms_ = 0;
    std::uint16_t held_audio_pid_ = kTsPidAudio;
    std::uint32_t held_audio_frames_ = 0;
    TsMuxerStats stats_;
};

}  // namespace ringcast::media
