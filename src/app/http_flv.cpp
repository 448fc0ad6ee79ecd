#include "app/http_flv.h"

#include <fmt/format.h>

#include "media/flv.h"

namespace ringcast::app {

void encode_http_flv_chunk(media::MediaFrame& frame) {
    frame.http_flv_chunk = {};
    const std::size_t tag_bytes = media::flv_tag_size(frame.payload.size());
    fmt::memory_buffer size_line;
    fmt::format_to(std::back_inserter(size_line), "{:x}\r\n", tag_bytes);
    static constexpr std::uint8_t kChunkEnd[] = {'\r', '\n'};
    auto chunk = media::encode_flv_tag(
        frame, {reinterpret_cast<const std::uint8_t*>(size_line.data()), size_line.size()}, kChunkEnd);
    if (!chunk) {
        return;  // over 16 MiB: not an FLV tag
    }
    frame.http_flv_tag_offset = static_cast<std::uint32_t>(size_line.size());
    frame.http_flv_tag_bytes = static_cast<std::uint32_t>(tag_bytes);
    frame.http_flv_chunk = std::move(*chunk);
}

}  // namespace ringcast::app
