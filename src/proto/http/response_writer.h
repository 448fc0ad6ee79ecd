#pragma once
// HTTP/1.1 response heads and chunked-body framing, sans-I/O: values in, bytes appended to a
// caller's std::vector<uint8_t>. The caller freezes them (core::Buffer::copy_of) when it wants
// to queue them; a live body's payload never goes through here, only its per-chunk framing, so
// an HTTP-FLV tag can be sent as [chunk_header][shared tag slices][chunk_end].

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace ringcast::proto::http {

/// RFC 9110 section 15 reason phrase of the codes ringcast answers with (200, 204, 206, 301,
/// 302, 304, 400, 403, 404, 405, 413, 414, 416, 431, 500, 503); "" for any other code.
std::string_view reason_phrase(std::uint16_t status);

/// How the body that follows the head is delimited.
enum class BodyFraming : std::uint8_t {
    content_length,  // Content-Length: HttpResponseHead::content_length
    chunked,         // Transfer-Encoding: chunked (HTTP/1.1 peers only)
    until_close,     // neither header; the body ends when the connection closes (forces close)
};

struct HeaderField {
    std::string_view name;
    std::string_view value;
};

struct HttpResponseHead {
    std::uint16_t status = 200;  // 100..599; anything else is written as 500
    BodyFraming framing = BodyFraming::content_length;
    /// Body bytes for content_length framing; for a HEAD response, what GET would send.
    std::uint64_t content_length = 0;
    std::string_view content_type{};  // empty: no Content-Type
    bool keep_alive = true;           // Connection: keep-alive, else close
    /// Access-Control-* as SRS's `crossdomain on` sends them: any origin, the API's methods,
    /// and the headers players read (Range, Content-Range for progressive FLV).
    bool cors = false;
    std::string_view date{};                 // from http_date(); empty: no Date header
    std::span<const HeaderField> headers{};  // extra fields (Location, Cache-Control...), in order
};

/// Appends "HTTP/1.1 <status> <reason>", Server, Date, Content-Type, the framing header,
/// Connection, the CORS fields, the extra fields, and the blank line. Statuses without a body
/// (1xx, 204, 304) get no framing header. Bytes that could end a line early (CR, LF, other
/// controls but HTAB) are dropped from names and values, so a value taken from a request can
/// never split the response.
void write_response_head(const HttpResponseHead& head, std::vector<std::uint8_t>& out);

/// A whole small response (an error page, an API answer): the head with content_length framing
/// set to body.size(), then the body.
void write_response(HttpResponseHead head, std::string_view body, std::vector<std::uint8_t>& out);

/// IMF-fixdate (RFC 9110 section 5.6.7) of a Unix time: "Sun, 06 Nov 1994 08:49:37 GMT".
/// Locale-independent. Years outside 0..9999 are clamped.
std::array<char, 29> http_date(std::int64_t unix_seconds);

/// Chunked transfer coding (RFC 9112 section 7.1) framing around one chunk of `size` bytes:
/// "<size in hex>\r\n" before the data, chunk_end after it. size must be > 0 (a zero-size chunk
/// is the last chunk). At most 16 hex digits + CRLF.
struct ChunkHeader {
    std::array<std::uint8_t, 18> bytes{};
    std::uint8_t size = 0;
    [[nodiscard]] std::span<const std::uint8_t> span() const { return {bytes.data(), size}; }
};
ChunkHeader chunk_header(std::size_t size);
inline constexpr std::string_view chunk_end = "\r\n";
/// Ends a chunked body (no trailers).
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

/// Appends one whole chunk (header, data, chunk_end); nothing for empty data, which would
/// otherwise end the body.
void append_chunk(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out);

}  // namespace ringcast::proto::http
