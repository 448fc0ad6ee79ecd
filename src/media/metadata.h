#pragma once
// Reading a published stream's onMetaData without the protocol layer (media does not link
// proto): a small bounded AMF0 walker over the script-data payload as the RTMP session relays
// it. Used for SRS's `atc_auto`: with `atc_auto on`, an encoder that writes
// bravo_atc: "true" into its metadata switches `atc` on for that stream (SRS
// SrsLiveSource::on_meta_data).
//
// Accepted payload (SRS SrsOnMetaDataPacket::decode):
//   AMF0 string name, normally "onMetaData" (not checked: callers pass frames whose
//     flags.metadata is set; the session already unwraps "@setDataFrame", and a still-wrapped
//     "@setDataFrame", "onMetaData", ... payload is accepted too),
//   then one value: an object or an ECMA array holding the properties. Anything else (nothing,
//     a strict array, null, a typed object, AMF3) carries no properties.
// Bytes after that value are ignored, as SRS reads only one.
//
// Never trusts the input: every read is bounds-checked, nesting is limited to kMaxDepth, work is
// linear in the payload size, nothing is allocated, and anything malformed or truncated up to the
// end of the properties value gives "no answer" (nullopt / false), never an assert. Values are
// skipped by the AMF0 spec's layouts (number, boolean, string, long string, XML document, date,
// reference, null, undefined, unsupported, object, typed object, ECMA array, strict array); an
// object must end with the object-end marker, an ECMA array may also end with the input (the
// tolerance of SRS and of proto's decoder). An AMF3 switch (avmplus), a reserved or unknown
// marker, or a stray object-end marker make the payload unreadable here.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ringcast::media {

/// Deepest nesting of objects/arrays walked (the properties value is depth 0); as proto's
/// amf_depth_max.
inline constexpr std::size_t kMetadataMaxDepth = 64;

/// The value of the top-level metadata property `key` when it is an AMF0 (short) string, viewing
/// into `payload`. nullopt when the key is absent, its value is not a string, or the payload is
/// malformed. A key that appears more than once counts by its last occurrence (SRS's
/// SrsAmf0Object::set replaces), so a later non-string value hides an earlier string.
/// Only the top level counts: a key inside a nested object is not a metadata property.
std::optional<std::string_view> metadata_string_property(std::span<const std::uint8_t> payload, std::string_view key);

/// The value of the top-level property `key` when it is an AMF0 number (onMetaData's width,
/// height, framerate...); same rules as metadata_string_property.
std::optional<double> metadata_number_property(std::span<const std::uint8_t> payload, std::string_view key);

/// SRS atc_auto: whether the metadata's "bravo_atc" is the string "true" (exactly: not "TRUE",
/// not the boolean true, as SRS's `prop->is_string() && prop->to_str() == "true"`).
bool metadata_requests_atc(std::span<const std::uint8_t> payload);

/// SRS's decision, made again on every onMetaData of the stream:
///   atc = config atc || (atc_auto && bravo_atc == "true"),
/// so a later metadata without bravo_atc returns the stream to the configured `atc`.
inline bool atc_after_metadata(bool atc, bool atc_auto, std::span<const std::uint8_t> payload) {
    return atc || (atc_auto && metadata_requests_atc(payload));
}

}  // namespace ringcast::media
