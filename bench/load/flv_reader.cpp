#include "load/flv_reader.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>

#include "core/byte_io.h"

namespace ringcast::load {
namespace {

constexpr std::uint8_t kTagAudio = 8;
constexpr std::uint8_t kTagVideo = 9;
constexpr std::uint8_t kTagScript = 18;
constexpr std::size_t kFileSizeMax = 512u * 1024 * 1024;
constexpr std::uint32_t kDefaultFrameMs = 40;

bool is_sequence_header(std::uint8_t type, std::span<const std::uint8_t> data) {
    if (data.size() < 2) {
        return false;
    }
    if (type == kTagVideo) {
        if (data[0] & 0x80) {  // enhanced RTMP: packet type 0 is the sequence start
            return (data[0] & 0x0f) == 0;
        }
        const std::uint8_t codec = data[0] & 0x0f;
        return (codec == 7 || codec == 12) && data[1] == 0;
    }
    if (type == kTagAudio) {
        return (data[0] >> 4) == 10 && data[1] == 0;  // AAC sequence header
    }
    return false;
}

/// ffmpeg publishes onMetaData as "@setDataFrame" + the script tag's values; nginx-rtmp keeps
/// metadata only in that form.
core::Buffer set_data_frame(std::span<const std::uint8_t> script) {
    static constexpr std::uint8_t kPrefix[] = {0x02, 0x00, 0x0d, '@', 's', 'e', 't', 'D', 'a',
                                               't',  'a',  'F',  'r', 'a', 'm', 'e'};
    core::MutableBuffer out = core::MutableBuffer::allocate(sizeof kPrefix + script.size());
    (void)out.append(kPrefix);
    (void)out.append(script);
    return std::move(out).freeze();
}

/// The smallest positive step between consecutive timestamps of one type: the frame interval.
std::uint32_t frame_interval(const std::vector<FlvTag>& tags, std::uint8_t type) {
    std::uint32_t best = std::numeric_limits<std::uint32_t>::max();
    bool have_last = false;
    std::uint32_t last = 0;
    for (const FlvTag& tag : tags) {
        if (tag.type != type || tag.config) {
            continue;
        }
        if (have_last && tag.timestamp > last) {
            best = std::min(best, tag.timestamp - last);
        }
        last = tag.timestamp;
        have_last = true;
    }
    return best;
}

}  // namespace

bool read_flv(const std::string& path, FlvFile& out, std::string& error) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        error = "cannot open " + path;
        return false;
    }
    std::vector<std::uint8_t> bytes;
    file.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(std::max<std::streamoff>(file.tellg(), 0));
    if (size > kFileSizeMax) {
        error = path + ": larger than 512 MiB";
        return false;
    }
    file.seekg(0);
    bytes.resize(size);
    file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    if (!file) {
        error = "cannot read " + path;
        return false;
    }

    core::ByteReader in(bytes);
    std::string_view signature;
    std::uint8_t version = 0;
    std::uint8_t flags = 0;
    std::uint32_t header_size = 0;
    if (!in.read_string(3, signature) || signature != "FLV" || !in.read_u8(version) || !in.read_u8(flags) ||
        !in.read_u32(header_size) || header_size < 9 || !in.skip(header_size - 9) || !in.skip(4)) {
        error = path + ": not an FLV file";
        return false;
    }
    out = {};
    bool have_first = false;
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    while (!in.empty()) {
        std::uint8_t type = 0;
        std::uint32_t data_size = 0;
        std::uint32_t ts_low = 0;
        std::uint8_t ts_high = 0;
        std::span<const std::uint8_t> data;
        // A truncated last tag (a recording cut short) ends the file rather than failing it.
        if (!in.read_u8(type) || !in.read_u24(data_size) || !in.read_u24(ts_low) || !in.read_u8(ts_high) ||
            !in.skip(3) || !in.read_bytes(data_size, data) || !in.skip(4)) {
            break;
        }
        type &= 0x1f;  // the filter bit (encrypted FLV) is not ours to handle
        if ((type != kTagAudio && type != kTagVideo && type != kTagScript) || data.empty()) {
            continue;
        }
        const std::uint32_t timestamp = std::uint32_t{ts_high} << 24 | ts_low;
        if (!have_first) {
            first = timestamp;
            have_first = true;
        }
        const std::uint32_t relative = timestamp >= first ? timestamp - first : 0;
        last = std::max(last, relative);
        FlvTag tag;
        tag.type = type;
        tag.timestamp = relative;
        tag.config = type == kTagScript || is_sequence_header(type, data);
        tag.payload = type == kTagScript ? set_data_frame(data) : core::Buffer::copy_of(data);
        if (type == kTagVideo && tag.config && (data[0] & 0x0f) == 7 && data.size() > 9) {
            // AVCDecoderConfigurationRecord byte 4 (after the 5-byte FLV AVC header).
            out.nal_length_size = static_cast<std::uint8_t>((data[5 + 4] & 0x03) + 1);
        }
        out.tags.push_back(std::move(tag));
    }
    if (std::none_of(out.tags.begin(), out.tags.end(), [](const FlvTag& t) { return !t.config; })) {
        error = path + ": no audio or video frames";
        return false;
    }
    std::uint32_t frame = frame_interval(out.tags, kTagVideo);
    if (frame == std::numeric_limits<std::uint32_t>::max()) {
        frame = frame_interval(out.tags, kTagAudio);
    }
    if (frame == std::numeric_limits<std::uint32_t>::max()) {
        frame = kDefaultFrameMs;
    }
    out.loop_ms = last + frame;
    return true;
}

}  // namespace ringcast::load
