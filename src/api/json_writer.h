#pragma once
// A streaming JSON writer (RFC 8259): values in, text appended to a caller's std::string. No
// tree, no allocation of its own: the only memory it touches is the output string's growth, so
// the caller can reserve() once and render a whole API answer without another allocation.
//
// Strings are always emitted as valid JSON and valid UTF-8 whatever bytes they hold (they come
// from the network: stream names, tcUrl, pageUrl): `"` and `\` are escaped, control bytes become
// \b \f \n \r \t or \u00XX, each ill-formed UTF-8 sequence becomes one U+FFFD (the Unicode
// "maximal subpart" practice), and U+2028/U+2029 are escaped so the text is also safe inside
// JavaScript (JSONP answers).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::api {

/// The UTF-8 sequence starting at text[at], a byte >= 0x80 (RFC 3629 section 4): its length and
/// whether it is well-formed. An ill-formed one spans its maximal subpart, at least one byte:
/// replacing that span with one U+FFFD and going on after it is Unicode's recommended repair.
struct Utf8Sequence {
    std::size_t length;
    bool valid;
};
Utf8Sequence utf8_sequence_at(std::string_view text, std::size_t at);

/// Appends `text` as a JSON string literal, quotes included (see the file comment for escaping).
void append_json_string(std::string& out, std::string_view text);

/// Appends a JSON number for `value`: the shortest text that reads back to the same double,
/// always with a '.' or an exponent so that typed readers see a float, never an integer
/// ("1.0", "0.25", "1e+21"). NaN and infinities have no JSON form and are written as null.
void append_json_number(std::string& out, double value);

/// Writes one JSON text. Commas between members and elements are placed automatically; the
/// caller provides a well-nested sequence of calls (begin/end balanced, key() before each
/// member value). That sequence is the programmer's, never the network's, so it is not
/// checked at run time.
///
/// Borrows `out` for its lifetime; appends, never clears.
class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    /// The name of the next object member.
    void key(std::string_view name);

    void string(std::string_view value);
    void integer(std::int64_t value);
    void unsigned_integer(std::uint64_t value);
    void number(double value);  // see append_json_number
    void boolean(bool value);
    void null();

    // One member in one call: key + value.
    void field(std::string_view name, std::string_view value) {
        key(name);
        string(value);
    }
    void field(std::string_view name, const char* value) {
        key(name);
        string(value);
    }
    void field(std::string_view name, bool value) {
        key(name);
        boolean(value);
    }
    void field(std::string_view name, double value) {
        key(name);
        number(value);
    }
    void field(std::string_view name, std::int64_t value) {
        key(name);
        integer(value);
    }
    void field(std::string_view name, std::uint64_t value) {
        key(name);
        unsigned_integer(value);
    }
    void field(std::string_view name, std::int32_t value) {
        key(name);
        integer(value);
    }
    void field(std::string_view name, std::uint32_t value) {
        key(name);
        unsigned_integer(value);
    }
    void null_field(std::string_view name) {
        key(name);
        null();
    }

    [[nodiscard]] std::string& output() { return out_; }

private:
    void separate() {
        if (need_comma_) {
            out_.push_back(',');
        }
    }
    void open(char bracket) {
        separate();
        out_.push_back(bracket);
        need_comma_ = false;
    }
    void close(char bracket) {
        out_.push_back(bracket);
        need_comma_ = true;
    }

    std::string& out_;
    // A value (or a whole container) was just completed at this level: the next value or key
    // needs a comma first. Cleared by open() and key(), so no nesting stack is needed.
    bool need_comma_ = false;
};

}  // namespace ringcast::api
