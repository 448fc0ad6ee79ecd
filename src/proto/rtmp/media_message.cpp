// Media messages of both RTMP sessions. Aggregate layout: Adobe RTMP spec 1.0 section 7.1.6
// (a sequence of FLV tags, each with its back pointer); @setDataFrame as SRS unwraps it
// (SrsRtmpServer / SrsOnMetaDataPacket).
#include "proto/rtmp/media_message.h"

#include <vector>

#include "core/byte_io.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/amf3.h"

namespace ringcast::proto::rtmp {
namespace {

core::Buffer encoded_buffer(std::span<const Amf0Value> values) {
    auto bytes = encode_amf0(values);
    return core::Buffer::copy_of(std::span<const std::uint8_t>(bytes));
}

}  // namespace

core::Result<MediaMessage> read_data_message(std::uint8_t type_id, std::uint32_t timestamp, const core::Buffer& payload) {
    const bool amf3 = type_id == message_type::amf3_data;
    auto values = amf3 ? read_amf3_message(payload.span()) : read_amf0_all(payload.span());
    if (!values) {
        return core::fail(values.error());
    }
    MediaMessage out;
    out.timestamp = timestamp;
    const std::string* first = values->empty() ? nullptr : values->front().as_string();
    if (first != nullptr && *first == "@setDataFrame") {
        std::span<const Amf0Value> unwrapped(values->data() + 1, values->size() - 1);
        const std::string* second = unwrapped.empty() ? nullptr : unwrapped.front().as_string();
        out.name = second != nullptr ? *second : std::string();
        out.payload = encoded_buffer(unwrapped);
        // FMLE and ffmpeg wrap only onMetaData; SRS decodes whatever is wrapped as onMetaData.
        out.metadata = true;
        return out;
    }
    out.name = first != nullptr ? *first : std::string();
    out.metadata = out.name == "onMetaData";
    out.payload = amf3 ? encoded_buffer(*values) : payload;
    return out;
}

namespace detail {
namespace {

core::Status split_aggregate(const RtmpMessage& msg, MediaCallback on_media) {
    // FLV tags: type(1) size(3) timestamp(3) timestamp_ext(1) stream(3) body previous_tag_size(4).
    core::ByteReader reader(msg.payload.span());
    bool first = true;
    std::int64_t base = 0;
    while (!reader.empty()) {
        std::uint8_t type = 0;
        std::uint8_t ts_ext = 0;
        std::uint32_t size = 0;
        std::uint32_t ts = 0;
        std::uint32_t stream = 0;
        std::span<const std::uint8_t> body;
        if (!reader.read_u8(type) || !reader.read_u24(size) || !reader.read_u24(ts) || !reader.read_u8(ts_ext) ||
            !reader.read_u24(stream) || !reader.read_bytes(size, body) || !reader.skip(4)) {
            return core::fail(core::Errc::protocol, "rtmp: truncated aggregate message");
        }
        const std::int64_t tag_ts = std::int64_t(ts) | std::int64_t(ts_ext) << 24;
        if (first) {
            base = tag_ts;
            first = false;
        }
        const auto timestamp = static_cast<std::uint32_t>(msg.timestamp + (tag_ts - base));
        if (type == message_type::audio || type == message_type::video) {
            MediaMessage media;
            media.kind = static_cast<MediaKind>(type);
            media.timestamp = timestamp;
            media.payload = core::Buffer::copy_of(body);
            RINGCAST_TRY(on_media.call(on_media.ctx, std::move(media)));
        } else if (type == message_type::amf0_data) {
            auto data = read_data_message(type, timestamp, core::Buffer::copy_of(body));
            if (!data) {
                return core::fail(data.error());
            }
            RINGCAST_TRY(on_media.call(on_media.ctx, std::move(*data)));
        }
    }
    return {};
}

}  // namespace

core::Status read_media_message(RtmpMessage&& msg, MediaCallback on_media) {
    switch (msg.type_id) {
    case message_type::audio:
    case message_type::video: {
        MediaMessage media;
        media.kind = static_cast<MediaKind>(msg.type_id);
        media.timestamp = msg.timestamp;
        media.payload = std::move(msg.payload);
        return on_media.call(on_media.ctx, std::move(media));
    }
    case message_type::amf0_data:
    case message_type::amf3_data: {
        auto data = read_data_message(msg.type_id, msg.timestamp, msg.payload);
        if (!data) {
            return core::fail(data.error());
        }
        return on_media.call(on_media.ctx, std::move(*data));
    }
    case message_type::aggregate:
        return split_aggregate(msg, on_media);
    default:
        return {};
    }
}

}  // namespace detail
core::Result<std::vector<Amf0Value>> read_command_message(const RtmpMessage& msg) {
    return msg.type_id == message_type::amf0_command ? read_amf0_all(msg.payload.span())
                                                      : read_amf3_message(msg.payload.span());
}

}  // namespace ringcast::proto::rtmp
