#pragma once
// Audio, video and data messages as both RTMP sessions hand them to their handlers: the media
// kinds, SRS's chunk stream ids for them, @setDataFrame unwrapping and Aggregate splitting. One
// place, so a publisher into our server and an origin we pull from are read the same way.

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/buffer.h"
#include "core/result.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/message.h"

namespace ringcast::proto::rtmp {

/// The kind of a media message (FLV tag types).
enum class MediaKind : std::uint8_t { audio = 8, video = 9, data = 18 };

/// SRS's chunk stream ids for media: what players expect and shared chunks carry.
inline constexpr std::uint32_t media_csid_video = 6;
inline constexpr std::uint32_t media_csid_audio = 7;
inline constexpr std::uint32_t media_csid_data = 8;
inline std::uint32_t media_csid(MediaKind kind) {
    return kind == MediaKind::audio ? media_csid_audio : kind == MediaKind::video ? media_csid_video : media_csid_data;
}

/// One media message as a handler receives it. Data payloads are always AMF0 (type 18).
struct MediaMessage {
    MediaKind kind = MediaKind::data;
    std::uint32_t timestamp = 0;
    core::Buffer payload;
    bool metadata = false;  // onMetaData, plain or unwrapped from @setDataFrame
    std::string name;       // data: the first value if it is a string ("|RtmpSampleAccess", ...)
};

/// "@setDataFrame" as an AMF0 string: what ffmpeg and FMLE put before onMetaData when publishing.
inline constexpr std::uint8_t set_data_frame_prefix[] = {0x02, 0x00, 0x0D, '@', 's', 'e', 't', 'D',
                                                        'a',  't',  'a',  'F', 'r', 'a', 'm', 'e'};

/// A data message (AMF0 type 18 or AMF3 type 15). "@setDataFrame", ... is unwrapped (as SRS
/// does, so players get a plain onMetaData) and AMF3 re-encoded as AMF0; a plain AMF0 payload
/// is kept by reference. Undecodable AMF is Errc::protocol.
core::Result<MediaMessage> read_data_message(std::uint8_t type_id, std::uint32_t timestamp, const core::Buffer& payload);

/// The values of an AMF0 (type 20) or AMF3 (type 17) command message, as both sessions read
/// them; AMF3 values come back as their AMF0 equivalents.
core::Result<std::vector<Amf0Value>> read_command_message(const RtmpMessage& msg);

namespace detail {
struct MediaCallback {
    void* ctx;
    core::Status (*call)(void*, MediaMessage&&);
};
core::Status read_media_message(RtmpMessage&& msg, MediaCallback on_media);
}  // namespace detail

/// Audio (8), video (9), data (18, 15) or Aggregate (22) message -> the media messages in it,
/// through `on_media(MediaMessage&&) -> core::Status`. Audio and video keep the message's
/// payload. An aggregate's tags are rebased on the aggregate's own timestamp (FMS and Wowza
/// send them to players, FMLE-era encoders to servers); tags of other types inside it are
/// skipped. Other message types give nothing. A truncated aggregate or bad AMF is
/// Errc::protocol; an error from the callback stops and is returned.
template <class OnMedia>
core::Status read_media_message(RtmpMessage&& msg, OnMedia&& on_media) {
    using Fn = std::remove_reference_t<OnMedia>;
    const detail::MediaCallback callback{const_cast<void*>(static_cast<const void*>(&on_media)),
                                         [](void* ctx, MediaMessage&& media) -> core::Status {
                                             return (*static_cast<Fn*>(ctx))(std::move(media));
                                         }};
    return detail::read_media_message(std::move(msg), callback);
}

}  // namespace ringcast::proto::rtmp
