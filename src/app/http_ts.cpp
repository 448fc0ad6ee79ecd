#include "app/http_ts.h"

#include <fmt/format.h>

#include <iterator>

namespace ringcast::app {

std::string_view http_remux_content_type(media::HttpRemuxFormat format) {
    switch (format) {
    case media::HttpRemuxFormat::ts: return "video/MP2T";
    case media::HttpRemuxFormat::aac: return "audio/aac";
    case media::HttpRemuxFormat::mp3: return "audio/mpeg";
    case media::HttpRemuxFormat::flv: break;
    }
    return "video/x-flv";
}

namespace {

media::TsMuxerOptions http_ts_options() {
    media::TsMuxerOptions options;
    // Players join the shared stream at keyframes: each must find PAT and PMT right there.
    options.tables_before_keyframes = true;
    return options;
}

}  // namespace

HttpRemuxEncoder::HttpRemuxEncoder(media::HttpRemuxFormat format) : format_(format) {
    if (format_ == media::HttpRemuxFormat::ts) {
        ts_.emplace(http_ts_options());
    }
}

void HttpRemuxEncoder::encode(media::MediaFrame& frame) {
    frame.http_remux_chunk = {};
    frame.http_remux_body_offset = 0;
    frame.http_remux_body_bytes = 0;
    frame.http_remux_format = format_;
    switch (format_) {
    case media::HttpRemuxFormat::ts: encode_ts(frame); break;
    case media::HttpRemuxFormat::aac: encode_aac(frame); break;
    case media::HttpRemuxFormat::mp3: encode_mp3(frame); break;
    case media::HttpRemuxFormat::flv: frame.http_remux_format = media::HttpRemuxFormat::flv; break;
    }
}

void HttpRemuxEncoder::encode_ts(media::MediaFrame& frame) {
    if (!frame.is_audio() && !frame.is_video()) {
        return;  // metadata has no place in the TS program
    }
    ts_out_.clear();
    if (frame.is_audio() && ts_->video_stream_type() == media::TsStreamType::none &&
        ts_->audio_stream_type() != media::TsStreamType::none &&
        (!audio_only_tables_ms_ || frame.timestamp_ms < *audio_only_tables_ms_ ||
         frame.timestamp_ms - *audio_only_tables_ms_ >= kAudioOnlyTablesIntervalMs)) {
        ts_->write_tables(ts_out_);
        audio_only_tables_ms_ = frame.timestamp_ms;
    }
    auto outcome = ts_->mux(frame, ts_out_);
    if (!outcome) {
        // Nothing was appended for the frame and the muxer's state is unchanged (ts_muxer.h):
        // players miss this frame, as a decoder would have.
        ++stats_.failed_frames;
    } else if (*outcome == media::TsMuxOutcome::unsupported_codec) {
        ++stats_.failed_frames;
    }
    if (!ts_out_.empty()) {
        set_chunk(frame, {}, ts_out_);
    }
}

void HttpRemuxEncoder::encode_aac(media::MediaFrame& frame) {
    if (!frame.is_audio()) {
        return;
    }
    auto view = media::parse_audio_tag(frame.payload.span());
    if (!view || view->codec != media::Codec::aac) {
        ++stats_.failed_frames;
        return;
    }
    if (view->sequence_header) {
        auto config = media::parse_aac_audio_specific_config(view->data);
        // A configuration ADTS cannot state (or a broken one) stops the frames that follow,
        // rather than framing them with the previous one.
        aac_configured_ = config && media::make_adts_header(*config, 0).has_value();
        if (aac_configured_) {
            aac_ = *config;
        } else {
            ++stats_.failed_frames;
        }
        return;
    }
    if (!view->coded_frame || view->data.empty() || !aac_configured_) {
        return;
    }
    auto adts = media::make_adts_header(aac_, view->data.size());
    if (!adts) {
        ++stats_.failed_frames;  // over ADTS's 8191 bytes
        return;
    }
    set_chunk(frame, *adts, view->data);
}

void HttpRemuxEncoder::encode_mp3(media::MediaFrame& frame) {
    if (!frame.is_audio()) {
        return;
    }
    auto view = media::parse_audio_tag(frame.payload.span());
    if (!view || view->codec != media::Codec::mp3) {
        ++stats_.failed_frames;
        return;
    }
    if (view->coded_frame && !view->data.empty()) {
        set_chunk(frame, {}, view->data);  // MP3 frames carry their own headers
    }
}

core::Buffer HttpRemuxEncoder::flush(std::uint32_t& body_offset, std::uint32_t& body_bytes) {
    if (!ts_ || !ts_->has_held_audio()) {
        return {};
    }
    ts_out_.clear();
    ts_->flush(ts_out_);
    return make_chunk({}, ts_out_, body_offset, body_bytes);
}

void HttpRemuxEncoder::set_chunk(media::MediaFrame& frame, std::span<const std::uint8_t> head,
                                 std::span<const std::uint8_t> body) {
    frame.http_remux_chunk = make_chunk(head, body, frame.http_remux_body_offset, frame.http_remux_body_bytes);
}

core::Buffer HttpRemuxEncoder::make_chunk(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body,
                                          std::uint32_t& body_offset, std::uint32_t& body_bytes) {
    const std::size_t bytes = head.size() + body.size();
    if (bytes == 0) {
        return {};
    }
    fmt::memory_buffer size_line;
    fmt::format_to(std::back_inserter(size_line), "{:x}\r\n", bytes);
    static constexpr std::uint8_t kChunkEnd[] = {'\r', '\n'};
    core::MutableBuffer chunk = core::MutableBuffer::allocate(size_line.size() + bytes + sizeof kChunkEnd);
    const bool fits = chunk.append({reinterpret_cast<const std::uint8_t*>(size_line.data()), size_line.size()}) &&
                      chunk.append(head) && chunk.append(body) && chunk.append(kChunkEnd);
    if (!fits) {
        ++stats_.failed_frames;  // past the allocator's largest block: players skip it
        return {};
    }
    body_offset = static_cast<std::uint32_t>(size_line.size());
    body_bytes = static_cast<std::uint32_t>(bytes);
    ++stats_.chunks;
    return std::move(chunk).freeze();
}

}  // namespace ringcast::app
