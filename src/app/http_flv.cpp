#include "app/http_flv.h"

#include <fmt/format.h>

#include <cstring>

#include "media/flv.h"

namespace ringcast::app {

void encode_http_flv_chunk(media::MediaFrame& frame) {
    frame.http_flv_chunk = {};
    auto tag = media::encode_flv_tag(frame);
    if (!tag) {
        return;
    }
    fmt::memory_buffer size_line;
    fmt::format_to(std::back_inserter(size_line), "{:x}\r\n", tag->size());
    const std::size_t total = size_line.size() + tag->size() + 2;
    core::MutableBuffer chunk = core::MutableBuffer::allocate(total);
    std::uint8_t* out = chunk.data();
    std::memcpy(out, size_line.data(), size_line.size());
    std::memcpy(out + size_line.size(), tag->data(), tag->size());
    std::memcpy(out + size_line.size() + tag->size(), "\r\n", 2);
    chunk.set_size(total);
    frame.http_flv_tag_offset = static_cast<std::uint32_t>(size_line.size());
    frame.http_flv_tag_bytes = static_cast<std::uint32_t>(tag->size());
    frame.http_flv_chunk = std::move(chunk).freeze();
}

}  // namespace ringcast::app
