// AMF3: U29 edges, integer sign extension, the three reference tables (strings, objects,
// traits), the mapping into the AMF0 value model, encoder round trips, truncations and the
// bounds on sizes, depth and reference expansion.
#include "proto/rtmp/amf3.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "bytes_support.h"

namespace ringcast::proto::rtmp {
namespace {

using testing::Bytes;
using core::Errc;

using testing::hex;
using testing::text;
using testing::operator+;

Bytes encode(const Amf0Value& value) {
    Bytes out;
    core::ByteWriter writer(out);
    write_amf3(writer, value);
    return out;
}

core::Result<Amf0Value> decode(const Bytes& bytes) {
    core::ByteReader reader(bytes);
    auto value = read_amf3(reader);
    if (value && !reader.empty()) {
        ADD_FAILURE() << "decode left " << reader.remaining() << " bytes";
    }
    return value;
}

// Every prefix size of small encodings; of large ones the edges and a sample of the middle
// (a long string's middle prefixes all fail the same length check).
std::size_t next_prefix(std::size_t size, std::size_t full) {
    if (full > 4096 && size >= 64 && size + 64 < full) {
        return std::min(size + 997, full - 64);
    }
    return size + 1;
}

struct U29Case {
    std::uint32_t value;
    const char* bytes;
};

constexpr U29Case u29_cases[] = {
    {0, "00"},
    {0x7F, "7f"},
    {0x80, "81 00"},
    {0x3FFF, "ff 7f"},
    {0x4000, "81 80 00"},
    {0x1FFFFF, "ff ff 7f"},
    {0x200000, "80 c0 80 00"},
    {0x0FFFFFFF, "bf ff ff ff"},
    {amf3_u29_max, "ff ff ff ff"},
};

TEST(Amf3, U29Layouts) {
    for (const auto& c : u29_cases) {
        Bytes out;
        core::ByteWriter writer(out);
        write_u29(writer, c.value);
        EXPECT_EQ(out, hex(c.bytes)) << c.value;

        core::ByteReader reader(out);
        std::uint32_t read = 0;
        ASSERT_TRUE(read_u29(reader, read)) << c.value;
        EXPECT_EQ(read, c.value);
        EXPECT_TRUE(reader.empty());

        for (std::size_t size = 0; size < out.size(); ++size) {
            const Bytes prefix(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
            core::ByteReader truncated(prefix);
            EXPECT_FALSE(read_u29(truncated, read)) << c.value << " prefix " << size;
        }
    }
}

TEST(Amf3, IntegerEdges) {
    struct Case {
        double number;
        const char* bytes;
    };
    const Case cases[] = {
        {0, "04 00"},
        {1, "04 01"},
        {127, "04 7f"},
        {128, "04 81 00"},
        {16383, "04 ff 7f"},
        {16384, "04 81 80 00"},
        {2097151, "04 ff ff 7f"},
        {2097152, "04 80 c0 80 00"},
        {amf3_int_max, "04 bf ff ff ff"},
        {-1, "04 ff ff ff ff"},
        {-128, "04 ff ff ff 80"},
        {amf3_int_min, "04 c0 80 80 00"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(encode(c.number), hex(c.bytes)) << c.number;
        auto decoded = decode(hex(c.bytes));
        ASSERT_TRUE(decoded) << c.number;
        EXPECT_EQ(decoded->as_number(), c.number);
    }
    // Outside the 29-bit range, fractional or negative zero: a double.
    for (double number : {static_cast<double>(amf3_int_max) + 1, static_cast<double>(amf3_int_min) - 1, 1.5, -0.0,
                          std::numeric_limits<double>::infinity()}) {
        const Bytes bytes = encode(number);
        ASSERT_EQ(bytes.size(), 9u) << number;
        EXPECT_EQ(bytes[0], 0x05) << number;
        auto decoded = decode(bytes);
        ASSERT_TRUE(decoded);
        EXPECT_EQ(decoded->as_number(), number);
    }
    EXPECT_EQ(encode(0.5), hex("05 3fe0000000000000"));
}

TEST(Amf3, Scalars) {
    EXPECT_TRUE(decode(hex("00"))->is_undefined());
    EXPECT_TRUE(decode(hex("01"))->is_null());
    EXPECT_EQ(decode(hex("02"))->as_bool(), false);
    EXPECT_EQ(decode(hex("03"))->as_bool(), true);
    EXPECT_EQ(encode(Amf0Value::undefined()), hex("00"));
    EXPECT_EQ(encode(Amf0Value{}), hex("01"));
    EXPECT_EQ(encode(false), hex("02"));
    EXPECT_EQ(encode(true), hex("03"));
    EXPECT_EQ(encode("abc"), hex("06 07") + text("abc"));
    EXPECT_EQ(encode(""), hex("06 01"));
    EXPECT_EQ(encode(Amf0Reference{3}), hex("01"));  // AMF3 cannot express it

    auto date = decode(hex("08 01 4276e8dd4c5c8000"));
    ASSERT_TRUE(date);
    const Amf0Date* as_date = date->get_if<Amf0Date>();
    ASSERT_NE(as_date, nullptr);
    EXPECT_EQ(as_date->timezone, 0);
    EXPECT_EQ(encode(*date), hex("08 01 4276e8dd4c5c8000"));

    EXPECT_EQ(*decode(hex("07 09") + text("<a/>")), Amf0Value{Amf0XmlDocument{"<a/>"}});
    EXPECT_EQ(*decode(hex("0b 09") + text("<b/>")), Amf0Value{Amf0XmlDocument{"<b/>"}});
    EXPECT_EQ(*decode(hex("0c 07 00 01 ff")), Amf0Value{std::string("\x00\x01\xff", 3)});
}

TEST(Amf3, StringReferences) {
    // "foo", a reference to it, the empty string (never put in the table), "bar", references.
    const Bytes bytes = hex("06 07") + text("foo") + hex("06 00 06 01 06 07") + text("bar") + hex("06 02 06 00");
    core::ByteReader reader(bytes);
    Amf3Decoder decoder;
    std::vector<std::string> read;
    while (!reader.empty()) {
        auto value = decoder.read(reader);
        ASSERT_TRUE(value) << value.error().describe();
        read.push_back(*value->as_string());
    }
    EXPECT_EQ(read, (std::vector<std::string>{"foo", "foo", "", "bar", "bar", "foo"}));

    // Out of range, and on a fresh decoder nothing is in the table.
    EXPECT_FALSE(decode(hex("06 00")));
    auto bad = decode(hex("09 05 01 06 07") + text("abc") + hex("06 02"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::protocol);
}

TEST(Amf3, ObjectsTraitsAndReferences) {
    // A dense array of: Point{x: 1} with inline sealed traits, Point{x: 2} by traits reference,
    // an anonymous dynamic object, then an object reference to that (object 3: the array is 0).
    const Bytes bytes = hex("09 09 01") +                                              // array, 4 dense
                        hex("0a 13 05") + text("Pt") + hex("03") + text("x") + hex("04 01") +  //
                        hex("0a 01 04 02") +                                            //
                        hex("0a 0b 01 03") + text("a") + hex("06 03") + text("z") + hex("01") +  //
                        hex("0a 06");
    auto decoded = decode(bytes);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const auto* elements = decoded->elements();
    ASSERT_NE(elements, nullptr);
    ASSERT_EQ(elements->size(), 4u);
    EXPECT_EQ((*elements)[0], Amf0Value(Amf0TypedObject{"Pt", {{"x", 1}}}));
    EXPECT_EQ((*elements)[1], Amf0Value(Amf0TypedObject{"Pt", {{"x", 2}}}));
    EXPECT_EQ((*elements)[2], Amf0Value::object({{"a", "z"}}));
    EXPECT_EQ((*elements)[3], (*elements)[2]);

    // Sealed and dynamic members together, sealed first.
    auto both = decode(hex("0a 1b 01 03") + text("s") + hex("04 05 03") + text("d") + hex("03 01"));
    ASSERT_TRUE(both) << both.error().describe();
    EXPECT_EQ(*both, Amf0Value::object({{"s", 5}, {"d", true}}));

    // Bad traits and object references.
    EXPECT_FALSE(decode(hex("0a 01")));
    EXPECT_FALSE(decode(hex("0a 04")));
    // Externalizable: its body only the class can read.
    auto ext = decode(hex("0a 07 05") + text("Ex"));
    ASSERT_FALSE(ext);
    EXPECT_EQ(ext.error().code, Errc::protocol);
}

TEST(Amf3, ArraysMapToStrictOrEcma) {
    EXPECT_EQ(*decode(hex("09 05 01 04 01 06 03 61")), Amf0Value::strict_array({1, "a"}));
    // Associative a: 5, then dense [7]: an ECMA array with the dense part keyed by index.
    auto mixed = decode(hex("09 03 03") + text("a") + hex("04 05 01 04 07"));
    ASSERT_TRUE(mixed) << mixed.error().describe();
    EXPECT_EQ(*mixed, Amf0Value::ecma_array({{"a", 5}, {"0", 7}}));
    // A reference to a date, xml and byte array goes through the same object table.
    auto refs = decode(hex("09 07 01 08 01 0000000000000000 0c 03 2a 09 0a 01 01"));
    ASSERT_FALSE(refs);  // 09 0a: object 5 does not exist yet
    auto good = decode(hex("09 07 01 08 01 0000000000000000 0c 03 2a 0c 04"));
    ASSERT_TRUE(good) << good.error().describe();
    EXPECT_EQ((*good->elements())[2], Amf0Value{std::string("*")});
}

TEST(Amf3, CyclicReferenceIsAnError) {
    // An array whose only element is a reference to itself.
    auto cyclic = decode(hex("09 03 01 09 00"));
    ASSERT_FALSE(cyclic);
    EXPECT_EQ(cyclic.error().code, Errc::protocol);
    auto object_cycle = decode(hex("0a 0b 01 05") + text("me") + hex("0a 00 01"));
    EXPECT_FALSE(object_cycle);
}

TEST(Amf3, UnsupportedTypes) {
    for (const char* bytes : {"0d 03 00 00000001", "0e 01 00", "0f 01 00", "10 01 00 01", "11 01 00", "12", "ff"}) {
        auto result = decode(hex(bytes));
        ASSERT_FALSE(result) << bytes;
        EXPECT_EQ(result.error().code, Errc::protocol) << bytes;
    }
}

Amf0Value sample() {
    return Amf0Value::strict_array({
        Amf0Value{},
        Amf0Value::undefined(),
        true,
        false,
        0,
        -1,
        amf3_int_max,
        amf3_int_min,
        1e100,
        -0.5,
        "",
        "text",
        "text",  // the same string again
        std::string(70000, 'w'),
        Amf0Value::strict_array({1, 2, Amf0Value::strict_array({})}),
        Amf0Value::object({{"app", "live"}, {"nested", Amf0Value::object({{"n", 3.25}})}}),
        Amf0Value::ecma_array({{"k", "v"}, {"list", Amf0Value::strict_array({"a"})}}),
        Amf0Value{Amf0TypedObject{"flex.messaging.io.ArrayCollection", {{"source", Amf0Value::strict_array({})}}}},
        Amf0Date{1234.0, 0},
        Amf0XmlDocument{"<doc/>"},
    });
}

TEST(Amf3, RoundTrips) {
    const Amf0Value original = sample();
    for (const auto& element : *original.elements()) {
        auto decoded = decode(encode(element));
        ASSERT_TRUE(decoded) << amf0_type_name(element.type());
        EXPECT_EQ(*decoded, element) << amf0_type_name(element.type());
    }
    auto decoded = decode(encode(original));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, original);
    EXPECT_EQ(encode(Amf0Value::object({{"a", 1}})), hex("0a 0b 01 03 61 04 01 01"));
    EXPECT_EQ(encode(Amf0Value::strict_array({true})), hex("09 03 01 03"));
}

TEST(Amf3, EveryTruncationFails) {
    const Amf0Value original = sample();
    for (const auto& element : *original.elements()) {
        const Bytes full = encode(element);
        for (std::size_t size = 0; size < full.size(); size = next_prefix(size, full.size())) {
            const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
            core::ByteReader reader(prefix);
            EXPECT_FALSE(read_amf3(reader)) << amf0_type_name(element.type()) << " prefix " << size;
            EXPECT_LE(reader.offset(), size);
        }
    }
    // And with references in play.
    const Bytes refs = hex("09 09 01 0a 13 05") + text("Pt") + hex("03") + text("x") + hex("04 01 0a 01 04 02 06 02 0a 02");
    ASSERT_TRUE(decode(refs));
    for (std::size_t size = 0; size < refs.size(); ++size) {
        const Bytes prefix(refs.begin(), refs.begin() + static_cast<std::ptrdiff_t>(size));
        core::ByteReader reader(prefix);
        EXPECT_FALSE(read_amf3(reader)) << "prefix " << size;
    }
}

TEST(Amf3, HugeDeclaredLengthsAreRejectedBeforeAllocating) {
    struct Case {
        const char* name;
        Bytes bytes;
        Errc code;
    };
    const Case cases[] = {
        {"string", hex("06 ff ff ff ff 61"), Errc::protocol},
        {"xml", hex("0b ff ff ff ff 61"), Errc::protocol},
        {"byte array", hex("0c bf ff ff ff 61"), Errc::protocol},
        {"dense count", hex("09 ff ff ff ff 01"), Errc::too_large},
        {"dense count over input", hex("09 87 ff 7f 01 01 01"), Errc::protocol},
        {"sealed count", hex("0a ff ff ff f3 01 03 61"), Errc::protocol},
    };
    for (const auto& c : cases) {
        auto result = decode(c.bytes);
        ASSERT_FALSE(result) << c.name;
        EXPECT_EQ(result.error().code, c.code) << c.name;
    }
}

TEST(Amf3, DepthIsBounded) {
    Bytes bomb;
    for (int i = 0; i < 200000; ++i) {
        bomb.insert(bomb.end(), {0x09, 0x03, 0x01});
    }
    auto arrays = decode(bomb);
    ASSERT_FALSE(arrays);
    EXPECT_EQ(arrays.error().code, Errc::too_large);

    Bytes objects;
    for (int i = 0; i < 200000; ++i) {
        objects.insert(objects.end(), {0x0a, 0x0b, 0x01, 0x03, 'k'});
    }
    auto nested = decode(objects);
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error().code, Errc::too_large);
}

TEST(Amf3, ReferenceExpansionIsBounded) {
    // Object i (i >= 2) is an array of two references to object i - 1: each level doubles the
    // materialised size for a few input bytes. Object 0 is the outer array, object 1 an array
    // holding a 1000-byte string.
    const std::size_t levels = 40;
    Bytes bytes = hex("09");
    Bytes header;
    core::ByteWriter header_writer(header);
    write_u29(header_writer, static_cast<std::uint32_t>((levels + 1) << 1 | 1));
    bytes = bytes + header + hex("01");
    bytes = bytes + hex("09 03 01 06 8f 51") + Bytes(1000, 'x');  // 0x7d1 = 1000 << 1 | 1
    for (std::size_t i = 1; i <= levels; ++i) {
        Bytes ref;
        core::ByteWriter ref_writer(ref);
        write_u29(ref_writer, static_cast<std::uint32_t>(i << 1));
        bytes = bytes + hex("09 05 01 09") + ref + hex("09") + ref;
    }
    auto result = decode(bytes);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::too_large);
    EXPECT_STREQ(result.error().where, "amf3: references expand too much");

    // String references: one 60000-byte string referenced 999 times (60 MB from 62 KB).
    Bytes strings = hex("09");
    core::ByteWriter strings_writer(strings);
    write_u29(strings_writer, 1000 << 1 | 1);
    strings_writer.u8(0x01);
    strings_writer.u8(0x06);
    write_u29(strings_writer, 60000 << 1 | 1);
    strings.insert(strings.end(), 60000, 's');
    for (int i = 1; i < 1000; ++i) {
        strings.insert(strings.end(), {0x06, 0x00});
    }
    auto expanded = decode(strings);
    ASSERT_FALSE(expanded);
    EXPECT_EQ(expanded.error().code, Errc::too_large);
    EXPECT_STREQ(expanded.error().where, "amf3: references expand too much");
}

TEST(Amf3, ReferenceTablesAreBounded) {
    // A date is one object-table entry per ten input bytes. The array itself plus 65536 dates
    // is one entry over the maximum.
    Bytes bytes = hex("09");
    core::ByteWriter writer(bytes);
    write_u29(writer, static_cast<std::uint32_t>(amf_container_elements_max << 1 | 1));
    writer.u8(0x01);
    const Bytes date = hex("08 01 0000000000000000");
    for (std::size_t i = 0; i < amf_container_elements_max; ++i) {
        bytes.insert(bytes.end(), date.begin(), date.end());
    }
    auto result = decode(bytes);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::too_large);
    EXPECT_STREQ(result.error().where, "amf3: reference table full");
}

}  // namespace
}  // namespace ringcast::proto::rtmp
