#pragma once
// The response side of one HTTP/1.x request, sans-I/O: bytes in any split, the head and the
// body (de-chunked) out through a Sink. For clients that send one request per connection: the
// load tool's HTTP-FLV and HLS players (a GET, then a live body until the run ends) and the
// server's HTTP hooks (a POST, then a small answer).
//
// Body framing (RFC 9112 6.3): none for 1xx, 204 and 304; chunked when Transfer-Encoding's last
// coding is "chunked"; another Transfer-Encoding, or none and no Content-Length, means the body
// runs to the close; else Content-Length. Chunk extensions and trailers are read and dropped.
// Interim 1xx responses are not skipped: these clients send no Expect, so a server has no reason
// to send one, and they want a final status anyway.
//
// Never trusts the input: the head and every chunk-size line are bounded, sizes are checked for
// overflow, a header line may not be folded, bytes past the end of a framed body are an error.
// Body bytes are handed out as views of the fed bytes (never copied); a chunk split across
// feeds arrives in pieces.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ringcast::proto::http {

struct ParsedResponseHead {
    int version_minor = 1;  // HTTP/1.x
    int status = 0;
    bool chunked = false;
    bool close_delimited = false;  // the body ends with the connection
    std::optional<std::uint64_t> content_length;
    std::string content_type;  // as sent, empty if absent
};

struct ResponseReaderLimits {
    std::size_t head_bytes_max = 16 * 1024;  // status line + headers (and trailers)
    std::size_t chunk_line_max = 1024;       // a chunk-size line, extensions included
};

class HttpResponseReader {
public:
    class Sink {
    public:
        virtual ~Sink() = default;
        /// The status line and headers are in. An error stops the feed and is returned.
        virtual core::Status on_head(const ParsedResponseHead& head) = 0;
        /// Body bytes (de-chunked), valid for the call only. An error stops the feed.
        virtual core::Status on_body(std::span<const std::uint8_t> bytes) = 0;
    };

    explicit HttpResponseReader(ResponseReaderLimits limits = {}) : limits_(limits) {}

    /// Consumes all of `bytes`. An error (Errc::protocol, Errc::too_large, or the sink's) leaves
    /// the reader failed: every later feed() returns the same error.
    core::Status feed(std::span<const std::uint8_t> bytes, Sink& sink);

    /// For the end of the input (the peer closed): ok when the body is complete, or runs to
    /// the close; else an error saying where the input stopped.
    [[nodiscard]] core::Status finish() const;

    [[nodiscard]] bool head_done() const { return state_ != State::head; }
    [[nodiscard]] bool body_done() const { return state_ == State::done; }
    [[nodiscard]] bool failed() const { return failed_; }
    [[nodiscard]] const ParsedResponseHead& head() const { return head_; }
    [[nodiscard]] std::uint64_t body_bytes() const { return body_bytes_; }

private:
    enum class State : std::uint8_t {
        head,        // status line and header lines
        body_length,  // Content-Length bytes left in remaining_
        body_close,   // everything up to the close
        chunk_size,   // the chunk-size line
        chunk_data,   // remaining_ bytes of chunk data
        chunk_cr,     // the CRLF after chunk data
        chunk_lf,
        trailer,      // trailer lines up to the empty line
        done,
    };

    /// Appends bytes up to and including the next LF to line_; true with the line complete
    /// (line_ then holds it without its CR LF), false when `bytes` ran out first.
    core::Result<bool> take_line(std::span<const std::uint8_t>& bytes, std::size_t max, const char* too_long);
    core::Status head_line(Sink& sink);
    core::Status header_field(std::string_view line);
    core::Status start_body(Sink& sink);
    core::Status chunk_size_line();
    core::Status body(std::span<const std::uint8_t> bytes, Sink& sink);
    core::Status fail(core::Error error);

    ResponseReaderLimits limits_;
    State state_ = State::head;
    ParsedResponseHead head_;
    std::string line_;
    std::size_t head_bytes_ = 0;  // head (then trailer) bytes seen, against head_bytes_max
    bool status_line_done_ = false;
    bool transfer_encoding_ = false;
    std::uint64_t remaining_ = 0;
    std::uint64_t body_bytes_ = 0;
    bool failed_ = false;
    core::Error error_{};
};

}  // namespace ringcast::proto::http
