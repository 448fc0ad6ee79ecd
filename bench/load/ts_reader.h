#pragma once
// MPEG-TS read for the load client's HLS players, sans-I/O and streaming: segment bytes in any
// split, one callback per audio PES and per video access unit out, with the 90 kHz DTS as ms and,
// for video, whether it starts decoding and the publisher's latency stamp (clock_stamp.h).
//
// What it reads (ISO/IEC 13818-1): 188-byte packets (sync byte 0x47, else an error); the PAT's
// first program -> the PMT PID; the PMT's first video (0x1B H.264, 0x24 H.265) and audio (0x0F
// AAC, 0x03/0x04 MP3) elementary PIDs; each PES header on those PIDs (at a packet with
// payload_unit_start) for PTS/DTS. Tables are taken from one packet: a server's PAT and PMT are
// a few dozen bytes, and a longer one is an error rather than a reassembly buffer.
//
// Memory is fixed per reader, whatever the segment size: of each video PES only the first
// kVideoPrefixBytes are kept, enough for the access unit delimiter, parameter sets, our SEI
// and the first slice header, which is all a player here looks at (keyframe and stamp). The
// frame is reported when that prefix is full or the PES ends (the next PES on the PID, or the
// end of the segment), so a frame is reported at most one prefix after its first byte came in.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/result.h"

namespace ringcast::load {

class TsReader {
public:
    static constexpr std::size_t kPacketBytes = 188;
    static constexpr std::size_t kVideoPrefixBytes = 1024;

    class Sink {
    public:
        virtual ~Sink() = default;
        virtual void on_ts_video(std::uint32_t dts_ms, bool keyframe, std::optional<std::uint64_t> stamp_ns) = 0;
        virtual void on_ts_audio(std::uint32_t dts_ms) = 0;
    };

    /// Consumes all of `bytes`. An error (Errc::protocol) leaves the reader failed until
    /// start_segment().
    core::Status feed(std::span<const std::uint8_t> bytes, Sink& sink);
    /// The segment's bytes are all in: reports the pending video frame. Error if the segment
    /// did not end on a packet boundary.
    core::Status finish_segment(Sink& sink);
    /// Forgets partial packets and PES state (not the PIDs: every segment repeats PAT and PMT,
    /// and a segment whose tables were lost still plays with the last ones).
    void start_segment();

private:
    core::Status packet(const std::uint8_t* p, Sink& sink);
    core::Status pat(std::span<const std::uint8_t> payload);
    core::Status pmt(std::span<const std::uint8_t> payload);
    core::Status pes_start(std::span<const std::uint8_t> payload, bool video, bool random_access, Sink& sink);
    void video_bytes(std::span<const std::uint8_t> bytes, Sink& sink);
    void flush_video(Sink& sink);

    std::array<std::uint8_t, kPacketBytes> partial_{};
    std::size_t partial_bytes_ = 0;
    std::uint16_t pmt_pid_ = 0xFFFF;  // 0xFFFF: none yet (PIDs are 13 bits)
    std::uint16_t video_pid_ = 0xFFFF;
    std::uint16_t audio_pid_ = 0xFFFF;
    bool hevc_ = false;
    bool failed_ = false;

    // The video PES being read.
    bool video_pending_ = false;
    bool video_random_access_ = false;
    std::uint32_t video_dts_ms_ = 0;
    std::array<std::uint8_t, kVideoPrefixBytes> prefix_{};
    std::size_t prefix_bytes_ = 0;
};

}  // namespace ringcast::load
