// RTMP chunk stream encoding: Adobe RTMP specification 1.0, section 5.3 "Chunking" (5.3.1.1
// basic header, 5.3.1.2 message header fmt 0..3, 5.3.1.3 extended timestamp, 5.3.2 examples).
//
// Header choice: SRS writes fmt 0 for the first chunk of every message and fmt 3 for the
// rest (srs_chunk_header_c0 / srs_chunk_header_c3), which keeps the bytes of a message
// independent of the connection, so one encoding serves every player. That is our default.
// The optional per-connection compression follows ffmpeg's ff_rtmp_packet_write and
// nginx-rtmp's ngx_rtmp_prepare_message: fmt 1 when the type or length changes, fmt 2 when only
// the delta changes, fmt 3 when the delta repeats; fmt 0 for a new message stream, a timestamp
// going backwards, or anything that needs an extended timestamp.

#include "proto/rtmp/chunk_encoder.h"

#include <algorithm>
#include <cstring>

namespace ringcast::proto::rtmp {

namespace {

using core::Errc;

constexpr std::uint32_t extended_marker = 0xFFFFFF;
constexpr std::size_t message_header_sizes[4] = {11, 7, 3, 0};

std::size_t basic_header_size(std::uint32_t csid) { return csid < 64 ? 1 : csid < 320 ? 2 : 3; }

std::uint8_t* put_basic_header(std::uint8_t* p, std::uint8_t fmt, std::uint32_t csid) {
    const auto top = static_cast<std::uint8_t>(fmt << 6);
    if (csid < 64) {
        *p++ = static_cast<std::uint8_t>(top | csid);
    } else if (csid < 320) {
        *p++ = top;
        *p++ = static_cast<std::uint8_t>(csid - 64);
    } else {
        *p++ = static_cast<std::uint8_t>(top | 1);
        *p++ = static_cast<std::uint8_t>((csid - 64) & 0xFF);
        *p++ = static_cast<std::uint8_t>((csid - 64) >> 8);
    }
    return p;
}

std::uint8_t* put_be24(std::uint8_t* p, std::uint32_t v) {
    *p++ = static_cast<std::uint8_t>(v >> 16);
    *p++ = static_cast<std::uint8_t>(v >> 8);
    *p++ = static_cast<std::uint8_t>(v);
    return p;
}

std::uint8_t* put_be32(std::uint8_t* p, std::uint32_t v) {
    *p++ = static_cast<std::uint8_t>(v >> 24);
    return put_be24(p, v);
}

std::uint8_t* put_le32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        *p++ = static_cast<std::uint8_t>(v >> (8 * i));
    }
    return p;
}

}  // namespace

std::vector<std::uint8_t> ChunkPieces::to_vector() const {
    std::vector<std::uint8_t> out;
    out.reserve(bytes_);
    for (const core::BufferSlice& piece : pieces_) {
        out.insert(out.end(), piece.data(), piece.data() + piece.size());
    }
    return out;
}

ChunkEncoder::ChunkEncoder(ChunkEncoderOptions options) : options_(options) {
    if (options_.chunk_size == 0 || options_.chunk_size > chunk_size_max) {
        options_.chunk_size = default_chunk_size;
    }
}

core::Status ChunkEncoder::set_chunk_size(std::uint32_t chunk_size) {
    if (chunk_size == 0 || chunk_size > chunk_size_max) {
        return core::fail(Errc::invalid, "rtmp: chunk size out of range");
    }
    options_.chunk_size = chunk_size;
    return {};
}

std::size_t ChunkEncoder::header_size(std::uint8_t fmt, std::uint32_t csid, bool extended) {
    return basic_header_size(csid) + message_header_sizes[fmt & 3] + (extended ? 4 : 0);
}

ChunkEncoder::FirstHeader ChunkEncoder::choose_header(const RtmpMessage& msg) {
    const auto length = static_cast<std::uint32_t>(msg.payload.size());
    FirstHeader out{.fmt = 0, .ts_field = msg.timestamp, .extended = msg.timestamp >= extended_marker};
    if (options_.compression == HeaderCompression::none) {
        return out;
    }
    auto last = std::find_if(streams_.begin(), streams_.end(), [&](const LastHeader& h) { return h.csid == msg.csid; });
    if (last == streams_.end()) {
        if (streams_.size() < options_.chunk_streams_max) {
            streams_.push_back(LastHeader{.csid = msg.csid,
                                          .timestamp = msg.timestamp,
                                          .delta = 0,
                                          .length = length,
                                          .stream_id = msg.stream_id,
                                          .type_id = msg.type_id,
                                          .delta_known = false});
        }
        return out;
    }
    // Unsigned subtraction: a timestamp going backwards gives a huge delta, hence fmt 0.
    const std::uint32_t delta = msg.timestamp - last->timestamp;
    if (msg.stream_id == last->stream_id && delta < extended_marker) {
        out.ts_field = delta;
        out.extended = false;
        if (msg.type_id != last->type_id || length != last->length) {
            out.fmt = 1;
        } else if (last->delta_known && delta == last->delta) {
            out.fmt = 3;
        } else {
            out.fmt = 2;
        }
    }
    *last = LastHeader{.csid = msg.csid,
                       .timestamp = msg.timestamp,
                       .delta = delta,
                       .length = length,
                       .stream_id = msg.stream_id,
                       .type_id = msg.type_id,
                       .delta_known = out.fmt != 0};
    return out;
}

core::Status ChunkEncoder::encode(const RtmpMessage& msg, ChunkSink& sink) {
    if (msg.csid < csid_min || msg.csid > csid_max) {
        return core::fail(Errc::invalid, "rtmp: chunk stream id out of range");
    }
    if (msg.payload.size() > message_length_max) {
        return core::fail(Errc::invalid, "rtmp: message longer than 0xFFFFFF");
    }
    const FirstHeader first = choose_header(msg);
    const std::size_t length = msg.payload.size();
    const std::size_t chunk = options_.chunk_size;
    const std::size_t chunks = length == 0 ? 1 : (length + chunk - 1) / chunk;
    const std::size_t first_size = header_size(first.fmt, msg.csid, first.extended);
    const std::size_t next_size = header_size(3, msg.csid, first.extended);
    const std::size_t total = first_size + (chunks - 1) * next_size;

    // All headers of the message go into one small buffer, frozen, then sliced per chunk.
    core::MutableBuffer headers = core::MutableBuffer::allocate(total);
    std::uint8_t* p = put_basic_header(headers.data(), first.fmt, msg.csid);
    if (first.fmt <= 2) {
        p = put_be24(p, first.extended ? extended_marker : first.ts_field);
    }
    if (first.fmt <= 1) {
        p = put_be24(p, static_cast<std::uint32_t>(length));
        *p++ = msg.type_id;
    }
    if (first.fmt == 0) {
        p = put_le32(p, msg.stream_id);
    }
    if (first.extended) {
        p = put_be32(p, first.ts_field);
    }
    for (std::size_t i = 1; i < chunks; ++i) {
        p = put_basic_header(p, 3, msg.csid);
        if (first.extended) {
            p = put_be32(p, first.ts_field);
        }
    }
    headers.set_size(total);
    const core::Buffer frozen = std::move(headers).freeze();

    std::size_t header_offset = 0;
    for (std::size_t i = 0; i < chunks; ++i) {
        const std::size_t header_bytes = i == 0 ? first_size : next_size;
        sink.append(frozen.slice(header_offset, header_bytes));
        header_offset += header_bytes;
        const std::size_t payload_offset = i * chunk;
        if (payload_offset < length) {
            sink.append(msg.payload.slice(payload_offset, std::min(chunk, length - payload_offset)));
        }
    }
    return {};
}

core::Result<std::vector<std::uint8_t>> ChunkEncoder::encode_to_vector(const RtmpMessage& msg) {
    ChunkPieces pieces;
    if (auto status = encode(msg, pieces); !status) {
        return core::Unexpected{status.error()};
    }
    return pieces.to_vector();
}

}  // namespace ringcast::proto::rtmp
