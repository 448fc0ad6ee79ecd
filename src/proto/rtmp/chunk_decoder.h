#pragma once
// RTMP chunk stream decoder, sans-I/O: bytes in (any split), complete RtmpMessages out through a
// callback. See chunk_decoder.cpp for the spec sections and the peer quirks it follows.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/buffer.h"
#include "core/result.h"
#include "proto/rtmp/message.h"

namespace ringcast::proto::rtmp {

/// Bounds on what a peer may make the decoder hold. Every size from the network is checked
/// against one of these before anything is allocated.
struct ChunkDecoderLimits {
    /// Longest message accepted (bytes); the 24-bit length field allows 0xFFFFFF. SRS has no
    /// limit below that, so neither do we by default.
    std::uint32_t message_size_max = message_length_max;
    /// Distinct chunk stream ids one connection may use; real peers use fewer than 10.
    std::size_t chunk_streams_max = 64;
    /// Sum of the declared lengths of all messages being assembled at once: each is allocated
    /// at its full length on its first chunk, so this caps what 64 interleaved 16 MiB
    /// headers could otherwise make us allocate.
    std::size_t assembling_bytes_max = 32u * 1024 * 1024;
};

/// Decodes one connection's incoming chunk stream (after the handshake).
///
/// Owned by the connection (one per RTMP peer, on that connection's shard); not thread-safe.
/// It borrows nothing: feed() copies payload bytes out of the lent input before returning, so
/// the receive buffer can be recycled right after, and every message it hands out owns its
/// frozen payload Buffer (allocated from BufferPool::current() when the thread has one), which
/// may outlive the decoder.
///
/// Protocol control messages it acts on itself, before handing them out like any other
/// message: Set Chunk Size (applies to the next chunk), Abort (drops the partial message of
/// that chunk stream), Window Acknowledgement Size (sets the ack window).
///
/// A fmt 3 continuation chunk of a message whose header had an extended timestamp is decided
/// only once 4 bytes follow its basic header (see the .cpp): until then it waits, as SRS does.
///
/// Acknowledgements: the decoder counts the bytes fed to it; after each feed() the session
/// asks ack_due() and, if true, sends make_acknowledgement(take_ack_sequence()). Handshake
/// bytes are not counted here (SRS counts them; the difference is 3073 bytes once).
class ChunkDecoder {
public:
    explicit ChunkDecoder(ChunkDecoderLimits limits = {});

    /// Consumes all of `bytes`, calling `on_message(RtmpMessage&&)` for every message it
    /// completes, in order. The callback returns void or core::Status; an error stops the
    /// feed and is returned. The callback may call the decoder's setters (set_chunk_size,
    /// limits), which take effect from the next chunk, but must not call feed().
    /// An error (Errc::protocol, Errc::too_large, or the callback's) leaves the decoder
    /// failed: every later feed() returns the same error.
    template <class OnMessage>
    core::Status feed(std::span<const std::uint8_t> bytes, OnMessage&& on_message) {
        using Fn = std::remove_reference_t<OnMessage>;
        return feed_impl(bytes, MessageCallback{
                                    const_cast<void*>(static_cast<const void*>(&on_message)),
                                    [](void* ctx, RtmpMessage&& msg) -> core::Status {
                                        Fn& fn = *static_cast<Fn*>(ctx);
                                        if constexpr (std::is_void_v<decltype(fn(std::move(msg)))>) {
                                            fn(std::move(msg));
                                            return {};
                                        } else {
                                            return fn(std::move(msg));
                                        }
                                    }});
    }

    /// The peer's chunk size for the chunks that follow (1..0xFFFFFF; Errc::invalid otherwise).
    core::Status set_chunk_size(std::uint32_t chunk_size);
    [[nodiscard]] std::uint32_t chunk_size() const { return chunk_size_; }
    void set_limits(const ChunkDecoderLimits& limits) { limits_ = limits; }
    [[nodiscard]] const ChunkDecoderLimits& limits() const { return limits_; }

    /// Total bytes fed so far.
    [[nodiscard]] std::uint64_t bytes_received() const { return bytes_received_; }
    /// The window set by the peer's last Window Acknowledgement Size (0: none yet, never ack).
    [[nodiscard]] std::uint32_t ack_window() const { return ack_window_; }
    /// Acknowledge every `window` bytes without waiting for the peer to ask (SRS's in_ack_size,
    /// for encoders that never send Window Acknowledgement Size); 0 waits for the peer again.
    void set_ack_window(std::uint32_t window) { ack_window_ = window; }
    /// True when at least a window of bytes arrived since the last take_ack_sequence().
    [[nodiscard]] bool ack_due() const {
        return ack_window_ != 0 && bytes_received_ - acked_bytes_ >= ack_window_;
    }
    /// The Acknowledgement's sequence number (bytes received, modulo 2^32); marks them acked.
    std::uint32_t take_ack_sequence() {
        acked_bytes_ = bytes_received_;
        return static_cast<std::uint32_t>(bytes_received_);
    }

    [[nodiscard]] bool failed() const { return failed_; }
    /// Chunk streams seen so far (each holds a little state for header compression).
    [[nodiscard]] std::size_t chunk_streams() const { return streams_.size(); }
    /// True between the chunks of a message, or inside a chunk header or payload.
    [[nodiscard]] bool mid_message() const;

    /// Longest chunk header: 3-byte basic header + 11-byte message header + 4-byte extended
    /// timestamp.
    static constexpr std::size_t chunk_header_size_max = 18;

private:
    struct MessageCallback {
        void* ctx;
        core::Status (*call)(void*, RtmpMessage&&);
    };

    /// Per chunk stream id: the last header seen (for fmt 1/2/3 to inherit) and the message
    /// being assembled, if any.
    struct ChunkStream {
        std::uint32_t csid = 0;
        std::uint32_t timestamp = 0;   // absolute timestamp of the current / last message
        std::uint32_t delta = 0;       // what a fmt 3 chunk starting a message adds
        std::uint32_t length = 0;
        std::uint32_t stream_id = 0;
        std::uint32_t ext_value = 0;   // the last extended timestamp field read
        std::uint8_t type_id = 0;
        bool extended = false;         // the last fmt 0/1/2 header carried 0xFFFFFF
        bool in_progress = false;      // a message is partly received
        std::uint32_t received = 0;
        core::MutableBuffer partial;
    };

    /// A chunk header as read, before it is applied to its chunk stream.
    struct Header {
        std::size_t size = 0;  // bytes of header; 0 while incomplete
        std::uint8_t fmt = 0;
        std::uint32_t csid = 0;
        std::uint32_t ts_field = 0;
        std::uint32_t length = 0;
        std::uint8_t type_id = 0;
        std::uint32_t stream_id = 0;
        bool has_ext = false;
        std::uint32_t ext_value = 0;
    };

    core::Status feed_impl(std::span<const std::uint8_t> bytes, MessageCallback on_message);
    core::Status consume(std::span<const std::uint8_t> bytes, MessageCallback on_message);
    Header parse_header(std::span<const std::uint8_t> bytes) const;
    core::Status apply_header(const Header& header, MessageCallback on_message);
    core::Status take_payload(std::span<const std::uint8_t>& bytes, MessageCallback on_message);
    core::Status deliver(ChunkStream& stream, MessageCallback on_message);
    core::Status act_on_control(const RtmpMessage& msg);
    ChunkStream* find_stream(std::uint32_t csid);
    const ChunkStream* find_stream(std::uint32_t csid) const;
    void drop_partial(ChunkStream& stream);
    core::Status fail(core::Error error);

    ChunkDecoderLimits limits_;
    std::uint32_t chunk_size_ = default_chunk_size;
    std::vector<ChunkStream> streams_;
    std::size_t current_ = 0;          // index into streams_ of the chunk being read
    std::uint32_t chunk_left_ = 0;     // payload bytes left in the current chunk
    bool in_payload_ = false;
    std::array<std::uint8_t, chunk_header_size_max> stash_{};  // a header split across feeds
    std::size_t stash_size_ = 0;
    std::size_t assembling_bytes_ = 0;
    std::uint64_t bytes_received_ = 0;
    std::uint64_t acked_bytes_ = 0;
    std::uint32_t ack_window_ = 0;
    bool in_feed_ = false;
    bool failed_ = false;
    core::Error error_{};
};

}  // namespace ringcast::proto::rtmp
