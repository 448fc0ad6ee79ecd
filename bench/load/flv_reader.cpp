#include "load/flv_reader.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>

#include "media/flv.h"
#include "media/frame.h"

namespace ringcast::load {
namespace {

constexpr std::uint8_t kTagAudio = 8;
constexpr std::uint8_t kTagVideo = 9;
constexpr std::uint8_t kTagScript = 18;
constexpr std::size_t kFileSizeMax = 512u * 1024 * 1024;
constexpr std::uint32_t kDefaultFrameMs = 40;

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

    out = {};
    bool have_first = false;
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    // The same reader HTTP-FLV players use. A truncated last tag (a recording cut short) is
    // never handed out, which ends the file rather than failing it.
    media::FlvTagReader reader;
    auto status = reader.feed(bytes, [&](const media::FlvTagView& view) {
        if (view.payload.empty()) {
            return;
        }
        if (!have_first) {
            first = view.timestamp_ms;
            have_first = true;
        }
        const std::uint32_t relative = view.timestamp_ms >= first ? view.timestamp_ms - first : 0;
        last = std::max(last, relative);
        const auto type = static_cast<std::uint8_t>(view.kind);
        const media::MediaFrame frame = media::classify(view.kind, relative, core::Buffer::copy_of(view.payload));
        FlvTag tag;
        tag.type = type;
        tag.timestamp = relative;
        tag.config = type == kTagScript || frame.flags.sequence_header;
        tag.payload = type == kTagScript ? set_data_frame(view.payload) : frame.payload;
        if (type == kTagVideo && tag.config && frame.codec == media::Codec::h264 && view.payload.size() > 9) {
            // AVCDecoderConfigurationRecord byte 4 (after the 5-byte FLV AVC header).
            out.nal_length_size = static_cast<std::uint8_t>((view.payload[5 + 4] & 0x03) + 1);
        }
        out.tags.push_back(std::move(tag));
    });
    if (!status || !reader.header_done()) {
        error = path + ": not an FLV file" + (status ? std::string() : " (" + std::string(status.error().describe()) + ")");
        return false;
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
