#pragma once
// RTMP chunk stream encoder, sans-I/O: a message in, chunk pieces out (header bytes in a small
// frozen Buffer, payload by reference). See chunk_encoder.cpp for the header choices.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/buffer.h"
#include "core/result.h"
#include "proto/rtmp/message.h"

namespace ringcast::proto::rtmp {

/// Receives the encoded chunk stream of one message as a sequence of pieces, in wire order:
/// header, payload, header, payload, ... (a message of length 0 is one header piece). Every
/// piece references an immutable Buffer, so a send queue can hold them as iovecs, and many
/// players can hold the same pieces, without copying.
class ChunkSink {
public:
    virtual ~ChunkSink() = default;
    virtual void append(core::BufferSlice piece) = 0;
};

/// The pieces of one or more encoded messages, collected in order. A value owned by whoever
/// keeps it (a fan-out cache, a test); it keeps the header and payload buffers alive.
class ChunkPieces final : public ChunkSink {
public:
    void append(core::BufferSlice piece) override {
        bytes_ += piece.size();
        pieces_.push_back(std::move(piece));
    }
    [[nodiscard]] const std::vector<core::BufferSlice>& pieces() const { return pieces_; }
    [[nodiscard]] std::size_t size_bytes() const { return bytes_; }
    /// The bytes concatenated (a copy: for tests and small control messages).
    [[nodiscard]] std::vector<std::uint8_t> to_vector() const;
    void clear() {
        pieces_.clear();
        bytes_ = 0;
    }

private:
    std::vector<core::BufferSlice> pieces_;
    std::size_t bytes_ = 0;
};

/// How the encoder writes the first chunk header of each message.
enum class HeaderCompression : std::uint8_t {
    /// Always fmt 0 (SRS): the output depends only on the message and the chunk size, so the
    /// pieces of one message can be shared by every player that uses that chunk size.
    none,
    /// fmt 1/2/3 against the chunk stream's previous message (ffmpeg, nginx-rtmp): smaller,
    /// but the output depends on what this connection sent before, so it is per connection.
    per_connection,
};

struct ChunkEncoderOptions {
    /// SRS's default out chunk size. Any 1..0xFFFFFF encodes (a value outside that falls back
    /// to 128); the server's config allows 128..65536 as SRS does.
    std::uint32_t chunk_size = 60000;
    HeaderCompression compression = HeaderCompression::none;
    /// Distinct chunk stream ids remembered for compression; beyond it, fmt 0 is used.
    std::size_t chunk_streams_max = 64;
};

/// Encodes outgoing messages into chunks.
///
/// Owned by one outgoing connection, or (with HeaderCompression::none) by a shard's fan-out
/// cache for one chunk size; not thread-safe. It keeps nothing of the messages it encodes:
/// the pieces it emits hold their own references and may outlive it.
///
/// Continuation chunks are fmt 3 and repeat the extended timestamp when the message's header
/// had one (as Flash, FMS, SRS and ffmpeg send and expect). Extended timestamps only ever come
/// from fmt 0 headers: a timestamp or delta that needs one forces fmt 0, so SRS (which reads an
/// extended timestamp as absolute) and ffmpeg/nginx-rtmp (which read it as a delta on fmt 1/2)
/// decode our output the same way.
class ChunkEncoder {
public:
    explicit ChunkEncoder(ChunkEncoderOptions options = {});

    /// Takes effect from the next message. Send the Set Chunk Size message itself with the
    /// old size, then call this. 0 or > 0xFFFFFF: Errc::invalid.
    core::Status set_chunk_size(std::uint32_t chunk_size);
    [[nodiscard]] std::uint32_t chunk_size() const { return options_.chunk_size; }

    /// Emits the chunks of `msg` into `sink`. Errc::invalid for a csid outside 2..65599 or a
    /// payload longer than 0xFFFFFF (programmer errors upstream, not network input).
    core::Status encode(const RtmpMessage& msg, ChunkSink& sink);
    /// The encoded bytes as one vector (a copy; for tests and tools).
    core::Result<std::vector<std::uint8_t>> encode_to_vector(const RtmpMessage& msg);

    /// Forgets the previous headers: the next message on every chunk stream is fmt 0.
    void reset_compression() { streams_.clear(); }

    /// Bytes of a chunk header for this fmt, csid and extended-timestamp presence.
    static std::size_t header_size(std::uint8_t fmt, std::uint32_t csid, bool extended);

private:
    /// The last message header sent on a chunk stream (compression only).
    struct LastHeader {
        std::uint32_t csid = 0;
        std::uint32_t timestamp = 0;
        std::uint32_t delta = 0;
        std::uint32_t length = 0;
        std::uint32_t stream_id = 0;
        std::uint8_t type_id = 0;
        bool delta_known = false;  // the last header was fmt 1/2/3 without extended timestamp
    };

    struct FirstHeader {
        std::uint8_t fmt = 0;
        std::uint32_t ts_field = 0;  // timestamp (fmt 0) or delta (fmt 1/2)
        bool extended = false;
    };

    FirstHeader choose_header(const RtmpMessage& msg);

    ChunkEncoderOptions options_;
    std::vector<LastHeader> streams_;
};

}  // namespace ringcast::proto::rtmp
