// HTTP/1.1 requests (RFC 9112) on libhttp-parser 2.9 (Debian's libhttp-parser-dev), HTTP_REQUEST
// mode. Why a layer on top of the library:
//  - Debian builds it with HTTP_PARSER_STRICT=0: header names may hold spaces, a value's first
//    byte may be any control byte, a CR followed by anything passes for a CRLF in places (the
//    blank line, chunk framing). We require names to be tokens, values to hold no control byte
//    but HTAB (a CR or NUL kept in a value could split a response that echoes it), and every CR
//    outside data to be followed by LF (where a proxy in front would see a different message
//    boundary, requests can be smuggled). Raw bytes >= 0x80 in the target pass, as in nginx
//    and SRS. One quirk errs the safe way and stays: a field whose name only starts with
//    "Transfer-Encoding" makes the library demand a chunked Transfer-Encoding (else 400).
//  - Its one bound is 80 KiB of head. Ours are per part and exact: before each call,
//    next_window() works out how far the library may read without crossing a bound and hands it
//    no more; if the request has not moved on when that window is read and a byte is left, that
//    byte is past the bound. So a bound trips at the same byte whatever the split. Checks of
//    data in callbacks run when the library flushes it, which does depend on the split, so they
//    are all 400s, like the library's own errors; the other checks run at fixed bytes (the end
//    of the head, a chunk size line).
//  - It may read several requests in one call. We pause it where the head ends (to count head
//    bytes exactly, and to check the head before reading any body) and where each message ends
//    (to deliver it, and to stop after a request that ends the connection: in strict builds
//    the library then fails on any later byte instead).

#include "proto/http/request_parser.h"

#include <http_parser.h>

#include <algorithm>

namespace ringcast::proto::http {

namespace {

using core::Errc;

// RFC 9110 section 5.6.2 tchar.
bool is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 9110 section 5.5 field-vchar, SP and HTAB; obs-text (>= 0x80) allowed.
bool is_value_byte(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = ascii_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// RFC 3986 section 2.1; '+' means a space only in form-encoded queries. A NUL, raw or escaped,
// is refused: a decoded name goes on to C APIs and file paths.
bool percent_decode(std::string_view in, bool plus_is_space, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (in.size() - i < 3) {
                return false;
            }
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return false;
            }
            c = static_cast<char>(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') {
            return false;
        }
        out.push_back(c);
    }
    return true;
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

HttpMethod to_method(unsigned method) {
    switch (method) {
    case HTTP_GET: return HttpMethod::get;
    case HTTP_HEAD: return HttpMethod::head;
    case HTTP_POST: return HttpMethod::post;
    case HTTP_PUT: return HttpMethod::put;
    case HTTP_DELETE: return HttpMethod::delete_;
    case HTTP_OPTIONS: return HttpMethod::options;
    default: return HttpMethod::other;
    }
}

core::Error make_error(HttpError kind, const char* where) {
    return core::Error::make(kind == HttpError::bad_request ? Errc::protocol : Errc::too_large, where);
}

}  // namespace

std::uint16_t http_status_of(HttpError error) {
    switch (error) {
    case HttpError::bad_request: return 400;
    case HttpError::payload_too_large: return 413;
    case HttpError::uri_too_long: return 414;
    case HttpError::headers_too_large: return 431;
    case HttpError::none:
    case HttpError::handler: break;
    }
    return 0;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
    for (const HttpHeader& h : headers) {
        if (equals_ignoring_case(h.name, name)) {
            return std::string_view(h.value);
        }
    }
    return std::nullopt;
}

std::optional<std::string_view> HttpRequest::query_param(std::string_view name) const {
    for (const QueryParam& q : query_params) {
        if (q.name == name) {
            return std::string_view(q.value);
        }
    }
    return std::nullopt;
}

struct HttpRequestParser::Callbacks {
    static HttpRequestParser& self(::http_parser* p) { return *static_cast<HttpRequestParser*>(p->data); }

    static int on_message_begin(::http_parser* p) {
        self(p).begin_request();
        return 0;
    }
    static int on_url(::http_parser* p, const char* at, std::size_t length) {
        self(p).request_.target.append(at, length);
        return 0;
    }
    static int on_header_field(::http_parser* p, const char* at, std::size_t length) {
        HttpRequestParser& s = self(p);
        if (s.phase_ == Phase::body) {
            return 0;  // a trailer after a chunked body: dropped
        }
        const std::string_view bytes(at, length);
        if (!std::all_of(bytes.begin(), bytes.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); })) {
            return s.reject(HttpError::bad_request, "http: invalid header name");
        }
        auto& headers = s.request_.headers;
        if (headers.empty() || s.last_was_value_) {
            // next_window() counts header lines and stops first; this keeps the vector bounded
            // on its own.
            if (headers.size() >= s.limits_.headers_max) {
                return s.reject(HttpError::headers_too_large, "http: too many headers");
            }
            headers.emplace_back();
            s.last_was_value_ = false;
        }
        headers.back().name.append(bytes);
        return 0;
    }
    static int on_header_value(::http_parser* p, const char* at, std::size_t length) {
        HttpRequestParser& s = self(p);
        if (s.phase_ == Phase::body) {
            return 0;  // a trailer
        }
        const std::string_view bytes(at, length);
        if (s.request_.headers.empty() ||
            !std::all_of(bytes.begin(), bytes.end(), [](char c) { return is_value_byte(static_cast<unsigned char>(c)); })) {
            return s.reject(HttpError::bad_request, "http: invalid header value");
        }
        s.request_.headers.back().value.append(bytes);
        s.last_was_value_ = true;
        return 0;
    }
    static int on_headers_complete(::http_parser* p) {
        if (self(p).headers_complete() != 0) {
            return -1;
        }
        self(p).event_ = Event::headers_complete;
        http_parser_pause(p, 1);
        return 0;
    }
    static int on_chunk_header(::http_parser* p) {
        // content_length holds this chunk's size: refuse it before reading its data.
        HttpRequestParser& s = self(p);
        if (p->content_length > s.limits_.body_size_max - std::min(s.request_.body.size(), s.limits_.body_size_max)) {
            return s.reject(HttpError::payload_too_large, "http: body too large");
        }
        return 0;
    }
    static int on_body(::http_parser* p, const char* at, std::size_t length) {
        HttpRequestParser& s = self(p);
        if (s.request_.chunked) {
            if (s.check_framing(s.framing_from_, at) != 0) {
                return -1;
            }
            s.framing_from_ = at + length;
            if (p->content_length == 0) {
                s.crlf_due_ = 2;  // this chunk's data is complete
            }
        }
        if (length > s.limits_.body_size_max - std::min(s.request_.body.size(), s.limits_.body_size_max)) {
            return s.reject(HttpError::payload_too_large, "http: body too large");
        }
        s.request_.body.append(at, length);
        return 0;
    }
    static int on_message_complete(::http_parser* p) {
        self(p).event_ = Event::message_complete;
        http_parser_pause(p, 1);
        return 0;
    }

    static const http_parser_settings& settings() {
        static const http_parser_settings table = [] {
            http_parser_settings t;
            http_parser_settings_init(&t);
            t.on_message_begin = on_message_begin;
            t.on_url = on_url;
            t.on_header_field = on_header_field;
            t.on_header_value = on_header_value;
            t.on_headers_complete = on_headers_complete;
            t.on_body = on_body;
            t.on_message_complete = on_message_complete;
            t.on_chunk_header = on_chunk_header;
            return t;
        }();
        return table;
    }
};

HttpRequestParser::HttpRequestParser(HttpRequestLimits limits)
    : limits_(limits), parser_(std::make_unique<::http_parser>()) {
    http_parser_init(parser_.get(), HTTP_REQUEST);
}

HttpRequestParser::~HttpRequestParser() = default;
HttpRequestParser::HttpRequestParser(HttpRequestParser&&) noexcept = default;
HttpRequestParser& HttpRequestParser::operator=(HttpRequestParser&&) noexcept = default;

core::Status HttpRequestParser::fail(HttpError kind, core::Error error) {
    error_kind_ = kind;
    error_ = error;
    return core::Unexpected{error};
}

int HttpRequestParser::reject(HttpError kind, const char* where) {
    if (pending_kind_ == HttpError::none) {
        pending_kind_ = kind;
        pending_where_ = where;
    }
    return -1;
}

void HttpRequestParser::begin_request() {
    request_ = HttpRequest{};
    last_was_value_ = false;
}

core::Status HttpRequestParser::feed_impl(std::span<const std::uint8_t> bytes, RequestCallback on_request) {
    if (failed()) {
        return core::Unexpected{error_};
    }
    if (in_feed_) {
        return fail(HttpError::handler, core::Error::make(Errc::invalid, "http: parser fed from its own callback"));
    }
    in_feed_ = true;
    core::Status status = consume(bytes, on_request);
    in_feed_ = false;
    return status;
}

HttpRequestParser::Window HttpRequestParser::next_window(std::span<const std::uint8_t> bytes) {
    auto allowance = [](std::size_t max, std::size_t used) { return used < max ? max - used : 0; };
    switch (phase_) {
    case Phase::request_line: {
        const std::size_t n = std::min(bytes.size(), allowance(limits_.request_line_max, line_bytes_));
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint8_t c = bytes[i];
            if (cr_pending_ && c != '\n') {
                return {i, false, HttpError::bad_request, "http: CR not followed by LF"};
            }
            cr_pending_ = c == '\r';
            if (c == '\n' && line_started_) {
                return {i + 1, true};
            }
            line_started_ = line_started_ || (c != '\r' && c != '\n');
        }
        return {n, false, HttpError::uri_too_long, "http: request line too long"};
    }
    case Phase::headers: {
        const std::size_t n = std::min(bytes.size(), allowance(limits_.header_bytes_max, header_bytes_));
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint8_t c = bytes[i];
            if (cr_pending_ && c != '\n') {
                return {i, false, HttpError::bad_request, "http: CR not followed by LF"};
            }
            cr_pending_ = c == '\r';
            if (at_line_start_) {
                if (c == '\n') {
                    return {i + 1, true};
                }
                // A line starting with SP or HTAB continues the previous value (obs-fold).
                if (c != '\r' && c != ' ' && c != '\t') {
                    if (header_lines_ >= limits_.headers_max) {
                        return {i, false, HttpError::headers_too_large, "http: too many headers"};
                    }
                    ++header_lines_;
                }
                in_blank_line_ = c == '\r';
                at_line_start_ = false;
            } else if (c == '\n') {
                if (in_blank_line_) {
                    return {i + 1, true};
                }
                at_line_start_ = true;
            }
        }
        return {n, false, HttpError::headers_too_large, "http: header section too large"};
    }
    case Phase::body: {
        // + 1: the blank line's LF, which the pause at the end of the head leaves to this phase.
        const std::size_t cap = limits_.body_size_max + limits_.chunked_framing_max + 1;
        return {std::min(bytes.size(), allowance(cap, body_wire_bytes_)), false, HttpError::payload_too_large,
                "http: chunked body too large"};
    }
    }
    return {};
}

void HttpRequestParser::account(std::size_t consumed) {
    switch (phase_) {
    case Phase::request_line: line_bytes_ += consumed; break;
    case Phase::headers: header_bytes_ += consumed; break;
    case Phase::body: body_wire_bytes_ += consumed; break;
    }
}

core::Status HttpRequestParser::consume(std::span<const std::uint8_t> bytes, RequestCallback on_request) {
    ::http_parser* p = parser_.get();
    p->data = this;  // the parser may have moved since the last feed
    while (!bytes.empty() && !finished_) {
        const Window window = next_window(bytes);
        if (window.size == 0) {
            return fail(window.past_bound, make_error(window.past_bound, window.where));
        }
        event_ = Event::none;
        const char* data = reinterpret_cast<const char*>(bytes.data());
        framing_from_ = data;
        // Never called with 0 bytes: to libhttp-parser that means end of stream.
        const std::size_t n = http_parser_execute(p, &Callbacks::settings(), data, window.size);
        if (phase_ == Phase::body && request_.chunked) {
            // Before any error a callback found: these bytes come before where the library
            // stopped, and a byte-by-byte feed would have found this one first.
            const HttpError earlier = pending_kind_;
            pending_kind_ = HttpError::none;
            if (check_framing(framing_from_, data + n) == 0 && earlier != HttpError::none) {
                pending_kind_ = earlier;
            }
        }
        if (pending_kind_ != HttpError::none) {
            return fail(pending_kind_, make_error(pending_kind_, pending_where_));
        }
        const auto err = static_cast<http_errno>(HTTP_PARSER_ERRNO(p));
        if (err == HPE_HEADER_OVERFLOW) {
            return fail(HttpError::headers_too_large, make_error(HttpError::headers_too_large, http_errno_name(err)));
        }
        if (err != HPE_OK && err != HPE_PAUSED) {
            // The errno's name is a static string, so it can serve as the Error's `where`.
            return fail(HttpError::bad_request, make_error(HttpError::bad_request, http_errno_name(err)));
        }
        if (err == HPE_PAUSED) {
            http_parser_pause(p, 0);
        } else if (n != window.size) {
            return fail(HttpError::bad_request, make_error(HttpError::bad_request, "http: parser stopped early"));
        }
        account(n);
        bytes = bytes.subspan(n);

        if (event_ == Event::headers_complete) {
            ++header_bytes_;  // the blank line's LF, still to be read (as a body-phase byte)
            phase_ = Phase::body;
            body_wire_bytes_ = 0;
        } else if (event_ == Event::message_complete) {
            HttpRequest request = std::move(request_);
            phase_ = Phase::request_line;
            line_bytes_ = 0;
            line_started_ = false;
            cr_pending_ = false;
            crlf_due_ = 0;
            finished_ = !request.keep_alive || request.upgrade;
            if (auto status = on_request.call(on_request.ctx, std::move(request)); !status) {
                return fail(HttpError::handler, status.error());
            }
        } else if (window.ends_part && phase_ == Phase::request_line) {
            phase_ = Phase::headers;
            header_bytes_ = 0;
            header_lines_ = 0;
            at_line_start_ = true;
            in_blank_line_ = false;
        } else if (window.ends_part) {
            // The blank line's LF always completes the head (or the library fails on it).
            return fail(HttpError::bad_request, make_error(HttpError::bad_request, "http: head did not end"));
        } else if (!bytes.empty()) {
            return fail(window.past_bound, make_error(window.past_bound, window.where));
        }
    }
    return {};
}

int HttpRequestParser::check_framing(const char* from, const char* to) {
    for (; from < to; ++from) {
        if (crlf_due_ != 0 && *from != (crlf_due_ == 2 ? '\r' : '\n')) {
            return reject(HttpError::bad_request, "http: chunk data not followed by CRLF");
        }
        crlf_due_ = crlf_due_ != 0 ? static_cast<std::uint8_t>(crlf_due_ - 1) : 0;
        if (cr_pending_ && *from != '\n') {
            return reject(HttpError::bad_request, "http: CR not followed by LF");
        }
        cr_pending_ = *from == '\r';
    }
    return 0;
}

int HttpRequestParser::headers_complete() {
    const ::http_parser& p = *parser_;
    if (p.http_major != 1) {
        return reject(HttpError::bad_request, "http: not HTTP/1.x");
    }
    request_.version_major = p.http_major;
    request_.version_minor = p.http_minor;
    request_.method = to_method(p.method);
    request_.method_name = http_method_str(static_cast<http_method>(p.method));
    request_.keep_alive = http_should_keep_alive(&p) != 0;
    request_.upgrade = p.upgrade != 0;
    request_.chunked = (p.flags & F_CHUNKED) != 0;
    if ((p.flags & F_CONTENTLENGTH) != 0 && p.content_length > limits_.body_size_max) {
        return reject(HttpError::payload_too_large, "http: body too large");
    }
    for (HttpHeader& h : request_.headers) {
        // The library drops leading spaces, but a folded line can bring them back.
        const std::string_view trimmed = trim(h.value);
        if (trimmed.size() != h.value.size()) {
            h.value = std::string(trimmed);
        }
    }
    return split_target();
}

// RFC 9112 section 3.2: origin-form "/p?q", absolute-form "http://host/p?q", authority-form
// "host:port" (CONNECT), asterisk-form "*". A fragment is not part of a request target, but
// the library lets one through: it is dropped.
int HttpRequestParser::split_target() {
    const std::string_view target = request_.target;
    if (target == "*") {
        request_.path = "*";
        return 0;
    }
    std::string_view rest;
    bool has_path = true;
    if (!target.empty() && target.front() == '/') {
        rest = target;
    } else if (const auto scheme_end = target.find("://"); scheme_end != std::string_view::npos) {
        const auto path_start = target.find_first_of("/?#", scheme_end + 3);
        rest = path_start == std::string_view::npos ? std::string_view() : target.substr(path_start);
    } else {
        has_path = false;
    }
    rest = rest.substr(0, rest.find('#'));
    const auto question = rest.find('?');
    std::string_view raw_path = rest.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
    if (raw_path.empty() && has_path) {
        raw_path = "/";
    }
    if (!percent_decode(raw_path, false, request_.path)) {
        return reject(HttpError::bad_request, "http: bad escape in path");
    }
    request_.query = query;
    std::string_view left = query;
    while (!left.empty()) {
        const auto amp = left.find('&');
        const std::string_view part = left.substr(0, amp);
        left = amp == std::string_view::npos ? std::string_view() : left.substr(amp + 1);
        if (part.empty()) {
            continue;
        }
        if (request_.query_params.size() >= limits_.query_params_max) {
            return reject(HttpError::uri_too_long, "http: too many query parameters");
        }
        const auto eq = part.find('=');
        QueryParam param;
        if (!percent_decode(part.substr(0, eq), true, param.name) ||
            !percent_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true, param.value)) {
            return reject(HttpError::bad_request, "http: bad escape in query");
        }
        request_.query_params.push_back(std::move(param));
    }
    return 0;
}

}  // namespace ringcast::proto::http
