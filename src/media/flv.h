#pragma once
// FLV framing ("Video File Format Specification" v10.1, annex E.2-E.3): what an HTTP-FLV player
// receives is the file header, PreviousTagSize0, then one tag per frame, each followed by its
// PreviousTagSize. The tag body is the frame's payload unchanged (RTMP carries FLV tag bodies),
// so framing only adds 11 bytes in front and 4 behind.
//
// Writing: encode_flv_tag() makes the whole tag as one contiguous buffer, once per shard per
// frame, shared by every HTTP-FLV player of the shard as MediaFrame::rtmp_chunks is by RTMP
// players: per player, one reference and one iovec.
//
// Reading: FlvTagReader, sans-I/O (bytes in any split, tags out through a callback), for tests
// and the load client's HTTP-FLV players.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "core/buffer.h"
#include "core/result.h"
#include "media/frame.h"

namespace ringcast::media {

inline constexpr std::size_t kFlvHeaderSize = 9;
/// The header plus PreviousTagSize0: what flv_file_header() returns.
inline constexpr std::size_t kFlvFileHeaderSize = kFlvHeaderSize + 4;
inline constexpr std::size_t kFlvTagHeaderSize = 11;
inline constexpr std::size_t kFlvPreviousTagSizeSize = 4;
/// DataSize is 24 bits.
inline constexpr std::uint32_t kFlvDataSizeMax = 0xFFFFFF;

/// The 9-byte header (signature, version 1, audio/video flags, DataOffset 9) and
/// PreviousTagSize0: the first 13 bytes of an HTTP-FLV response, as SRS sends them.
core::Buffer flv_file_header(bool has_audio, bool has_video);

/// The frame as one FLV tag: tag header (type from frame.kind, 32-bit timestamp split into the
/// 24-bit field and TimestampExtended, StreamID 0), a copy of the payload, PreviousTagSize.
/// Allocated from BufferPool::current() when the thread has one. Errc::too_large when the
/// payload exceeds kFlvDataSizeMax (no RTMP message can, but a frame is not bound to RTMP).
core::Result<core::Buffer> encode_flv_tag(const MediaFrame& frame);
/// The tag with `before` and `after` around it in the same buffer (a transport's framing, e.g.
/// HTTP chunked encoding), so the payload is copied once.
core::Result<core::Buffer> encode_flv_tag(const MediaFrame& frame, std::span<const std::uint8_t> before,
                                          std::span<const std::uint8_t> after);
/// Bytes of the tag of a payload this size: header, payload, PreviousTagSize.
constexpr std::size_t flv_tag_size(std::size_t payload_bytes) {
    return kFlvTagHeaderSize + payload_bytes + kFlvPreviousTagSizeSize;
}

/// One tag as FlvTagReader hands it out. `payload` is valid only during the callback: it views
/// the fed bytes when the tag arrived in one piece, else the reader's assembly buffer. Keep it
/// with core::Buffer::copy_of().
struct FlvTagView {
    FrameKind kind = FrameKind::data;
    std::uint32_t timestamp_ms = 0;
    std::span<const std::uint8_t> payload;
};

struct FlvReaderLimits {
    /// Largest DataSize accepted. A tag split across feeds is assembled in memory, so this is
    /// what one peer can make the reader hold; the 24-bit field cannot exceed it by default.
    std::uint32_t tag_size_max = 16u * 1024 * 1024;
};

/// Reads an FLV byte stream: the file header, then tags.
///
/// Owned by one connection (or test); not thread-safe. Never trusts the input: the signature,
/// DataOffset (>= 9; extra header bytes are skipped), every PreviousTagSize (PreviousTagSize0
/// must be 0, every later one 11 + DataSize) and every DataSize (against the limit, before
/// anything is buffered) are checked; a tag is handed out only after its PreviousTagSize
/// matched. Tag types other than audio, video and script data (reserved, or the Filter bit of
/// encrypted FLV set) are checked the same way, then skipped and counted. StreamID, which the
/// spec says is always 0, is not checked (nor by ffmpeg).
class FlvTagReader {
public:
    explicit FlvTagReader(FlvReaderLimits limits = {}) : limits_(limits) {}

    /// Consumes all of `bytes`, calling `on_tag(const FlvTagView&)` for every tag it completes,
    /// in order. The callback returns void or core::Status; an error stops the feed and is
    /// returned. It must not call feed(). An error (Errc::protocol, Errc::too_large, or the
    /// callback's) leaves the reader failed: every later feed() returns the same error.
    template <class OnTag>
    core::Status feed(std::span<const std::uint8_t> bytes, OnTag&& on_tag) {
        using Fn = std::remove_reference_t<OnTag>;
        return feed_impl(bytes, TagCallback{const_cast<void*>(static_cast<const void*>(&on_tag)),
                                            [](void* ctx, const FlvTagView& tag) -> core::Status {
                                                Fn& fn = *static_cast<Fn*>(ctx);
                                                if constexpr (std::is_void_v<decltype(fn(tag))>) {
                                                    fn(tag);
                                                    return {};
                                                } else {
                                                    return fn(tag);
                                                }
                                            }});
    }

    /// For the end of the input: an error if it stopped inside the header or a tag (or the
    /// reader failed), ok at a tag boundary after the header.
    [[nodiscard]] core::Status finish() const;

    [[nodiscard]] bool header_done() const { return state_ != State::file_header; }
    /// The header's TypeFlags (false until header_done()).
    [[nodiscard]] bool has_audio() const { return has_audio_; }
    [[nodiscard]] bool has_video() const { return has_video_; }
    [[nodiscard]] std::uint64_t tags_read() const { return tags_read_; }
    [[nodiscard]] std::uint64_t tags_skipped() const { return tags_skipped_; }
    [[nodiscard]] std::uint64_t bytes_fed() const { return bytes_fed_; }
    [[nodiscard]] bool failed() const { return failed_; }

private:
    struct TagCallback {
        void* ctx;
        core::Status (*call)(void*, const FlvTagView&);
    };

    enum class State : std::uint8_t {
        file_header,   // the 9 fixed header bytes
        header_extra,  // DataOffset beyond 9: skipped
        first_size,    // PreviousTagSize0
        tag_header,
        tag_body,      // DataSize payload bytes, then PreviousTagSize
    };

    core::Status feed_impl(std::span<const std::uint8_t> bytes, TagCallback on_tag);
    /// Moves bytes into stash_ until it holds `n`; true once it does.
    bool gather(std::span<const std::uint8_t>& bytes, std::size_t n);
    core::Status parse_file_header();
    core::Status parse_tag_header();
    core::Status end_tag(std::span<const std::uint8_t> payload, std::span<const std::uint8_t, 4> trailer,
                         TagCallback on_tag);
    core::Status fail(core::Error error);

    FlvReaderLimits limits_;
    State state_ = State::file_header;
    std::array<std::uint8_t, kFlvTagHeaderSize> stash_{};  // a fixed-size field split across feeds
    std::size_t stash_size_ = 0;
    std::uint32_t skip_left_ = 0;
    // The tag being read.
    std::uint8_t tag_type_ = 0;
    std::uint32_t data_size_ = 0;
    std::uint32_t timestamp_ = 0;
    /// Payload and PreviousTagSize of a tag split across feeds; grows as bytes arrive, so what a
    /// peer makes us hold is what it sent.
    std::vector<std::uint8_t> partial_;
    bool has_audio_ = false;
    bool has_video_ = false;
    bool in_feed_ = false;
    bool failed_ = false;
    core::Error error_{};
    std::uint64_t tags_read_ = 0;
    std::uint64_t tags_skipped_ = 0;
    std::uint64_t bytes_fed_ = 0;
};

}  // namespace ringcast::media
