#pragma once
// Static files of `http_server { dir ...; }` (SRS's SrsHttpFileServer, nginx's static module):
// which file under `dir` a request path names, its content type, and which status, byte range
// and headers the answer gets. Pure logic, no I/O, so every rule is unit-tested here;
// HttpConnection does the statx / open / read through the shard's ring.
//
// Confinement to `dir`: a path is refused (404) when a decoded segment is "..", and every
// component under `dir` is checked with statx(AT_SYMLINK_NOFOLLOW) before the file is opened
// (O_NOFOLLOW): a symbolic link anywhere below `dir` is refused with 404, wherever it points,
// as nginx's `disable_symlinks on` does. Following only the links that stay inside `dir` would
// need readlink or openat2(RESOLVE_BENEATH), which the ring wrappers do not have. `dir` itself
// may be a link: the administrator chose it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::app {

/// Bounds on a static file path taken from the network: longer or deeper paths get 404. Each
/// segment costs one statx per request.
inline constexpr std::size_t kStaticPathBytesMax = 1024;
inline constexpr std::size_t kStaticPathSegmentsMax = 16;
/// What a path naming a directory serves (SRS's SRS_HTTP_DEFAULT_PAGE, nginx's index).
inline constexpr std::string_view kStaticIndexFile = "index.html";

/// A request path mapped under `dir`.
struct StaticPath {
    /// Relative to dir: "live/s.m3u8", "index.html", "live/index.html". Segments joined by one
    /// '/'; never empty, never a "", "." or ".." segment.
    std::string relative;
    /// Where each segment of `relative` ends: relative.substr(0, end) are the components to
    /// check, every one but the last a directory and none a symbolic link.
    std::vector<std::size_t> segment_ends;
    /// The request named a directory ("/" or a path ending in '/'): index.html was appended.
    bool index = false;
};

/// Maps a request path to a file under dir, or nullopt (answer 404). `decoded_path` is
/// HttpRequest::path: proto::http has percent-decoded it once and refused %00 and bad escapes
/// with 400; decoding again here would turn "%252e%252e" into "..". Refused: a path not
/// starting with '/', a control byte (NUL included), a ".." segment, more than
/// kStaticPathSegmentsMax segments or kStaticPathBytesMax bytes. Empty and "." segments are
/// dropped, as nginx merges slashes.
std::optional<StaticPath> map_static_path(std::string_view decoded_path);

/// dir + '/' + relative, without doubling a '/' that ends dir.
std::string static_file_path(std::string_view dir, std::string_view relative);

/// Content-Type by extension (ASCII case-insensitive); application/octet-stream otherwise.
std::string_view static_content_type(std::string_view path);

/// Live playlists (m3u8, mpd) are rewritten every segment: they are sent with
/// `Cache-Control: no-cache` and without Last-Modified, so no cache or conditional request can
/// hold on to a stale one (an HTTP date has one-second resolution; a playlist may change twice
/// in a second).
bool static_is_live_playlist(std::string_view path);

/// IMF-fixdate (RFC 9110 section 5.6.7, "Sun, 06 Nov 1994 08:49:37 GMT") to Unix seconds.
/// The obsolete RFC 850 and asctime forms are not read: a request carrying one is answered in
/// full, which is always correct.
std::optional<std::int64_t> parse_http_date(std::string_view text);

/// The outcome of a Range header against a file of some size.
struct ByteRangeAnswer {
    enum class Kind : std::uint8_t { whole, partial, unsatisfiable };
    Kind kind = Kind::whole;
    std::uint64_t offset = 0;  // partial: first byte
    std::uint64_t length = 0;  // partial: byte count, > 0
};

/// At most this many range specs are read; a longer list is ignored (200 with the whole file),
/// as nginx's max_ranges does.
inline constexpr std::size_t kRangeSpecsMax = 16;

/// A Range header value (RFC 9110 section 14.2) against `size` bytes, by nginx's rules
/// (ngx_http_range_parse): another unit than "bytes" is ignored (whole); a malformed spec is
/// unsatisfiable; "a-b" (b clipped to the end), "a-" and "-n" (the last n bytes, all of them if
/// n >= size); a spec past the end is dropped, and none left is unsatisfiable (416), except
/// one starting at 0 (an empty file's "0-" gets the whole, empty file); one satisfiable spec is
/// partial (206); several are answered whole (200), ringcast sends no multipart/byteranges.
ByteRangeAnswer parse_byte_range(std::string_view value, std::uint64_t size);

/// What a GET or HEAD sent, for plan_static_answer.
struct StaticRequest {
    bool head = false;
    std::optional<std::string_view> range;
    std::optional<std::string_view> if_modified_since;
    std::optional<std::string_view> if_range;
};

/// What statx said about the file (a regular file).
struct StaticFileInfo {
    std::uint64_t size = 0;
    std::int64_t mtime_s = 0;  // Unix seconds
    bool live_playlist = false;  // static_is_live_playlist(): no validators
};

struct StaticAnswer {
    std::uint16_t status = 200;       // 200, 206, 304, 416
    std::uint64_t content_length = 0;  // the Content-Length header (what GET sends, for HEAD)
    std::uint64_t offset = 0;          // first file byte of the body
    std::uint64_t body_bytes = 0;      // file bytes to send now: 0 for HEAD, 304 and 416
    std::string content_range;         // "bytes 0-99/1000", "bytes */1000", or ""
};

/// The answer's status and byte range, in RFC 9110 section 13.2.2's order: If-Modified-Since
/// (304 when it equals the file's Last-Modified second, nginx's `if_modified_since exact`),
/// then If-Range (a Range is honoured only when If-Range is absent or equals Last-Modified),
/// then Range. HEAD ignores Range (RFC 9110 section 14.2: Range is defined for GET only). Live
/// playlists carry no Last-Modified, so their conditionals never match.
StaticAnswer plan_static_answer(const StaticRequest& request, const StaticFileInfo& file);

/// A decoded path percent-encoded for a Location header: every byte but RFC 3986's unreserved
/// and sub-delims, ':', '@' and '/'.
std::string percent_encode_path(std::string_view decoded_path);

}  // namespace ringcast::app
