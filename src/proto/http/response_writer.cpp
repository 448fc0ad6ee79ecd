// Response heads as SRS writes them (srs_protocol_http_stack.cpp / srs_app_http_conn.cpp):
// Server first, then the entity and framing fields, Connection, and the CORS fields of its
// SrsHttpCorsMux. We always say HTTP/1.1: RFC 9110 section 2.5 has a server send its own
// highest version, and HTTP/1.0 clients read it fine.

#include "proto/http/response_writer.h"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace ringcast::proto::http {

namespace {

constexpr std::string_view server_field = "Server: ringcast/" RINGCAST_VERSION "\r\n";

// SRS's SrsHttpCorsMux values, so players and pages written for SRS see the same answers.
constexpr std::string_view cors_fields =
    "Access-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Methods: GET, POST, HEAD, PUT, DELETE, OPTIONS\r\n"
    "Access-Control-Expose-Headers: Server,range,Content-Length,Content-Range\r\n"
    "Access-Control-Allow-Headers: origin,range,accept-encoding,referer,Cache-Control,X-Proxy-Authorization,"
    "X-Requested-With,Content-Type\r\n";

void append(std::vector<std::uint8_t>& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

void append_number(std::vector<std::uint8_t>& out, std::uint64_t value, int base = 10) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value, base);
    append(out, std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
}

// Drops what could end the field early or smuggle a field in: any control byte but HTAB.
void append_sanitized(std::vector<std::uint8_t>& out, std::string_view s) {
    for (char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == '\t' || (byte >= 0x20 && byte != 0x7f)) {
            out.push_back(byte);
        }
    }
}

void append_field(std::vector<std::uint8_t>& out, std::string_view name, std::string_view value) {
    append_sanitized(out, name);
    append(out, ": ");
    append_sanitized(out, value);
    append(out, "\r\n");
}

bool has_body(std::uint16_t status) { return status >= 200 && status != 204 && status != 304; }

}  // namespace

std::string_view reason_phrase(std::uint16_t status) {
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
    }
}

void write_response_head(const HttpResponseHead& head, std::vector<std::uint8_t>& out) {
    const std::uint16_t status = head.status >= 100 && head.status <= 599 ? head.status : 500;
    append(out, "HTTP/1.1 ");
    append_number(out, status);
    append(out, " ");
    append(out, reason_phrase(status));
    append(out, "\r\n");
    append(out, server_field);
    if (!head.date.empty()) {
        append_field(out, "Date", head.date);
    }
    if (!head.content_type.empty()) {
        append_field(out, "Content-Type", head.content_type);
    }
    const bool keep_alive = head.keep_alive && head.framing != BodyFraming::until_close;
    if (has_body(status)) {
        if (head.framing == BodyFraming::content_length) {
            append(out, "Content-Length: ");
            append_number(out, head.content_length);
            append(out, "\r\n");
        } else if (head.framing == BodyFraming::chunked) {
            append(out, "Transfer-Encoding: chunked\r\n");
        }
    }
    append(out, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    if (head.cors) {
        append(out, cors_fields);
    }
    for (const HeaderField& field : head.headers) {
        append_field(out, field.name, field.value);
    }
    append(out, "\r\n");
}

void write_response(HttpResponseHead head, std::string_view body, std::vector<std::uint8_t>& out) {
    head.framing = BodyFraming::content_length;
    head.content_length = body.size();
    write_response_head(head, out);
    if (has_body(head.status)) {
        append(out, body);
    }
}

std::array<char, 29> http_date(std::int64_t unix_seconds) {
    using namespace std::chrono;
    constexpr std::int64_t min_seconds = -62167219200;  // 0000-01-01T00:00:00Z
    constexpr std::int64_t max_seconds = 253402300799;  // 9999-12-31T23:59:59Z
    const std::int64_t clamped = std::clamp(unix_seconds, min_seconds, max_seconds);
    const sys_seconds time{seconds{clamped}};
    const sys_days day = floor<days>(time);
    const year_month_day ymd{day};
    const hh_mm_ss<seconds> hms{time - day};
    static constexpr const char* weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::array<char, 29> out{};
    auto put2 = [&](std::size_t at, long v) {
        out[at] = static_cast<char>('0' + v / 10);
        out[at + 1] = static_cast<char>('0' + v % 10);
    };
    const char* wd = weekdays[weekday{day}.c_encoding()];
    const char* mon = months[static_cast<unsigned>(ymd.month()) - 1];
    const long year = static_cast<int>(ymd.year());
    std::copy_n(wd, 3, out.begin());
    out[3] = ',';
    out[4] = ' ';
    put2(5, static_cast<long>(static_cast<unsigned>(ymd.day())));
    out[7] = ' ';
    std::copy_n(mon, 3, out.begin() + 8);
    out[11] = ' ';
    put2(12, year / 100);
    put2(14, year % 100);
    out[16] = ' ';
    put2(17, static_cast<long>(hms.hours().count()));
    out[19] = ':';
    put2(20, static_cast<long>(hms.minutes().count()));
    out[22] = ':';
    put2(23, static_cast<long>(hms.seconds().count()));
    std::copy_n(" GMT", 4, out.begin() + 25);
    return out;
}

ChunkHeader chunk_header(std::size_t size) {
    ChunkHeader header;
    char* begin = reinterpret_cast<char*>(header.bytes.data());
    const auto result = std::to_chars(begin, begin + 16, static_cast<std::uint64_t>(size), 16);
    char* end = result.ptr;
    *end++ = '\r';
    *end++ = '\n';
    header.size = static_cast<std::uint8_t>(end - begin);
    return header;
}

void append_chunk(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out) {
    if (data.empty()) {
        return;
    }
    const ChunkHeader header = chunk_header(data.size());
    out.insert(out.end(), header.span().begin(), header.span().end());
    out.insert(out.end(), data.begin(), data.end());
    append(out, chunk_end);
}

}  // namespace ringcast::proto::http
