// AMF3: "AMF 3 Specification" (Adobe, January 2013), section 1.3.1 (U29), section 3 (the
// value types 3.2-3.14 with their string, object and traits reference tables) and the AMF0
// spec section 3.1 (avmplus switch) for how AMF3 appears inside RTMP's AMF0 messages.

#include "proto/rtmp/amf3.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

namespace ringcast::proto::rtmp {

using core::Errc;
using core::fail;

namespace {

// Rough cost of one decoded node; only has to be proportional to the real memory so that the
// reference-copy bound means something.
constexpr std::size_t node_cost = sizeof(Amf0Value);

std::int32_t sign_extend_29(std::uint32_t u29) {
    const auto value = static_cast<std::int32_t>(u29 & amf3_u29_max);
    return (u29 & 0x10000000) != 0 ? value - (1 << 29) : value;
}

core::Status check_table(std::size_t size) {
    if (size >= amf3_reference_table_max) {
        return fail(Errc::too_large, "amf3: reference table full");
    }
    return {};
}

}  // namespace

bool read_u29(core::ByteReader& in, std::uint32_t& out) {
    std::uint32_t value = 0;
    for (int i = 0; i < 3; ++i) {
        std::uint8_t byte = 0;
        if (!in.read_u8(byte)) {
            return false;
        }
        if ((byte & 0x80) == 0) {
            out = value << 7 | byte;
            return true;
        }
        value = value << 7 | (byte & 0x7F);
    }
    // The fourth byte carries 8 bits, no continuation flag.
    std::uint8_t byte = 0;
    if (!in.read_u8(byte)) {
        return false;
    }
    out = value << 8 | byte;
    return true;
}

void write_u29(core::ByteWriter& out, std::uint32_t value) {
    value &= amf3_u29_max;
    if (value < 0x80) {
        out.u8(static_cast<std::uint8_t>(value));
    } else if (value < 0x4000) {
        out.u8(static_cast<std::uint8_t>(value >> 7 | 0x80));
        out.u8(static_cast<std::uint8_t>(value & 0x7F));
    } else if (value < 0x200000) {
        out.u8(static_cast<std::uint8_t>(value >> 14 | 0x80));
        out.u8(static_cast<std::uint8_t>((value >> 7 & 0x7F) | 0x80));
        out.u8(static_cast<std::uint8_t>(value & 0x7F));
    } else {
        out.u8(static_cast<std::uint8_t>(value >> 22 | 0x80));
        out.u8(static_cast<std::uint8_t>((value >> 15 & 0x7F) | 0x80));
        out.u8(static_cast<std::uint8_t>((value >> 8 & 0x7F) | 0x80));
        out.u8(static_cast<std::uint8_t>(value & 0xFF));
    }
}

core::Status Amf3Decoder::charge_copy(std::size_t bytes, bool into_tree) {
    copied_bytes_ += bytes;
    if (into_tree) {
        produced_bytes_ += bytes;
    }
    if (copied_bytes_ > amf3_copy_bytes_max) {
        return fail(Errc::too_large, "amf3: references expand too much");
    }
    return {};
}

core::Result<Amf0Value> Amf3Decoder::read(core::ByteReader& in, std::size_t depth) { return read_value(in, depth); }

// UTF-8-vr (spec 1.3.2): U29S-ref (low bit 0, index in the string table) or U29S-value (low bit
// 1, byte length). The empty string is never put in the table.
core::Result<std::string> Amf3Decoder::read_string(core::ByteReader& in) {
    std::uint32_t header = 0;
    if (!read_u29(in, header)) {
        return fail(Errc::protocol, "amf3: truncated string header");
    }
    if ((header & 1) == 0) {
        const std::size_t index = header >> 1;
        if (index >= strings_.size()) {
            return fail(Errc::protocol, "amf3: bad string reference");
        }
        RINGCAST_TRY(charge_copy(strings_[index].size(), true));
        return strings_[index];
    }
    const std::size_t length = header >> 1;
    std::string_view text;
    if (!in.read_string(length, text)) {
        return fail(Errc::protocol, "amf3: truncated string");
    }
    produced_bytes_ += length;
    if (length > 0) {
        RINGCAST_TRY(check_table(strings_.size()));
        strings_.emplace_back(text);
    }
    return std::string(text);
}

core::Result<Amf0Value> Amf3Decoder::object_reference(std::uint32_t header) {
    const std::size_t index = header >> 1;
    if (index >= objects_.size()) {
        return fail(Errc::protocol, "amf3: bad object reference");
    }
    // A reference to an object still being read is a cycle, which a tree cannot hold.
    if (!objects_[index].complete) {
        return fail(Errc::protocol, "amf3: cyclic object reference");
    }
    RINGCAST_TRY(charge_copy(objects_[index].cost, true));
    return objects_[index].value;
}

// Complex values get their table slot when they start, before their members are read (spec
// 2.2), so references inside them count it.
core::Result<std::size_t> Amf3Decoder::add_object() {
    RINGCAST_TRY(check_table(objects_.size()));
    objects_.emplace_back();
    return objects_.size() - 1;
}

// The table keeps its own copy of every complex value (the tree the caller gets owns the
// other), and nested values are copied once per enclosing level: that is charged too.
core::Status Amf3Decoder::complete_object(std::size_t index, std::size_t cost_start, const Amf0Value& value) {
    const std::size_t cost = produced_bytes_ - cost_start + node_cost;
    RINGCAST_TRY(charge_copy(cost, false));
    ObjectEntry& entry = objects_[index];
    entry.value = value;
    entry.cost = cost;
    entry.complete = true;
    return {};
}

core::Result<Amf0Value> Amf3Decoder::read_value(core::ByteReader& in, std::size_t depth) {
    std::uint8_t marker = 0;
    if (!in.read_u8(marker)) {
        return fail(Errc::protocol, "amf3: truncated marker");
    }
    produced_bytes_ += node_cost;
    switch (static_cast<Amf3Marker>(marker)) {
    case Amf3Marker::undefined:
        return Amf0Value::undefined();
    case Amf3Marker::null:
        return Amf0Value{};
    case Amf3Marker::false_:
        return Amf0Value{false};
    case Amf3Marker::true_:
        return Amf0Value{true};
    case Amf3Marker::integer: {
        std::uint32_t u29 = 0;
        if (!read_u29(in, u29)) {
            return fail(Errc::protocol, "amf3: truncated integer");
        }
        return Amf0Value{static_cast<double>(sign_extend_29(u29))};
    }
    case Amf3Marker::double_: {
        double number = 0;
        if (!in.read_f64(number)) {
            return fail(Errc::protocol, "amf3: truncated double");
        }
        return Amf0Value{number};
    }
    case Amf3Marker::string:
        return Amf0Value{RINGCAST_TRY(read_string(in))};
    case Amf3Marker::xml_document:
    case Amf3Marker::xml:
    case Amf3Marker::byte_array: {
        std::uint32_t header = 0;
        if (!read_u29(in, header)) {
            return fail(Errc::protocol, "amf3: truncated header");
        }
        if ((header & 1) == 0) {
            return object_reference(header);
        }
        std::string_view bytes;
        if (!in.read_string(header >> 1, bytes)) {
            return fail(Errc::protocol, "amf3: truncated xml or byte array");
        }
        const std::size_t cost_start = produced_bytes_;
        produced_bytes_ += bytes.size();
        const std::size_t index = RINGCAST_TRY(add_object());
        Amf0Value value = static_cast<Amf3Marker>(marker) == Amf3Marker::byte_array
                              ? Amf0Value{std::string(bytes)}
                              : Amf0Value{Amf0XmlDocument{std::string(bytes)}};
        RINGCAST_TRY(complete_object(index, cost_start, value));
        return value;
    }
    case Amf3Marker::date: {
        std::uint32_t header = 0;
        if (!read_u29(in, header)) {
            return fail(Errc::protocol, "amf3: truncated date header");
        }
        if ((header & 1) == 0) {
            return object_reference(header);
        }
        Amf0Date date;
        if (!in.read_f64(date.epoch_ms)) {
            return fail(Errc::protocol, "amf3: truncated date");
        }
        const std::size_t cost_start = produced_bytes_;
        const std::size_t index = RINGCAST_TRY(add_object());
        Amf0Value value{date};
        RINGCAST_TRY(complete_object(index, cost_start, value));
        return value;
    }
    case Amf3Marker::array:
    case Amf3Marker::object: {
        if (depth >= amf_depth_max) {
            return fail(Errc::too_large, "amf3: nesting too deep");
        }
        std::uint32_t header = 0;
        if (!read_u29(in, header)) {
            return fail(Errc::protocol, "amf3: truncated header");
        }
        if ((header & 1) == 0) {
            return object_reference(header);
        }
        return static_cast<Amf3Marker>(marker) == Amf3Marker::array ? read_array(in, header, depth)
                                                                     : read_object(in, header, depth);
    }
    case Amf3Marker::vector_int:
    case Amf3Marker::vector_uint:
    case Amf3Marker::vector_double:
    case Amf3Marker::vector_object:
    case Amf3Marker::dictionary:
        return fail(Errc::protocol, "amf3: vector or dictionary not supported");
    }
    return fail(Errc::protocol, "amf3: unknown marker");
}

// Array (spec 3.11): U29A-value = dense count, then the associative part as name/value pairs
// ended by the empty string, then the dense values.
core::Result<Amf0Value> Amf3Decoder::read_array(core::ByteReader& in, std::uint32_t header, std::size_t depth) {
    const std::size_t dense_count = header >> 1;
    if (dense_count > amf_container_elements_max) {
        return fail(Errc::too_large, "amf3: array too long");
    }
    const std::size_t cost_start = produced_bytes_;
    const std::size_t index = RINGCAST_TRY(add_object());

    Amf0Properties associative;
    for (;;) {
        std::string key = RINGCAST_TRY(read_string(in));
        if (key.empty()) {
            break;
        }
        if (associative.size() + dense_count >= amf_container_elements_max) {
            return fail(Errc::too_large, "amf3: array too long");
        }
        Amf0Value item = RINGCAST_TRY(read_value(in, depth + 1));
        associative.push_back(Amf0Property{std::move(key), std::move(item)});
    }
    // Each dense value takes at least its marker byte: a count above the remaining bytes is a
    // lie, caught before reserve() trusts it.
    if (dense_count > in.remaining()) {
        return fail(Errc::protocol, "amf3: truncated array");
    }
    std::vector<Amf0Value> dense;
    dense.reserve(dense_count);
    for (std::size_t i = 0; i < dense_count; ++i) {
        dense.push_back(RINGCAST_TRY(read_value(in, depth + 1)));
    }

    Amf0Value value;
    if (associative.empty()) {
        value = Amf0Value::strict_array(std::move(dense));
    } else {
        for (std::size_t i = 0; i < dense.size(); ++i) {
            associative.push_back(Amf0Property{std::to_string(i), std::move(dense[i])});
        }
        value = Amf0Value::ecma_array(std::move(associative));
    }
    RINGCAST_TRY(complete_object(index, cost_start, value));
    return value;
}

// Object (spec 3.12): U29O-traits-ref (xx01), U29O-traits (x011: inline traits, bit 3 =
// dynamic, the rest = sealed member count) or U29O-traits-ext (0111: externalizable, whose body
// only the class itself can read, so we cannot skip it).
core::Result<Amf0Value> Amf3Decoder::read_object(core::ByteReader& in, std::uint32_t header, std::size_t depth) {
    std::size_t traits_index = 0;
    if ((header & 2) == 0) {
        traits_index = header >> 2;
        if (traits_index >= traits_.size()) {
            return fail(Errc::protocol, "amf3: bad traits reference");
        }
        RINGCAST_TRY(charge_copy(traits_[traits_index].names_bytes, true));
    } else {
        if ((header & 4) != 0) {
            return fail(Errc::protocol, "amf3: externalizable object not supported");
        }
        Traits traits;
        traits.dynamic = (header & 8) != 0;
        const std::size_t sealed_count = header >> 4;
        traits.class_name = RINGCAST_TRY(read_string(in));
        // Each sealed name and each sealed value take at least one byte.
        if (sealed_count > amf_container_elements_max || sealed_count * 2 > in.remaining()) {
            return fail(Errc::protocol, "amf3: bad sealed member count");
        }
        traits.sealed_names.reserve(sealed_count);
        for (std::size_t i = 0; i < sealed_count; ++i) {
            traits.sealed_names.push_back(RINGCAST_TRY(read_string(in)));
            traits.names_bytes += traits.sealed_names.back().size() + sizeof(Amf0Property);
        }
        RINGCAST_TRY(check_table(traits_.size()));
        traits_.push_back(std::move(traits));
        traits_index = traits_.size() - 1;
    }

    const std::size_t cost_start = produced_bytes_;
    const std::size_t index = RINGCAST_TRY(add_object());
    // Copy what we need: reading members may add traits and reallocate the table.
    const std::vector<std::string> sealed_names = traits_[traits_index].sealed_names;
    const std::string class_name = traits_[traits_index].class_name;
    const bool dynamic = traits_[traits_index].dynamic;

    Amf0Properties properties;
    properties.reserve(sealed_names.size());
    for (const auto& name : sealed_names) {
        Amf0Value item = RINGCAST_TRY(read_value(in, depth + 1));
        properties.push_back(Amf0Property{name, std::move(item)});
    }
    if (dynamic) {
        for (;;) {
            std::string key = RINGCAST_TRY(read_string(in));
            if (key.empty()) {
                break;
            }
            if (properties.size() >= amf_container_elements_max) {
                return fail(Errc::too_large, "amf3: too many members");
            }
            Amf0Value item = RINGCAST_TRY(read_value(in, depth + 1));
            properties.push_back(Amf0Property{std::move(key), std::move(item)});
        }
    }

    Amf0Value value = class_name.empty() ? Amf0Value::object(std::move(properties))
                                         : Amf0Value{Amf0TypedObject{class_name, std::move(properties)}};
    RINGCAST_TRY(complete_object(index, cost_start, value));
    return value;
}

core::Result<Amf0Value> read_amf3(core::ByteReader& in) {
    Amf3Decoder decoder;
    return decoder.read(in);
}

core::Result<std::vector<Amf0Value>> read_amf3_message(std::span<const std::uint8_t> payload) {
    if (payload.empty()) {
        return fail(Errc::protocol, "amf3: empty message");
    }
    return read_amf0_all(payload.subspan(1));
}

namespace {

void write_string_vr(core::ByteWriter& out, std::string_view text) {
    // Longer than a U29 length can say: cut, so the output stays well-formed.
    const std::size_t length = std::min<std::size_t>(text.size(), amf3_u29_max >> 1);
    write_u29(out, static_cast<std::uint32_t>(length << 1 | 1));
    out.string(text.substr(0, length));
}

void marker(core::ByteWriter& out, Amf3Marker m) { out.u8(static_cast<std::uint8_t>(m)); }

void write_dynamic_object(core::ByteWriter& out, std::string_view class_name, const Amf0Properties& properties) {
    marker(out, Amf3Marker::object);
    write_u29(out, 0x0B);  // inline traits, dynamic, no sealed members
    write_string_vr(out, class_name);
    for (const auto& property : properties) {
        if (property.key.empty()) {
            continue;  // the empty name ends the member list; such a member cannot be written
        }
        write_string_vr(out, property.key);
        write_amf3(out, property.value);
    }
    write_string_vr(out, "");
}

}  // namespace

void write_amf3(core::ByteWriter& out, const Amf0Value& value) {
    struct Visitor {
        core::ByteWriter& out;
        void operator()(const Amf0Null&) const { marker(out, Amf3Marker::null); }
        void operator()(const Amf0Undefined&) const { marker(out, Amf3Marker::undefined); }
        void operator()(const Amf0Reference&) const { marker(out, Amf3Marker::null); }
        void operator()(bool flag) const { marker(out, flag ? Amf3Marker::true_ : Amf3Marker::false_); }
        void operator()(double number) const {
            const bool integral = number >= amf3_int_min && number <= amf3_int_max &&
                                  number == std::floor(number) && !(number == 0 && std::signbit(number));
            if (integral) {
                marker(out, Amf3Marker::integer);
                write_u29(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(number)) & amf3_u29_max);
            } else {
                marker(out, Amf3Marker::double_);
                out.f64(number);
            }
        }
        void operator()(const std::string& text) const {
            marker(out, Amf3Marker::string);
            write_string_vr(out, text);
        }
        void operator()(const Amf0Object& object) const { write_dynamic_object(out, "", object.properties); }
        void operator()(const Amf0TypedObject& object) const {
            write_dynamic_object(out, object.class_name, object.properties);
        }
        void operator()(const Amf0EcmaArray& array) const {
            marker(out, Amf3Marker::array);
            write_u29(out, 1);  // no dense part: every pair goes in the associative part
            for (const auto& property : array.properties) {
                if (property.key.empty()) {
                    continue;
                }
                write_string_vr(out, property.key);
                write_amf3(out, property.value);
            }
            write_string_vr(out, "");
        }
        void operator()(const Amf0StrictArray& array) const {
            marker(out, Amf3Marker::array);
            write_u29(out, static_cast<std::uint32_t>(array.elements.size() << 1 | 1));
            write_string_vr(out, "");
            for (const auto& element : array.elements) {
                write_amf3(out, element);
            }
        }
        void operator()(const Amf0Date& date) const {
            marker(out, Amf3Marker::date);
            write_u29(out, 1);
            out.f64(date.epoch_ms);
        }
        void operator()(const Amf0XmlDocument& xml) const {
            marker(out, Amf3Marker::xml_document);
            write_u29(out, static_cast<std::uint32_t>(std::min<std::size_t>(xml.xml.size(), amf3_u29_max >> 1) << 1 | 1));
            out.string(std::string_view(xml.xml).substr(0, amf3_u29_max >> 1));
        }
    };
    std::visit(Visitor{out}, value.storage());
}

}  // namespace ringcast::proto::rtmp
