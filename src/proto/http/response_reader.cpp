#include "proto/http/response_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace ringcast::proto::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 9110 5.6.2 tchar.
bool is_token_char(char c) {
    if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

int hex_value(char c) {
    if (is_digit(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// 15 hex digits: 2^60 bytes, far past anything real, and no overflow in remaining_.
constexpr std::size_t kChunkSizeDigitsMax = 15;

}  // namespace

core::Status HttpResponseReader::fail(core::Error error) {
    failed_ = true;
    error_ = error;
    return core::fail(error);
}

core::Result<bool> HttpResponseReader::take_line(std::span<const std::uint8_t>& bytes, std::size_t max,
                                                 const char* too_long) {
    const void* lf = std::memchr(bytes.data(), '\n', bytes.size());
    const std::size_t take = lf != nullptr ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(lf) - bytes.data()) + 1
                                           : bytes.size();
    if (line_.size() + take > max) {
        return core::fail(core::Errc::too_large, too_long);
    }
    line_.append(reinterpret_cast<const char*>(bytes.data()), lf != nullptr ? take - 1 : take);
    bytes = bytes.subspan(take);
    if (lf == nullptr) {
        return false;
    }
    if (!line_.empty() && line_.back() == '\r') {
        line_.pop_back();
    }
    return true;
}

core::Status HttpResponseReader::feed(std::span<const std::uint8_t> bytes, Sink& sink) {
    if (failed_) {
        return core::fail(error_);
    }
    while (!bytes.empty()) {
        switch (state_) {
        case State::head:
        case State::trailer: {
            const bool in_head = state_ == State::head;
            const std::size_t budget = limits_.head_bytes_max > head_bytes_ ? limits_.head_bytes_max - head_bytes_ : 0;
            auto complete = take_line(bytes, budget,
                                      in_head ? "http response: head too large" : "http response: trailers too large");
            if (!complete) {
                return fail(complete.error());
            }
            if (!*complete) {
                break;
            }
            head_bytes_ += line_.size() + 2;
            if (in_head) {
                if (auto done = head_line(sink); !done) {
                    return fail(done.error());
                }
            } else if (line_.empty()) {
                state_ = State::done;
            }
            line_.clear();
            break;
        }
        case State::body_length: {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
            remaining_ -= n;
            if (remaining_ == 0) {
                state_ = State::done;
            }
            if (auto sent = body(bytes.first(n), sink); !sent) {
                return sent;
            }
            bytes = bytes.subspan(n);
            break;
        }
        case State::body_close: {
            auto sent = body(bytes, sink);
            bytes = {};
            if (!sent) {
                return sent;
            }
            break;
        }
        case State::chunk_size: {
            auto complete = take_line(bytes, limits_.chunk_line_max, "http response: chunk-size line too long");
            if (!complete) {
                return fail(complete.error());
            }
            if (*complete) {
                auto parsed = chunk_size_line();
                line_.clear();
                if (!parsed) {
                    return fail(parsed.error());
                }
            }
            break;
        }
        case State::chunk_data: {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
            remaining_ -= n;
            if (remaining_ == 0) {
                state_ = State::chunk_cr;
            }
            if (auto sent = body(bytes.first(n), sink); !sent) {
                return sent;
            }
            bytes = bytes.subspan(n);
            break;
        }
        case State::chunk_cr:
        case State::chunk_lf: {
            const std::uint8_t b = bytes.front();
            bytes = bytes.subspan(1);
            if (b == '\r' && state_ == State::chunk_cr) {
                state_ = State::chunk_lf;
            } else if (b == '\n') {  // CRLF, or a bare LF as lenient parsers accept
                state_ = State::chunk_size;
            } else {
                return fail(core::Error::make(core::Errc::protocol, "http response: no CRLF after chunk data"));
            }
            break;
        }
        case State::done:
            return fail(core::Error::make(core::Errc::protocol, "http response: bytes after the end of the body"));
        }
    }
    return {};
}

core::Status HttpResponseReader::head_line(Sink& sink) {
    const std::string_view line = line_;
    if (!status_line_done_) {
        // HTTP-version SP status-code [SP reason-phrase]
        if (line.size() < 12 || !line.starts_with("HTTP/1.") || !is_digit(line[7]) || line[8] != ' ' ||
            !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) || (line.size() > 12 && line[12] != ' ')) {
            return core::fail(core::Errc::protocol, "http response: bad status line");
        }
        head_.version_minor = line[7] - '0';
        head_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        status_line_done_ = true;
        return {};
    }
    if (line.empty()) {
        return start_body(sink);
    }
    return header_field(line);
}

core::Status HttpResponseReader::header_field(std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t') {
        return core::fail(core::Errc::protocol, "http response: folded header line");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon), is_token_char)) {
        return core::fail(core::Errc::protocol, "http response: bad header line");
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Transfer-Encoding")) {
        // The codings of every Transfer-Encoding line form one list; the last one frames the body.
        std::string_view last = value;
        if (const std::size_t comma = value.rfind(','); comma != std::string_view::npos) {
            last = trim(value.substr(comma + 1));
        }
        if (!last.empty()) {
            head_.chunked = iequals(last, "chunked");
        }
        transfer_encoding_ = true;
    } else if (iequals(name, "Content-Length")) {
        std::uint64_t length = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
            (head_.content_length && *head_.content_length != length)) {
            return core::fail(core::Errc::protocol, "http response: bad Content-Length");
        }
        head_.content_length = length;
    } else if (iequals(name, "Content-Type")) {
        head_.content_type = std::string(value);
    }
    return {};
}

core::Status HttpResponseReader::start_body(Sink& sink) {
    head_bytes_ = 0;  // the budget starts again for trailers
    const int status = head_.status;
    if ((status >= 100 && status < 200) || status == 204 || status == 304) {
        state_ = State::done;
    } else if (transfer_encoding_) {
        head_.content_length.reset();  // Transfer-Encoding overrides it (RFC 9112 6.3)
        head_.close_delimited = !head_.chunked;
        state_ = head_.chunked ? State::chunk_size : State::body_close;
    } else if (head_.content_length) {
        remaining_ = *head_.content_length;
        state_ = remaining_ == 0 ? State::done : State::body_length;
    } else {
        head_.close_delimited = true;
        state_ = State::body_close;
    }
    return sink.on_head(head_);
}

core::Status HttpResponseReader::chunk_size_line() {
    const std::string_view line = line_;
    std::size_t i = 0;
    std::uint64_t size = 0;
    while (i < line.size() && hex_value(line[i]) >= 0) {
        if (i == kChunkSizeDigitsMax) {
            return core::fail(core::Errc::too_large, "http response: chunk size too large");
        }
        size = size << 4 | static_cast<std::uint64_t>(hex_value(line[i]));
        ++i;
    }
    if (i == 0) {
        return core::fail(core::Errc::protocol, "http response: bad chunk size");
    }
    const std::string_view rest = trim(line.substr(i));
    if (!rest.empty() && rest.front() != ';') {
        return core::fail(core::Errc::protocol, "http response: bad chunk size");
    }
    if (size == 0) {
        state_ = State::trailer;
    } else {
        remaining_ = size;
        state_ = State::chunk_data;
    }
    return {};
}

core::Status HttpResponseReader::body(std::span<const std::uint8_t> bytes, Sink& sink) {
    if (bytes.empty()) {
        return {};
    }
    body_bytes_ += bytes.size();
    if (auto taken = sink.on_body(bytes); !taken) {
        return fail(taken.error());
    }
    return {};
}

core::Status HttpResponseReader::finish() const {
    if (failed_) {
        return core::fail(error_);
    }
    switch (state_) {
    case State::head: return core::fail(core::Errc::closed, "http response: closed inside the head");
    case State::body_length: return core::fail(core::Errc::closed, "http response: closed before Content-Length bytes");
    case State::body_close:
    case State::done: return {};
    case State::chunk_size:
    case State::chunk_data:
    case State::chunk_cr:
    case State::chunk_lf:
    case State::trailer: return core::fail(core::Errc::closed, "http response: closed inside the chunked body");
    }
    return {};
}

}  // namespace ringcast::proto::http
