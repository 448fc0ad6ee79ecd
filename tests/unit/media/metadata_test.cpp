#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "core/byte_io.h"
#include "media/metadata.h"

namespace ringcast::media {
namespace {

/// Builds AMF0 bytes by hand (media tests cannot use proto's encoder).
class Amf {
public:
    Amf& marker(std::uint8_t m) {
        w().u8(m);
        return *this;
    }
    Amf& raw_utf8(std::string_view s) {  // a key, or a string body, without a marker
        w().u16(static_cast<std::uint16_t>(s.size()));
        w().string(s);
        return *this;
    }
    Amf& str(std::string_view s) { return marker(0x02).raw_utf8(s); }
    Amf& long_str(std::string_view s) {
        marker(0x0C);
        w().u32(static_cast<std::uint32_t>(s.size()));
        w().string(s);
        return *this;
    }
    Amf& number(double v) {
        marker(0x00);
        w().f64(v);
        return *this;
    }
    Amf& boolean(bool v) { return marker(0x01).marker(v ? 1 : 0); }
    Amf& object() { return marker(0x03); }
    Amf& ecma(std::uint32_t declared) {
        marker(0x08);
        w().u32(declared);
        return *this;
    }
    Amf& strict(std::uint32_t count) {
        marker(0x0A);
        w().u32(count);
        return *this;
    }
    Amf& key(std::string_view k) { return raw_utf8(k); }
    Amf& end() { return marker(0x00).marker(0x00).marker(0x09); }
    Amf& u16(std::uint16_t v) {
        w().u16(v);
        return *this;
    }
    Amf& u32(std::uint32_t v) {
        w().u32(v);
        return *this;
    }
    Amf& f64(double v) {
        w().f64(v);
        return *this;
    }

    [[nodiscard]] const std::vector<std::uint8_t>& bytes() const { return bytes_; }
    [[nodiscard]] std::size_t size() const { return bytes_.size(); }

private:
    // A writer made per call, so copying an Amf never leaves one pointing at the old bytes.
    core::ByteWriter w() { return core::ByteWriter(bytes_); }

    std::vector<std::uint8_t> bytes_;
};

bool atc(const Amf& amf) { return metadata_requests_atc(amf.bytes()); }
bool atc(const std::vector<std::uint8_t>& bytes) { return metadata_requests_atc(bytes); }

/// What ffmpeg sends after the session unwrapped @setDataFrame: "onMetaData", ECMA array.
Amf ffmpeg_like(std::string_view atc_value) {
    Amf a;
    a.str("onMetaData").ecma(5);
    a.key("duration").number(0);
    a.key("width").number(1280);
    a.key("bravo_atc").str(atc_value);
    a.key("encoder").str("Lavf60.3.100");
    a.key("stereo").boolean(true);
    a.end();
    return a;
}

TEST(Metadata, BravoAtcTrueInEcmaArray) {
    EXPECT_TRUE(atc(ffmpeg_like("true")));
    EXPECT_EQ(metadata_string_property(ffmpeg_like("true").bytes(), "encoder"), "Lavf60.3.100");
}

TEST(Metadata, NumberPropertiesForTheApiSize) {
    EXPECT_EQ(metadata_number_property(ffmpeg_like("true").bytes(), "width"), 1280.0);
    EXPECT_EQ(metadata_number_property(ffmpeg_like("true").bytes(), "height"), std::nullopt);
    EXPECT_EQ(metadata_number_property(ffmpeg_like("true").bytes(), "encoder"), std::nullopt);  // a string
    EXPECT_EQ(metadata_string_property(ffmpeg_like("true").bytes(), "width"), std::nullopt);   // a number
    Amf replaced;
    replaced.str("onMetaData").object().key("height").number(360).key("height").str("tall").end();
    EXPECT_EQ(metadata_number_property(replaced.bytes(), "height"), std::nullopt);  // the last one counts
}

TEST(Metadata, BravoAtcTrueInObject) {
    Amf a;
    a.str("onMetaData").object().key("bravo_atc").str("true").end();
    EXPECT_TRUE(atc(a));
}

TEST(Metadata, StillWrappedSetDataFrameIsAccepted) {
    Amf a;
    a.str("@setDataFrame").str("onMetaData").ecma(1).key("bravo_atc").str("true").end();
    EXPECT_TRUE(atc(a));
    // @setDataFrame must be followed by the name string.
    Amf b;
    b.str("@setDataFrame").ecma(1).key("bravo_atc").str("true").end();
    EXPECT_FALSE(atc(b));
}

TEST(Metadata, OnlyTheExactStringTrueCounts) {
    EXPECT_FALSE(atc(ffmpeg_like("false")));
    EXPECT_FALSE(atc(ffmpeg_like("TRUE")));
    EXPECT_FALSE(atc(ffmpeg_like("true ")));
    EXPECT_FALSE(atc(ffmpeg_like("")));
    Amf boolean;
    boolean.str("onMetaData").object().key("bravo_atc").boolean(true).end();
    EXPECT_FALSE(atc(boolean));
    Amf number;
    number.str("onMetaData").object().key("bravo_atc").number(1).end();
    EXPECT_FALSE(atc(number));
    Amf long_string;  // SRS's is_string() is the short-string type only
    long_string.str("onMetaData").object().key("bravo_atc").long_str("true").end();
    EXPECT_FALSE(atc(long_string));
    Amf other_key;
    other_key.str("onMetaData").object().key("bravo_atc_").str("true").key("Bravo_atc").str("true").end();
    EXPECT_FALSE(atc(other_key));
}

TEST(Metadata, AbsentOrNoProperties) {
    Amf absent;
    absent.str("onMetaData").ecma(0).key("width").number(640).end();
    EXPECT_FALSE(atc(absent));
    Amf name_only;
    name_only.str("onMetaData");
    EXPECT_FALSE(atc(name_only));
    Amf empty_ecma;
    empty_ecma.str("onMetaData").ecma(0).end();
    EXPECT_FALSE(atc(empty_ecma));
    // A value that holds no properties: strict array, null, typed object.
    Amf strict;
    strict.str("onMetaData").strict(2).str("bravo_atc").str("true");
    EXPECT_FALSE(atc(strict));
    Amf null_value;
    null_value.str("onMetaData").marker(0x05);
    EXPECT_FALSE(atc(null_value));
    Amf typed;
    typed.str("onMetaData").marker(0x10).raw_utf8("Meta").key("bravo_atc").str("true").end();
    EXPECT_FALSE(atc(typed));
}

TEST(Metadata, LastDuplicateWins) {
    Amf true_last;
    true_last.str("onMetaData").ecma(2).key("bravo_atc").str("false").key("bravo_atc").str("true").end();
    EXPECT_TRUE(atc(true_last));
    Amf false_last;
    false_last.str("onMetaData").ecma(2).key("bravo_atc").str("true").key("bravo_atc").str("false").end();
    EXPECT_FALSE(atc(false_last));
    Amf non_string_last;
    non_string_last.str("onMetaData").ecma(2).key("bravo_atc").str("true").key("bravo_atc").boolean(true).end();
    EXPECT_FALSE(atc(non_string_last));
}

TEST(Metadata, NestedKeysDoNotCount) {
    Amf nested;
    nested.str("onMetaData").ecma(1).key("custom").object().key("bravo_atc").str("true").end().end();
    EXPECT_FALSE(atc(nested));
}

TEST(Metadata, SkipsEveryValueTypeBeforeTheKey) {
    Amf a;
    a.str("onMetaData").ecma(0);
    a.key("n").number(1.5);
    a.key("b").boolean(false);
    a.key("s").str("text");
    a.key("ls").long_str("long text");
    a.key("null").marker(0x05);
    a.key("undef").marker(0x06);
    a.key("unsupported").marker(0x0D);
    a.key("ref").marker(0x07).u16(3);
    a.key("date").marker(0x0B).f64(1.7e12).u16(0);
    a.key("xml").marker(0x0F).u32(7);
    for (char c : std::string_view("<a></a>")) {
        a.marker(static_cast<std::uint8_t>(c));
    }
    a.key("typed").marker(0x10).raw_utf8("Cls").key("bravo_atc").str("false").end();
    a.key("obj").object().key("inner").object().key("x").number(0).end().end();
    a.key("arr").strict(3).number(1).str("bravo_atc").object().end();
    a.key("ecma").ecma(99).key("k").str("v").end();
    a.key("").str("empty keys are keys");
    a.key("bravo_atc").str("true");
    a.key("after").strict(0);
    a.end();
    EXPECT_TRUE(atc(a));
    EXPECT_EQ(metadata_string_property(a.bytes(), "s"), "text");
    EXPECT_EQ(metadata_string_property(a.bytes(), ""), "empty keys are keys");
    EXPECT_FALSE(metadata_string_property(a.bytes(), "n").has_value());
    EXPECT_FALSE(metadata_string_property(a.bytes(), "x").has_value());
}

TEST(Metadata, EcmaArrayMayEndWithTheInputButAnObjectMayNot) {
    Amf ecma;
    ecma.str("onMetaData").ecma(1).key("bravo_atc").str("true");
    EXPECT_TRUE(atc(ecma));
    Amf object;
    object.str("onMetaData").object().key("bravo_atc").str("true");
    EXPECT_FALSE(atc(object));
}

TEST(Metadata, BytesAfterTheValueAreIgnored) {
    Amf a = ffmpeg_like("true");
    a.number(1).marker(0xFF);
    EXPECT_TRUE(atc(a));
}

TEST(Metadata, EveryTruncatedObjectIsRejected) {
    Amf a;
    a.str("onMetaData").object();
    a.key("width").number(1280);
    a.key("nested").object().key("x").strict(1).str("y").end();
    a.key("bravo_atc").str("true");
    a.key("tail").long_str("zz");
    a.end();
    const auto& full = a.bytes();
    ASSERT_TRUE(atc(full));
    for (std::size_t n = 0; n < full.size(); ++n) {
        std::vector<std::uint8_t> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_FALSE(atc(prefix)) << "prefix " << n;
    }
}

TEST(Metadata, TruncatedEcmaArrayAnswersOnlyAtPropertyBoundaries) {
    Amf head;
    head.str("onMetaData").ecma(2).key("width").number(1280);
    const std::size_t width_end = head.size();
    head.key("bravo_atc").str("true");
    const std::size_t atc_end = head.size();
    head.end();
    const auto& full = head.bytes();
    for (std::size_t n = 0; n <= full.size(); ++n) {
        std::vector<std::uint8_t> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        // An ECMA array may stop at the end of the input, so the prefix that ends right after
        // bravo_atc's value is a complete metadata; a cut inside a property or the end marker
        // is malformed. (The prefix ending after "width" is well formed but has no bravo_atc.)
        const bool expect = n == atc_end || n == full.size();
        EXPECT_EQ(atc(prefix), expect) << "prefix " << n;
        if (n == width_end) {
            EXPECT_FALSE(metadata_string_property(prefix, "width").has_value());  // a number
        }
    }
}

TEST(Metadata, MalformedInputIsRejected) {
    EXPECT_FALSE(atc(std::vector<std::uint8_t>{}));
    // Name not a short string.
    EXPECT_FALSE(atc(Amf().number(1).ecma(0).key("bravo_atc").str("true").end()));
    EXPECT_FALSE(atc(Amf().long_str("onMetaData").ecma(0).key("bravo_atc").str("true").end()));
    // Name length past the input.
    EXPECT_FALSE(atc(Amf().marker(0x02).u16(200).marker('o')));
    // Value markers that cannot be walked, before the key.
    for (std::uint8_t bad : {std::uint8_t{0x04}, std::uint8_t{0x09}, std::uint8_t{0x0E}, std::uint8_t{0x11},
                             std::uint8_t{0x12}, std::uint8_t{0xFF}}) {
        Amf a;
        a.str("onMetaData").ecma(0).key("x").marker(bad).marker(0).key("bravo_atc").str("true").end();
        EXPECT_FALSE(atc(a)) << int{bad};
    }
    // AMF3 after the key still makes the whole metadata unreadable.
    Amf amf3_after;
    amf3_after.str("onMetaData").object().key("bravo_atc").str("true").key("x").marker(0x11).marker(0x01).end();
    EXPECT_FALSE(atc(amf3_after));
    // Lengths that lie.
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("bravo_atc").marker(0x02).u16(4).marker('t')));
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("s").marker(0x0C).u32(0xFFFFFFFF).marker('x')));
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("x").marker(0x0F).u32(0x7FFFFFFF)));
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("a").strict(0xFFFFFFFF).number(1).end()));
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("k").u16(0xFFFF)));
    // Truncated fixed-size values.
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("n").marker(0x00).u32(0)));
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("d").marker(0x0B).f64(0)));
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("r").marker(0x07).marker(0)));
    EXPECT_FALSE(atc(Amf().str("onMetaData").ecma(0).key("b").marker(0x01)));
    // Truncated ECMA count.
    EXPECT_FALSE(atc(Amf().str("onMetaData").marker(0x08).u16(0)));
    // A malformed non-container value after the name.
    EXPECT_FALSE(atc(Amf().str("onMetaData").strict(5).number(1)));
}

TEST(Metadata, NestingIsBounded) {
    auto nested = [](std::size_t levels) {
        Amf a;
        a.str("onMetaData").ecma(0).key("bravo_atc").str("true").key("deep");
        for (std::size_t i = 0; i < levels; ++i) {
            a.object().key("o");
        }
        a.number(0);
        for (std::size_t i = 0; i < levels; ++i) {
            a.end();
        }
        a.end();
        return a;
    };
    EXPECT_TRUE(atc(nested(10)));
    EXPECT_TRUE(atc(nested(kMetadataMaxDepth - 1)));
    EXPECT_FALSE(atc(nested(kMetadataMaxDepth)));
    EXPECT_FALSE(atc(nested(100000)));  // would overflow the stack if the depth were not bounded

    Amf arrays;
    arrays.str("onMetaData").ecma(0).key("deep");
    for (int i = 0; i < 100000; ++i) {
        arrays.strict(1);
    }
    arrays.number(0);
    EXPECT_FALSE(atc(arrays));
}

TEST(Metadata, RandomAndMutatedInputNeverCrashes) {
    std::mt19937 rng(2024);
    const std::vector<std::uint8_t> base = ffmpeg_like("true").bytes();
    std::size_t still_true = 0;
    for (int i = 0; i < 50000; ++i) {
        std::vector<std::uint8_t> bytes = base;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
        }
        bytes.resize(rng() % (bytes.size() + 1));
        still_true += atc(bytes) ? 1 : 0;
    }
    for (int i = 0; i < 50000; ++i) {
        std::vector<std::uint8_t> bytes(rng() % 64);
        for (auto& b : bytes) {
            b = static_cast<std::uint8_t>(rng() % 20);  // mostly valid markers
        }
        (void)atc(bytes);
        (void)metadata_string_property(bytes, "");
    }
    SUCCEED() << still_true << " mutated payloads still asked for atc";
}

TEST(Metadata, AtcDecisionFollowsSrs) {
    const auto yes = ffmpeg_like("true");
    const auto no = ffmpeg_like("false");
    EXPECT_TRUE(atc_after_metadata(false, true, yes.bytes()));
    EXPECT_FALSE(atc_after_metadata(false, false, yes.bytes()));  // atc_auto off ignores it
    EXPECT_FALSE(atc_after_metadata(false, true, no.bytes()));
    EXPECT_TRUE(atc_after_metadata(true, false, no.bytes()));  // configured atc stays on
    EXPECT_TRUE(atc_after_metadata(true, true, std::vector<std::uint8_t>{0xFF}));
}

}  // namespace
}  // namespace ringcast::media
