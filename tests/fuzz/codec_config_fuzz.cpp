// libFuzzer target: the codec configuration parsers (AVC/HEVC records, AudioSpecificConfig, FLV
// video/audio tag headers) and the TS muxer must turn any bytes into values, outcomes or an
// Error: no crash, no read past the input, bounded memory. And whatever the muxer is fed, its
// output stays whole 188-byte packets starting with 0x47, with every PID's continuity counter
// going up by one per packet, and a failed frame appends nothing.
//
// Input: byte 0 holds options; the rest is first given whole to every parser, then cut into
// frames for one muxer session: [control][length hi][length lo][payload...], where control's
// low 2 bits pick audio/video/data, bits 2..5 the timestamp step, bit 6 a write_tables() and
// bit 7 a flush() before the frame.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/buffer.h"
#include "media/codec_config.h"
#include "media/frame.h"
#include "media/ts_muxer.h"

namespace {

using namespace ringcast;
using Bytes = std::vector<std::uint8_t>;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// Valid sequence headers fed first when option bit 0 is set, so coded frames reach the
// Annex B and ADTS paths instead of stopping at waiting_for_config.
const Bytes kAvcSequenceHeader = {0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe1, 0x00,
                                  0x05, 0x67, 0x42, 0xc0, 0x0a, 0xda, 0x01, 0x00, 0x02, 0x68, 0xce};
const Bytes kAacSequenceHeader = {0xaf, 0x00, 0x12, 0x10};

void parse_everything(std::span<const std::uint8_t> bytes) {
    (void)media::parse_avc_decoder_config(bytes);
    if (auto size = media::h264_sps_size(bytes)) {
        check(size->width > 0 && size->height > 0);
    }
    (void)media::parse_hevc_decoder_config(bytes);
    (void)media::parse_video_sequence_header(bytes);
    (void)media::parse_aac_sequence_header(bytes);
    if (auto video = media::parse_video_tag(bytes)) {
        check(video->data.empty() || (video->data.data() >= bytes.data() &&
                                      video->data.data() + video->data.size() <= bytes.data() + bytes.size()));
    }
    if (auto audio = media::parse_audio_tag(bytes)) {
        check(audio->data.empty() || (audio->data.data() >= bytes.data() &&
                                      audio->data.data() + audio->data.size() <= bytes.data() + bytes.size()));
    }
    if (auto asc = media::parse_aac_audio_specific_config(bytes)) {
        if (auto header = media::make_adts_header(*asc, bytes.size())) {
            check((*header)[0] == 0xFF && ((*header)[1] & 0xF0) == 0xF0);
        }
    }
}

/// Whole packets, sync bytes, and per-PID continuity from `from` on (`last_cc` carries on).
void check_packets(const Bytes& out, std::size_t from, std::vector<int>& last_cc) {
    check(out.size() % media::kTsPacketSize == 0);
    for (std::size_t at = from; at < out.size(); at += media::kTsPacketSize) {
        check(out[at] == 0x47);
        const std::size_t pid = static_cast<std::size_t>(out[at + 1] & 0x1F) << 8 | out[at + 2];
        const int cc = out[at + 3] & 0x0F;
        check((out[at + 3] & 0x10) != 0);  // every packet the muxer writes carries payload
        if (last_cc[pid] >= 0) {
            check(cc == ((last_cc[pid] + 1) & 0x0F));
        }
        last_cc[pid] = cc;
    }
}

core::Buffer buffer_of(std::span<const std::uint8_t> bytes) { return core::Buffer::copy_of(bytes); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::uint8_t options_byte = data[0];
    const std::span<const std::uint8_t> input(data + 1, size - 1);
    parse_everything(input);

    media::TsMuxerOptions options;
    options.timestamp_offset_ms = (options_byte & 0x02) ? 0 : 200;
    options.audio_pes_duration_ms_max = (options_byte & 0x04) ? 0 : 100;
    options.audio_pes_bytes_max = (options_byte & 0x08) ? 64 : 4096;
    options.tables_before_keyframes = (options_byte & 0x10) != 0;
    options.video_frame_bytes_max = 64 * 1024;
    media::TsMuxer muxer(options);
    Bytes out;
    std::vector<int> last_cc(0x2000, -1);
    std::uint32_t timestamp_ms = (options_byte & 0x20) ? 0xFFFFFF00u : 0;  // near the 32-bit wrap
    if (options_byte & 0x01) {
        (void)muxer.mux(media::classify(media::FrameKind::video, 0, buffer_of(kAvcSequenceHeader)), out);
        (void)muxer.mux(media::classify(media::FrameKind::audio, 0, buffer_of(kAacSequenceHeader)), out);
        check(out.empty());  // sequence headers append nothing
    }
    std::size_t at = 0;
    while (at + 3 <= input.size()) {
        const std::uint8_t control = input[at];
        const std::size_t length =
            std::min<std::size_t>(std::size_t{input[at + 1]} << 8 | input[at + 2], input.size() - at - 3);
        const auto payload = input.subspan(at + 3, length);
        at += 3 + length;
        const std::size_t before = out.size();
        if (control & 0x40) {
            muxer.write_tables(out);
        }
        if (control & 0x80) {
            muxer.flush(out);
        }
        timestamp_ms += (control >> 2 & 0x0F) * 10;
        const auto kind = (control & 0x03) == 0   ? media::FrameKind::audio
                          : (control & 0x03) == 1 ? media::FrameKind::video
                                                  : media::FrameKind::data;
        const std::size_t before_frame = out.size();
        auto outcome = muxer.mux(media::classify(kind, timestamp_ms, buffer_of(payload)), out);
        if (!outcome) {
            check(out.size() == before_frame);
        }
        check_packets(out, before, last_cc);
        // Keep memory bounded across a long input: the checks above already saw these bytes.
        if (out.size() > (1u << 20)) {
            out.clear();
        }
    }
    const std::size_t before = out.size();
    muxer.flush(out);
    check_packets(out, before, last_cc);
    check(!muxer.has_held_audio());
    check(muxer.stats().packets_written >= out.size() / media::kTsPacketSize);
    return 0;
}
