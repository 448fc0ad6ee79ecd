// AMF0: "AMF 0 File Format Specification" (Adobe, 2006), section 2 (data types, markers,
// object-end 0x00 0x00 0x09) and section 3.1 (the avmplus switch to AMF3). Tolerances follow
// SRS (srs_protocol_amf0.cpp): an ECMA array's declared count is ignored and the array runs
// to the object-end marker, or to the end of the input where encoders leave the marker out.

#include "proto/rtmp/amf0.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "proto/rtmp/amf3.h"

namespace ringcast::proto::rtmp {

using core::Errc;
using core::fail;

namespace {

const Amf0Property* find_last(const Amf0Properties& properties, std::string_view key) {
    for (auto it = properties.rbegin(); it != properties.rend(); ++it) {
        if (it->key == key) {
            return &*it;
        }
    }
    return nullptr;
}

/// The decoder state of one read: the input and, once an avmplus marker shows up, the AMF3
/// reference tables that every later switch in the same message shares.
class Amf0Reader {
public:
    explicit Amf0Reader(core::ByteReader& in) : in_(in) {}

    core::Result<Amf0Value> value(std::size_t depth) {
        std::uint8_t marker = 0;
        if (!in_.read_u8(marker)) {
            return fail(Errc::protocol, "amf0: truncated marker");
        }
        switch (static_cast<Amf0Marker>(marker)) {
        case Amf0Marker::number: {
            double number = 0;
            if (!in_.read_f64(number)) {
                return fail(Errc::protocol, "amf0: truncated number");
            }
            return Amf0Value{number};
        }
        case Amf0Marker::boolean: {
            std::uint8_t flag = 0;
            if (!in_.read_u8(flag)) {
                return fail(Errc::protocol, "amf0: truncated boolean");
            }
            return Amf0Value{flag != 0};
        }
        case Amf0Marker::string:
            return Amf0Value{RINGCAST_TRY(utf8())};
        case Amf0Marker::long_string:
            return Amf0Value{RINGCAST_TRY(utf8_long())};
        case Amf0Marker::xml_document:
            return Amf0Value{Amf0XmlDocument{RINGCAST_TRY(utf8_long())}};
        case Amf0Marker::null:
            return Amf0Value{};
        case Amf0Marker::undefined:
        case Amf0Marker::unsupported:
            // "unsupported" stands for a value the sender could not serialise; undefined is the
            // closest thing the command layer can look at.
            return Amf0Value::undefined();
        case Amf0Marker::reference: {
            std::uint16_t index = 0;
            if (!in_.read_u16(index)) {
                return fail(Errc::protocol, "amf0: truncated reference");
            }
            return Amf0Value{Amf0Reference{index}};
        }
        case Amf0Marker::date: {
            Amf0Date date;
            std::uint16_t zone = 0;
            if (!in_.read_f64(date.epoch_ms) || !in_.read_u16(zone)) {
                return fail(Errc::protocol, "amf0: truncated date");
            }
            date.timezone = static_cast<std::int16_t>(zone);
            return Amf0Value{date};
        }
        case Amf0Marker::object: {
            RINGCAST_TRY(enter(depth));
            Amf0Object object;
            RINGCAST_TRY(properties(object.properties, depth, false));
            return Amf0Value{std::move(object)};
        }
        case Amf0Marker::typed_object: {
            RINGCAST_TRY(enter(depth));
            Amf0TypedObject object;
            object.class_name = RINGCAST_TRY(utf8());
            RINGCAST_TRY(properties(object.properties, depth, false));
            return Amf0Value{std::move(object)};
        }
        case Amf0Marker::ecma_array: {
            RINGCAST_TRY(enter(depth));
            Amf0EcmaArray array;
            if (!in_.read_u32(array.declared_count)) {
                return fail(Errc::protocol, "amf0: truncated ecma array count");
            }
            RINGCAST_TRY(properties(array.properties, depth, true));
            return Amf0Value{std::move(array)};
        }
        case Amf0Marker::strict_array:
            return strict_array(depth);
        case Amf0Marker::avmplus:
            if (!amf3_) {
                amf3_.emplace();
            }
            return amf3_->read(in_, depth);
        case Amf0Marker::object_end:
            return fail(Errc::protocol, "amf0: object end outside an object");
        case Amf0Marker::movieclip:
        case Amf0Marker::recordset:
            return fail(Errc::protocol, "amf0: reserved marker");
        }
        return fail(Errc::protocol, "amf0: unknown marker");
    }

private:
    static core::Status enter(std::size_t depth) {
        if (depth >= amf_depth_max) {
            return fail(Errc::too_large, "amf0: nesting too deep");
        }
        return {};
    }

    core::Result<std::string> utf8() {
        std::uint16_t length = 0;
        std::string_view text;
        if (!in_.read_u16(length) || !in_.read_string(length, text)) {
            return fail(Errc::protocol, "amf0: truncated string");
        }
        return std::string(text);
    }

    core::Result<std::string> utf8_long() {
        std::uint32_t length = 0;
        std::string_view text;
        // read_string checks the remaining bytes before anything is allocated.
        if (!in_.read_u32(length) || !in_.read_string(length, text)) {
            return fail(Errc::protocol, "amf0: truncated long string");
        }
        return std::string(text);
    }

    bool at_object_end() const {
        const auto rest = in_.rest();
        return rest.size() >= 3 && rest[0] == 0 && rest[1] == 0 &&
               rest[2] == static_cast<std::uint8_t>(Amf0Marker::object_end);
    }

    // Reads key/value pairs up to and including the object-end marker. An ECMA array may also
    // end with the input: Flash and some encoders omit the marker there and SRS accepts it.
    core::Status properties(Amf0Properties& out, std::size_t depth, bool end_optional) {
        for (;;) {
            if (end_optional && in_.empty()) {
                return {};
            }
            if (at_object_end()) {
                in_.skip(3);
                return {};
            }
            if (out.size() >= amf_container_elements_max) {
                return fail(Errc::too_large, "amf0: too many properties");
            }
            std::string key = RINGCAST_TRY(utf8());
            Amf0Value item = RINGCAST_TRY(value(depth + 1));
            out.push_back(Amf0Property{std::move(key), std::move(item)});
        }
    }

    core::Result<Amf0Value> strict_array(std::size_t depth) {
        RINGCAST_TRY(enter(depth));
        std::uint32_t count = 0;
        if (!in_.read_u32(count)) {
            return fail(Errc::protocol, "amf0: truncated strict array count");
        }
        if (count > amf_container_elements_max) {
            return fail(Errc::too_large, "amf0: strict array too long");
        }
        // Every element takes at least its marker byte, so a count above the remaining bytes is
        // a lie; checking it first keeps reserve() sized by real input.
        if (count > in_.remaining()) {
            return fail(Errc::protocol, "amf0: truncated strict array");
        }
        Amf0StrictArray array;
        array.elements.reserve(count);
        for (std::uint32_t i = 0; i < count; ++i) {
            array.elements.push_back(RINGCAST_TRY(value(depth + 1)));
        }
        return Amf0Value{std::move(array)};
    }

    core::ByteReader& in_;
    std::optional<Amf3Decoder> amf3_;
};

void write_utf8(core::ByteWriter& out, std::string_view text) {
    const std::size_t length = std::min<std::size_t>(text.size(), 0xFFFF);
    out.u16(static_cast<std::uint16_t>(length));
    out.string(text.substr(0, length));
}

void write_utf8_long(core::ByteWriter& out, std::string_view text) {
    const std::size_t length = std::min<std::size_t>(text.size(), 0xFFFFFFFF);
    out.u32(static_cast<std::uint32_t>(length));
    out.string(text.substr(0, length));
}

void write_properties(core::ByteWriter& out, const Amf0Properties& properties) {
    for (const auto& property : properties) {
        write_utf8(out, property.key);
        write_amf0(out, property.value);
    }
    out.u16(0);
    out.u8(static_cast<std::uint8_t>(Amf0Marker::object_end));
}

void marker(core::ByteWriter& out, Amf0Marker m) { out.u8(static_cast<std::uint8_t>(m)); }

}  // namespace

std::string_view amf0_type_name(Amf0Type type) {
    switch (type) {
    case Amf0Type::null: return "null";
    case Amf0Type::undefined: return "undefined";
    case Amf0Type::number: return "number";
    case Amf0Type::boolean: return "boolean";
    case Amf0Type::string: return "string";
    case Amf0Type::object: return "object";
    case Amf0Type::ecma_array: return "ecma_array";
    case Amf0Type::strict_array: return "strict_array";
    case Amf0Type::date: return "date";
    case Amf0Type::reference: return "reference";
    case Amf0Type::xml_document: return "xml_document";
    case Amf0Type::typed_object: return "typed_object";
    }
    return "?";
}

bool Amf0Object::operator==(const Amf0Object& other) const { return properties == other.properties; }
bool Amf0EcmaArray::operator==(const Amf0EcmaArray& other) const { return properties == other.properties; }
bool Amf0StrictArray::operator==(const Amf0StrictArray& other) const { return elements == other.elements; }
bool Amf0TypedObject::operator==(const Amf0TypedObject& other) const {
    return class_name == other.class_name && properties == other.properties;
}
bool Amf0Value::operator==(const Amf0Value& other) const { return data_ == other.data_; }

Amf0Value Amf0Value::object() { return Amf0Value{Amf0Object{}}; }
Amf0Value Amf0Value::ecma_array() { return Amf0Value{Amf0EcmaArray{}}; }
Amf0Value Amf0Value::strict_array() { return Amf0Value{Amf0StrictArray{}}; }

Amf0Value Amf0Value::object(Amf0Properties properties) { return Amf0Value{Amf0Object{std::move(properties)}}; }

Amf0Value Amf0Value::ecma_array(Amf0Properties properties) {
    const auto count = static_cast<std::uint32_t>(properties.size());
    return Amf0Value{Amf0EcmaArray{std::move(properties), count}};
}

Amf0Value Amf0Value::strict_array(std::vector<Amf0Value> elements) {
    return Amf0Value{Amf0StrictArray{std::move(elements)}};
}

std::optional<double> Amf0Value::as_number() const {
    if (const auto* number = std::get_if<double>(&data_)) {
        return *number;
    }
    return std::nullopt;
}

std::optional<bool> Amf0Value::as_bool() const {
    if (const auto* flag = std::get_if<bool>(&data_)) {
        return *flag;
    }
    return std::nullopt;
}

const std::string* Amf0Value::as_string() const { return std::get_if<std::string>(&data_); }

const Amf0Properties* Amf0Value::properties() const { return const_cast<Amf0Value*>(this)->properties(); }

Amf0Properties* Amf0Value::properties() {
    if (auto* object = std::get_if<Amf0Object>(&data_)) {
        return &object->properties;
    }
    if (auto* array = std::get_if<Amf0EcmaArray>(&data_)) {
        return &array->properties;
    }
    if (auto* typed = std::get_if<Amf0TypedObject>(&data_)) {
        return &typed->properties;
    }
    return nullptr;
}

const std::vector<Amf0Value>* Amf0Value::elements() const {
    if (const auto* array = std::get_if<Amf0StrictArray>(&data_)) {
        return &array->elements;
    }
    return nullptr;
}

const Amf0Value* Amf0Value::get(std::string_view key) const {
    const Amf0Properties* props = properties();
    if (props == nullptr) {
        return nullptr;
    }
    const Amf0Property* found = find_last(*props, key);
    return found != nullptr ? &found->value : nullptr;
}

Amf0Value* Amf0Value::get(std::string_view key) {
    return const_cast<Amf0Value*>(static_cast<const Amf0Value*>(this)->get(key));
}

std::optional<double> Amf0Value::get_number(std::string_view key) const {
    const Amf0Value* found = get(key);
    return found != nullptr ? found->as_number() : std::nullopt;
}

const std::string* Amf0Value::get_string(std::string_view key) const {
    const Amf0Value* found = get(key);
    return found != nullptr ? found->as_string() : nullptr;
}

std::optional<bool> Amf0Value::get_bool(std::string_view key) const {
    const Amf0Value* found = get(key);
    return found != nullptr ? found->as_bool() : std::nullopt;
}

bool Amf0Value::set(std::string key, Amf0Value value) {
    Amf0Properties* props = properties();
    if (props == nullptr) {
        return false;
    }
    if (Amf0Value* existing = get(key)) {
        *existing = std::move(value);
    } else {
        props->push_back(Amf0Property{std::move(key), std::move(value)});
    }
    return true;
}

core::Result<Amf0Value> read_amf0(core::ByteReader& in) {
    Amf0Reader reader(in);
    return reader.value(0);
}

core::Result<std::vector<Amf0Value>> read_amf0_all(std::span<const std::uint8_t> bytes) {
    core::ByteReader in(bytes);
    Amf0Reader reader(in);
    std::vector<Amf0Value> values;
    while (!in.empty()) {
        values.push_back(RINGCAST_TRY(reader.value(0)));
    }
    return values;
}

void write_amf0(core::ByteWriter& out, const Amf0Value& value) {
    struct Visitor {
        core::ByteWriter& out;
        void operator()(const Amf0Null&) const { marker(out, Amf0Marker::null); }
        void operator()(const Amf0Undefined&) const { marker(out, Amf0Marker::undefined); }
        void operator()(double number) const {
            marker(out, Amf0Marker::number);
            out.f64(number);
        }
        void operator()(bool flag) const {
            marker(out, Amf0Marker::boolean);
            out.u8(flag ? 1 : 0);
        }
        void operator()(const std::string& text) const {
            if (text.size() > 0xFFFF) {
                marker(out, Amf0Marker::long_string);
                write_utf8_long(out, text);
            } else {
                marker(out, Amf0Marker::string);
                write_utf8(out, text);
            }
        }
        void operator()(const Amf0Object& object) const {
            marker(out, Amf0Marker::object);
            write_properties(out, object.properties);
        }
        void operator()(const Amf0EcmaArray& array) const {
            marker(out, Amf0Marker::ecma_array);
            out.u32(static_cast<std::uint32_t>(array.properties.size()));
            write_properties(out, array.properties);
        }
        void operator()(const Amf0StrictArray& array) const {
            marker(out, Amf0Marker::strict_array);
            out.u32(static_cast<std::uint32_t>(array.elements.size()));
            for (const auto& element : array.elements) {
                write_amf0(out, element);
            }
        }
        void operator()(const Amf0Date& date) const {
            marker(out, Amf0Marker::date);
            out.f64(date.epoch_ms);
            out.u16(static_cast<std::uint16_t>(date.timezone));
        }
        void operator()(const Amf0Reference& reference) const {
            marker(out, Amf0Marker::reference);
            out.u16(reference.index);
        }
        void operator()(const Amf0XmlDocument& xml) const {
            marker(out, Amf0Marker::xml_document);
            write_utf8_long(out, xml.xml);
        }
        void operator()(const Amf0TypedObject& object) const {
            marker(out, Amf0Marker::typed_object);
            write_utf8(out, object.class_name);
            write_properties(out, object.properties);
        }
    };
    std::visit(Visitor{out}, value.storage());
}

void write_amf0_command(core::ByteWriter& out, std::string_view name, double transaction_id,
                        const Amf0Value& command_object, std::span<const Amf0Value> args) {
    write_amf0(out, Amf0Value{name});
    write_amf0(out, Amf0Value{transaction_id});
    write_amf0(out, command_object);
    for (const auto& arg : args) {
        write_amf0(out, arg);
    }
}

std::vector<std::uint8_t> encode_amf0(std::span<const Amf0Value> values) {
    std::vector<std::uint8_t> bytes;
    core::ByteWriter out(bytes);
    for (const auto& value : values) {
        write_amf0(out, value);
    }
    return bytes;
}

}  // namespace ringcast::proto::rtmp
