// JSON writer: structure and commas, string escaping round trips through simdjson (quotes,
// backslashes, every control byte, non-ASCII), ill-formed UTF-8 repaired per maximal subpart,
// number forms, and no allocation besides the output string's own growth.
#include "api/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <random>
#include <string>

#include "unit/api/api_test_support.h"

#if defined(__GNUC__) && !defined(__clang__)
// The replacement operators below pair malloc with free; g++ cannot see that they are the pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Counts heap allocations made by this thread while counting is on, to show that rendering
// allocates nothing but the output string's growth. Replacing the global operators is allowed
// in a program ([replacement.functions]); it applies to the whole unit_api binary, harmlessly.
namespace {
thread_local bool counting_allocations = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
    if (counting_allocations) {
        ++allocations;
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
// Every form that pairs with the deletes below (simdjson allocates with new (std::nothrow) and
// new[]): otherwise a sanitizer's own new meets this free, an alloc-dealloc mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    if (counting_allocations) {
        ++allocations;
    }
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace ringcast::api {
namespace {

using test::parse_json;

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

// What simdjson reads back from our literal of `text`.
std::string round_trip(std::string_view text) {
    const std::string literal = json_string(text);
    auto parsed = parse_json(literal);
    EXPECT_EQ(parsed->error, simdjson::SUCCESS) << literal;
    std::string_view value;
    EXPECT_EQ(parsed->root.get(value), simdjson::SUCCESS) << literal;
    return std::string(value);
}

TEST(JsonWriter, CommasBetweenMembersAndElementsAtEveryDepth) {
    std::string out = "x";  // appends, never clears
    JsonWriter w(out);
    w.begin_object();
    w.field("a", 1);
    w.key("list");
    w.begin_array();
    w.integer(1);
    w.begin_object();
    w.end_object();
    w.begin_array();
    w.end_array();
    w.string("s");
    w.null();
    w.boolean(false);
    w.end_array();
    w.key("nested");
    w.begin_object();
    w.field("b", true);
    w.null_field("c");
    w.end_object();
    w.field("d", 0.5);
    w.end_object();
    EXPECT_EQ(out, R"(x{"a":1,"list":[1,{},[],"s",null,false],"nested":{"b":true,"c":null},"d":0.5})");
    EXPECT_EQ(parse_json(out.substr(1))->error, simdjson::SUCCESS);
}

TEST(JsonWriter, EmptyContainersAndTopLevelScalars) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    w.end_array();
    EXPECT_EQ(out, "[]");
    out.clear();
    JsonWriter scalar(out);
    scalar.string("only");
    EXPECT_EQ(out, R"("only")");
}

TEST(JsonWriter, QuotesAndBackslashesAreEscaped) {
    EXPECT_EQ(json_string(R"(a"b\c)"), R"("a\"b\\c")");
    EXPECT_EQ(round_trip(R"(a"b\c)"), R"(a"b\c)");
    EXPECT_EQ(round_trip(R"(\\"")"), R"(\\"")");
    EXPECT_EQ(json_string("/"), R"("/")");  // '/' needs no escape
}

TEST(JsonWriter, EveryControlByteIsEscapedAndRoundTrips) {
    EXPECT_EQ(json_string("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(json_string(std::string_view("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
    std::string all;
    for (int byte = 0; byte < 0x20; ++byte) {
        all.push_back(static_cast<char>(byte));
    }
    all += "\x7f";  // DEL is legal raw in JSON
    const std::string literal = json_string(all);
    for (char c : literal) {
        EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte in " << literal;
    }
    EXPECT_EQ(round_trip(all), all);
}

TEST(JsonWriter, NonAsciiUtf8PassesThroughUnchanged) {
    const std::string text = "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x8E\xA5 \xF4\x8F\xBF\xBF \xEF\xBF\xBF";
    EXPECT_EQ(json_string(text), "\"" + text + "\"");
    EXPECT_EQ(round_trip(text), text);
}

TEST(JsonWriter, LineAndParagraphSeparatorsAreEscapedForJavaScript) {
    const std::string text = "a\xE2\x80\xA8" "b\xE2\x80\xA9" "c\xE2\x80\xAA";  // U+2028, U+2029, U+202A
    EXPECT_EQ(json_string(text), "\"a\\u2028b\\u2029c\xE2\x80\xAA\"");
    EXPECT_EQ(round_trip(text), text);
}

TEST(JsonWriter, IllFormedUtf8BecomesOneReplacementPerMaximalSubpart) {
    const std::string fffd = "\xEF\xBF\xBD";
    struct Case {
        std::string input;
        std::string expected;
    };
    const Case cases[] = {
        {"\x80", fffd},                             // lone continuation byte
        {"a\xBF" "b", "a" + fffd + "b"},
        {"\xC0\xAF", fffd + fffd},                  // overlong '/': C0 never starts a sequence
        {"\xC1\xBF", fffd + fffd},
        {"\xE0\x80\xAF", fffd + fffd + fffd},       // overlong 3-byte: E0 needs A0..BF next
        {"\xED\xA0\x80", fffd + fffd + fffd},       // UTF-16 surrogate D800
        {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // past U+10FFFF
        {"\xF5\x80", fffd + fffd},
        {"\xFF", fffd},
        {"\xE2\x82", fffd},                         // truncated at the end: one subpart
        {"\xE2\x82" "A", fffd + "A"},               // broken by ASCII: resume at the 'A'
        {"\xF0\x9F\x98" "\xF0\x9F\x98\x80", fffd + "\xF0\x9F\x98\x80"},  // then a whole emoji
        {"\xC3", fffd},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(json_string(c.input), "\"" + c.expected + "\"") << testing::PrintToString(c.input);
        EXPECT_EQ(round_trip(c.input), c.expected);
    }
}

TEST(JsonWriter, RandomBytesAlwaysGiveValidJsonAndUtf8) {
    std::mt19937 random(12345);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> length(0, 40);
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        const int size = length(random);
        for (int i = 0; i < size; ++i) {
            text.push_back(static_cast<char>(byte(random)));
        }
        const std::string literal = json_string(text);
        ASSERT_TRUE(simdjson::validate_utf8(literal.data(), literal.size())) << testing::PrintToString(text);
        auto parsed = parse_json(literal);
        ASSERT_EQ(parsed->error, simdjson::SUCCESS) << testing::PrintToString(text);
        if (simdjson::validate_utf8(text.data(), text.size())) {
            std::string_view value;
            ASSERT_EQ(parsed->root.get(value), simdjson::SUCCESS);
            EXPECT_EQ(value, text);  // well-formed input is never altered
        }
    }
}

TEST(JsonWriter, IntegersAtTheirLimits) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    w.integer(std::numeric_limits<std::int64_t>::min());
    w.integer(std::numeric_limits<std::int64_t>::max());
    w.unsigned_integer(std::numeric_limits<std::uint64_t>::max());
    w.integer(0);
    w.end_array();
    EXPECT_EQ(out, "[-9223372036854775808,9223372036854775807,18446744073709551615,0]");
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS);
    std::uint64_t max_unsigned = 0;
    EXPECT_EQ(parsed->root.at(2).get(max_unsigned), simdjson::SUCCESS);
    EXPECT_EQ(max_unsigned, std::numeric_limits<std::uint64_t>::max());
}

TEST(JsonWriter, DoublesAreShortestRoundTripAndAlwaysLookLikeFloats) {
    const auto number = [](double value) {
        std::string out;
        append_json_number(out, value);
        return out;
    };
    EXPECT_EQ(number(0.5), "0.5");
    EXPECT_EQ(number(1), "1.0");
    EXPECT_EQ(number(0), "0.0");
    EXPECT_EQ(number(-0.0), "-0.0");
    EXPECT_EQ(number(12.5), "12.5");
    EXPECT_EQ(number(0.1), "0.1");
    EXPECT_EQ(number(1e21), "1e+21");
    EXPECT_EQ(number(std::nan("")), "null");
    EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(number(-std::numeric_limits<double>::infinity()), "null");
    for (double value : {0.1, 1.0 / 3, 123456.789, 5e-324, 1.7976931348623157e308, -2.5e-7, 3.0}) {
        auto parsed = parse_json(number(value));
        ASSERT_EQ(parsed->error, simdjson::SUCCESS);
        EXPECT_EQ(parsed->root.type(), simdjson::dom::element_type::DOUBLE) << number(value);
        double back = 0;
        ASSERT_EQ(parsed->root.get(back), simdjson::SUCCESS);
        EXPECT_EQ(back, value);
    }
}

TEST(JsonWriter, AllocatesNothingButTheOutputGrowth) {
    std::string out;
    out.reserve(4096);
    const char* const buffer = out.data();
    allocations = 0;
    counting_allocations = true;
    {
        JsonWriter w(out);
        w.begin_object();
        for (int i = 0; i < 20; ++i) {
            w.field("name", "a \"quoted\" \xE2\x80\xA8 \x01 name \xFF");
            w.field("count", std::int64_t{i} * 1000003);
            w.field("ratio", i / 7.0);
            w.field("on", i % 2 == 0);
            w.null_field("none");
        }
        w.end_object();
    }
    counting_allocations = false;
    EXPECT_EQ(allocations, 0u);
    EXPECT_EQ(out.data(), buffer);  // reserved once, never moved
    EXPECT_EQ(parse_json(out)->error, simdjson::SUCCESS);
}

}  // namespace
}  // namespace ringcast::api
