// Layouts: "Video File Format Specification" v10.1, annex E.2 (FLV header) and E.3 (FLV file
// body, FLVTAG). What SRS's HTTP-FLV sends first: SrsFlvTransmuxer::write_header (header with
// both flags set, then PreviousTagSize0), paraphrased. See flv.h.
#include "media/flv.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace ringcast::media {
namespace {

using core::Errc;

constexpr std::uint8_t kFlagAudio = 0x04;
constexpr std::uint8_t kFlagVideo = 0x01;
// Past this, a buffer that assembled one large split tag is given back rather than kept for
// the rest of the connection; a 2 Mbps stream's keyframes stay under it.
constexpr std::size_t kPartialKeepMax = 256 * 1024;

void put_u24(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 16);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p[2] = static_cast<std::uint8_t>(v);
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    put_u24(p + 1, v);
}

std::uint32_t get_u24(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 16 | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]};
}

std::uint32_t get_u32(const std::uint8_t* p) { return std::uint32_t{p[0]} << 24 | get_u24(p + 1); }

bool known_tag_type(std::uint8_t type) {
    return type == static_cast<std::uint8_t>(FrameKind::audio) || type == static_cast<std::uint8_t>(FrameKind::video) ||
           type == static_cast<std::uint8_t>(FrameKind::data);
}

}  // namespace

core::Buffer flv_file_header(bool has_audio, bool has_video) {
    std::uint8_t bytes[kFlvFileHeaderSize] = {'F', 'L', 'V', 1, 0, 0, 0, 0, kFlvHeaderSize, 0, 0, 0, 0};
    bytes[4] = static_cast<std::uint8_t>((has_audio ? kFlagAudio : 0) | (has_video ? kFlagVideo : 0));
    return core::Buffer::copy_of(std::span<const std::uint8_t>(bytes));
}

core::Result<core::Buffer> encode_flv_tag(const MediaFrame& frame) { return encode_flv_tag(frame, {}, {}); }

core::Result<core::Buffer> encode_flv_tag(const MediaFrame& frame, std::span<const std::uint8_t> before,
                                          std::span<const std::uint8_t> after) {
    const std::size_t size = frame.payload.size();
    if (size > kFlvDataSizeMax) {
        return core::fail(Errc::too_large, "flv: frame larger than a tag's 24-bit DataSize");
    }
    const std::size_t total = before.size() + kFlvTagHeaderSize + size + kFlvPreviousTagSizeSize + after.size();
    std::uint8_t header[kFlvTagHeaderSize] = {};
    header[0] = static_cast<std::uint8_t>(frame.kind);
    put_u24(header + 1, static_cast<std::uint32_t>(size));
    put_u24(header + 4, frame.timestamp_ms & 0xFFFFFF);
    header[7] = static_cast<std::uint8_t>(frame.timestamp_ms >> 24);  // TimestampExtended; StreamID stays 0
    std::uint8_t trailer[kFlvPreviousTagSizeSize];
    put_u32(trailer, static_cast<std::uint32_t>(kFlvTagHeaderSize + size));
    // allocate() gives at least `total` bytes, so the appends cannot fail.
    core::MutableBuffer tag = core::MutableBuffer::allocate(total);
    (void)tag.append(before);
    (void)tag.append(header);
    (void)tag.append(frame.payload.span());
    (void)tag.append(trailer);
    (void)tag.append(after);
    return std::move(tag).freeze();
}

core::Status FlvTagReader::fail(core::Error error) {
    failed_ = true;
    error_ = error;
    return core::Unexpected{error};
}

core::Status FlvTagReader::finish() const {
    if (failed_) {
        return core::Unexpected{error_};
    }
    if (state_ == State::tag_header && stash_size_ == 0) {
        return {};
    }
    if (state_ == State::tag_header || state_ == State::tag_body) {
        return core::fail(Errc::protocol, "flv: input ended inside a tag");
    }
    return core::fail(Errc::protocol, "flv: input ended inside the file header");
}

bool FlvTagReader::gather(std::span<const std::uint8_t>& bytes, std::size_t n) {
    const std::size_t take = std::min(n - stash_size_, bytes.size());
    std::memcpy(stash_.data() + stash_size_, bytes.data(), take);
    stash_size_ += take;
    bytes = bytes.subspan(take);
    if (stash_size_ < n) {
        return false;
    }
    stash_size_ = 0;  // the bytes stay in stash_ for the caller to parse
    return true;
}

core::Status FlvTagReader::parse_file_header() {
    if (stash_[0] != 'F' || stash_[1] != 'L' || stash_[2] != 'V') {
        return core::fail(Errc::protocol, "flv: bad signature");
    }
    // The version byte is not checked: SRS and ffmpeg accept any, and nothing below depends on it.
    has_audio_ = (stash_[4] & kFlagAudio) != 0;
    has_video_ = (stash_[4] & kFlagVideo) != 0;
    const std::uint32_t data_offset = get_u32(stash_.data() + 5);
    if (data_offset < kFlvHeaderSize) {
        return core::fail(Errc::protocol, "flv: DataOffset shorter than the header");
    }
    skip_left_ = data_offset - static_cast<std::uint32_t>(kFlvHeaderSize);
    state_ = skip_left_ != 0 ? State::header_extra : State::first_size;
    return {};
}

core::Status FlvTagReader::parse_tag_header() {
    tag_type_ = stash_[0];
    data_size_ = get_u24(stash_.data() + 1);
    timestamp_ = get_u24(stash_.data() + 4) | std::uint32_t{stash_[7]} << 24;
    if (data_size_ > limits_.tag_size_max) {
        return core::fail(Errc::too_large, "flv: tag larger than the reader's limit");
    }
    state_ = State::tag_body;
    return {};
}

core::Status FlvTagReader::end_tag(std::span<const std::uint8_t> payload, std::span<const std::uint8_t, 4> trailer,
                                   TagCallback on_tag) {
    if (get_u32(trailer.data()) != kFlvTagHeaderSize + data_size_) {
        return core::fail(Errc::protocol, "flv: PreviousTagSize does not match the tag");
    }
    state_ = State::tag_header;
    if (!known_tag_type(tag_type_)) {
        ++tags_skipped_;
        return {};
    }
    ++tags_read_;
    return on_tag.call(on_tag.ctx, FlvTagView{static_cast<FrameKind>(tag_type_), timestamp_, payload});
}

core::Status FlvTagReader::feed_impl(std::span<const std::uint8_t> bytes, TagCallback on_tag) {
    if (failed_) {
        return core::Unexpected{error_};
    }
    if (in_feed_) {
        return fail(core::Error::make(Errc::invalid, "flv: tag reader fed from its own callback"));
    }
    bytes_fed_ += bytes.size();
    in_feed_ = true;
    core::Status status;
    while (status && !bytes.empty()) {
        switch (state_) {
        case State::file_header:
            if (gather(bytes, kFlvHeaderSize)) {
                status = parse_file_header();
            }
            break;
        case State::header_extra: {
            const auto skip = static_cast<std::uint32_t>(std::min<std::size_t>(skip_left_, bytes.size()));
            bytes = bytes.subspan(skip);
            skip_left_ -= skip;
            if (skip_left_ == 0) {
                state_ = State::first_size;
            }
            break;
        }
        case State::first_size:
            if (gather(bytes, kFlvPreviousTagSizeSize)) {
                if (get_u32(stash_.data()) != 0) {
                    status = core::fail(Errc::protocol, "flv: PreviousTagSize0 is not 0");
                } else {
                    state_ = State::tag_header;
                }
            }
            break;
        case State::tag_header:
            if (gather(bytes, kFlvTagHeaderSize)) {
                status = parse_tag_header();
            }
            break;
        case State::tag_body: {
            const std::size_t need = std::size_t{data_size_} + kFlvPreviousTagSizeSize;
            if (partial_.empty() && bytes.size() >= need) {
                // The common case: the whole tag is in this piece, so hand out a view of it.
                const auto tag = bytes.first(need);
                bytes = bytes.subspan(need);
                status = end_tag(tag.first(data_size_), tag.subspan(data_size_).first<4>(), on_tag);
                break;
            }
            const std::size_t take = std::min(need - partial_.size(), bytes.size());
            partial_.insert(partial_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
            bytes = bytes.subspan(take);
            if (partial_.size() == need) {
                const std::span<const std::uint8_t> tag(partial_);
                status = end_tag(tag.first(data_size_), tag.subspan(data_size_).first<4>(), on_tag);
                partial_.clear();
                if (partial_.capacity() > kPartialKeepMax) {
                    std::vector<std::uint8_t>().swap(partial_);
                }
            }
            break;
        }
        }
    }
    in_feed_ = false;
    if (!status) {
        return fail(status.error());
    }
    return {};
}

}  // namespace ringcast::media
