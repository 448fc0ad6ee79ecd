#pragma once
// RTMP messages and the protocol control messages: Adobe RTMP specification 1.0, section 5.4
// (Set Chunk Size, Abort, Acknowledgement, Window Acknowledgement Size, Set Peer Bandwidth) and
// section 7.1.7 (User Control events). Builders produce complete RtmpMessages (csid 2, message
// stream 0, as 5.4 requires); parsers read payloads from the peer and never trust their length.

#include <cstdint>
#include <span>
#include <vector>

#include "core/buffer.h"
#include "core/byte_io.h"
#include "core/result.h"

namespace ringcast::proto::rtmp {

/// One complete RTMP message: what the chunk decoder hands out and the chunk encoder takes.
/// A value type; the payload is a shared immutable Buffer, so copying a message bumps one
/// refcount and never copies bytes. `timestamp` is the full 32-bit RTMP timestamp (it wraps
/// after ~49.7 days; comparisons are the caller's business). `csid` is the chunk stream the
/// message arrived on (decoder) or is sent on (encoder), 2..65599.
struct RtmpMessage {
    std::uint8_t type_id = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t stream_id = 0;
    std::uint32_t csid = 0;
    core::Buffer payload;
};

/// Message type ids (spec 5.4, 7.1).
namespace message_type {
inline constexpr std::uint8_t set_chunk_size = 1;
inline constexpr std::uint8_t abort = 2;
inline constexpr std::uint8_t acknowledgement = 3;
inline constexpr std::uint8_t user_control = 4;
inline constexpr std::uint8_t window_ack_size = 5;
inline constexpr std::uint8_t set_peer_bandwidth = 6;
inline constexpr std::uint8_t audio = 8;
inline constexpr std::uint8_t video = 9;
inline constexpr std::uint8_t amf3_data = 15;
inline constexpr std::uint8_t amf3_shared_object = 16;
inline constexpr std::uint8_t amf3_command = 17;
inline constexpr std::uint8_t amf0_data = 18;
inline constexpr std::uint8_t amf0_shared_object = 19;
inline constexpr std::uint8_t amf0_command = 20;
inline constexpr std::uint8_t aggregate = 22;
}  // namespace message_type

/// Chunk stream ids: 0 and 1 select the 2- and 3-byte basic header forms, so real ids are
/// 2..65599 (spec 5.3.1.1); 2 is reserved for protocol control messages (5.4).
inline constexpr std::uint32_t csid_min = 2;
inline constexpr std::uint32_t csid_max = 65599;
inline constexpr std::uint32_t protocol_control_csid = 2;

/// Chunk sizes: 128 until a Set Chunk Size says otherwise; the field is 31 bits but the spec
/// caps the value at 0xFFFFFF because no message is longer (5.4.1).
inline constexpr std::uint32_t default_chunk_size = 128;
inline constexpr std::uint32_t chunk_size_max = 0xFFFFFF;
/// Message lengths are a 24-bit field of the chunk message header (5.3.1.2.1).
inline constexpr std::uint32_t message_length_max = 0xFFFFFF;

/// Limit type of Set Peer Bandwidth (5.4.5).
enum class PeerBandwidthLimit : std::uint8_t { hard = 0, soft = 1, dynamic = 2 };

/// User Control event types (7.1.7). Others (e.g. the SWF verification pair 26/27) parse as
/// their raw number.
enum class UserControlEvent : std::uint16_t {
    stream_begin = 0,
    stream_eof = 1,
    stream_dry = 2,
    set_buffer_length = 3,
    stream_is_recorded = 4,
    ping_request = 6,
    ping_response = 7,
};

/// A parsed Set Peer Bandwidth.
struct PeerBandwidth {
    std::uint32_t window_size = 0;
    PeerBandwidthLimit limit = PeerBandwidthLimit::hard;
};

/// A parsed User Control message. `value` is the stream id for stream events and the
/// timestamp for ping events; `buffer_length_ms` is only set by set_buffer_length.
struct UserControl {
    UserControlEvent event = UserControlEvent::stream_begin;
    std::uint32_t value = 0;
    std::uint32_t buffer_length_ms = 0;
};

namespace detail {

inline RtmpMessage control_message(std::uint8_t type_id, const std::vector<std::uint8_t>& body) {
    return RtmpMessage{.type_id = type_id,
                       .timestamp = 0,
                       .stream_id = 0,
                       .csid = protocol_control_csid,
                       .payload = core::Buffer::copy_of(std::span<const std::uint8_t>(body))};
}

inline RtmpMessage u32_message(std::uint8_t type_id, std::uint32_t value) {
    std::vector<std::uint8_t> body;
    core::ByteWriter(body).u32(value);
    return control_message(type_id, body);
}

inline core::Result<std::uint32_t> parse_u32(std::span<const std::uint8_t> payload, const char* where) {
    core::ByteReader reader(payload);
    std::uint32_t value = 0;
    if (!reader.read_u32(value)) {
        return core::fail(core::Errc::protocol, where);
    }
    return value;
}

}  // namespace detail

// ---- builders ---------------------------------------------------------------------------
// A sender that switches its own chunk size must encode the Set Chunk Size with the old size
// and switch its encoder right after (the peer applies it to the chunks that follow).

inline RtmpMessage make_set_chunk_size(std::uint32_t chunk_size) {
    return detail::u32_message(message_type::set_chunk_size, chunk_size & 0x7FFFFFFFu);
}
inline RtmpMessage make_abort(std::uint32_t csid) { return detail::u32_message(message_type::abort, csid); }
inline RtmpMessage make_acknowledgement(std::uint32_t sequence_number) {
    return detail::u32_message(message_type::acknowledgement, sequence_number);
}
inline RtmpMessage make_window_ack_size(std::uint32_t window_size) {
    return detail::u32_message(message_type::window_ack_size, window_size);
}
inline RtmpMessage make_set_peer_bandwidth(std::uint32_t window_size, PeerBandwidthLimit limit) {
    std::vector<std::uint8_t> body;
    core::ByteWriter writer(body);
    writer.u32(window_size);
    writer.u8(static_cast<std::uint8_t>(limit));
    return detail::control_message(message_type::set_peer_bandwidth, body);
}
/// Any User Control event: event type (2 bytes), `value` (4 bytes), and for Set Buffer Length
/// the buffer length in ms (4 more bytes).
inline RtmpMessage make_user_control(UserControlEvent event, std::uint32_t value, std::uint32_t buffer_length_ms = 0) {
    std::vector<std::uint8_t> body;
    core::ByteWriter writer(body);
    writer.u16(static_cast<std::uint16_t>(event));
    writer.u32(value);
    if (event == UserControlEvent::set_buffer_length) {
        writer.u32(buffer_length_ms);
    }
    return detail::control_message(message_type::user_control, body);
}
inline RtmpMessage make_stream_begin(std::uint32_t stream_id) {
    return make_user_control(UserControlEvent::stream_begin, stream_id);
}
inline RtmpMessage make_stream_eof(std::uint32_t stream_id) {
    return make_user_control(UserControlEvent::stream_eof, stream_id);
}
inline RtmpMessage make_stream_dry(std::uint32_t stream_id) {
    return make_user_control(UserControlEvent::stream_dry, stream_id);
}
inline RtmpMessage make_set_buffer_length(std::uint32_t stream_id, std::uint32_t buffer_length_ms) {
    return make_user_control(UserControlEvent::set_buffer_length, stream_id, buffer_length_ms);
}
inline RtmpMessage make_ping_request(std::uint32_t timestamp) {
    return make_user_control(UserControlEvent::ping_request, timestamp);
}
inline RtmpMessage make_ping_response(std::uint32_t timestamp) {
    return make_user_control(UserControlEvent::ping_response, timestamp);
}

// ---- parsers ----------------------------------------------------------------------------
// Extra trailing bytes are tolerated (peers pad); missing bytes are a protocol error.

/// 1..0xFFFFFF; 0 and anything larger (including a set top bit, which 5.4.1 says must be
/// zero) is a protocol error. SRS refuses sizes below 128 (its issue 541); we accept the
/// spec's full range, so a peer sending 1 still works.
inline core::Result<std::uint32_t> parse_set_chunk_size(std::span<const std::uint8_t> payload) {
    auto size = detail::parse_u32(payload, "rtmp: short set chunk size");
    if (!size) {
        return size;
    }
    if (*size == 0 || *size > chunk_size_max) {
        return core::fail(core::Errc::protocol, "rtmp: set chunk size out of range");
    }
    return size;
}
/// The chunk stream id whose partial message is to be dropped.
inline core::Result<std::uint32_t> parse_abort(std::span<const std::uint8_t> payload) {
    return detail::parse_u32(payload, "rtmp: short abort message");
}
/// The peer's sequence number: bytes it has received so far, modulo 2^32.
inline core::Result<std::uint32_t> parse_acknowledgement(std::span<const std::uint8_t> payload) {
    return detail::parse_u32(payload, "rtmp: short acknowledgement");
}
inline core::Result<std::uint32_t> parse_window_ack_size(std::span<const std::uint8_t> payload) {
    return detail::parse_u32(payload, "rtmp: short window ack size");
}
/// A limit type byte beyond 2 is kept as dynamic rather than refused: it only tunes the
/// peer's output window, which we never enforce.
inline core::Result<PeerBandwidth> parse_set_peer_bandwidth(std::span<const std::uint8_t> payload) {
    core::ByteReader reader(payload);
    PeerBandwidth out;
    std::uint8_t limit = 0;
    if (!reader.read_u32(out.window_size) || !reader.read_u8(limit)) {
        return core::fail(core::Errc::protocol, "rtmp: short set peer bandwidth");
    }
    out.limit = limit <= 2 ? static_cast<PeerBandwidthLimit>(limit) : PeerBandwidthLimit::dynamic;
    return out;
}
inline core::Result<UserControl> parse_user_control(std::span<const std::uint8_t> payload) {
    core::ByteReader reader(payload);
    std::uint16_t event = 0;
    UserControl out;
    if (!reader.read_u16(event) || !reader.read_u32(out.value)) {
        return core::fail(core::Errc::protocol, "rtmp: short user control message");
    }
    out.event = static_cast<UserControlEvent>(event);
    if (out.event == UserControlEvent::set_buffer_length && !reader.read_u32(out.buffer_length_ms)) {
        return core::fail(core::Errc::protocol, "rtmp: short set buffer length");
    }
    return out;
}

}  // namespace ringcast::proto::rtmp
