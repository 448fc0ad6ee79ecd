#pragma once
// AMF0 ("AMF 0 File Format Specification"): the value model every RTMP command and data message
// is decoded into, its decoder and its encoder. AMF3 values reached through the avmplus switch
// (marker 0x11) are mapped into this same model (see amf3.h), so the command layer sees one kind
// of value whatever the client spoke.
//
// Decoding is bounded: nesting depth (amf_depth_max), elements per container
// (amf_container_elements_max), and no allocation is sized from a declared length before the
// bytes behind it are known to be there.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/byte_io.h"
#include "core/result.h"

namespace ringcast::proto::rtmp {

/// Nested containers (objects, arrays) allowed in one value; deeper input is Errc::too_large.
inline constexpr std::size_t amf_depth_max = 64;
/// Properties or elements allowed in one container; more is Errc::too_large.
inline constexpr std::size_t amf_container_elements_max = 65536;

/// Type markers of AMF0 spec section 2.1.
enum class Amf0Marker : std::uint8_t {
    number = 0x00,
    boolean = 0x01,
    string = 0x02,
    object = 0x03,
    movieclip = 0x04,  // reserved, never valid
    null = 0x05,
    undefined = 0x06,
    reference = 0x07,
    ecma_array = 0x08,
    object_end = 0x09,
    strict_array = 0x0A,
    date = 0x0B,
    long_string = 0x0C,
    unsupported = 0x0D,
    recordset = 0x0E,  // reserved, never valid
    xml_document = 0x0F,
    typed_object = 0x10,
    avmplus = 0x11,  // switch to AMF3 for the next value
};

class Amf0Value;
struct Amf0Property;
/// Properties keep wire order: FMLE and other Flash-era peers break when a reply reorders them.
using Amf0Properties = std::vector<Amf0Property>;

/// AMF0 null (also what AMF0 has no better mapping for when re-encoding).
struct Amf0Null {
    bool operator==(const Amf0Null&) const = default;
};
/// AMF0 undefined; the "unsupported" marker 0x0D decodes to this too.
struct Amf0Undefined {
    bool operator==(const Amf0Undefined&) const = default;
};
/// An AMF0 reference to an earlier complex value of the same message; kept unresolved because
/// no RTMP peer we serve sends one and resolving would let a few bytes expand into copies.
struct Amf0Reference {
    std::uint16_t index = 0;
    bool operator==(const Amf0Reference&) const = default;
};
/// An anonymous object: ordered key/value pairs.
struct Amf0Object {
    Amf0Properties properties;
    bool operator==(const Amf0Object& other) const;
};
/// An ECMA (associative) array. declared_count is what the peer claimed; it is never trusted
/// (decoding reads up to the object-end marker as SRS does), is not compared, and the encoder
/// writes the real number of properties.
struct Amf0EcmaArray {
    Amf0Properties properties;
    std::uint32_t declared_count = 0;
    bool operator==(const Amf0EcmaArray& other) const;
};
/// A strict (dense) array.
struct Amf0StrictArray {
    std::vector<Amf0Value> elements;
    bool operator==(const Amf0StrictArray& other) const;
};
/// A date: milliseconds since the Unix epoch (UTC) and the reserved time-zone field.
struct Amf0Date {
    double epoch_ms = 0;
    std::int16_t timezone = 0;
    bool operator==(const Amf0Date&) const = default;
};
/// An XML document, kept as its text.
struct Amf0XmlDocument {
    std::string xml;
    bool operator==(const Amf0XmlDocument&) const = default;
};
/// An object with a registered class name.
struct Amf0TypedObject {
    std::string class_name;
    Amf0Properties properties;
    bool operator==(const Amf0TypedObject& other) const;
};

/// Which alternative an Amf0Value holds; the order matches Amf0Value::Storage.
enum class Amf0Type : std::uint8_t {
    null,
    undefined,
    number,
    boolean,
    string,
    object,
    ecma_array,
    strict_array,
    date,
    reference,
    xml_document,
    typed_object,
};

std::string_view amf0_type_name(Amf0Type type);

/// One AMF0 value: a tree of the alternatives above. Short and long strings are both a
/// std::string (the encoder picks the marker by length). Default-constructed it is null.
/// Implicit constructors make command objects readable:
///   Amf0Value::object({{"app", "live"}, {"fpad", false}, {"audioCodecs", 3191.0}})
class Amf0Value {
public:
    using Storage = std::variant<Amf0Null, Amf0Undefined, double, bool, std::string, Amf0Object, Amf0EcmaArray,
                                 Amf0StrictArray, Amf0Date, Amf0Reference, Amf0XmlDocument, Amf0TypedObject>;

    // Constructors and the builders below are defined after Amf0Property: clang instantiates the
    // variant's destructor with them, which needs every alternative complete.
    Amf0Value() = default;
    Amf0Value(double number);
    Amf0Value(bool boolean);
    // Without this, an int would be ambiguous between double and bool.
    template <std::integral I>
        requires(!std::same_as<I, bool>)
    Amf0Value(I number);
    Amf0Value(std::string text);
    Amf0Value(std::string_view text);
    // Without this, a string literal would pick the bool constructor.
    Amf0Value(const char* text);
    Amf0Value(Amf0Null v);
    Amf0Value(Amf0Undefined v);
    Amf0Value(Amf0Object v);
    Amf0Value(Amf0EcmaArray v);
    Amf0Value(Amf0StrictArray v);
    Amf0Value(Amf0Date v);
    Amf0Value(Amf0Reference v);
    Amf0Value(Amf0XmlDocument v);
    Amf0Value(Amf0TypedObject v);

    static Amf0Value null();
    static Amf0Value undefined();
    // Overloads rather than default arguments, which would need Amf0Property complete here.
    static Amf0Value object();
    static Amf0Value object(Amf0Properties properties);
    /// declared_count is set to the number of properties.
    static Amf0Value ecma_array();
    static Amf0Value ecma_array(Amf0Properties properties);
    static Amf0Value strict_array();
    static Amf0Value strict_array(std::vector<Amf0Value> elements);

    [[nodiscard]] Amf0Type type() const { return static_cast<Amf0Type>(data_.index()); }
    [[nodiscard]] const Storage& storage() const { return data_; }
    [[nodiscard]] Storage& storage() { return data_; }
    template <class T>
    [[nodiscard]] bool is() const {
        return std::holds_alternative<T>(data_);
    }
    template <class T>
    [[nodiscard]] const T* get_if() const {
        return std::get_if<T>(&data_);
    }
    template <class T>
    [[nodiscard]] T* get_if() {
        return std::get_if<T>(&data_);
    }

    [[nodiscard]] bool is_null() const { return is<Amf0Null>(); }
    [[nodiscard]] bool is_undefined() const { return is<Amf0Undefined>(); }
    [[nodiscard]] std::optional<double> as_number() const;
    [[nodiscard]] std::optional<bool> as_bool() const;
    /// The string, or nullptr when this is not a string.
    [[nodiscard]] const std::string* as_string() const;

    /// Properties of an object, ECMA array or typed object; nullptr for anything else.
    [[nodiscard]] const Amf0Properties* properties() const;
    [[nodiscard]] Amf0Properties* properties();
    /// Elements of a strict array; nullptr for anything else.
    [[nodiscard]] const std::vector<Amf0Value>* elements() const;

    /// Property lookup on an object, ECMA array or typed object; nullptr when absent or when this
    /// is not one of those. With a duplicated key the last one wins, as in ActionScript and SRS.
    [[nodiscard]] const Amf0Value* get(std::string_view key) const;
    [[nodiscard]] Amf0Value* get(std::string_view key);
    [[nodiscard]] std::optional<double> get_number(std::string_view key) const;
    [[nodiscard]] const std::string* get_string(std::string_view key) const;
    [[nodiscard]] std::optional<bool> get_bool(std::string_view key) const;
    /// Replaces the value of an existing key in place (keeping its position) or appends it.
    /// Returns false, changing nothing, when this is not an object-like value.
    bool set(std::string key, Amf0Value value);

    bool operator==(const Amf0Value& other) const;

private:
    Storage data_;
};

/// One key/value pair of an object-like value.
struct Amf0Property {
    std::string key;
    Amf0Value value;
    bool operator==(const Amf0Property&) const = default;
};

inline Amf0Value::Amf0Value(double number) : data_(number) {}
inline Amf0Value::Amf0Value(bool boolean) : data_(boolean) {}
template <std::integral I>
    requires(!std::same_as<I, bool>)
inline Amf0Value::Amf0Value(I number) : data_(static_cast<double>(number)) {}
inline Amf0Value::Amf0Value(std::string text) : data_(std::move(text)) {}
inline Amf0Value::Amf0Value(std::string_view text) : data_(std::string(text)) {}
inline Amf0Value::Amf0Value(const char* text) : data_(std::string(text)) {}
inline Amf0Value::Amf0Value(Amf0Null v) : data_(v) {}
inline Amf0Value::Amf0Value(Amf0Undefined v) : data_(v) {}
inline Amf0Value::Amf0Value(Amf0Object v) : data_(std::move(v)) {}
inline Amf0Value::Amf0Value(Amf0EcmaArray v) : data_(std::move(v)) {}
inline Amf0Value::Amf0Value(Amf0StrictArray v) : data_(std::move(v)) {}
inline Amf0Value::Amf0Value(Amf0Date v) : data_(v) {}
inline Amf0Value::Amf0Value(Amf0Reference v) : data_(v) {}
inline Amf0Value::Amf0Value(Amf0XmlDocument v) : data_(std::move(v)) {}
inline Amf0Value::Amf0Value(Amf0TypedObject v) : data_(std::move(v)) {}
inline Amf0Value Amf0Value::null() { return Amf0Value{}; }
inline Amf0Value Amf0Value::undefined() { return Amf0Value{Amf0Undefined{}}; }

/// Decodes one value. On error the reader's position is unspecified (the caller drops the
/// message). AMF3 values behind an avmplus marker use reference tables local to this call.
core::Result<Amf0Value> read_amf0(core::ByteReader& in);
/// Decodes a whole message body: a command or data message is a sequence of values. AMF3
/// reference tables are shared by every avmplus switch of the message.
core::Result<std::vector<Amf0Value>> read_amf0_all(std::span<const std::uint8_t> bytes);

/// Appends the AMF0 encoding. Keys and class names longer than 65535 bytes (which no decoded
/// value has) are cut to 65535 so the output stays well-formed.
void write_amf0(core::ByteWriter& out, const Amf0Value& value);
/// Appends an RTMP command body: name, transaction id, command object (null if none), args.
void write_amf0_command(core::ByteWriter& out, std::string_view name, double transaction_id,
                        const Amf0Value& command_object, std::span<const Amf0Value> args = {});
/// Convenience for tests and one-off messages.
std::vector<std::uint8_t> encode_amf0(std::span<const Amf0Value> values);

}  // namespace ringcast::proto::rtmp
