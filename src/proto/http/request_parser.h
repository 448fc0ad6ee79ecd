#pragma once
// HTTP/1.x request parser, sans-I/O: bytes in (any split), complete HttpRequests out through a
// callback. libhttp-parser does the grammar; this layer bounds every size, validates what the
// library is lenient about, and decodes the target. See request_parser.cpp for the rules.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/result.h"

struct http_parser;  // libhttp-parser's state; only request_parser.cpp includes <http_parser.h>

namespace ringcast::proto::http {

enum class HttpMethod : std::uint8_t { get, head, post, put, delete_, options, other };

struct HttpHeader {
    std::string name;   // as sent (case kept); always a token
    std::string value;  // surrounding spaces and tabs trimmed, folded lines joined
};

struct QueryParam {
    std::string name;   // percent-decoded, '+' as space
    std::string value;  // same; empty when the parameter has no '='
};

/// One complete request. Owns everything it holds, except `method_name`, which points to
/// libhttp-parser's static method table.
struct HttpRequest {
    HttpMethod method = HttpMethod::get;
    std::string_view method_name{};  // "GET", "PATCH", "M-SEARCH"...: what to log, or 405 on
    std::string target;            // the request target exactly as sent
    std::string path;              // percent-decoded, no query or fragment; "*" for `OPTIONS *`;
                                   // `..` segments are kept: refusing them is the server's job
    std::string query;             // raw, without the '?'
    std::vector<QueryParam> query_params;
    std::vector<HttpHeader> headers;  // in order, duplicates kept
    std::uint16_t version_major = 1;  // always 1: other versions are refused
    std::uint16_t version_minor = 1;
    bool keep_alive = true;  // http_should_keep_alive(): the connection may carry another request
    bool upgrade = false;    // Upgrade + Connection: upgrade, or CONNECT: later bytes are not HTTP
    bool chunked = false;    // the body came with Transfer-Encoding: chunked
    std::string body;        // decoded (de-chunked)

    /// The first header of that name, compared ASCII case-insensitively.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
    /// The first query parameter of that (decoded, case-sensitive) name.
    [[nodiscard]] std::optional<std::string_view> query_param(std::string_view name) const;
};

/// Why parsing stopped; each parse error implies the status the server should answer with.
enum class HttpError : std::uint8_t {
    none,
    bad_request,        // 400: malformed, bad escape, NUL, bad header byte, not HTTP/1.x
    payload_too_large,  // 413
    uri_too_long,       // 414
    headers_too_large,  // 431: header section or header count
    handler,            // the request callback's own error: no status implied
};

/// 400/413/414/431 for parse errors; 0 for none and handler.
std::uint16_t http_status_of(HttpError error);

/// Bounds on what a peer may make the parser hold or scan per request; exceeding one fails the
/// parser with the error named on each line, detected at the first byte past the bound, so the
/// outcome never depends on how the input was split.
struct HttpRequestLimits {
    /// Request line bytes, line end included (and empty lines before it, which RFC 9112 lets a
    /// server skip): method, target, version. uri_too_long.
    std::size_t request_line_max = 8 * 1024;
    /// Header section bytes as on the wire: every header line with its line end, and the blank
    /// line. headers_too_large. libhttp-parser also stops any head past 80 KiB.
    std::size_t header_bytes_max = 16 * 1024;
    /// Header fields. headers_too_large.
    std::size_t headers_max = 100;
    /// Body bytes after de-chunking; a larger Content-Length fails before any body byte is read.
    /// payload_too_large.
    std::size_t body_size_max = 64 * 1024;
    /// Wire bytes of a chunked body beyond its data: chunk sizes, extensions, line ends,
    /// trailers (which are read and dropped). payload_too_large.
    std::size_t chunked_framing_max = 16 * 1024;
    /// Query parameters (empty ones between '&'s are skipped, not counted). uri_too_long.
    std::size_t query_params_max = 64;
};

/// Parses one connection's incoming requests.
///
/// Owned by the connection, used on its shard; not thread-safe. Borrows nothing: feed() copies
/// what it keeps out of the lent input, so the receive buffer can be recycled when it returns.
///
/// After a request whose keep_alive is false or whose upgrade is true, the parser is finished:
/// RFC 9112 section 9.6 forbids processing later requests, so later bytes are consumed and
/// dropped. The server answers that request and closes.
///
/// A request is delivered once its body has arrived, so `Expect: 100-continue` cannot be
/// answered before the body; clients that send it (curl, for large bodies) wait a second and
/// then send the body anyway.
class HttpRequestParser {
public:
    explicit HttpRequestParser(HttpRequestLimits limits = {});
    ~HttpRequestParser();
    HttpRequestParser(HttpRequestParser&&) noexcept;
    HttpRequestParser& operator=(HttpRequestParser&&) noexcept;
    HttpRequestParser(const HttpRequestParser&) = delete;
    HttpRequestParser& operator=(const HttpRequestParser&) = delete;

    /// Consumes all of `bytes`, calling `on_request(HttpRequest&&)` for every request it
    /// completes, in order (pipelined requests included). The callback returns void or
    /// core::Status; an error stops the feed, is returned, and fails the parser with
    /// HttpError::handler. The callback must not call feed(). Any error (Errc::protocol for
    /// 400, Errc::too_large for 413/414/431, or the callback's) leaves the parser failed:
    /// every later feed() returns the same error.
    template <class OnRequest>
    core::Status feed(std::span<const std::uint8_t> bytes, OnRequest&& on_request) {
        using Fn = std::remove_reference_t<OnRequest>;
        return feed_impl(bytes, RequestCallback{const_cast<void*>(static_cast<const void*>(&on_request)),
                                                [](void* ctx, HttpRequest&& request) -> core::Status {
                                                    Fn& fn = *static_cast<Fn*>(ctx);
                                                    if constexpr (std::is_void_v<decltype(fn(std::move(request)))>) {
                                                        fn(std::move(request));
                                                        return {};
                                                    } else {
                                                        return fn(std::move(request));
                                                    }
                                                }});
    }

    [[nodiscard]] bool failed() const { return error_kind_ != HttpError::none; }
    [[nodiscard]] HttpError error_kind() const { return error_kind_; }
    /// The status to answer a failed parse with (400/413/414/431), 0 if none applies.
    [[nodiscard]] std::uint16_t error_status() const { return http_status_of(error_kind_); }
    /// No further requests will come from this connection (see the class comment).
    [[nodiscard]] bool finished() const { return finished_; }
    /// Some bytes of a request have arrived but not all of it: a peer closing now cut it short.
    [[nodiscard]] bool mid_request() const { return line_started_ || phase_ != Phase::request_line; }

    /// New limits apply from the next byte; lowering one below what the current request
    /// already used fails it at its next byte.
    void set_limits(const HttpRequestLimits& limits) { limits_ = limits; }
    [[nodiscard]] const HttpRequestLimits& limits() const { return limits_; }

private:
    struct Callbacks;  // libhttp-parser's C callbacks, in the .cpp
    friend struct Callbacks;

    struct RequestCallback {
        void* ctx;
        core::Status (*call)(void*, HttpRequest&&);
    };
    enum class Phase : std::uint8_t { request_line, headers, body };
    enum class Event : std::uint8_t { none, headers_complete, message_complete };

    /// How much of `bytes` libhttp-parser may see next without passing a bound, and which
    /// error the byte after that would be if the request has not moved on by then.
    struct Window {
        std::size_t size = 0;
        bool ends_part = false;  // the window ends with the request line's or the blank line's LF
        HttpError past_bound = HttpError::none;
        const char* where = "";
    };

    core::Status feed_impl(std::span<const std::uint8_t> bytes, RequestCallback on_request);
    Window next_window(std::span<const std::uint8_t> bytes);
    core::Status consume(std::span<const std::uint8_t> bytes, RequestCallback on_request);
    void account(std::size_t consumed);
    /// The head is read: checks it and decodes the target (0, or -1 after reject()).
    int headers_complete();
    int split_target();
    /// Chunked bodies: the framing between `from` and `to` must have CRLF after each chunk's
    /// data and no CR without LF (0, or -1 after reject()).
    int check_framing(const char* from, const char* to);
    void begin_request();
    core::Status fail(HttpError kind, core::Error error);
    /// Records an error found inside a libhttp-parser callback; the callback then returns
    /// non-zero so the library stops.
    int reject(HttpError kind, const char* where);

    HttpRequestLimits limits_;
    std::unique_ptr<::http_parser> parser_;
    HttpRequest request_;
    Phase phase_ = Phase::request_line;
    Event event_ = Event::none;
    std::size_t line_bytes_ = 0;
    std::size_t header_bytes_ = 0;
    std::size_t header_lines_ = 0;
    std::size_t body_wire_bytes_ = 0;
    bool line_started_ = false;   // a byte other than CR/LF of the request line was seen
    bool at_line_start_ = true;   // header phase: the next byte starts a line
    bool in_blank_line_ = false;  // header phase: a CR started the blank line
    bool cr_pending_ = false;     // the last byte checked was a CR outside data
    std::uint8_t crlf_due_ = 0;   // chunked body: bytes of the CRLF after chunk data still to see
    const char* framing_from_ = nullptr;  // chunked body: first byte of the window not yet checked
    bool last_was_value_ = false;
    bool finished_ = false;
    bool in_feed_ = false;
    HttpError pending_kind_ = HttpError::none;
    const char* pending_where_ = "";
    HttpError error_kind_ = HttpError::none;
    core::Error error_{};
};

}  // namespace ringcast::proto::http
