// libFuzzer target: the HTTP request parser must turn any bytes, split anyhow, into requests or
// an Error with its status, never a crash, an overrun or a size past its limits; the split must
// not change the outcome; and every request it delivers, written back out plainly
// (single spaces, bare LF line ends, the body with Content-Length), must parse again to the
// same request but for how its body was framed. The rewrite is never longer than what was
// read, part by part, so it fits the same limits.
// Input: byte 0 = split seed, byte 1 = flags (bit 0: tiny limits, to reach every bound; bits
// 1-2: a prefix put before the stream), then the byte stream. libhttp-parser is a prebuilt
// library, so libFuzzer sees none of its branches and, from an empty corpus, seldom gets past
// the method: the prefixes start it inside a request line, the headers, or a chunked body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/http/request_parser.h"

namespace {

using namespace ringcast;
using namespace ringcast::proto::http;

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

// Matched ASCII case-insensitively, as libhttp-parser does. Any name that starts with
// "transfer-encoding" counts: the library then insists on a chunked Transfer-Encoding (it fails
// "Transfer-Encoding-X: y" alone), so such a field cannot outlive the real one in the rewrite.
bool is_framing_field(const std::string& name) {
    std::string lower = name;
    for (char& c : lower) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    return lower == "content-length" || lower.starts_with("transfer-encoding");
}

std::vector<const HttpHeader*> fields_of(const HttpRequest& r, bool with_framing) {
    std::vector<const HttpHeader*> out;
    for (const HttpHeader& h : r.headers) {
        if (with_framing || !is_framing_field(h.name)) {
            out.push_back(&h);
        }
    }
    return out;
}

// `exact`: compare everything. Otherwise leave out how the body was framed (`chunked`, and the
// Content-Length / Transfer-Encoding fields), which the rewrite changes.
bool same_request(const HttpRequest& a, const HttpRequest& b, bool exact) {
    if (a.method != b.method || a.method_name != b.method_name || a.target != b.target || a.path != b.path ||
        a.query != b.query || a.version_major != b.version_major || a.version_minor != b.version_minor ||
        a.keep_alive != b.keep_alive || a.upgrade != b.upgrade || a.body != b.body ||
        a.query_params.size() != b.query_params.size() || (exact && a.chunked != b.chunked)) {
        return false;
    }
    for (std::size_t i = 0; i < a.query_params.size(); ++i) {
        if (a.query_params[i].name != b.query_params[i].name || a.query_params[i].value != b.query_params[i].value) {
            return false;
        }
    }
    const std::vector<const HttpHeader*> ha = fields_of(a, exact);
    const std::vector<const HttpHeader*> hb = fields_of(b, exact);
    if (ha.size() != hb.size()) {
        return false;
    }
    for (std::size_t i = 0; i < ha.size(); ++i) {
        if (ha[i]->name != hb[i]->name || ha[i]->value != hb[i]->value) {
            return false;
        }
    }
    return true;
}

struct Run {
    std::vector<HttpRequest> requests;
    bool ok = true;
    HttpError error = HttpError::none;
    bool finished = false;
    bool mid_request = false;
};

void check_bounds(const HttpRequest& r, const HttpRequestLimits& limits) {
    check(r.target.size() < limits.request_line_max);
    check(r.headers.size() <= limits.headers_max);
    check(r.query_params.size() <= limits.query_params_max);
    check(r.body.size() <= limits.body_size_max);
    check(r.version_major == 1);
    for (const HttpHeader& h : r.headers) {
        check(!h.name.empty());
        check(h.name.size() + h.value.size() < limits.header_bytes_max);
        for (char c : h.value) {
            const auto byte = static_cast<unsigned char>(c);
            check(byte == '\t' || (byte >= 0x20 && byte != 0x7f));
        }
    }
    check(r.path.find('\0') == std::string::npos);
}

// Piece sizes come from a tiny LCG seeded by the input, so every input has its own splits.
Run parse(std::span<const std::uint8_t> in, const HttpRequestLimits& limits, std::uint32_t seed, bool split) {
    HttpRequestParser parser(limits);
    Run run;
    std::size_t pos = 0;
    while (pos < in.size() && run.ok) {
        std::size_t piece = in.size() - pos;
        if (split) {
            seed = seed * 1103515245u + 12345u;
            piece = std::min<std::size_t>(piece, 1 + (seed >> 16) % 24);
        }
        auto status = parser.feed(in.subspan(pos, piece), [&](HttpRequest&& r) {
            check_bounds(r, limits);
            run.requests.push_back(std::move(r));
        });
        pos += piece;
        if (!status) {
            run.ok = false;
            check(parser.failed());
            const std::uint16_t code = parser.error_status();
            check(code == 400 || code == 413 || code == 414 || code == 431);
            check(status.error().code == (code == 400 ? core::Errc::protocol : core::Errc::too_large));
        }
    }
    run.error = parser.error_kind();
    run.finished = parser.finished();
    run.mid_request = parser.mid_request();
    return run;
}

std::string rewrite(const HttpRequest& r) {
    std::string out = std::string(r.method_name) + " " + r.target + " HTTP/" + std::to_string(r.version_major) + "." +
                      std::to_string(r.version_minor) + "\n";
    for (const HttpHeader* h : fields_of(r, false)) {
        out += h->name + ":" + h->value + "\n";
    }
    if (!r.body.empty()) {
        out += "Content-Length:" + std::to_string(r.body.size()) + "\n";
    }
    return out + "\n" + r.body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::uint32_t seed = data[0];
    const bool tiny = (data[1] & 1) != 0;
    static constexpr std::string_view prefixes[] = {
        "", "GET /", "GET / HTTP/1.1\r\n", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"};
    const std::string_view prefix = prefixes[(data[1] >> 1) & 3];
    std::vector<std::uint8_t> stream(prefix.begin(), prefix.end());
    stream.insert(stream.end(), data + 2, data + size);
    const std::span<const std::uint8_t> in(stream);
    const HttpRequestLimits limits =
        tiny ? HttpRequestLimits{.request_line_max = 48, .header_bytes_max = 64, .headers_max = 3, .body_size_max = 16,
                                 .chunked_framing_max = 24, .query_params_max = 3}
             : HttpRequestLimits{};

    const Run whole = parse(in, limits, seed, false);
    const Run pieces = parse(in, limits, seed, true);
    check(whole.ok == pieces.ok && whole.error == pieces.error);
    check(whole.finished == pieces.finished && whole.mid_request == pieces.mid_request);
    check(whole.requests.size() == pieces.requests.size());
    for (std::size_t i = 0; i < whole.requests.size(); ++i) {
        check(same_request(whole.requests[i], pieces.requests[i], true));
    }

    std::string again;
    for (const HttpRequest& r : whole.requests) {
        again += rewrite(r);
    }
    const Run reparsed = parse({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()}, limits, seed, true);
    check(reparsed.ok);
    check(!reparsed.mid_request);
    check(reparsed.requests.size() == whole.requests.size());
    for (std::size_t i = 0; i < whole.requests.size(); ++i) {
        check(same_request(whole.requests[i], reparsed.requests[i], false));
    }
    return 0;
}
