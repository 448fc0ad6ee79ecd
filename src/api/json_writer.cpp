// RFC 8259 section 7 (strings) and 6 (numbers); UTF-8 well-formedness per RFC 3629 section 4
// and Unicode 15 Table 3-7; ill-formed input replaced per Unicode 15 section 3.9 "U+FFFD
// Substitution of Maximal Subparts".

#include "api/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstddef>

namespace ringcast::api {

namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

bool in_range(unsigned char byte, unsigned char low, unsigned char high) { return byte >= low && byte <= high; }

}  // namespace

// The second byte's range depends on the lead byte (Table 3-7): that is what excludes overlong
// forms, UTF-16 surrogates (ED A0..BF) and code points past U+10FFFF.
Utf8Sequence utf8_sequence_at(std::string_view text, std::size_t at) {
    const auto lead = static_cast<unsigned char>(text[at]);
    std::size_t length = 0;
    unsigned char second_low = 0x80;
    unsigned char second_high = 0xBF;
    if (in_range(lead, 0xC2, 0xDF)) {
        length = 2;
    } else if (lead == 0xE0) {
        length = 3;
        second_low = 0xA0;
    } else if (in_range(lead, 0xE1, 0xEC) || lead == 0xEE || lead == 0xEF) {
        length = 3;
    } else if (lead == 0xED) {
        length = 3;
        second_high = 0x9F;
    } else if (lead == 0xF0) {
        length = 4;
        second_low = 0x90;
    } else if (in_range(lead, 0xF1, 0xF3)) {
        length = 4;
    } else if (lead == 0xF4) {
        length = 4;
        second_high = 0x8F;
    } else {
        return {1, false};  // 80..C1, F5..FF never start a sequence
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (at + i >= text.size()) {
            return {i, false};  // truncated: the valid prefix is one maximal subpart
        }
        const auto byte = static_cast<unsigned char>(text[at + i]);
        const bool ok = i == 1 ? in_range(byte, second_low, second_high) : in_range(byte, 0x80, 0xBF);
        if (!ok) {
            return {i, false};  // resume at the byte that broke the sequence
        }
    }
    return {length, true};
}

namespace {

// The escape for an ASCII byte that cannot appear raw in a JSON string; empty if it can.
std::string_view short_escape(unsigned char byte) {
    switch (byte) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return {};
    }
}

void append_unicode_escape(std::string& out, unsigned code) {
    static constexpr char hex[] = "0123456789abcdef";
    const char escape[6] = {'\\', 'u', hex[(code >> 12) & 0xF], hex[(code >> 8) & 0xF], hex[(code >> 4) & 0xF],
                            hex[code & 0xF]};
    out.append(escape, sizeof escape);
}

template <class Integer>
void append_integer(std::string& out, Integer value) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, static_cast<std::size_t>(result.ptr - digits));
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    // Bytes that need no change are copied in runs, not one by one.
    std::size_t run_start = 0;
    std::size_t at = 0;
    const auto flush_run = [&](std::size_t run_end) { out.append(text.data() + run_start, run_end - run_start); };
    while (at < text.size()) {
        const auto byte = static_cast<unsigned char>(text[at]);
        if (byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\') {
            ++at;
            continue;
        }
        if (byte < 0x80) {
            flush_run(at);
            if (const auto escape = short_escape(byte); !escape.empty()) {
                out.append(escape);
            } else {
                append_unicode_escape(out, byte);
            }
            run_start = ++at;
            continue;
        }
        const Utf8Sequence step = utf8_sequence_at(text, at);
        if (!step.valid) {
            flush_run(at);
            out.append(replacement_character);
            run_start = at += step.length;
            continue;
        }
        // U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR (E2 80 A8/A9) are legal in JSON
        // but end a line in JavaScript before ES2019, which would break a JSONP answer.
        if (step.length == 3 && byte == 0xE2 && static_cast<unsigned char>(text[at + 1]) == 0x80 &&
            (static_cast<unsigned char>(text[at + 2]) & 0xFE) == 0xA8) {
            flush_run(at);
            append_unicode_escape(out, 0x2000u | (static_cast<unsigned char>(text[at + 2]) - 0x80u));
            run_start = at += 3;
            continue;
        }
        at += step.length;
    }
    flush_run(at);
    out.push_back('"');
}

void append_json_number(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out.append("null");
        return;
    }
    // Shortest round-trip form is at most 24 characters ("-2.2250738585072014e-308").
    char digits[32];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    const std::string_view text(digits, static_cast<std::size_t>(result.ptr - digits));
    out.append(text);
    if (text.find_first_of(".e") == std::string_view::npos) {
        out.append(".0");
    }
}

void JsonWriter::key(std::string_view name) {
    separate();
    append_json_string(out_, name);
    out_.push_back(':');
    need_comma_ = false;
}

void JsonWriter::string(std::string_view value) {
    separate();
    append_json_string(out_, value);
    need_comma_ = true;
}

void JsonWriter::integer(std::int64_t value) {
    separate();
    append_integer(out_, value);
    need_comma_ = true;
}

void JsonWriter::unsigned_integer(std::uint64_t value) {
    separate();
    append_integer(out_, value);
    need_comma_ = true;
}

void JsonWriter::number(double value) {
    separate();
    append_json_number(out_, value);
    need_comma_ = true;
}

void JsonWriter::boolean(bool value) {
    separate();
    out_.append(value ? "true" : "false");
    need_comma_ = true;
}

void JsonWriter::null() {
    separate();
    out_.append("null");
    need_comma_ = true;
}

}  // namespace ringcast::api
