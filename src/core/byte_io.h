#pragma once
// Bounds-checked big-endian reading and writing over spans. Protocol parsers read network input
// through ByteReader: every read says whether the bytes were there, so no parser indexes past
// its input (DESIGN.md section 5: never trust a size from the network).

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace ringcast::core {

/// A cursor over bytes it does not own; the bytes outlive the reader.
class ByteReader {
public:
    explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    [[nodiscard]] std::size_t remaining() const { return bytes_.size() - offset_; }
    [[nodiscard]] std::size_t offset() const { return offset_; }
    [[nodiscard]] bool empty() const { return remaining() == 0; }
    [[nodiscard]] std::span<const std::uint8_t> rest() const { return bytes_.subspan(offset_); }

    /// Each read returns false, consuming nothing, when too few bytes remain.
    bool read_u8(std::uint8_t& out) { return read_be(1, out); }
    bool read_u16(std::uint16_t& out) { return read_be(2, out); }
    bool read_u24(std::uint32_t& out) { return read_be(3, out); }
    bool read_u32(std::uint32_t& out) { return read_be(4, out); }
    bool read_u64(std::uint64_t& out) { return read_be(8, out); }
    bool read_u32_le(std::uint32_t& out) {
        if (remaining() < 4) {
            return false;
        }
        const std::uint8_t* p = bytes_.data() + offset_;
        out = std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
        offset_ += 4;
        return true;
    }
    bool read_f64(double& out) {
        std::uint64_t bits = 0;
        if (!read_u64(bits)) {
            return false;
        }
        std::memcpy(&out, &bits, sizeof out);
        return true;
    }
    bool read_bytes(std::size_t count, std::span<const std::uint8_t>& out) {
        if (remaining() < count) {
            return false;
        }
        out = bytes_.subspan(offset_, count);
        offset_ += count;
        return true;
    }
    bool read_string(std::size_t count, std::string_view& out) {
        std::span<const std::uint8_t> raw;
        if (!read_bytes(count, raw)) {
            return false;
        }
        out = {reinterpret_cast<const char*>(raw.data()), raw.size()};
        return true;
    }
    bool skip(std::size_t count) {
        if (remaining() < count) {
            return false;
        }
        offset_ += count;
        return true;
    }
    bool peek_u8(std::uint8_t& out) const {
        if (remaining() < 1) {
            return false;
        }
        out = bytes_[offset_];
        return true;
    }

private:
    template <class T>
    bool read_be(std::size_t width, T& out) {
        if (remaining() < width) {
            return false;
        }
        T value = 0;
        for (std::size_t i = 0; i < width; ++i) {
            value = static_cast<T>(value << 8 | bytes_[offset_ + i]);
        }
        out = value;
        offset_ += width;
        return true;
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t offset_ = 0;
};

/// Appends big-endian values to a byte vector it does not own (encoders that build small
/// control messages and headers; bulk payloads travel as Buffers, not through here).
class ByteWriter {
public:
    explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v) { be(v, 2); }
    void u24(std::uint32_t v) { be(v, 3); }
    void u32(std::uint32_t v) { be(v, 4); }
    void u64(std::uint64_t v) { be(v, 8); }
    void u32_le(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    }
    void f64(double v) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof v);
        u64(bits);
    }
    void bytes(std::span<const std::uint8_t> v) { out_.insert(out_.end(), v.begin(), v.end()); }
    void string(std::string_view v) { out_.insert(out_.end(), v.begin(), v.end()); }
    [[nodiscard]] std::size_t size() const { return out_.size(); }

private:
    void be(std::uint64_t v, int width) {
        for (int i = width - 1; i >= 0; --i) {
            out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    }

    std::vector<std::uint8_t>& out_;
};

}  // namespace ringcast::core
