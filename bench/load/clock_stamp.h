#pragma once
// Publish-to-play latency stamps carried inside H.264 frames. Servers drop AMF data messages
// they do not know (nginx-rtmp, SRS), but relay video bytes untouched, so the publisher puts its
// CLOCK_REALTIME into an SEI user_data_unregistered NAL unit at the front of every frame and the
// players read it back: publisher and players run on the same host, so the clocks agree.
//
// The SEI: NAL header 0x06; payload type 5; payload size 24; the 16-byte UUID
// "ringcast-latency"; the time in ns, 8 bytes big-endian; rbsp trailing bits 0x80. Emulation
// prevention bytes are inserted as H.264 7.4.1 requires, so decoders that meet the unit parse it.

#include <cstdint>
#include <optional>
#include <span>

#include "core/buffer.h"

namespace ringcast::load {

/// CLOCK_REALTIME in nanoseconds.
std::uint64_t realtime_ns();

/// True for an FLV video payload holding H.264 coded NAL units (codec id 7, AVC packet type 1):
/// the only frames that get a stamp.
bool is_avc_nalu_payload(std::span<const std::uint8_t> payload);

/// A copy of the FLV video payload with the stamp NAL unit (4-byte length prefix) inserted
/// before its first NAL unit; nothing else changes. The payload must satisfy
/// is_avc_nalu_payload and use 4-byte NAL lengths.
core::Buffer stamp_avc_payload(std::span<const std::uint8_t> payload, std::uint64_t stamp_ns);

/// The stamp, when the payload's first NAL unit is one of ours (4-byte NAL lengths).
std::optional<std::uint64_t> read_stamp(std::span<const std::uint8_t> payload);

/// The stamp, when `nal` (one whole H.264 NAL unit: header byte, escaped RBSP, no start code
/// or length prefix) is one of ours. Trailing zero bytes are allowed: in Annex B a NAL unit
/// ends at the next start code, and trailing_zero_8bits may come before it.
std::optional<std::uint64_t> read_stamp_nal(std::span<const std::uint8_t> nal);

}  // namespace ringcast::load
