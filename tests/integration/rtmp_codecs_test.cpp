// Codecs pass through the server unchanged: H.264 (legacy id 7 and enhanced RTMP 'avc1'), H.265
// (legacy id 12 and enhanced RTMP 'hvc1'), AV1 ('av01') and VP9 ('vp09') over enhanced RTMP,
// AAC, MP3, and Opus over enhanced RTMP audio ('Opus').
//
// A raw publisher (rtmp_client.h) sends synthetic but well-formed FLV tag bodies of each codec;
// raw players must get every message byte for byte, with the same timestamps, in the same order:
// players that joined before the publisher get everything; players that join mid-stream get the
// metadata and the sequence headers first, then the cached GOP from the codec's last keyframe,
// then the live rest. Timestamps start at 0 and are monotonic with steps under 250 ms, so
// `time_jitter full` (media/jitter.cpp) leaves them as they are.
//
// Tag layouts: FLV spec v10.1 annex E.4.2/E.4.3; enhanced RTMP v1 (video: [IsExHeader:1]
// [FrameType:3][PacketType:4][FourCC:32], PacketType SequenceStart 0, CodedFrames 1 (with a
// 24-bit composition time for avc1/hvc1 only), CodedFramesX 3) and v2 (audio: SoundFormat 9 =
// ExHeader, [9:4][AudioPacketType:4][FourCC:32], SequenceStart 0, CodedFrames 1).
//
// ffmpeg 5.1 cannot publish HEVC/AV1/VP9/Opus in FLV, hence the raw publisher; a real ffmpeg
// publishes MP3 + H.264 at the end.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_io.h"
#include "integration/harness.h"
#include "integration/ringcast_server.h"
#include "integration/rtmp_client.h"
#include "proto/rtmp/amf0.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;
namespace rtmp = proto::rtmp;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

// ---- messages and their comparison ---------------------------------------------------------

/// One audio, video or data message as a client sends or receives it.
struct Message {
    std::uint8_t type = 0;
    std::uint32_t timestamp = 0;
    Bytes payload;
    bool operator==(const Message&) const = default;
};

std::string describe(const Message& m) {
    std::ostringstream out;
    out << (m.type == 8 ? "audio" : m.type == 9 ? "video" : m.type == 18 ? "data" : "type " + std::to_string(m.type))
        << " ts=" << m.timestamp << " " << m.payload.size() << " bytes [";
    for (std::size_t i = 0; i < std::min<std::size_t>(m.payload.size(), 8); ++i) {
        static const char* hex = "0123456789abcdef";
        out << (i ? " " : "") << hex[m.payload[i] >> 4] << hex[m.payload[i] & 15];
    }
    out << (m.payload.size() > 8 ? " ...]" : "]");
    return out.str();
}

void PrintTo(const Message& m, std::ostream* os) { *os << describe(m); }

/// "" when `got` is exactly `expected`, else where they first differ.
std::string first_difference(const std::vector<Message>& expected, const std::vector<Message>& got) {
    for (std::size_t i = 0; i < std::max(expected.size(), got.size()); ++i) {
        if (i >= got.size()) {
            return "message " + std::to_string(i) + " missing (got " + std::to_string(got.size()) + " of " +
                   std::to_string(expected.size()) + "), expected " + describe(expected[i]);
        }
        if (i >= expected.size()) {
            return "extra message " + std::to_string(i) + ": " + describe(got[i]);
        }
        const Message& e = expected[i];
        const Message& g = got[i];
        if (e == g) {
            continue;
        }
        std::string what = "message " + std::to_string(i) + " differs: expected " + describe(e) + ", got " + describe(g);
        if (e.type == g.type && e.timestamp == g.timestamp && e.payload.size() == g.payload.size()) {
            auto at = std::mismatch(e.payload.begin(), e.payload.end(), g.payload.begin()).first - e.payload.begin();
            what += " (first differing byte at offset " + std::to_string(at) + ")";
        }
        return what;
    }
    return "";
}

/// Deterministic filler: every frame's bytes differ, so a lost, repeated or reordered frame shows.
Bytes filler(std::size_t n, std::uint32_t seed) {
    Bytes out(n);
    std::uint32_t x = seed * 2654435761u + 12345u;
    for (auto& b : out) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return out;
}

void append(Bytes& to, std::initializer_list<std::uint8_t> bytes) { to.insert(to.end(), bytes.begin(), bytes.end()); }
void append(Bytes& to, const Bytes& bytes) { to.insert(to.end(), bytes.begin(), bytes.end()); }
void append_fourcc(Bytes& to, const char* code) { to.insert(to.end(), code, code + 4); }

// ---- synthetic codec payloads --------------------------------------------------------------

enum class Video { none, h264, h264_ex, hevc_legacy, hevc_ex, av1, vp9 };
enum class Audio { none, aac, mp3, opus };

struct CodecCase {
    const char* name;
    Video video;
    Audio audio;
};

void PrintTo(const CodecCase& c, std::ostream* os) { *os << c.name; }

constexpr std::uint8_t kExHeader = 0x80;       // enhanced RTMP video: IsExHeader
constexpr std::uint8_t kKeyFrame = 1;          // FrameType
constexpr std::uint8_t kInterFrame = 2;
constexpr std::uint8_t kSequenceStart = 0;     // enhanced RTMP PacketType (video and audio)
constexpr std::uint8_t kCodedFrames = 1;
constexpr std::uint8_t kCodedFramesX = 3;      // video only: no composition time
constexpr std::uint8_t kSoundFormatExHeader = 9;

const char* video_fourcc(Video v) {
    switch (v) {
    case Video::h264_ex: return "avc1";
    case Video::hevc_ex: return "hvc1";
    case Video::av1: return "av01";
    case Video::vp9: return "vp09";
    default: return nullptr;
    }
}

Bytes avc_decoder_configuration() {
    Bytes sps = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10};
    Bytes pps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
    Bytes out = {0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, static_cast<std::uint8_t>(sps.size())};
    append(out, sps);
    append(out, {0x01, 0x00, static_cast<std::uint8_t>(pps.size())});
    append(out, pps);
    return out;
}

Bytes hevc_decoder_configuration() {
    // configurationVersion 1, Main profile, level 93; three arrays (VPS 32, SPS 33, PPS 34).
    Bytes out = {0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00,
                 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x03};
    for (std::uint8_t nal_type : {32, 33, 34}) {
        Bytes nal = {static_cast<std::uint8_t>(nal_type << 1), 0x01};
        append(nal, filler(20, nal_type));
        append(out, {static_cast<std::uint8_t>(0x80 | nal_type), 0x00, 0x01, 0x00, static_cast<std::uint8_t>(nal.size())});
        append(out, nal);
    }
    return out;
}

Bytes av1_codec_configuration() {
    // marker/version 0x81, seq_profile 0 / level 8, flags, then a sequence header OBU.
    Bytes out = {0x81, 0x08, 0x0c, 0x00};
    Bytes obu = filler(11, 0xA1);
    append(out, {0x0a, static_cast<std::uint8_t>(obu.size())});  // OBU_SEQUENCE_HEADER, has_size
    append(out, obu);
    return out;
}

Bytes vp9_codec_configuration() {
    // vpcC: version 1, flags 0, profile 0, level 31, 8-bit 4:2:0, BT.709, no init data.
    return {0x01, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x80, 0x01, 0x01, 0x01, 0x00, 0x00};
}

Bytes video_sequence_header(Video v) {
    Bytes out;
    switch (v) {
    case Video::none: break;
    case Video::h264:
        append(out, {kKeyFrame << 4 | 7, 0, 0, 0, 0});  // AVCPacketType 0, composition time 0
        append(out, avc_decoder_configuration());
        break;
    case Video::hevc_legacy:
        append(out, {kKeyFrame << 4 | 12, 0, 0, 0, 0});
        append(out, hevc_decoder_configuration());
        break;
    case Video::h264_ex:
    case Video::hevc_ex:
    case Video::av1:
    case Video::vp9:
        out.push_back(kExHeader | kKeyFrame << 4 | kSequenceStart);
        append_fourcc(out, video_fourcc(v));
        append(out, v == Video::h264_ex   ? avc_decoder_configuration()
                    : v == Video::hevc_ex ? hevc_decoder_configuration()
                    : v == Video::av1     ? av1_codec_configuration()
                                          : vp9_codec_configuration());
        break;
    }
    return out;
}

/// Frame `index` of the stream (keyframe or not), `size` bytes of coded data plus headers.
Bytes video_frame(Video v, int index, bool key, std::size_t size) {
    const std::uint8_t frame_type = key ? kKeyFrame : kInterFrame;
    const std::uint32_t cts = key ? 0 : static_cast<std::uint32_t>((index % 3) * 40);  // as with B-frames
    const auto seed = static_cast<std::uint32_t>(index) * 7919u + static_cast<std::uint32_t>(v);
    Bytes out;
    auto nal = [&](std::initializer_list<std::uint8_t> header) {
        Bytes unit(header);
        append(unit, filler(size, seed));
        core::ByteWriter(out).u32(static_cast<std::uint32_t>(unit.size()));
        append(out, unit);
    };
    switch (v) {
    case Video::none: break;
    case Video::h264:
        append(out, {static_cast<std::uint8_t>(frame_type << 4 | 7), 1});
        core::ByteWriter(out).u24(cts);
        nal({key ? std::uint8_t{0x65} : std::uint8_t{0x41}});  // IDR / non-IDR slice
        break;
    case Video::hevc_legacy:
        append(out, {static_cast<std::uint8_t>(frame_type << 4 | 12), 1});
        core::ByteWriter(out).u24(cts);
        nal({key ? std::uint8_t{19 << 1} : std::uint8_t{1 << 1}, 0x01});  // IDR_W_RADL / TRAIL_R
        break;
    case Video::h264_ex:
    case Video::hevc_ex: {
        // Alternate CodedFrames (with composition time) and CodedFramesX (without: cts 0).
        const std::uint8_t packet_type = (index % 2 == 0 || cts != 0) ? kCodedFrames : kCodedFramesX;
        out.push_back(static_cast<std::uint8_t>(kExHeader | frame_type << 4 | packet_type));
        append_fourcc(out, video_fourcc(v));
        if (packet_type == kCodedFrames) {
            core::ByteWriter(out).u24(cts);
        }
        if (v == Video::h264_ex) {
            nal({key ? std::uint8_t{0x65} : std::uint8_t{0x41}});
        } else {
            nal({key ? std::uint8_t{19 << 1} : std::uint8_t{1 << 1}, 0x01});
        }
        break;
    }
    case Video::av1:
    case Video::vp9:
        // No composition time for AV1 and VP9: CodedFrames carries the data right after the FourCC.
        out.push_back(static_cast<std::uint8_t>(kExHeader | frame_type << 4 | kCodedFrames));
        append_fourcc(out, video_fourcc(v));
        if (v == Video::av1) {
            append(out, {0x12, 0x00});  // temporal delimiter OBU
            out.push_back(0x32);        // OBU_FRAME, has_size
            for (std::size_t n = size; ; n >>= 7) {  // leb128 size
                out.push_back(static_cast<std::uint8_t>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
                if (n < 0x80) {
                    break;
                }
            }
        } else {
            append(out, key ? std::initializer_list<std::uint8_t>{0x82, 0x49, 0x83, 0x42, 0x00}
                            : std::initializer_list<std::uint8_t>{0x86, 0x00});  // frame marker, sync code
        }
        append(out, filler(size, seed));
        break;
    }
    return out;
}

/// AAC 44.1 kHz stereo 16-bit: 0xAF; MP3 the same rates: 0x2F.
constexpr std::uint8_t kAacFlags = 10 << 4 | 0x0F;
constexpr std::uint8_t kMp3Flags = 2 << 4 | 0x0F;
constexpr std::uint8_t kOpusEx = kSoundFormatExHeader << 4;

/// Empty when the codec has none (MP3).
Bytes audio_sequence_header(Audio a) {
    Bytes out;
    switch (a) {
    case Audio::none:
    case Audio::mp3: break;
    case Audio::aac: append(out, {kAacFlags, 0, 0x12, 0x10}); break;  // AudioSpecificConfig: AAC-LC, 44.1 kHz, 2 ch
    case Audio::opus:
        out.push_back(kOpusEx | kSequenceStart);
        append_fourcc(out, "Opus");
        out.insert(out.end(), {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd'});
        append(out, {1, 2, 0x38, 0x01, 0x80, 0xbb, 0x00, 0x00, 0x00, 0x00, 0});  // v1, 2 ch, pre-skip 312, 48 kHz
        break;
    }
    return out;
}

Bytes audio_frame(Audio a, int index) {
    const auto seed = 0x5000u + static_cast<std::uint32_t>(index) * 104729u + static_cast<std::uint32_t>(a);
    Bytes out;
    switch (a) {
    case Audio::none: break;
    case Audio::aac:
        append(out, {kAacFlags, 1});
        append(out, filler(150 + static_cast<std::size_t>(index * 37 % 250), seed));
        break;
    case Audio::mp3:
        append(out, {kMp3Flags, 0xff, 0xfb, 0x90, 0x64});  // MPEG-1 layer III, 128 kb/s, 44.1 kHz
        append(out, filler(413, seed));
        break;
    case Audio::opus:
        out.push_back(kOpusEx | kCodedFrames);
        append_fourcc(out, "Opus");
        append(out, filler(60 + static_cast<std::size_t>(index * 13 % 140), seed));
        break;
    }
    return out;
}

/// Media time of audio frame `index`, in ms.
std::uint32_t audio_time(Audio a, int index) {
    switch (a) {
    case Audio::aac: return static_cast<std::uint32_t>(index * 1024 * 1000 / 44100);
    case Audio::mp3: return static_cast<std::uint32_t>(index * 1152 * 1000 / 44100);
    case Audio::opus: return static_cast<std::uint32_t>(index * 20);
    case Audio::none: break;
    }
    return 0;
}

double metadata_codec_id(Video v) {
    if (const char* code = video_fourcc(v)) {  // enhanced RTMP: the FourCC as a number
        return double(std::uint32_t(std::uint8_t(code[0])) << 24 | std::uint32_t(std::uint8_t(code[1])) << 16 |
                      std::uint32_t(std::uint8_t(code[2])) << 8 | std::uint32_t(std::uint8_t(code[3])));
    }
    return v == Video::hevc_legacy ? 12 : 7;
}

double metadata_codec_id(Audio a) {
    switch (a) {
    case Audio::aac: return 10;
    case Audio::mp3: return 2;
    case Audio::opus: return double(std::uint32_t('O') << 24 | std::uint32_t('p') << 16 | std::uint32_t('u') << 8 | 's');
    case Audio::none: break;
    }
    return 0;
}

/// What a publisher sends for one case, and what players must see of it.
struct Script {
    Message metadata_sent;      // "@setDataFrame", "onMetaData", {...} as ffmpeg sends it
    Message metadata_played;    // "onMetaData", {...}: the server unwraps @setDataFrame, as SRS does
    std::vector<Message> media; // sequence headers at 0, then frames in timestamp order
    std::vector<bool> video_keyframe;  // per media message
    std::optional<std::size_t> video_header;
    std::optional<std::size_t> audio_header;
    std::size_t split = 0;             // a late player joins after media[0, split)
    std::size_t late_gop_start = 0;    // the last video keyframe before the split (split if no video)
};

constexpr int kGops = 3;
constexpr int kGopFrames = 10;
constexpr std::uint32_t kVideoFrameMs = 40;
/// The late player joins after this video frame (the 5th of the 3rd GOP).
constexpr int kLateJoinAfterVideoFrame = 2 * kGopFrames + 4;

Script make_script(const CodecCase& c) {
    Script s;
    rtmp::Amf0Properties props = {{"duration", 0.0}, {"encoder", "ringcast-test"}};
    if (c.video != Video::none) {
        props.push_back({"width", 1280.0});
        props.push_back({"height", 720.0});
        props.push_back({"framerate", 25.0});
        props.push_back({"videocodecid", metadata_codec_id(c.video)});
    }
    if (c.audio != Audio::none) {
        props.push_back({"audiosamplerate", c.audio == Audio::opus ? 48000.0 : 44100.0});
        props.push_back({"stereo", true});
        props.push_back({"audiocodecid", metadata_codec_id(c.audio)});
    }
    std::vector<rtmp::Amf0Value> sent = {"@setDataFrame", "onMetaData", rtmp::Amf0Value::ecma_array(props)};
    std::vector<rtmp::Amf0Value> played(sent.begin() + 1, sent.end());
    s.metadata_sent = {18, 0, rtmp::encode_amf0(sent)};
    s.metadata_played = {18, 0, rtmp::encode_amf0(played)};

    if (c.video != Video::none) {
        s.video_header = s.media.size();
        s.media.push_back({9, 0, video_sequence_header(c.video)});
        s.video_keyframe.push_back(false);
    }
    if (Bytes header = audio_sequence_header(c.audio); !header.empty()) {
        s.audio_header = s.media.size();
        s.media.push_back({8, 0, std::move(header)});
        s.video_keyframe.push_back(false);
    }
    const std::uint32_t end_ms = kGops * kGopFrames * kVideoFrameMs;
    int video_index = 0;
    int audio_index = 0;
    bool have_video = c.video != Video::none;
    bool have_audio = c.audio != Audio::none;
    std::optional<std::size_t> last_keyframe;
    while (true) {
        const std::uint32_t vt = have_video ? static_cast<std::uint32_t>(video_index) * kVideoFrameMs : UINT32_MAX;
        const std::uint32_t at = have_audio ? audio_time(c.audio, audio_index) : UINT32_MAX;
        if (std::min(vt, at) >= end_ms) {
            break;
        }
        if (vt <= at) {  // video first at equal times
            const bool key = video_index % kGopFrames == 0;
            // Big keyframes: over the publisher's 4096-byte chunks and the server's 60000-byte ones.
            const std::size_t size = key ? std::size_t(70000) - std::size_t(video_index) * 1500
                                         : 100 + static_cast<std::size_t>(video_index * 397 % 3000);
            if (key) {
                last_keyframe = s.media.size();
            }
            s.media.push_back({9, vt, video_frame(c.video, video_index, key, size)});
            s.video_keyframe.push_back(key);
            if (video_index == kLateJoinAfterVideoFrame) {
                s.split = s.media.size();
                s.late_gop_start = *last_keyframe;
            }
            ++video_index;
        } else {
            s.media.push_back({8, at, audio_frame(c.audio, audio_index)});
            s.video_keyframe.push_back(false);
            ++audio_index;
        }
    }
    if (!have_video) {
        // Audio only: join at the same media time; SRS keeps no GOP for pure audio.
        const std::uint32_t join_ms = kLateJoinAfterVideoFrame * kVideoFrameMs;
        s.split = static_cast<std::size_t>(
            std::find_if(s.media.begin(), s.media.end(), [&](const Message& m) { return m.timestamp > join_ms; }) -
            s.media.begin());
        s.late_gop_start = s.split;
    }
    return s;
}

/// What a player that joined before the publisher must get: everything, in order.
std::vector<Message> expected_for_early_player(const Script& s) {
    std::vector<Message> out = {s.metadata_played};
    out.insert(out.end(), s.media.begin(), s.media.end());
    return out;
}

/// What a player that joined after media[0, split) must get: metadata, video and audio sequence
/// headers (in that order: the startup cache's replay), the GOP from the last keyframe, the rest.
std::vector<Message> expected_for_late_player(const Script& s) {
    std::vector<Message> out = {s.metadata_played};
    for (const auto& header : {s.video_header, s.audio_header}) {
        if (header) {
            out.push_back(s.media[*header]);
        }
    }
    out.insert(out.end(), s.media.begin() + static_cast<std::ptrdiff_t>(s.late_gop_start), s.media.end());
    return out;
}

// ---- players -------------------------------------------------------------------------------

/// A raw player that collects audio, video and onMetaData messages on its own thread.
class Player {
public:
    Player(std::uint16_t port, const std::string& stream) : fd_(start_raw_player(port, "live", stream)), reader_(fd_) {}
    Player(const Player&) = delete;
    Player& operator=(const Player&) = delete;
    ~Player() {
        if (thread_.joinable()) {
            thread_.join();
        }
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    /// "" once the server said NetStream.Play.Start, else why not.
    std::string wait_playing() {
        if (fd_ < 0) {
            return "cannot connect and play";
        }
        return reader_.wait_for_status("NetStream.Play.Start", 5s) ? "" : reader_.error();
    }

    /// Starts collecting until `count` messages arrived or `timeout` passed; then waits `linger`
    /// more for messages that should not be there.
    void collect(std::size_t count, std::chrono::milliseconds timeout, std::chrono::milliseconds linger = 150ms) {
        thread_ = std::thread([this, count, timeout, linger] {
            auto deadline = Clock::now() + timeout;
            bool lingering = false;
            while (true) {
                if (!lingering && got_.size() >= count) {
                    lingering = true;
                    deadline = std::min(deadline, Clock::now() + linger);
                }
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
                if (left.count() <= 0) {
                    break;
                }
                auto message = reader_.next(left);
                if (!message) {
                    break;
                }
                if (message->type_id == rtmp::message_type::audio || message->type_id == rtmp::message_type::video) {
                    got_.push_back({message->type_id, message->timestamp,
                                    Bytes(message->payload.span().begin(), message->payload.span().end())});
                } else if (message->type_id == rtmp::message_type::amf0_data) {
                    auto values = rtmp::read_amf0_all(message->payload.span());
                    if (values && !values->empty() && values->front().as_string() != nullptr &&
                        *values->front().as_string() == "onMetaData") {
                        got_.push_back({message->type_id, message->timestamp,
                                        Bytes(message->payload.span().begin(), message->payload.span().end())});
                    }
                }
            }
        });
    }

    /// Joins the collecting thread and returns what it got.
    const std::vector<Message>& result() {
        if (thread_.joinable()) {
            thread_.join();
        }
        return got_;
    }
    [[nodiscard]] std::string error() const { return reader_.error(); }

private:
    int fd_;
    RtmpReader reader_;
    std::thread thread_;
    std::vector<Message> got_;
};

/// Time for a player's Subscribe to reach the stream's owner shard when the player landed on the
/// other one (a cross-shard message: microseconds; this is a wide margin).
constexpr auto kSubscribeSettle = 150ms;

bool send_all(RtmpPublisher& publisher, const std::vector<Message>& messages, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
        if (!publisher.send(messages[i].type, messages[i].timestamp, messages[i].payload)) {
            return false;
        }
    }
    return true;
}

// ---- relay tests, one instance per codec case ----------------------------------------------

/// Three players of `stream` (with two shards, most runs have players on the owner and on a
/// mirror shard), each collecting `count` messages in the background.
void start_players(RtmpServer& server, const std::string& stream, std::size_t count,
                   std::vector<std::unique_ptr<Player>>& players) {
    for (int i = 0; i < 3; ++i) {
        players.push_back(std::make_unique<Player>(server.port(), stream));
        ASSERT_EQ(players.back()->wait_playing(), "") << "player " << i;
    }
    std::this_thread::sleep_for(kSubscribeSettle);
    for (auto& p : players) {
        p->collect(count, 5s);
    }
}

/// Starts publishing `stream` and sends the script's metadata.
void start_publisher(RtmpServer& server, const std::string& stream, const Script& script, RtmpPublisher& publisher) {
    ASSERT_TRUE(publisher.start(server.port(), "live", stream)) << publisher.error() << "\n" << server.process().err();
    ASSERT_TRUE(publisher.send_data(0, script.metadata_sent.payload)) << publisher.error();
}

class RtmpCodecRelay : public ::testing::TestWithParam<CodecCase> {};

TEST_P(RtmpCodecRelay, EarlyPlayersGetEveryMessageUnchanged) {
    const CodecCase& c = GetParam();
    const Script script = make_script(c);
    const std::vector<Message> expected = expected_for_early_player(script);
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    const std::string stream = std::string("early_") + c.name;

    std::vector<std::unique_ptr<Player>> players;
    ASSERT_NO_FATAL_FAILURE(start_players(server, stream, expected.size(), players));
    RtmpPublisher publisher;
    ASSERT_NO_FATAL_FAILURE(start_publisher(server, stream, script, publisher));
    ASSERT_TRUE(send_all(publisher, script.media, 0, script.media.size())) << publisher.error();

    for (std::size_t i = 0; i < players.size(); ++i) {
        const auto& got = players[i]->result();
        EXPECT_EQ(first_difference(expected, got), "") << c.name << ", player " << i << " " << players[i]->error();
    }
    EXPECT_TRUE(server.process().running()) << server.process().err();
}

TEST_P(RtmpCodecRelay, LatePlayersStartWithTheSequenceHeadersThenTheLastKeyframe) {
    const CodecCase& c = GetParam();
    const Script script = make_script(c);
    const std::vector<Message> expected = expected_for_late_player(script);
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    const std::string stream = std::string("late_") + c.name;

    RtmpPublisher publisher;
    ASSERT_NO_FATAL_FAILURE(start_publisher(server, stream, script, publisher));
    ASSERT_TRUE(send_all(publisher, script.media, 0, script.split)) << publisher.error();
    // Let the server take in the first part before the players join, or they would get some of
    // it live instead of from the startup cache.
    std::this_thread::sleep_for(kSubscribeSettle);

    std::vector<std::unique_ptr<Player>> players;
    ASSERT_NO_FATAL_FAILURE(start_players(server, stream, expected.size(), players));
    ASSERT_TRUE(send_all(publisher, script.media, script.split, script.media.size())) << publisher.error();

    for (std::size_t i = 0; i < players.size(); ++i) {
        const auto& got = players[i]->result();
        EXPECT_EQ(first_difference(expected, got), "") << c.name << ", player " << i << " " << players[i]->error();
        // The same, per kind, so a failure says which part is wrong: the first video message is
        // the video sequence header and the next one the GOP cache's keyframe; the first audio
        // message is the audio sequence header (when the codec has one).
        auto first_of = [&](std::uint8_t type, std::size_t skip) -> const Message* {
            for (const Message& m : got) {
                if (m.type == type && skip-- == 0) {
                    return &m;
                }
            }
            return nullptr;
        };
        if (script.video_header) {
            const Message* header = first_of(9, 0);
            const Message* key = first_of(9, 1);
            ASSERT_NE(header, nullptr) << "no video";
            EXPECT_EQ(*header, script.media[*script.video_header]) << "the first video message is not the sequence header";
            ASSERT_NE(key, nullptr) << "no video frame";
            EXPECT_EQ((key->payload.at(0) >> 4) & 0x07, kKeyFrame) << "the first video frame is not a keyframe";
            EXPECT_EQ(*key, script.media[script.late_gop_start]) << "the first video frame is not the cached GOP's keyframe";
        }
        if (script.audio_header) {
            const Message* header = first_of(8, 0);
            ASSERT_NE(header, nullptr) << "no audio";
            EXPECT_EQ(*header, script.media[*script.audio_header]) << "the first audio message is not the sequence header";
        }
    }
    EXPECT_TRUE(server.process().running()) << server.process().err();
}

const CodecCase kCases[] = {
    {"H264_Aac", Video::h264, Audio::aac},
    {"H264FourCC_Aac", Video::h264_ex, Audio::aac},
    {"HevcLegacyId12_Aac", Video::hevc_legacy, Audio::aac},
    {"HevcFourCC_Aac", Video::hevc_ex, Audio::aac},
    {"Av1_Aac", Video::av1, Audio::aac},
    {"Vp9_Aac", Video::vp9, Audio::aac},
    {"H264_Mp3", Video::h264, Audio::mp3},
    {"H264_Opus", Video::h264, Audio::opus},
    {"AacOnly", Video::none, Audio::aac},
    {"Mp3Only", Video::none, Audio::mp3},
    {"OpusOnly", Video::none, Audio::opus},
    {"HevcFourCCOnly", Video::hevc_ex, Audio::none},
};

INSTANTIATE_TEST_SUITE_P(Codecs, RtmpCodecRelay, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<CodecCase>& param) { return std::string(param.param.name); });

// ---- the checks themselves -----------------------------------------------------------------

TEST(RtmpCodecs, ScriptsAreWellFormedAndTheComparisonNoticesAnyChange) {
    for (const CodecCase& c : kCases) {
        SCOPED_TRACE(c.name);
        const Script s = make_script(c);
        const std::vector<Message> expected = expected_for_early_player(s);
        ASSERT_GT(s.split, 0u);
        ASSERT_LT(s.split, s.media.size());
        // Monotonic, starting at 0, steps under time_jitter's 250 ms: the server keeps them.
        std::uint32_t last = 0;
        for (const Message& m : s.media) {
            ASSERT_GE(m.timestamp, last);
            ASSERT_LT(m.timestamp - last, 250u);
            last = m.timestamp;
        }
        if (c.video != Video::none) {
            EXPECT_TRUE(s.video_keyframe[s.late_gop_start]);
            EXPECT_LT(s.late_gop_start, s.split);
            // Some payload is larger than the server's 60000-byte chunks.
            EXPECT_TRUE(std::any_of(s.media.begin(), s.media.end(), [](const Message& m) { return m.payload.size() > 60000; }));
        }

        EXPECT_EQ(first_difference(expected, expected), "");
        auto mutated = expected;
        mutated.back().payload.back() ^= 0x01;  // one bit of the last byte of the last frame
        EXPECT_NE(first_difference(expected, mutated), "");
        mutated = expected;
        mutated[expected.size() / 2].timestamp += 1;
        EXPECT_NE(first_difference(expected, mutated), "");
        mutated = expected;
        mutated.erase(mutated.begin() + static_cast<std::ptrdiff_t>(expected.size() / 2));
        EXPECT_NE(first_difference(expected, mutated), "");
        mutated = expected;
        mutated.push_back(mutated.back());
        EXPECT_NE(first_difference(expected, mutated), "");
        mutated = expected;
        std::swap(mutated[3], mutated[4]);
        EXPECT_NE(first_difference(expected, mutated), "");
    }
}

// ---- a real client: ffmpeg publishing MP3 + H.264 ------------------------------------------

/// codec_type -> codec_name of `ffprobe -show_streams`.
std::map<std::string, std::string> probe_codecs(const std::string& url, std::string& err) {
    ProcessResult r = run_command({"ffprobe", "-hide_banner", "-v", "error", "-rw_timeout", "5000000", "-show_entries",
                                   "stream=codec_type,codec_name,sample_rate", "-of", "default=nw=1", url},
                                  10s);
    err = r.err;
    std::map<std::string, std::string> codecs;
    std::istringstream in(r.out);
    std::string line;
    std::string name;
    while (std::getline(in, line)) {
        if (line.rfind("codec_name=", 0) == 0) {
            name = line.substr(11);
        } else if (line.rfind("codec_type=", 0) == 0) {
            codecs[line.substr(11)] = name;
        } else if (line.rfind("sample_rate=", 0) == 0) {
            codecs["sample_rate"] = line.substr(12);
        }
    }
    return codecs;
}

TEST(RtmpCodecs, FfmpegPublishesMp3AndH264AndFfprobeSeesThem) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    // A raw player from the start checks the FLV tags themselves.
    Player player(server.port(), "ffmp3");
    ASSERT_EQ(player.wait_playing(), "");
    std::this_thread::sleep_for(kSubscribeSettle);
    player.collect(40, 8s, 0ms);
    Process publisher = Process::spawn({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                                        "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
                                        "sine=frequency=440:sample_rate=44100", "-t", "8", "-c:v", "libx264", "-preset",
                                        "ultrafast", "-tune", "zerolatency", "-g", "25", "-c:a", "libmp3lame", "-b:a",
                                        "64k", "-f", "flv", server.url("live/ffmp3")});
    std::this_thread::sleep_for(1s);
    std::string probe_err;
    auto codecs = probe_codecs(server.url("live/ffmp3"), probe_err);
    EXPECT_EQ(codecs["video"], "h264") << probe_err << "\n" << server.process().err();
    EXPECT_EQ(codecs["audio"], "mp3") << probe_err << "\n" << server.process().err();
    EXPECT_EQ(codecs["sample_rate"], "44100");

    const auto& got = player.result();
    int mp3 = 0;
    int other_audio = 0;
    int h264 = 0;
    std::optional<std::size_t> first_video;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const Message& m = got[i];
        if (m.type == 8) {
            ((m.payload.at(0) >> 4) == 2 ? mp3 : other_audio)++;
        } else if (m.type == 9) {
            h264 += (m.payload.at(0) & 0x0F) == 7;
            if (!first_video) {
                first_video = i;
            }
        }
    }
    ASSERT_TRUE(first_video) << "no video in " << got.size() << " messages";
    EXPECT_EQ(got[*first_video].payload.at(1), 0) << "the first video message is not the AVC sequence header";
    EXPECT_GT(mp3, 0);
    EXPECT_EQ(other_audio, 0) << "audio that is not MP3 (sound format 2)";
    EXPECT_GT(h264, 0);
}

}  // namespace
}  // namespace ringcast::test
