#include "media/codec_config.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ringcast::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& part : parts) {
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

// The video sequence header ffmpeg 5.1 (libx264, 16x16 testsrc2, baseline) sends over RTMP:
// legacy layout [0x17][AVCPacketType 0][CompositionTime 0] + AVCDecoderConfigurationRecord.
const Bytes kAvcSps = {0x67, 0x42, 0xc0, 0x0a, 0xda, 0x7b, 0x01, 0x10, 0x00, 0x00, 0x03,
                       0x00, 0x10, 0x00, 0x00, 0x03, 0x00, 0xa8, 0xf1, 0x22, 0x6a};
const Bytes kAvcPps = {0x68, 0xce, 0x01, 0x37, 0x20};
const Bytes kAvcRecord = concat({{0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe1, 0x00, 0x15}, kAvcSps, {0x01, 0x00, 0x05}, kAvcPps});
const Bytes kAvcSequenceHeader = concat({{0x17, 0x00, 0x00, 0x00, 0x00}, kAvcRecord});

// Hand-made HEVC NALUs: only their 2-byte NAL headers matter to the parser.
const Bytes kHevcVps = {0x40, 0x01, 0x0c, 0x01};
const Bytes kHevcSps = {0x42, 0x01, 0x01, 0x01, 0x60};
const Bytes kHevcPps = {0x44, 0x01, 0xc1, 0x72};
const Bytes kHevcSei = {0x4e, 0x01, 0x05, 0xff};

/// HEVCDecoderConfigurationRecord: 22 fixed bytes (Main profile, level 93, 4-byte lengths),
/// then arrays VPS, SPS, PPS and a prefix SEI array the parser must skip.
Bytes hevc_record(std::uint8_t length_size_minus_one = 3) {
    return concat({{0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00, 0xfc,
                    0xfd, 0xf8, 0xf8, 0x00, 0x00, static_cast<std::uint8_t>(0x0c | length_size_minus_one), 0x04},
                   {0xa0, 0x00, 0x01, 0x00, static_cast<std::uint8_t>(kHevcVps.size())}, kHevcVps,
                   {0xa1, 0x00, 0x01, 0x00, static_cast<std::uint8_t>(kHevcSps.size())}, kHevcSps,
                   {0xa2, 0x00, 0x01, 0x00, static_cast<std::uint8_t>(kHevcPps.size())}, kHevcPps,
                   {0x27, 0x00, 0x01, 0x00, static_cast<std::uint8_t>(kHevcSei.size())}, kHevcSei});
}

TEST(AvcDecoderConfig, ParsesFfmpegSequenceHeader) {
    auto config = parse_video_sequence_header(kAvcSequenceHeader);
    ASSERT_TRUE(config.has_value()) << config.error().where;
    EXPECT_EQ(config->codec, Codec::h264);
    EXPECT_EQ(config->profile_idc, 0x42);  // baseline
    EXPECT_EQ(config->level_idc, 0x0a);
    EXPECT_EQ(config->nalu_length_size, 4);
    ASSERT_EQ(config->sps.size(), 1u);
    ASSERT_EQ(config->pps.size(), 1u);
    EXPECT_EQ(config->sps[0], kAvcSps);
    EXPECT_EQ(config->pps[0], kAvcPps);
    EXPECT_TRUE(config->vps.empty());
}

TEST(AvcDecoderConfig, EveryTruncationIsRejected) {
    for (std::size_t size = 0; size < kAvcRecord.size(); ++size) {
        auto config = parse_avc_decoder_config(std::span(kAvcRecord).first(size));
        ASSERT_FALSE(config.has_value()) << size;
        EXPECT_EQ(config.error().code, core::Errc::protocol) << size;
    }
    // Bytes after the PPS list (the high-profile extension) are ignored.
    Bytes extended = kAvcRecord;
    extended.insert(extended.end(), {0xfd, 0xf8, 0xf8, 0x00});
    EXPECT_TRUE(parse_avc_decoder_config(extended).has_value());
}

TEST(AvcDecoderConfig, MalformedRecordsAreRejected) {
    auto rejects = [](Bytes record, core::Errc code) {
        auto config = parse_avc_decoder_config(record);
        return !config.has_value() && config.error().code == code;
    };
    Bytes bad_version = kAvcRecord;
    bad_version[0] = 0;
    EXPECT_TRUE(rejects(bad_version, core::Errc::protocol));
    Bytes length_three = kAvcRecord;
    length_three[4] = 0xfe;  // lengthSizeMinusOne 2
    EXPECT_TRUE(rejects(length_three, core::Errc::protocol));
    Bytes length_two = kAvcRecord;
    length_two[4] = 0xfd;
    auto two = parse_avc_decoder_config(length_two);
    ASSERT_TRUE(two.has_value());
    EXPECT_EQ(two->nalu_length_size, 2);
    // No SPS: 0xe0 = reserved bits, count 0; the PPS list follows directly.
    EXPECT_TRUE(rejects(concat({{0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe0, 0x01, 0x00, 0x05}, kAvcPps}), core::Errc::protocol));
    // No PPS.
    EXPECT_TRUE(rejects(concat({{0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe1, 0x00, 0x15}, kAvcSps, {0x00}}), core::Errc::protocol));
    // An "SPS" that is a PPS, and an empty SPS.
    EXPECT_TRUE(rejects(concat({{0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe1, 0x00, 0x05}, kAvcPps, {0x01, 0x00, 0x05}, kAvcPps}),
                        core::Errc::protocol));
    EXPECT_TRUE(rejects(concat({{0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe1, 0x00, 0x00, 0x01, 0x00, 0x05}, kAvcPps}),
                        core::Errc::protocol));
    // A length that runs past the record.
    EXPECT_TRUE(rejects(concat({{0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe1, 0xff, 0xff}, kAvcSps}), core::Errc::protocol));
}

TEST(AvcDecoderConfig, ParameterSetCountIsBounded) {
    Bytes record = concat({{0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe1, 0x00, 0x15}, kAvcSps, {0xff}});
    for (int i = 0; i < 255; ++i) {
        record.insert(record.end(), {0x00, 0x02, 0x68, 0xce});
    }
    auto config = parse_avc_decoder_config(record);
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().code, core::Errc::too_large);
}

TEST(HevcDecoderConfig, ParsesArraysAndSkipsOthers) {
    auto config = parse_hevc_decoder_config(hevc_record());
    ASSERT_TRUE(config.has_value()) << config.error().where;
    EXPECT_EQ(config->codec, Codec::h265);
    EXPECT_EQ(config->profile_idc, 1);  // Main
    EXPECT_EQ(config->level_idc, 0x5d);
    EXPECT_EQ(config->nalu_length_size, 4);
    ASSERT_EQ(config->vps.size(), 1u);
    ASSERT_EQ(config->sps.size(), 1u);
    ASSERT_EQ(config->pps.size(), 1u);
    EXPECT_EQ(config->vps[0], kHevcVps);
    EXPECT_EQ(config->sps[0], kHevcSps);
    EXPECT_EQ(config->pps[0], kHevcPps);
    EXPECT_EQ(parse_hevc_decoder_config(hevc_record(1))->nalu_length_size, 2);
    EXPECT_FALSE(parse_hevc_decoder_config(hevc_record(2)).has_value());  // 3-byte lengths
}

TEST(HevcDecoderConfig, EveryTruncationAndMissingSetIsRejected) {
    const Bytes record = hevc_record();
    for (std::size_t size = 0; size < record.size(); ++size) {
        auto config = parse_hevc_decoder_config(std::span(record).first(size));
        ASSERT_FALSE(config.has_value()) << size;
        EXPECT_EQ(config.error().code, core::Errc::protocol) << size;
    }
    // numOfArrays 2: VPS and SPS only.
    Bytes no_pps = record;
    no_pps[22] = 2;
    EXPECT_FALSE(parse_hevc_decoder_config(no_pps).has_value());
    // The VPS array labelled SPS: the NAL header says otherwise.
    Bytes mislabelled = record;
    mislabelled[23] = 0xa1;
    EXPECT_FALSE(parse_hevc_decoder_config(mislabelled).has_value());
    Bytes bad_version = record;
    bad_version[0] = 0;
    EXPECT_FALSE(parse_hevc_decoder_config(bad_version).has_value());
    Bytes many_arrays = record;
    many_arrays[22] = 200;
    EXPECT_EQ(parse_hevc_decoder_config(many_arrays).error().code, core::Errc::too_large);
}

TEST(VideoTag, LegacyAndEnhancedLayouts) {
    // Legacy HEVC (codec id 12) and enhanced hvc1 sequence headers carry the same record.
    const Bytes record = hevc_record();
    auto legacy = parse_video_sequence_header(concat({{0x1c, 0x00, 0x00, 0x00, 0x00}, record}));
    ASSERT_TRUE(legacy.has_value());
    EXPECT_EQ(legacy->codec, Codec::h265);
    auto enhanced = parse_video_sequence_header(concat({{0x90, 'h', 'v', 'c', '1'}, record}));
    ASSERT_TRUE(enhanced.has_value());
    EXPECT_EQ(enhanced->pps, legacy->pps);
    auto avc1 = parse_video_sequence_header(concat({{0x90, 'a', 'v', 'c', '1'}, kAvcRecord}));
    ASSERT_TRUE(avc1.has_value());
    EXPECT_EQ(avc1->codec, Codec::h264);

    // Legacy coded frame with a negative composition time (SI24 0xFFFFD8 = -40).
    auto inter = parse_video_tag(Bytes{0x27, 0x01, 0xff, 0xff, 0xd8, 0xaa});
    ASSERT_TRUE(inter.has_value());
    EXPECT_EQ(inter->packet_type, VideoPacketType::coded_frames);
    EXPECT_FALSE(inter->keyframe);
    EXPECT_EQ(inter->composition_time_ms, -40);
    EXPECT_EQ(inter->data.size(), 1u);
    // Enhanced CodedFrames (composition time) and CodedFramesX (none).
    auto coded = parse_video_tag(Bytes{0x91, 'h', 'v', 'c', '1', 0x00, 0x00, 0x50, 0xbb, 0xcc});
    ASSERT_TRUE(coded.has_value());
    EXPECT_TRUE(coded->keyframe);
    EXPECT_EQ(coded->composition_time_ms, 80);
    EXPECT_EQ(coded->data.size(), 2u);
    auto coded_x = parse_video_tag(Bytes{0xa3, 'a', 'v', 'c', '1', 0xbb});
    ASSERT_TRUE(coded_x.has_value());
    EXPECT_EQ(coded_x->packet_type, VideoPacketType::coded_frames);
    EXPECT_EQ(coded_x->composition_time_ms, 0);
    EXPECT_EQ(coded_x->data.size(), 1u);
    // Codecs TS does not carry here, and layouts not parsed.
    EXPECT_EQ(parse_video_tag(Bytes{0x91, 'a', 'v', '0', '1', 0x12})->codec, Codec::av1);
    EXPECT_EQ(parse_video_tag(Bytes{0x91, 'v', 'p', '0', '9', 0x12})->codec, Codec::vp9);
    auto multitrack = parse_video_tag(Bytes{0x96, 0x00, 'a', 'v', 'c', '1'});
    ASSERT_TRUE(multitrack.has_value());
    EXPECT_TRUE(multitrack->multitrack);
    EXPECT_EQ(multitrack->codec, Codec::unknown);
    EXPECT_EQ(parse_video_tag(Bytes{0x52, 0x00})->packet_type, VideoPacketType::other);  // Sorenson
    EXPECT_EQ(parse_video_tag(Bytes{0x57, 0x00})->packet_type, VideoPacketType::other);  // info frame
    EXPECT_EQ(parse_video_tag(Bytes{0x17, 0x02})->packet_type, VideoPacketType::end_of_sequence);
    EXPECT_FALSE(parse_video_sequence_header(Bytes{0x27, 0x01, 0, 0, 0, 0xaa}).has_value());
}

TEST(VideoTag, TruncatedHeadersAreRejected) {
    EXPECT_FALSE(parse_video_tag(Bytes{}).has_value());
    EXPECT_FALSE(parse_video_tag(Bytes{0x17}).has_value());
    EXPECT_FALSE(parse_video_tag(Bytes{0x17, 0x01, 0x00}).has_value());
    EXPECT_FALSE(parse_video_tag(Bytes{0x90, 'h', 'v'}).has_value());
    EXPECT_FALSE(parse_video_tag(Bytes{0x91, 'h', 'v', 'c', '1', 0x00}).has_value());
}

TEST(AacConfig, ParsesLcWithSyncExtension) {
    // ffmpeg's ASC for 44.1 kHz stereo LC, with its trailing SBR sync extension (0x2b7 ...).
    auto config = parse_aac_sequence_header(Bytes{0xaf, 0x00, 0x12, 0x10, 0x56, 0xe5, 0x00});
    ASSERT_TRUE(config.has_value());
    EXPECT_EQ(config->object_type, 2);
    EXPECT_EQ(config->core_object_type, 2);
    EXPECT_EQ(config->sampling_frequency_index, 4);
    EXPECT_EQ(config->sampling_frequency_hz, 44100u);
    EXPECT_EQ(config->channel_configuration, 2);
}

TEST(AacConfig, ExplicitSbrUsesTheCoreForAdts) {
    // object 5 (SBR), index 6 (24 kHz core), stereo, extension index 3 (48 kHz), core object 2.
    auto config = parse_aac_audio_specific_config(Bytes{0x2b, 0x11, 0x88});
    ASSERT_TRUE(config.has_value());
    EXPECT_EQ(config->object_type, 5);
    EXPECT_EQ(config->core_object_type, 2);
    EXPECT_EQ(config->sampling_frequency_index, 6);
    auto adts = make_adts_header(*config, 10);
    ASSERT_TRUE(adts.has_value());
    EXPECT_EQ((*adts)[2], 0x40 | 6 << 2);  // profile 1 (LC), index 6, channel bit 0
    EXPECT_FALSE(parse_aac_audio_specific_config(Bytes{0x2b, 0x11}).has_value());  // core type cut off
}

TEST(AacConfig, EscapesExplicitFrequencyAndMalformed) {
    // Object type 31 escape: 11111 + 001010 = 42 (USAC), index 4, mono.
    auto usac = parse_aac_audio_specific_config(Bytes{0xf9, 0x48, 0x20});
    ASSERT_TRUE(usac.has_value());
    EXPECT_EQ(usac->object_type, 42);
    EXPECT_EQ(make_adts_header(*usac, 10).error().code, core::Errc::unsupported);
    // Index 15: 24-bit explicit frequency 0x00AC44 (44100), then channels 2.
    auto explicit_hz = parse_aac_audio_specific_config(Bytes{0x17, 0x80, 0x56, 0x22, 0x10});
    ASSERT_TRUE(explicit_hz.has_value());
    EXPECT_EQ(explicit_hz->sampling_frequency_hz, 44100u);
    EXPECT_EQ(explicit_hz->channel_configuration, 2);
    EXPECT_EQ(make_adts_header(*explicit_hz, 10).error().code, core::Errc::unsupported);
    // Reserved index 13, truncation, empty.
    EXPECT_EQ(parse_aac_audio_specific_config(Bytes{0x16, 0x90}).error().code, core::Errc::protocol);
    EXPECT_FALSE(parse_aac_audio_specific_config(Bytes{0x12}).has_value());
    EXPECT_FALSE(parse_aac_audio_specific_config(Bytes{}).has_value());
    EXPECT_EQ(parse_aac_sequence_header(Bytes{0xaf, 0x01, 0x21}).error().code, core::Errc::invalid);
}

TEST(AdtsHeader, KnownBytes) {
    auto config = parse_aac_audio_specific_config(Bytes{0x12, 0x10});
    ASSERT_TRUE(config.has_value());
    // LC (profile 1), 44.1 kHz (index 4), stereo, frame length 107, fullness 0x7FF.
    auto header = make_adts_header(*config, 100);
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(Bytes(header->begin(), header->end()), (Bytes{0xff, 0xf1, 0x50, 0x80, 0x0d, 0x7f, 0xfc}));
    // Largest frame: aac_frame_length 8191 = 0x1FFF spread over bytes 3..5.
    auto largest = make_adts_header(*config, kAdtsRawFrameBytesMax);
    ASSERT_TRUE(largest.has_value());
    EXPECT_EQ(Bytes(largest->begin(), largest->end()), (Bytes{0xff, 0xf1, 0x50, 0x83, 0xff, 0xff, 0xfc}));
    EXPECT_EQ(make_adts_header(*config, kAdtsRawFrameBytesMax + 1).error().code, core::Errc::too_large);
    // 48 kHz mono LC (ASC 11 88): channel configuration 1 lands in byte 3's top bits.
    auto mono = make_adts_header(*parse_aac_audio_specific_config(Bytes{0x11, 0x88}), 0);
    EXPECT_EQ(Bytes(mono->begin(), mono->end()), (Bytes{0xff, 0xf1, 0x4c, 0x40, 0x00, 0xff, 0xfc}));
    AacConfig pce = *config;
    pce.channel_configuration = 0;
    EXPECT_EQ(make_adts_header(pce, 10).error().code, core::Errc::unsupported);
}

TEST(AudioTag, LegacyAndEnhancedLayouts) {
    auto raw = parse_audio_tag(Bytes{0xaf, 0x01, 0x21, 0x10});
    ASSERT_TRUE(raw.has_value());
    EXPECT_EQ(raw->codec, Codec::aac);
    EXPECT_TRUE(raw->coded_frame);
    EXPECT_EQ(raw->data.size(), 2u);
    auto mp3 = parse_audio_tag(Bytes{0x2f, 0xff, 0xfb, 0x90});
    EXPECT_EQ(mp3->codec, Codec::mp3);
    EXPECT_TRUE(mp3->coded_frame);
    EXPECT_EQ(mp3->data.size(), 3u);
    auto mp4a = parse_aac_sequence_header(Bytes{0x90, 'm', 'p', '4', 'a', 0x12, 0x10});
    ASSERT_TRUE(mp4a.has_value());
    EXPECT_EQ(mp4a->sampling_frequency_index, 4);
    auto ex_mp3 = parse_audio_tag(Bytes{0x91, '.', 'm', 'p', '3', 0xff, 0xfb});
    EXPECT_EQ(ex_mp3->codec, Codec::mp3);
    EXPECT_TRUE(ex_mp3->coded_frame);
    EXPECT_EQ(parse_audio_tag(Bytes{0x91, 'O', 'p', 'u', 's', 0xfc})->codec, Codec::opus);
    EXPECT_EQ(parse_audio_tag(Bytes{0xd1, 0xfc})->codec, Codec::opus);
    EXPECT_EQ(parse_audio_tag(Bytes{0x91, 'f', 'L', 'a', 'C'})->codec, Codec::other_audio);
    EXPECT_EQ(parse_audio_tag(Bytes{0x32, 0x00})->codec, Codec::other_audio);  // PCM
    EXPECT_FALSE(parse_audio_tag(Bytes{}).has_value());
    EXPECT_FALSE(parse_audio_tag(Bytes{0xaf}).has_value());
    EXPECT_FALSE(parse_audio_tag(Bytes{0x90, 'm', 'p'}).has_value());
}

}  // namespace
}  // namespace ringcast::media

namespace ringcast::media {
namespace {

// SPS NAL units libx264 (ffmpeg 5.1) wrote for testsrc2 at these sizes.
TEST(H264SpsSize, SizesAfterCroppingFromRealEncoders) {
    const std::vector<std::uint8_t> high_640x360 = {0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00,
                                                    0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2d, 0x96};
    const std::vector<std::uint8_t> high_1920x1080 = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00,
                                                      0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc6, 0x58};
    const std::vector<std::uint8_t> high_176x144 = {0x67, 0x64, 0x00, 0x0b, 0xac, 0xd9, 0x42, 0xc4, 0xec, 0x04, 0x40, 0x00,
                                                    0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0x65, 0x80};
    const std::vector<std::uint8_t> high444_320x240 = {0x67, 0xf4, 0x00, 0x0d, 0x91, 0x9b, 0x28, 0x28, 0x3f, 0x60, 0x22, 0x00, 0x00,
                                                       0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x64, 0x1e, 0x28, 0x53, 0x2c};
    const std::vector<std::uint8_t> baseline_16x16 = {0x67, 0x42, 0xc0, 0x0a, 0xda, 0x7b, 0x01, 0x10, 0x00, 0x00, 0x03,
                                                      0x00, 0x10, 0x00, 0x00, 0x03, 0x00, 0xa8, 0xf1, 0x22, 0x6a};
    struct Case {
        const std::vector<std::uint8_t>* sps;
        int width;
        int height;
    };
    for (const Case& c : {Case{&high_640x360, 640, 360}, Case{&high_1920x1080, 1920, 1080}, Case{&high_176x144, 176, 144},
                          Case{&high444_320x240, 320, 240}, Case{&baseline_16x16, 16, 16}}) {
        const auto size = h264_sps_size(*c.sps);
        ASSERT_TRUE(size.has_value()) << c.width << "x" << c.height;
        EXPECT_EQ(size->width, c.width);
        EXPECT_EQ(size->height, c.height);
    }
}

TEST(H264SpsSize, TruncatedOrForeignInputHasNoSize) {
    const std::vector<std::uint8_t> sps = {0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00,
                                           0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2d, 0x96};
    for (std::size_t n = 0; n < 11; ++n) {  // cut before frame_cropping ends
        EXPECT_FALSE(h264_sps_size(std::span(sps.data(), n)).has_value()) << n;
    }
    std::vector<std::uint8_t> pps = sps;
    pps[0] = 0x68;
    EXPECT_FALSE(h264_sps_size(pps).has_value());
    const std::vector<std::uint8_t> zeros(64, 0x00);  // ue() with endless leading zeros
    std::vector<std::uint8_t> all_zero = {0x67, 0x64, 0x00, 0x1e};
    all_zero.insert(all_zero.end(), zeros.begin(), zeros.end());
    EXPECT_FALSE(h264_sps_size(all_zero).has_value());
}

// Found by fuzz_codec_config: a scaling list whose delta_scale is far outside [-128, 127]
// overflowed an int while it was skipped (UBSan). Now the SPS is refused.
TEST(H264SpsSize, AScalingListDeltaOutOfRangeIsRefused) {
    const std::vector<std::uint8_t> sps = {0x07, 0x2c, 0x64, 0xff, 0xff, 0x00, 0x01, 0x97, 0xff, 0x00, 0xf9, 0x86, 0x00, 0x00, 0x00, 0x5d, 0x00, 0x00, 0x00, 0xac, 0x4a, 0xac, 0xac, 0x04, 0x00, 0x60, 0x30, 0x00, 0x06, 0xf9, 0x86, 0x00, 0x00, 0x00, 0x5d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x06, 0xf9, 0x00};
    EXPECT_FALSE(h264_sps_size(sps).has_value());
}

}  // namespace
}  // namespace ringcast::media
