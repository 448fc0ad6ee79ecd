#pragma once
// Byte-building helpers shared by the protocol tests: hex("02 0004") + text("live").

#include <cstdint>
#include <string_view>
#include <vector>

namespace ringcast::proto::rtmp::testing {

using Bytes = std::vector<std::uint8_t>;

inline Bytes hex(std::string_view digits) {
    Bytes out;
    auto nibble = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10); };
    int pending = -1;
    for (char c : digits) {
        if (c == ' ') {
            continue;
        }
        if (pending < 0) {
            pending = nibble(c);
        } else {
            out.push_back(static_cast<std::uint8_t>(pending << 4 | nibble(c)));
            pending = -1;
        }
    }
    return out;
}

inline Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace ringcast::proto::rtmp::testing
