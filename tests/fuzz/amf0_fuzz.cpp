// libFuzzer target: the AMF0 and AMF3 decoders must turn any bytes into values or an Error
// (no crash, no read past the input, bounded memory), and whatever decodes must re-encode into
// bytes that decode again and re-encode to the same bytes (encode is a fixed point after one
// decode: ECMA arrays gain their end marker, AMF3 loses references, then nothing changes).
//
// The first byte picks the entry point: 0 = a sequence of AMF0 values (a command or data
// message), 1 = a sequence of AMF3 values on one decoder, 2 = an AMF3 message (type 15/17:
// format byte + AMF0 values with avmplus switches).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/byte_io.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/amf3.h"

namespace {

using ringcast::core::ByteReader;
using ringcast::core::ByteWriter;
using namespace ringcast::proto::rtmp;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// Touch the accessors the command layer uses, so they run on hostile trees too.
void inspect(const Amf0Value& value) {
    (void)value.get("app");
    (void)value.get_number("transactionId");
    (void)value.as_string();
    if (const auto* props = value.properties()) {
        for (const auto& property : *props) {
            inspect(property.value);
        }
    }
    if (const auto* elements = value.elements()) {
        for (const auto& element : *elements) {
            inspect(element);
        }
    }
}

std::vector<std::uint8_t> encode0(const std::vector<Amf0Value>& values) { return encode_amf0(values); }

std::vector<std::uint8_t> encode3(const std::vector<Amf0Value>& values) {
    std::vector<std::uint8_t> bytes;
    ByteWriter out(bytes);
    for (const auto& value : values) {
        write_amf3(out, value);
    }
    return bytes;
}

ringcast::core::Result<std::vector<Amf0Value>> decode3(std::span<const std::uint8_t> bytes) {
    ByteReader in(bytes);
    Amf3Decoder decoder;
    std::vector<Amf0Value> values;
    while (!in.empty()) {
        auto value = decoder.read(in);
        if (!value) {
            return ringcast::core::fail(value.error());
        }
        values.push_back(std::move(*value));
    }
    return values;
}

// AMF3 references can expand a small input into a tree whose reference-free encoding is past a
// size bound (the reference table's copies are charged per nesting level): the re-decode may
// then say too_large, and must say nothing else.
template <class Decoded>
bool redecoded(const Decoded& again) {
    if (again.has_value()) {
        return true;
    }
    check(again.error().code == ringcast::core::Errc::too_large);
    return false;
}

void check_amf0_fixed_point(const std::vector<Amf0Value>& decoded) {
    const auto first = encode0(decoded);
    auto again = read_amf0_all(first);
    if (redecoded(again)) {
        check(encode0(*again) == first);
    }
}

void check_amf3_fixed_point(const std::vector<Amf0Value>& decoded) {
    const auto first = encode3(decoded);
    auto again = decode3(first);
    if (redecoded(again)) {
        check(encode3(*again) == first);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::span<const std::uint8_t> payload(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0: {
        auto values = read_amf0_all(payload);
        if (values) {
            for (const auto& value : *values) {
                inspect(value);
            }
            check_amf0_fixed_point(*values);
        }
        // One value at a time too, as a caller that reads only the command name would.
        ByteReader in(payload);
        while (!in.empty()) {
            const std::size_t before = in.remaining();
            auto value = read_amf0(in);
            check(in.remaining() <= before);
            if (!value) {
                break;
            }
        }
        break;
    }
    case 1: {
        auto values = decode3(payload);
        if (values) {
            for (const auto& value : *values) {
                inspect(value);
            }
            check_amf3_fixed_point(*values);
            check_amf0_fixed_point(*values);
        }
        break;
    }
    default: {
        auto values = read_amf3_message(payload);
        if (values) {
            check_amf0_fixed_point(*values);
        }
        break;
    }
    }
    return 0;
}
