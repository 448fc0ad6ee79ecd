#pragma once
// AMF3 ("AMF 3 Specification", Adobe, January 2013), as far as RTMP needs it: values reached
// through the AMF0 avmplus switch in AMF3 command (type 17) and data (type 15) messages. AMF3
// values are decoded into the AMF0 value model (amf0.h), so the command layer sees one model:
//   undefined, null, booleans -> the same; integer and double -> number; string -> string;
//   XMLDocument and XML -> xml document; date -> date (time zone 0); ByteArray -> string (raw
//   bytes); array -> strict array when it has no associative part, else ECMA array (the
//   associative pairs, then the dense elements keyed "0", "1", ...); object -> object, or typed
//   object when its traits name a class (sealed members first, then dynamic ones).
// Externalizable objects, vectors and dictionaries have no mapping and are Errc::protocol.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/byte_io.h"
#include "core/result.h"
#include "proto/rtmp/amf0.h"

namespace ringcast::proto::rtmp {

/// Type markers of AMF3 spec section 3.1.
enum class Amf3Marker : std::uint8_t {
    undefined = 0x00,
    null = 0x01,
    false_ = 0x02,
    true_ = 0x03,
    integer = 0x04,
    double_ = 0x05,
    string = 0x06,
    xml_document = 0x07,
    date = 0x08,
    array = 0x09,
    object = 0x0A,
    xml = 0x0B,
    byte_array = 0x0C,
    vector_int = 0x0D,
    vector_uint = 0x0E,
    vector_double = 0x0F,
    vector_object = 0x10,
    dictionary = 0x11,
};

/// Range of the AMF3 integer type (29-bit two's complement); numbers outside it are doubles.
inline constexpr std::int32_t amf3_int_min = -(1 << 28);
inline constexpr std::int32_t amf3_int_max = (1 << 28) - 1;
/// Largest U29 value.
inline constexpr std::uint32_t amf3_u29_max = 0x1FFFFFFF;
/// Entries allowed in each reference table (strings, objects, traits) of one decoder.
inline constexpr std::size_t amf3_reference_table_max = 65536;
/// Bytes (roughly) a decoder may materialise as copies: of referenced strings, traits and
/// objects, and the reference table's own copies of complex values. A reference lets one input
/// byte stand for an arbitrarily large earlier value; this bounds the expansion.
inline constexpr std::size_t amf3_copy_bytes_max = 16 * 1024 * 1024;

/// Reads a U29 (AMF3 spec 1.3.1): 1 to 4 bytes. Returns false when the input ends first.
bool read_u29(core::ByteReader& in, std::uint32_t& out);
/// Writes a U29; value must be <= amf3_u29_max (higher bits are dropped).
void write_u29(core::ByteWriter& out, std::uint32_t value);

/// Decodes AMF3 values into Amf0Value. Holds the three reference tables, which grow over every
/// value it reads: use one decoder per message.
class Amf3Decoder {
public:
    /// Reads one value; depth is the nesting depth the value starts at (for values inside AMF0
    /// containers), bounded by amf_depth_max.
    core::Result<Amf0Value> read(core::ByteReader& in, std::size_t depth = 0);

private:
    struct Traits {
        std::string class_name;
        std::vector<std::string> sealed_names;
        std::size_t names_bytes = 0;
        bool dynamic = false;
    };
    struct ObjectEntry {
        Amf0Value value;
        std::size_t cost = 0;
        bool complete = false;
    };

    core::Result<Amf0Value> read_value(core::ByteReader& in, std::size_t depth);
    core::Result<std::string> read_string(core::ByteReader& in);
    core::Result<Amf0Value> object_reference(std::uint32_t header);
    core::Result<std::size_t> add_object();
    core::Status complete_object(std::size_t index, std::size_t cost_start, const Amf0Value& value);
    core::Result<Amf0Value> read_array(core::ByteReader& in, std::uint32_t header, std::size_t depth);
    core::Result<Amf0Value> read_object(core::ByteReader& in, std::uint32_t header, std::size_t depth);
    core::Status charge_copy(std::size_t bytes, bool into_tree);

    std::vector<std::string> strings_;
    std::vector<ObjectEntry> objects_;
    std::vector<Traits> traits_;
    std::size_t produced_bytes_ = 0;  // rough size of everything built so far, copies included
    std::size_t copied_bytes_ = 0;    // copies: from references and into the object table
};

/// Decodes one AMF3 value with fresh reference tables.
core::Result<Amf0Value> read_amf3(core::ByteReader& in);

/// Decodes the body of an AMF3 command (type 17) or AMF3 data (type 15) message: one format
/// byte (0x00), then AMF0 values which may switch to AMF3 with the avmplus marker. Like SRS, the
/// format byte is skipped whatever it is.
core::Result<std::vector<Amf0Value>> read_amf3_message(std::span<const std::uint8_t> payload);

/// Appends the AMF3 encoding of a value, without references (always valid AMF3, only larger).
/// Numbers that are integral, in [amf3_int_min, amf3_int_max] and not -0 become integers;
/// objects and typed objects become dynamic objects with inline traits (typed ones keep their
/// class name); ECMA arrays become arrays with only an associative part; AMF0 references, which
/// AMF3 cannot express, become null; properties with an empty key are dropped (the empty name
/// ends an AMF3 member list).
void write_amf3(core::ByteWriter& out, const Amf0Value& value);

}  // namespace ringcast::proto::rtmp
