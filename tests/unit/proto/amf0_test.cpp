// AMF0: round trips of every type, byte layouts written out by hand (the connect command object,
// SRS's _result and onStatus replies, ffmpeg's connect), SRS's tolerance for ECMA arrays without
// an end marker, every truncation of valid encodings, and hostile sizes and depths.
#include "proto/rtmp/amf0.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/rtmp/amf3.h"

#include "bytes_support.h"

namespace ringcast::proto::rtmp {
namespace {

using testing::Bytes;
using core::Errc;

using testing::hex;
using testing::text;
using testing::operator+;

// An AMF0 short string: marker, u16 length, bytes.
Bytes str(std::string_view s) {
    return hex("02") + Bytes{static_cast<std::uint8_t>(s.size() >> 8), static_cast<std::uint8_t>(s.size())} + text(s);
}
// An object key: u16 length, bytes.
Bytes key(std::string_view s) {
    return Bytes{static_cast<std::uint8_t>(s.size() >> 8), static_cast<std::uint8_t>(s.size())} + text(s);
}

Bytes encode(const Amf0Value& value) {
    Bytes out;
    core::ByteWriter writer(out);
    write_amf0(writer, value);
    return out;
}

core::Result<Amf0Value> decode(const Bytes& bytes) {
    core::ByteReader reader(bytes);
    auto value = read_amf0(reader);
    if (value && !reader.empty()) {
        ADD_FAILURE() << "decode left " << reader.remaining() << " bytes";
    }
    return value;
}

Amf0Value every_type() {
    Amf0TypedObject typed{"com.example.Point", {{"x", 1.0}, {"y", -2.5}}};
    return Amf0Value::strict_array({
        Amf0Value{},
        Amf0Value::undefined(),
        0.0,
        -1.5e300,
        true,
        false,
        "",
        "short",
        std::string(70000, 'L'),
        Amf0Value::object({{"a", 1}, {"", "empty key"}, {"nested", Amf0Value::object({{"b", false}})}}),
        Amf0Value::ecma_array({{"duration", 0.0}, {"width", 1920}}),
        Amf0Value::strict_array({1, "two", Amf0Value{}}),
        Amf0Date{1.7e12, -60},
        Amf0Reference{7},
        Amf0XmlDocument{"<a b='c'/>"},
        typed,
    });
}

TEST(Amf0, RoundTripsEveryType) {
    const Amf0Value original = every_type();
    for (const auto& element : *original.elements()) {
        auto decoded = decode(encode(element));
        ASSERT_TRUE(decoded) << amf0_type_name(element.type()) << ": " << decoded.error().describe();
        EXPECT_EQ(*decoded, element) << amf0_type_name(element.type());
    }
    auto decoded = decode(encode(original));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, original);
}

TEST(Amf0, ScalarLayouts) {
    EXPECT_EQ(encode(1.0), hex("00 3ff0000000000000"));
    EXPECT_EQ(encode(true), hex("01 01"));
    EXPECT_EQ(encode(false), hex("01 00"));
    EXPECT_EQ(encode(Amf0Value{}), hex("05"));
    EXPECT_EQ(encode(Amf0Value::undefined()), hex("06"));
    EXPECT_EQ(encode(Amf0Reference{0x0102}), hex("07 0102"));
    EXPECT_EQ(encode(Amf0Date{0.0, -1}), hex("0b 0000000000000000 ffff"));
    EXPECT_EQ(encode("hi"), hex("02 0002 6869"));
    EXPECT_EQ(encode(Amf0XmlDocument{"<x/>"}), hex("0f 00000004") + text("<x/>"));
    EXPECT_EQ(encode(Amf0Value::strict_array({1, Amf0Value{}})), hex("0a 00000002 00 3ff0000000000000 05"));
    EXPECT_EQ(encode(Amf0TypedObject{"C", {}}), hex("10 0001 43 000009"));
    // A boolean is true for any non-zero byte, as in SRS.
    EXPECT_EQ(decode(hex("01 7f"))->as_bool(), true);
}

TEST(Amf0, StringMarkerFollowsLength) {
    const std::string at_limit(65535, 's');
    const std::string over_limit(65536, 'l');
    EXPECT_EQ(encode(at_limit)[0], 0x02);
    const Bytes long_bytes = encode(over_limit);
    EXPECT_EQ(Bytes(long_bytes.begin(), long_bytes.begin() + 5), hex("0c 00010000"));
    // A short string sent as a long string decodes to the same value.
    auto decoded = decode(hex("0c 00000003") + text("abc"));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded->as_string(), "abc");
}

TEST(Amf0, ConnectCommandObjectLayout) {
    const Amf0Value command = Amf0Value::object({
        {"app", "live"},
        {"tcUrl", "rtmp://127.0.0.1/live"},
        {"fpad", false},
        {"audioCodecs", 3191.0},
    });
    const Bytes expected = hex("03") +                                           //
                           key("app") + hex("02 0004") + text("live") +           //
                           key("tcUrl") + hex("02 0015") + text("rtmp://127.0.0.1/live") +
                           key("fpad") + hex("01 00") +                           //
                           key("audioCodecs") + hex("00 40a8ee0000000000") +      //
                           hex("00 00 09");
    EXPECT_EQ(encode(command), expected);
    auto decoded = decode(expected);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, command);
}

TEST(Amf0, SrsConnectResultLayout) {
    // The shape of SRS's reply to connect (SrsConnectAppResPacket): props, then info with an
    // ECMA array under "data".
    const Amf0Value props = Amf0Value::object({{"fmsVer", "FMS/3,5,3,888"}, {"capabilities", 127.0}, {"mode", 1.0}});
    const Amf0Value info = Amf0Value::object({
        {"level", "status"},
        {"code", "NetConnection.Connect.Success"},
        {"description", "Connection succeeded"},
        {"objectEncoding", 0.0},
        {"data", Amf0Value::ecma_array({{"version", "3,5,3,888"}, {"srs_server", "ringcast"}})},
    });
    Bytes out;
    core::ByteWriter writer(out);
    const Amf0Value args[] = {info};
    write_amf0_command(writer, "_result", 1.0, props, args);

    const Bytes expected = str("_result") + hex("00 3ff0000000000000") +                           //
                           hex("03") + key("fmsVer") + str("FMS/3,5,3,888") +                       //
                           key("capabilities") + hex("00 405fc00000000000") +                       //
                           key("mode") + hex("00 3ff0000000000000") + hex("000009") +               //
                           hex("03") + key("level") + str("status") +                               //
                           key("code") + str("NetConnection.Connect.Success") +                     //
                           key("description") + str("Connection succeeded") +                       //
                           key("objectEncoding") + hex("00 0000000000000000") +                     //
                           key("data") + hex("08 00000002") + key("version") + str("3,5,3,888") +   //
                           key("srs_server") + str("ringcast") + hex("000009") +                    //
                           hex("000009");
    EXPECT_EQ(out, expected);

    auto values = read_amf0_all(out);
    ASSERT_TRUE(values);
    ASSERT_EQ(values->size(), 4u);
    EXPECT_EQ(*(*values)[0].as_string(), "_result");
    EXPECT_EQ((*values)[1].as_number(), 1.0);
    EXPECT_EQ((*values)[2], props);
    EXPECT_EQ((*values)[3], info);
    EXPECT_EQ(*(*values)[3].get("data")->get_string("version"), "3,5,3,888");
}

TEST(Amf0, SrsOnStatusPublishLayout) {
    const Amf0Value info = Amf0Value::object({
        {"level", "status"},
        {"code", "NetStream.Publish.Start"},
        {"description", "Started publishing stream."},
        {"clientid", "ASAICiss"},
    });
    Bytes out;
    core::ByteWriter writer(out);
    const Amf0Value args[] = {info};
    write_amf0_command(writer, "onStatus", 0.0, Amf0Value::null(), args);
    const Bytes expected = str("onStatus") + hex("00 0000000000000000 05") + hex("03") + key("level") +
                           str("status") + key("code") + str("NetStream.Publish.Start") + key("description") +
                           str("Started publishing stream.") + key("clientid") + str("ASAICiss") + hex("000009");
    EXPECT_EQ(out, expected);
}

// ffmpeg's gen_connect (libavformat/rtmpproto.c) when publishing: app, type, flashVer, tcUrl.
Bytes ffmpeg_publish_connect() {
    return str("connect") + hex("00 3ff0000000000000") + hex("03") +   //
           key("app") + str("live") +                                   //
           key("type") + str("nonprivate") +                            //
           key("flashVer") + str("FMLE/3.0 (compatible; Lavf60.16.100)") +  //
           key("tcUrl") + str("rtmp://127.0.0.1:1935/live") +           //
           hex("00 00 09");
}

// ... and when playing: flashVer LNX, then fpad, capabilities and the codec masks.
Bytes ffmpeg_play_connect() {
    return str("connect") + hex("00 3ff0000000000000") + hex("03") +  //
           key("app") + str("live") +                                  //
           key("flashVer") + str("LNX 9,0,124,2") +                    //
           key("tcUrl") + str("rtmp://localhost/live") +               //
           key("fpad") + hex("01 00") +                                //
           key("capabilities") + hex("00 402e000000000000") +          // 15.0
           key("audioCodecs") + hex("00 40afce0000000000") +           // 4071.0
           key("videoCodecs") + hex("00 406f800000000000") +           // 252.0
           key("videoFunction") + hex("00 3ff0000000000000") +         // 1.0
           hex("00 00 09");
}

TEST(Amf0, DecodesFfmpegPublishConnect) {
    auto values = read_amf0_all(ffmpeg_publish_connect());
    ASSERT_TRUE(values) << values.error().describe();
    ASSERT_EQ(values->size(), 3u);
    EXPECT_EQ(*(*values)[0].as_string(), "connect");
    EXPECT_EQ((*values)[1].as_number(), 1.0);
    const Amf0Value& command = (*values)[2];
    ASSERT_EQ(command.type(), Amf0Type::object);
    EXPECT_EQ(*command.get_string("app"), "live");
    EXPECT_EQ(*command.get_string("type"), "nonprivate");
    EXPECT_EQ(*command.get_string("flashVer"), "FMLE/3.0 (compatible; Lavf60.16.100)");
    EXPECT_EQ(*command.get_string("tcUrl"), "rtmp://127.0.0.1:1935/live");
    EXPECT_EQ(command.get("swfUrl"), nullptr);
    // Wire order is kept.
    const auto& props = *command.properties();
    ASSERT_EQ(props.size(), 4u);
    EXPECT_EQ(props[0].key, "app");
    EXPECT_EQ(props[1].key, "type");
    EXPECT_EQ(props[2].key, "flashVer");
    EXPECT_EQ(props[3].key, "tcUrl");
    // Re-encoding gives back the bytes ffmpeg sent.
    EXPECT_EQ(encode_amf0(*values), ffmpeg_publish_connect());
}

TEST(Amf0, DecodesFfmpegPlayConnect) {
    auto values = read_amf0_all(ffmpeg_play_connect());
    ASSERT_TRUE(values) << values.error().describe();
    ASSERT_EQ(values->size(), 3u);
    const Amf0Value& command = (*values)[2];
    EXPECT_EQ(command.get_bool("fpad"), false);
    EXPECT_EQ(command.get_number("capabilities"), 15.0);
    EXPECT_EQ(command.get_number("audioCodecs"), 4071.0);
    EXPECT_EQ(command.get_number("videoCodecs"), 252.0);
    EXPECT_EQ(command.get_number("videoFunction"), 1.0);
    EXPECT_EQ(command.get_number("app"), std::nullopt);  // wrong type
    EXPECT_EQ(encode_amf0(*values), ffmpeg_play_connect());
}

TEST(Amf0, EcmaArrayCountIsNotTrusted) {
    // Declared 0 and 100, both with two properties and an end marker: read to the marker.
    for (const char* count : {"00000000", "00000064"}) {
        auto decoded = decode(hex("08") + hex(count) + key("a") + hex("05") + key("b") + hex("01 01") + hex("000009"));
        ASSERT_TRUE(decoded) << count;
        ASSERT_EQ(decoded->properties()->size(), 2u);
        EXPECT_EQ(decoded->get("b")->as_bool(), true);
        // The encoder writes the real count.
        EXPECT_EQ(encode(*decoded), hex("08 00000002") + key("a") + hex("05") + key("b") + hex("01 01") + hex("000009"));
    }
}

TEST(Amf0, EcmaArrayWithoutEndAtEndOfInput) {
    // onMetaData as some encoders send it: the ECMA array stops at the end of the message.
    const Bytes message = str("onMetaData") + hex("08 00000002") + key("width") + hex("00 409e000000000000") +
                          key("height") + hex("00 4090e00000000000");
    auto values = read_amf0_all(message);
    ASSERT_TRUE(values) << values.error().describe();
    ASSERT_EQ(values->size(), 2u);
    EXPECT_EQ((*values)[1].get_number("width"), 1920.0);
    EXPECT_EQ((*values)[1].get_number("height"), 1080.0);

    // Empty and missing its end too.
    auto empty = decode(hex("08 00000000"));
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->properties()->empty());

    // Only at the end of the input: an ECMA array inside an object still needs its marker
    // before the object's own.
    EXPECT_FALSE(decode(hex("03") + key("m") + hex("08 00000001") + key("a") + hex("05")));
    // A key without its value is still an error.
    EXPECT_FALSE(decode(hex("08 00000001") + key("a")));
    EXPECT_FALSE(decode(hex("08 00000001 0000")));
    // Objects are not given that tolerance.
    EXPECT_FALSE(decode(hex("03") + key("a") + hex("05")));
}

// Every proper prefix must fail cleanly. The prefix is copied to its own exact-size allocation
// so that a read past it is caught by AddressSanitizer.
// Large encodings (a long string) get their edges and a sample of the middle.
void expect_every_prefix_fails(const Bytes& full) {
    for (std::size_t size = 0; size < full.size();
         size = (full.size() > 4096 && size >= 64 && size + 64 < full.size()) ? std::min(size + 997, full.size() - 64)
                                                                                : size + 1) {
        const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
        core::ByteReader reader(prefix);
        auto value = read_amf0(reader);
        EXPECT_FALSE(value) << "prefix of " << size << " of " << full.size() << " bytes decoded";
        EXPECT_LE(reader.offset(), size);
    }
}

TEST(Amf0, EveryTruncationFails) {
    const Amf0Value all = every_type();
    for (const auto& element : *all.elements()) {
        if (element.type() == Amf0Type::ecma_array) {
            continue;  // a prefix ending between properties is the tolerated form; see below
        }
        SCOPED_TRACE(amf0_type_name(element.type()));
        expect_every_prefix_fails(encode(element));
    }
    expect_every_prefix_fails(encode(Amf0Value::object({{"data", Amf0Value::ecma_array({{"k", 1}})}})));
    // Each value of ffmpeg's connect on its own.
    auto values = read_amf0_all(ffmpeg_play_connect());
    ASSERT_TRUE(values);
    for (const auto& value : *values) {
        expect_every_prefix_fails(encode(value));
    }
}

TEST(Amf0, EcmaArrayTruncationsFailOrYieldFewerProperties) {
    const Amf0Value full = Amf0Value::ecma_array({{"a", 1}, {"bb", "x"}, {"c", Amf0Value::object({{"d", true}})}});
    const Bytes bytes = encode(full);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
        core::ByteReader reader(prefix);
        auto value = read_amf0(reader);
        if (value) {
            ASSERT_EQ(value->type(), Amf0Type::ecma_array);
            // All three only when just the end marker is missing.
            EXPECT_TRUE(value->properties()->size() < 3u || size == bytes.size() - 3) << size;
            EXPECT_TRUE(reader.empty());
        }
    }
}

TEST(Amf0, NestingDepthIsBounded) {
    auto nested_arrays = [](std::size_t levels) {
        Bytes out;
        for (std::size_t i = 0; i < levels; ++i) {
            out = out + hex("0a 00000001");
        }
        return out + hex("05");
    };
    EXPECT_TRUE(decode(nested_arrays(amf_depth_max)));
    auto too_deep = decode(nested_arrays(amf_depth_max + 1));
    ASSERT_FALSE(too_deep);
    EXPECT_EQ(too_deep.error().code, Errc::too_large);

    // A depth bomb far past the bound: rejected, no stack exhaustion.
    Bytes bomb;
    for (int i = 0; i < 200000; ++i) {
        bomb.insert(bomb.end(), {0x03, 0x00, 0x01, 'k'});
    }
    auto bombed = decode(bomb);
    ASSERT_FALSE(bombed);
    EXPECT_EQ(bombed.error().code, Errc::too_large);

    // Objects, ECMA arrays and typed objects share the same bound.
    Bytes mixed;
    for (std::size_t i = 0; i < amf_depth_max + 1; ++i) {
        switch (i % 3) {
        case 0: mixed = mixed + hex("03") + key("o"); break;
        case 1: mixed = mixed + hex("08 00000001") + key("e"); break;
        default: mixed = mixed + hex("10 0001 54") + key("t"); break;
        }
    }
    auto mixed_result = decode(mixed + hex("05"));
    ASSERT_FALSE(mixed_result);
    EXPECT_EQ(mixed_result.error().code, Errc::too_large);
}

TEST(Amf0, HugeDeclaredLengthsAreRejectedBeforeAllocating) {
    struct Case {
        const char* name;
        Bytes bytes;
        Errc code;
    };
    const Case cases[] = {
        {"string", hex("02 ffff 616263"), Errc::protocol},
        {"long string", hex("0c ffffffff 616263"), Errc::protocol},
        {"xml", hex("0f fffffff0 3c"), Errc::protocol},
        {"strict array count", hex("0a ffffffff 05 05"), Errc::too_large},
        {"strict array over input", hex("0a 0000ffff 05 05"), Errc::protocol},
        {"key", hex("03 ffff 61"), Errc::protocol},
        {"class name", hex("10 ffff 61"), Errc::protocol},
    };
    for (const auto& c : cases) {
        auto result = decode(c.bytes);
        ASSERT_FALSE(result) << c.name;
        EXPECT_EQ(result.error().code, c.code) << c.name;
    }
}

TEST(Amf0, ContainerElementCountIsBounded) {
    // Key "" + null is three bytes per property and is not the end marker (00 00 09).
    Bytes many = hex("08 00000000");
    for (std::size_t i = 0; i < amf_container_elements_max; ++i) {
        many.insert(many.end(), {0x00, 0x00, 0x05});
    }
    auto at_max = decode(many + hex("000009"));
    ASSERT_TRUE(at_max);
    EXPECT_EQ(at_max->properties()->size(), amf_container_elements_max);
    many.insert(many.end(), {0x00, 0x00, 0x05});
    auto over = decode(many + hex("000009"));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, Errc::too_large);
}

TEST(Amf0, InvalidMarkers) {
    for (const char* bytes : {"04", "0e", "09", "12", "ff"}) {
        auto result = decode(hex(bytes));
        ASSERT_FALSE(result) << bytes;
        EXPECT_EQ(result.error().code, Errc::protocol) << bytes;
    }
    // "Unsupported" (0x0D) is a value the sender could not serialise: read as undefined.
    auto unsupported = decode(hex("0d"));
    ASSERT_TRUE(unsupported);
    EXPECT_TRUE(unsupported->is_undefined());
    // An empty message decodes to no values; an empty value is an error.
    EXPECT_TRUE(read_amf0_all({})->empty());
    EXPECT_FALSE(decode({}));
}

TEST(Amf0, ValueHelpers) {
    Amf0Value object = Amf0Value::object({{"a", 1}, {"b", "x"}, {"a", 2}});
    // Duplicated keys: the last one wins, as in ActionScript and SRS.
    EXPECT_EQ(object.get_number("a"), 2.0);
    EXPECT_EQ(object.get_string("a"), nullptr);
    EXPECT_EQ(object.get_bool("b"), std::nullopt);
    EXPECT_EQ(object.get("missing"), nullptr);

    EXPECT_TRUE(object.set("b", true));  // replaced in place
    EXPECT_TRUE(object.set("c", Amf0Value{}));
    const auto& props = *object.properties();
    ASSERT_EQ(props.size(), 4u);
    EXPECT_EQ(props[1].key, "b");
    EXPECT_EQ(props[1].value.as_bool(), true);
    EXPECT_EQ(props[3].key, "c");
    EXPECT_TRUE(props[3].value.is_null());

    Amf0Value number = 42;  // integers build numbers, not booleans
    EXPECT_EQ(number.type(), Amf0Type::number);
    EXPECT_EQ(number.as_number(), 42.0);
    EXPECT_EQ(number.as_string(), nullptr);
    EXPECT_EQ(number.as_bool(), std::nullopt);
    EXPECT_EQ(number.get("a"), nullptr);
    EXPECT_EQ(number.properties(), nullptr);
    EXPECT_EQ(number.elements(), nullptr);
    EXPECT_FALSE(number.set("a", 1));
    EXPECT_EQ(Amf0Value{"text"}.type(), Amf0Type::string);  // not bool
    EXPECT_TRUE(Amf0Value{}.is_null());

    Amf0Value ecma = Amf0Value::ecma_array({{"k", "v"}});
    EXPECT_EQ(*ecma.get_string("k"), "v");
    const Amf0EcmaArray* as_ecma = ecma.get_if<Amf0EcmaArray>();
    ASSERT_NE(as_ecma, nullptr);
    EXPECT_EQ(as_ecma->declared_count, 1u);
    Amf0Value typed = Amf0TypedObject{"C", {{"k", 3}}};
    EXPECT_EQ(typed.get_number("k"), 3.0);
    EXPECT_EQ(amf0_type_name(typed.type()), "typed_object");
}

TEST(Amf0, AvmplusSwitchDecodesAmf3) {
    // "connect", 1.0, then an AMF3 object {app: "live"} behind the avmplus marker.
    const Bytes message = str("connect") + hex("00 3ff0000000000000") + hex("11 0a 0b 01") + hex("07") + text("app") +
                          hex("06 09") + text("live") + hex("01");
    auto values = read_amf0_all(message);
    ASSERT_TRUE(values) << values.error().describe();
    ASSERT_EQ(values->size(), 3u);
    EXPECT_EQ((*values)[2], Amf0Value::object({{"app", "live"}}));

    // The AMF3 string table is shared by every switch of one message: "06 02" is a reference to
    // string 1 ("live") from the first switch.
    auto shared = read_amf0_all(message + hex("11 06 02"));
    ASSERT_TRUE(shared) << shared.error().describe();
    EXPECT_EQ(*(*shared)[3].as_string(), "live");

    // An AMF3 command message (type 17) starts with a format byte.
    auto command = read_amf3_message(hex("00") + message);
    ASSERT_TRUE(command);
    EXPECT_EQ(*command, *values);
    EXPECT_FALSE(read_amf3_message({}));

    // AMF3 nesting counts toward the same depth bound as AMF0 nesting.
    Bytes deep;
    for (std::size_t i = 0; i < amf_depth_max - 1; ++i) {
        deep = deep + hex("0a 00000001");
    }
    EXPECT_TRUE(decode(deep + hex("11 09 03 01 01")));      // 64th container is the AMF3 array
    EXPECT_FALSE(decode(deep + hex("11 09 03 01 09 01 01")));  // 65th
}

}  // namespace
}  // namespace ringcast::proto::rtmp
