// RTMP chunk stream decoding: Adobe RTMP specification 1.0, section 5.3 "Chunking" (5.3.1.1
// basic header, 5.3.1.2 message header fmt 0..3, 5.3.1.3 extended timestamp) and the protocol
// control messages of section 5.4 that change how the following chunks are read (5.4.1 Set
// Chunk Size, 5.4.2 Abort, 5.4.4 Window Acknowledgement Size).
//
// Where peers and the spec disagree we follow SRS (srs_protocol_rtmp_stack.cpp,
// read_basic_header / read_message_header / read_message_payload):
//  - a chunk stream's first chunk may be fmt 1 (librtmp pings that way; stream id 0 then),
//    but not fmt 2 or 3; a fmt 0 chunk inside a partly received message is an error; a fmt 1
//    chunk inside one may not change the length;
//  - a fmt 3 chunk that starts a new message adds the previous delta (after a fmt 0, the
//    spec says the delta is that chunk's timestamp);
//  - extended timestamps on fmt 3 chunks: a fmt 3 chunk starting a message always carries
//    it; a continuation chunk should repeat it (Flash, FMS, SRS, ffmpeg since 2013) but old
//    ffmpeg/librtmp omit it, so we read the 4 bytes and keep them as the extended timestamp
//    only if they equal the one of the message's header (or that one is 0); otherwise they
//    are payload. Like SRS, this waits for 4 bytes after the basic header before deciding.
// Where we differ from SRS: the extended timestamp of a fmt 1/2 header (and of a fmt 3 header
// starting a message) is a delta, as the spec, ffmpeg and nginx-rtmp read it (SRS takes it as
// absolute), and timestamps keep all 32 bits (SRS masks them to 31).

#include "proto/rtmp/chunk_decoder.h"

#include <algorithm>
#include <cstring>

namespace ringcast::proto::rtmp {

namespace {

using core::Errc;

constexpr std::uint32_t extended_marker = 0xFFFFFF;
constexpr std::size_t message_header_sizes[4] = {11, 7, 3, 0};

std::uint32_t be24(const std::uint8_t* p) { return std::uint32_t{p[0]} << 16 | std::uint32_t{p[1]} << 8 | p[2]; }
std::uint32_t be32(const std::uint8_t* p) { return std::uint32_t{p[0]} << 24 | be24(p + 1); }
// Message stream ids are the one little-endian field of RTMP (5.3.1.2.1).
std::uint32_t le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

}  // namespace

ChunkDecoder::ChunkDecoder(ChunkDecoderLimits limits) : limits_(limits) {}

core::Status ChunkDecoder::set_chunk_size(std::uint32_t chunk_size) {
    if (chunk_size == 0 || chunk_size > chunk_size_max) {
        return core::fail(Errc::invalid, "rtmp: chunk size out of range");
    }
    chunk_size_ = chunk_size;
    return {};
}

bool ChunkDecoder::mid_message() const {
    return in_payload_ || stash_size_ != 0 ||
           std::any_of(streams_.begin(), streams_.end(), [](const ChunkStream& s) { return s.in_progress; });
}

core::Status ChunkDecoder::fail(core::Error error) {
    failed_ = true;
    error_ = error;
    return core::Unexpected{error};
}

core::Status ChunkDecoder::feed_impl(std::span<const std::uint8_t> bytes, MessageCallback on_message) {
    if (failed_) {
        return core::Unexpected{error_};
    }
    if (in_feed_) {
        return fail(core::Error::make(Errc::invalid, "rtmp: chunk decoder fed from its own callback"));
    }
    bytes_received_ += bytes.size();
    in_feed_ = true;
    core::Status status = consume(bytes, on_message);
    in_feed_ = false;
    if (!status) {
        return fail(status.error());
    }
    return status;
}

core::Status ChunkDecoder::consume(std::span<const std::uint8_t> bytes, MessageCallback on_message) {
    while (!bytes.empty()) {
        if (in_payload_) {
            if (auto status = take_payload(bytes, on_message); !status) {
                return status;
            }
            continue;
        }
        if (stash_size_ == 0) {
            // Fast path: the whole header is in the lent input.
            Header header = parse_header(bytes);
            if (header.size == 0) {
                // A header never needs more than chunk_header_size_max bytes to be complete.
                std::memcpy(stash_.data(), bytes.data(), bytes.size());
                stash_size_ = bytes.size();
                return {};
            }
            bytes = bytes.subspan(header.size);
            if (auto status = apply_header(header, on_message); !status) {
                return status;
            }
            continue;
        }
        // A header split across feeds: top the stash up and try again.
        const std::size_t held = stash_size_;
        const std::size_t added = std::min(stash_.size() - held, bytes.size());
        std::memcpy(stash_.data() + held, bytes.data(), added);
        Header header = parse_header(std::span(stash_.data(), held + added));
        if (header.size == 0) {
            stash_size_ = held + added;
            bytes = bytes.subspan(added);
            continue;
        }
        stash_size_ = 0;
        if (header.size >= held) {
            bytes = bytes.subspan(header.size - held);
            if (auto status = apply_header(header, on_message); !status) {
                return status;
            }
            continue;
        }
        // The header turned out shorter than what was stashed (a fmt 3 chunk whose 4 peeked
        // bytes were payload, not an extended timestamp): replay the surplus first. It came
        // from an empty stash, so the replay cannot produce a surplus of its own.
        std::array<std::uint8_t, chunk_header_size_max> surplus{};
        const std::size_t surplus_size = held - header.size;
        std::memcpy(surplus.data(), stash_.data() + header.size, surplus_size);
        if (auto status = apply_header(header, on_message); !status) {
            return status;
        }
        if (auto status = consume(std::span(surplus.data(), surplus_size), on_message); !status) {
            return status;
        }
    }
    return {};
}

ChunkDecoder::Header ChunkDecoder::parse_header(std::span<const std::uint8_t> bytes) const {
    Header out;
    const std::size_t n = bytes.size();
    if (n == 0) {
        return out;
    }
    const std::uint8_t* p = bytes.data();
    out.fmt = static_cast<std::uint8_t>(p[0] >> 6);
    std::size_t pos = 1;
    switch (p[0] & 0x3F) {
        case 0:  // 2-byte form: 64..319
            if (n < 2) {
                return out;
            }
            out.csid = 64u + p[1];
            pos = 2;
            break;
        case 1:  // 3-byte form: 64..65599, second byte least significant
            if (n < 3) {
                return out;
            }
            out.csid = 64u + p[1] + (std::uint32_t{p[2]} << 8);
            pos = 3;
            break;
        default:
            out.csid = p[0] & 0x3Fu;
            break;
    }
    const std::size_t mh_size = message_header_sizes[out.fmt];
    if (n < pos + mh_size) {
        return out;
    }
    const std::uint8_t* mh = p + pos;
    pos += mh_size;
    if (out.fmt <= 2) {
        out.ts_field = be24(mh);
        out.has_ext = out.ts_field == extended_marker;
    }
    if (out.fmt <= 1) {
        out.length = be24(mh + 3);
        out.type_id = mh[6];
    }
    if (out.fmt == 0) {
        out.stream_id = le32(mh + 7);
    }
    if (out.fmt == 3) {
        const ChunkStream* stream = find_stream(out.csid);
        if (stream != nullptr && stream->extended) {
            if (n < pos + 4) {
                return out;
            }
            const std::uint32_t peeked = be32(p + pos);
            out.has_ext = !stream->in_progress || peeked == stream->ext_value || stream->ext_value == 0;
        }
    }
    if (out.has_ext) {
        if (n < pos + 4) {
            return out;
        }
        out.ext_value = be32(p + pos);
        pos += 4;
    }
    out.size = pos;
    return out;
}

core::Status ChunkDecoder::apply_header(const Header& header, MessageCallback on_message) {
    ChunkStream* found = find_stream(header.csid);
    if (found == nullptr) {
        if (header.fmt >= 2) {
            return core::fail(Errc::protocol, "rtmp: chunk stream starts without a message header");
        }
        if (streams_.size() >= limits_.chunk_streams_max) {
            return core::fail(Errc::too_large, "rtmp: too many chunk streams");
        }
        streams_.push_back(ChunkStream{});
        streams_.back().csid = header.csid;
        found = &streams_.back();
    }
    ChunkStream& s = *found;
    const bool first = !s.in_progress;
    if (!first && header.fmt == 0) {
        return core::fail(Errc::protocol, "rtmp: fmt 0 chunk inside a message");
    }
    if (header.fmt <= 1) {
        if (!first && header.length != s.length) {
            return core::fail(Errc::protocol, "rtmp: message length changed between chunks");
        }
        s.length = header.length;
        s.type_id = header.type_id;
    }
    if (header.fmt == 0) {
        s.stream_id = header.stream_id;
    }
    if (header.fmt <= 2) {
        s.extended = header.has_ext;
        const std::uint32_t value = header.has_ext ? header.ext_value : header.ts_field;
        if (header.has_ext) {
            s.ext_value = header.ext_value;
        }
        s.delta = value;
        s.timestamp = header.fmt == 0 ? value : s.timestamp + value;  // wraps at 2^32, as RTMP does
    } else if (first) {
        if (header.has_ext) {
            s.delta = header.ext_value;
            s.ext_value = header.ext_value;
        }
        s.timestamp += s.delta;
    }

    current_ = static_cast<std::size_t>(found - streams_.data());
    if (first) {
        if (s.length > limits_.message_size_max) {
            return core::fail(Errc::too_large, "rtmp: message longer than message_size_max");
        }
        if (s.length == 0) {
            return deliver(s, on_message);
        }
        if (s.length > limits_.assembling_bytes_max - std::min(assembling_bytes_, limits_.assembling_bytes_max)) {
            return core::fail(Errc::too_large, "rtmp: partial messages exceed assembling_bytes_max");
        }
        s.partial = core::MutableBuffer::allocate(s.length);
        s.received = 0;
        s.in_progress = true;
        assembling_bytes_ += s.length;
    }
    chunk_left_ = std::min(chunk_size_, s.length - s.received);
    in_payload_ = true;
    return {};
}

core::Status ChunkDecoder::take_payload(std::span<const std::uint8_t>& bytes, MessageCallback on_message) {
    ChunkStream& s = streams_[current_];
    const std::size_t n = std::min<std::size_t>(chunk_left_, bytes.size());
    std::memcpy(s.partial.data() + s.received, bytes.data(), n);
    s.received += static_cast<std::uint32_t>(n);
    chunk_left_ -= static_cast<std::uint32_t>(n);
    bytes = bytes.subspan(n);
    if (chunk_left_ != 0) {
        return {};
    }
    in_payload_ = false;
    if (s.received < s.length) {
        return {};
    }
    s.partial.set_size(s.length);
    assembling_bytes_ -= s.length;
    s.in_progress = false;
    return deliver(s, on_message);
}

core::Status ChunkDecoder::deliver(ChunkStream& stream, MessageCallback on_message) {
    RtmpMessage msg{.type_id = stream.type_id,
                    .timestamp = stream.timestamp,
                    .stream_id = stream.stream_id,
                    .csid = stream.csid,
                    .payload = std::move(stream.partial).freeze()};
    stream.partial = {};
    stream.received = 0;
    if (auto status = act_on_control(msg); !status) {
        return status;
    }
    return on_message.call(on_message.ctx, std::move(msg));
}

core::Status ChunkDecoder::act_on_control(const RtmpMessage& msg) {
    switch (msg.type_id) {
        case message_type::set_chunk_size: {
            auto size = parse_set_chunk_size(msg.payload.span());
            if (!size) {
                return core::Unexpected{size.error()};
            }
            chunk_size_ = *size;
            return {};
        }
        case message_type::abort: {
            auto csid = parse_abort(msg.payload.span());
            if (!csid) {
                return core::Unexpected{csid.error()};
            }
            if (ChunkStream* stream = find_stream(*csid); stream != nullptr && stream->in_progress) {
                drop_partial(*stream);
            }
            return {};
        }
        case message_type::window_ack_size: {
            auto window = parse_window_ack_size(msg.payload.span());
            if (!window) {
                return core::Unexpected{window.error()};
            }
            if (*window != 0) {  // as SRS: a zero window would mean "ack every byte"
                ack_window_ = *window;
            }
            return {};
        }
        default:
            return {};
    }
}

void ChunkDecoder::drop_partial(ChunkStream& stream) {
    assembling_bytes_ -= stream.length;
    stream.partial = {};
    stream.received = 0;
    stream.in_progress = false;
}

ChunkDecoder::ChunkStream* ChunkDecoder::find_stream(std::uint32_t csid) {
    // Few streams, and the one just used is the likeliest: a linear scan beats a map here.
    if (current_ < streams_.size() && streams_[current_].csid == csid) {
        return &streams_[current_];
    }
    for (ChunkStream& s : streams_) {
        if (s.csid == csid) {
            return &s;
        }
    }
    return nullptr;
}

const ChunkDecoder::ChunkStream* ChunkDecoder::find_stream(std::uint32_t csid) const {
    return const_cast<ChunkDecoder*>(this)->find_stream(csid);
}

}  // namespace ringcast::proto::rtmp
