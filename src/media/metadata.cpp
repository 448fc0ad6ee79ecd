// AMF0 layouts: "AMF 0 File Format Specification" (Adobe, 2006) section 2. What counts as the
// metadata and which duplicate wins: SRS SrsOnMetaDataPacket::decode and SrsUnSortedHashtable::set,
// paraphrased. See metadata.h.
#include "media/metadata.h"

#include "core/byte_io.h"

namespace ringcast::media {

namespace {

// AMF0 type markers (spec section 2.1).
enum Marker : std::uint8_t {
    kNumber = 0x00,
    kBoolean = 0x01,
    kString = 0x02,
    kObject = 0x03,
    kMovieclip = 0x04,  // reserved
    kNull = 0x05,
    kUndefined = 0x06,
    kReference = 0x07,
    kEcmaArray = 0x08,
    kObjectEnd = 0x09,
    kStrictArray = 0x0A,
    kDate = 0x0B,
    kLongString = 0x0C,
    kUnsupported = 0x0D,
    kRecordset = 0x0E,  // reserved
    kXmlDocument = 0x0F,
    kTypedObject = 0x10,
    kAvmplus = 0x11,  // switch to AMF3
};

constexpr std::string_view kSetDataFrame = "@setDataFrame";

class Walker {
public:
    explicit Walker(std::span<const std::uint8_t> payload) : in_(payload) {}

    /// The name string(s), then the properties value; looks up `key` at its top level.
    /// Returns false when the payload is malformed; `found` is then meaningless.
    /// The last top-level value of the key, when it is a string or a number.
    struct Found {
        std::optional<std::string_view> text;
        std::optional<double> number;
    };

    bool find(std::string_view key, Found& found) {
        found = {};
        std::string_view name;
        if (!marked_string(name)) {
            return false;
        }
        if (name == kSetDataFrame && !marked_string(name)) {
            return false;
        }
        std::uint8_t marker = 0;
        if (!in_.read_u8(marker)) {
            return true;  // SRS allows a metadata with no body: no properties
        }
        switch (marker) {
        case kObject: return properties(0, false, key, &found);
        case kEcmaArray: return in_.skip(4) && properties(0, true, key, &found);
        default:
            // Not a property container: SRS keeps an empty metadata object. Still check that
            // the value itself is well formed, so malformed input never answers.
            return value_after_marker(marker, 0);
        }
    }

private:
    bool marked_string(std::string_view& out) {
        std::uint8_t marker = 0;
        return in_.read_u8(marker) && marker == kString && utf8(out);
    }

    bool utf8(std::string_view& out) {
        std::uint16_t length = 0;
        return in_.read_u16(length) && in_.read_string(length, out);
    }

    bool skip_long() {
        std::uint32_t length = 0;
        return in_.read_u32(length) && in_.skip(length);
    }

    bool at_object_end() const {
        const auto rest = in_.rest();
        return rest.size() >= 3 && rest[0] == 0 && rest[1] == 0 && rest[2] == kObjectEnd;
    }

    // Key/value pairs up to and including the object-end marker (or, when end_optional, the end
    // of the input). With `found` set, this is the top level: remember the last `key`.
    bool properties(std::size_t depth, bool end_optional, std::string_view key,
                    Found* found) {
        if (depth >= kMetadataMaxDepth) {
            return false;
        }
        for (;;) {
            if (end_optional && in_.empty()) {
                return true;
            }
            if (at_object_end()) {
                return in_.skip(3);
            }
            std::string_view name;
            std::uint8_t marker = 0;
            if (!utf8(name) || !in_.read_u8(marker)) {
                return false;
            }
            if (found != nullptr && name == key) {
                *found = {};  // a later value replaces an earlier one, whatever its type
                if (marker == kString) {
                    std::string_view text;
                    if (!utf8(text)) {
                        return false;
                    }
                    found->text = text;
                    continue;
                }
                if (marker == kNumber) {
                    double number = 0;
                    if (!in_.read_f64(number)) {
                        return false;
                    }
                    found->number = number;
                    continue;
                }
            }
            if (!value_after_marker(marker, depth + 1)) {
                return false;
            }
        }
    }

    bool value(std::size_t depth) {
        std::uint8_t marker = 0;
        return in_.read_u8(marker) && value_after_marker(marker, depth);
    }

    bool value_after_marker(std::uint8_t marker, std::size_t depth) {
        std::string_view ignored;
        switch (marker) {
        case kNumber: return in_.skip(8);
        case kBoolean: return in_.skip(1);
        case kString: return utf8(ignored);
        case kLongString:
        case kXmlDocument: return skip_long();
        case kNull:
        case kUndefined:
        case kUnsupported: return true;
        case kReference: return in_.skip(2);
        case kDate: return in_.skip(8 + 2);  // epoch ms (double) + time zone (s16)
        case kObject: return properties(depth, false, {}, nullptr);
        case kTypedObject: return utf8(ignored) && properties(depth, false, {}, nullptr);
        case kEcmaArray: return in_.skip(4) && properties(depth, true, {}, nullptr);
        case kStrictArray: return strict_array(depth);
        case kObjectEnd:    // only valid as the end of an object
        case kMovieclip:    // reserved
        case kRecordset:    // reserved
        case kAvmplus:      // AMF3 is not read here
        default: return false;
        }
    }

    bool strict_array(std::size_t depth) {
        if (depth >= kMetadataMaxDepth) {
            return false;
        }
        std::uint32_t count = 0;
        if (!in_.read_u32(count)) {
            return false;
        }
        // Every element takes at least its marker byte: a larger count is a lie, and checking it
        // first keeps the loop bounded by the input, not by the peer's number.
        if (count > in_.remaining()) {
            return false;
        }
        for (std::uint32_t i = 0; i < count; ++i) {
            if (!value(depth + 1)) {
                return false;
            }
        }
        return true;
    }

    core::ByteReader in_;
};

}  // namespace

std::optional<std::string_view> metadata_string_property(std::span<const std::uint8_t> payload, std::string_view key) {
    Walker::Found found;
    Walker walker(payload);
    if (!walker.find(key, found)) {
        return std::nullopt;
    }
    return found.text;
}

std::optional<double> metadata_number_property(std::span<const std::uint8_t> payload, std::string_view key) {
    Walker::Found found;
    Walker walker(payload);
    if (!walker.find(key, found)) {
        return std::nullopt;
    }
    return found.number;
}

bool metadata_requests_atc(std::span<const std::uint8_t> payload) {
    const auto value = metadata_string_property(payload, "bravo_atc");
    return value.has_value() && *value == "true";
}

}  // namespace ringcast::media
