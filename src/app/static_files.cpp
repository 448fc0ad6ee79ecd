#include "app/static_files.h"

#include <array>
#include <chrono>
#include <limits>

namespace ringcast::app {

namespace {

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

/// The extension of the last segment, without the dot ("" if none).
std::string_view extension_of(std::string_view path) {
    const auto slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const auto dot = name.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

struct MimeType {
    std::string_view extension;
    std::string_view type;
};

// The media types of SRS's SrsHttpFileServer and nginx's mime.types for what a streaming
// server's html dir holds: HLS/DASH playlists and segments, recordings, and a player page.
constexpr std::array<MimeType, 30> kMimeTypes{{
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"ts", "video/mp2t"},
    {"flv", "video/x-flv"},
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"m4s", "video/iso.segment"},
    {"mpd", "application/dash+xml"},
    {"aac", "audio/aac"},
    {"m4a", "audio/mp4"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"webm", "video/webm"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"js", "application/javascript"},
    {"mjs", "application/javascript"},
    {"css", "text/css"},
    {"json", "application/json"},
    {"txt", "text/plain"},
    {"xml", "text/xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"svg", "image/svg+xml"},
    {"wasm", "application/wasm"},
    {"swf", "application/x-shockwave-flash"},
    {"map", "application/json"},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void skip_spaces(std::string_view text, std::size_t& i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
}

/// Digits at i into value; false if there are none or the value overflows.
bool read_number(std::string_view text, std::size_t& i, std::uint64_t& value) {
    if (i >= text.size() || !is_digit(text[i])) {
        return false;
    }
    value = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    while (i < text.size() && is_digit(text[i])) {
        const auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (value > (max - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
        ++i;
    }
    return true;
}

/// `count` digits at `at` (fixed width, as IMF-fixdate has them).
std::optional<int> fixed_digits(std::string_view text, std::size_t at, std::size_t count) {
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (!is_digit(text[i])) {
            return std::nullopt;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

std::optional<StaticPath> map_static_path(std::string_view decoded_path) {
    if (decoded_path.empty() || decoded_path.front() != '/' || decoded_path.size() > kStaticPathBytesMax) {
        return std::nullopt;
    }
    StaticPath mapped;
    mapped.relative.reserve(decoded_path.size() + kStaticIndexFile.size());
    std::size_t start = 1;
    bool names_directory = true;  // "/", "/a/", "/a/." name directories
    while (start <= decoded_path.size()) {
        std::size_t end = decoded_path.find('/', start);
        if (end == std::string_view::npos) {
            end = decoded_path.size();
        }
        const std::string_view segment = decoded_path.substr(start, end - start);
        start = end + 1;
        if (segment.empty() || segment == ".") {
            names_directory = true;
            continue;
        }
        if (segment == "..") {
            return std::nullopt;  // never resolved, even when it would stay inside dir
        }
        for (char c : segment) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f) {
                return std::nullopt;
            }
        }
        if (mapped.segment_ends.size() == kStaticPathSegmentsMax) {
            return std::nullopt;
        }
        if (!mapped.relative.empty()) {
            mapped.relative.push_back('/');
        }
        mapped.relative.append(segment);
        mapped.segment_ends.push_back(mapped.relative.size());
        names_directory = false;
    }
    if (names_directory) {
        if (mapped.segment_ends.size() == kStaticPathSegmentsMax) {
            return std::nullopt;
        }
        if (!mapped.relative.empty()) {
            mapped.relative.push_back('/');
        }
        mapped.relative.append(kStaticIndexFile);
        mapped.segment_ends.push_back(mapped.relative.size());
        mapped.index = true;
    }
    return mapped;
}

std::string static_file_path(std::string_view dir, std::string_view relative) {
    std::string path(dir);
    if (path.empty() || path.back() != '/') {
        path.push_back('/');
    }
    path.append(relative);
    return path;
}

std::string_view static_content_type(std::string_view path) {
    const std::string_view extension = extension_of(path);
    for (const MimeType& mime : kMimeTypes) {
        if (iequals(extension, mime.extension)) {
            return mime.type;
        }
    }
    return "application/octet-stream";
}

bool static_is_live_playlist(std::string_view path) {
    const std::string_view extension = extension_of(path);
    return iequals(extension, "m3u8") || iequals(extension, "mpd");
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
    // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 bytes.
    if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
        text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
        return std::nullopt;
    }
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    unsigned month = 0;
    while (month < 12 && months[month] != text.substr(8, 3)) {
        ++month;
    }
    const auto day = fixed_digits(text, 5, 2);
    const auto year = fixed_digits(text, 12, 4);
    const auto hour = fixed_digits(text, 17, 2);
    const auto minute = fixed_digits(text, 20, 2);
    const auto second = fixed_digits(text, 23, 2);
    if (month == 12 || !day || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    using namespace std::chrono;
    const year_month_day date{std::chrono::year{*year}, std::chrono::month{month + 1},
                              std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    // The weekday is redundant; RFC 9110 has recipients not rely on it, so it is not checked.
    const std::int64_t days_since_epoch = sys_days{date}.time_since_epoch().count();
    return days_since_epoch * 86400 + *hour * 3600 + *minute * 60 + *second;
}

ByteRangeAnswer parse_byte_range(std::string_view value, std::uint64_t size) {
    using Kind = ByteRangeAnswer::Kind;
    std::size_t i = 0;
    skip_spaces(value, i);
    if (value.size() - i < 6 || !iequals(value.substr(i, 6), "bytes=")) {
        return {};  // another unit, or no unit: ignored
    }
    i += 6;
    ByteRangeAnswer found;
    std::size_t satisfiable = 0;
    std::size_t specs = 0;
    while (true) {
        if (++specs > kRangeSpecsMax) {
            return {};
        }
        skip_spaces(value, i);
        std::uint64_t first = 0;
        std::uint64_t end = 0;  // one past the last byte, clipped to size
        if (i < value.size() && value[i] == '-') {
            ++i;
            std::uint64_t suffix = 0;
            if (!read_number(value, i, suffix)) {
                return {Kind::unsatisfiable};
            }
            first = suffix < size ? size - suffix : 0;
            end = size;
        } else {
            std::uint64_t last = 0;
            if (!read_number(value, i, first)) {
                return {Kind::unsatisfiable};
            }
            skip_spaces(value, i);
            if (i >= value.size() || value[i] != '-') {
                return {Kind::unsatisfiable};
            }
            ++i;
            skip_spaces(value, i);
            if (i >= value.size() || value[i] == ',') {
                end = size;  // "a-": to the end
            } else {
                if (!read_number(value, i, last)) {
                    return {Kind::unsatisfiable};
                }
                end = last >= size ? size : last + 1;
            }
        }
        skip_spaces(value, i);
        if (i < value.size() && value[i] != ',') {
            return {Kind::unsatisfiable};
        }
        if (first < end) {
            if (++satisfiable == 1) {
                found = {Kind::partial, first, end - first};
            }
        } else if (first == 0) {
            return {};  // nginx: an empty file's "0-" or "-n" is answered whole (and empty)
        }
        if (i >= value.size()) {
            break;
        }
        ++i;  // the comma
    }
    if (satisfiable == 0) {
        return {Kind::unsatisfiable};
    }
    if (satisfiable > 1) {
        return {};  // no multipart/byteranges: the whole file is a valid answer (RFC 9110 14.2)
    }
    return found;
}

StaticAnswer plan_static_answer(const StaticRequest& request, const StaticFileInfo& file) {
    StaticAnswer answer;
    answer.content_length = file.size;
    answer.body_bytes = request.head ? 0 : file.size;
    if (!file.live_playlist && request.if_modified_since) {
        if (parse_http_date(*request.if_modified_since) == file.mtime_s) {
            answer.status = 304;
            answer.content_length = 0;
            answer.body_bytes = 0;
            return answer;
        }
    }
    if (request.head || !request.range) {
        return answer;
    }
    if (request.if_range && (file.live_playlist || parse_http_date(*request.if_range) != file.mtime_s)) {
        return answer;  // the client's copy is another version: it needs the whole file
    }
    const ByteRangeAnswer range = parse_byte_range(*request.range, file.size);
    switch (range.kind) {
    case ByteRangeAnswer::Kind::whole:
        return answer;
    case ByteRangeAnswer::Kind::unsatisfiable:
        answer.status = 416;
        answer.content_length = 0;
        answer.body_bytes = 0;
        answer.content_range = "bytes */" + std::to_string(file.size);
        return answer;
    case ByteRangeAnswer::Kind::partial:
        break;
    }
    answer.status = 206;
    answer.offset = range.offset;
    answer.content_length = range.length;
    answer.body_bytes = range.length;
    answer.content_range = "bytes " + std::to_string(range.offset) + "-" + std::to_string(range.offset + range.length - 1) +
                           "/" + std::to_string(file.size);
    return answer;
}

std::string percent_encode_path(std::string_view decoded_path) {
    static constexpr std::string_view kept = "-._~!$&'()*+,;=:@/";
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(decoded_path.size());
    for (char c : decoded_path) {
        const auto byte = static_cast<unsigned char>(c);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || kept.find(c) != std::string_view::npos) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0xf]);
        }
    }
    return out;
}

}  // namespace ringcast::app
