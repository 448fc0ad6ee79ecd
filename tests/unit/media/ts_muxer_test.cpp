#include "media/ts_muxer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace ringcast::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes hex(std::string_view text) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& part : parts) {
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

MediaFrame frame_of(FrameKind kind, std::uint32_t timestamp_ms, const Bytes& payload) {
    return classify(kind, timestamp_ms, core::Buffer::copy_of(std::span<const std::uint8_t>(payload)));
}

// Real bytes from ffmpeg 5.1 + libx264 (16x16 testsrc2, 5 fps, baseline, x264's SEI removed):
// the FLV video tag bodies of the sequence header, the keyframe and two P frames.
const Bytes kAvcSps = hex("6742c00ada7b0110000003001000000300a8f1226a");
const Bytes kAvcPps = hex("68ce013720");
const Bytes kAvcSequenceHeader = concat({hex("17000000000142c00affe10015"), kAvcSps, hex("010005"), kAvcPps});
const Bytes kAvcIdr = hex(
    "6588843a0c6014b3c01ade535099e6660df2097f3ee2eb085730a7c20663b0f64b113bc7658fc2041803186a0a02"
    "6da4fdcbd95230d303fa42b248048b5ebcde815c9bf2aac370a0");
const Bytes kAvcKeyframe = concat({hex("170100000000000048"), kAvcIdr});
const Bytes kAvcInter1 = hex("270100000000000005419a208940");
const Bytes kAvcInter2 = hex("270100000000000004419a41a5");
// AAC LC 44.1 kHz stereo (ffmpeg's ASC with its sync extension) and one silent raw frame.
const Bytes kAacSequenceHeader = hex("af00121056e500");
const Bytes kAacSilence = hex("211004608c1c");
const Bytes kAacFrame = concat({hex("af01"), kAacSilence});

const Bytes kStartCode = {0, 0, 0, 1};
const Bytes kAvcAud = {0, 0, 0, 1, 0x09, 0xf0};

/// A legacy AVC/HEVC coded-frame tag body: header byte, AVCPacketType 1, SI24 composition
/// time, then each NALU behind a 4-byte length.
Bytes avcc_frame(std::uint8_t first_byte, std::int32_t cts_ms, std::initializer_list<Bytes> nalus) {
    const auto cts = static_cast<std::uint32_t>(cts_ms);
    Bytes out = {first_byte, 0x01, static_cast<std::uint8_t>(cts >> 16), static_cast<std::uint8_t>(cts >> 8),
                 static_cast<std::uint8_t>(cts)};
    for (const auto& nalu : nalus) {
        const auto n = static_cast<std::uint32_t>(nalu.size());
        out.insert(out.end(), {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                               static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
        out.insert(out.end(), nalu.begin(), nalu.end());
    }
    return out;
}

/// A NALU of `size` bytes (at least 1) starting with `header`.
Bytes slice_nalu(std::uint8_t header, std::size_t size) {
    Bytes nalu = {header};
    nalu.resize(std::max<std::size_t>(size, 1), 0xab);
    return nalu;
}

// ---- a small TS reader, independent of the muxer ----

struct Packet {
    std::uint16_t pid = 0;
    bool unit_start = false;
    std::uint8_t continuity_counter = 0;
    bool has_adaptation = false;
    Bytes adaptation;  // after adaptation_field_length
    Bytes payload;
};

std::vector<Packet> split_packets(const Bytes& ts) {
    std::vector<Packet> packets;
    EXPECT_EQ(ts.size() % kTsPacketSize, 0u);
    for (std::size_t offset = 0; offset + kTsPacketSize <= ts.size(); offset += kTsPacketSize) {
        const std::uint8_t* p = ts.data() + offset;
        EXPECT_EQ(p[0], 0x47) << "packet at " << offset;
        Packet packet;
        packet.pid = static_cast<std::uint16_t>((p[1] & 0x1f) << 8 | p[2]);
        packet.unit_start = (p[1] & 0x40) != 0;
        packet.continuity_counter = p[3] & 0x0f;
        const std::uint8_t control = (p[3] >> 4) & 0x03;
        std::size_t pos = 4;
        if (control & 0x02) {
            packet.has_adaptation = true;
            const std::size_t length = p[4];
            EXPECT_LE(5 + length, kTsPacketSize);
            packet.adaptation.assign(p + 5, p + 5 + length);
            pos = 5 + length;
        }
        if (control & 0x01) {
            packet.payload.assign(p + pos, p + kTsPacketSize);
        }
        packets.push_back(std::move(packet));
    }
    return packets;
}

std::uint64_t read_timestamp(const std::uint8_t* p, std::uint8_t prefix) {
    EXPECT_EQ(p[0] >> 4, prefix);
    EXPECT_EQ(p[0] & 1, 1);  // marker bits
    EXPECT_EQ(p[2] & 1, 1);
    EXPECT_EQ(p[4] & 1, 1);
    const auto byte = [&](int i) { return static_cast<std::uint64_t>(p[i]); };
    return (byte(0) >> 1 & 0x07) << 30 | byte(1) << 22 | (byte(2) >> 1) << 15 | byte(3) << 7 | byte(4) >> 1;
}

struct Pes {
    std::uint16_t pid = 0;
    std::uint8_t stream_id = 0;
    std::uint64_t pts = 0;
    std::uint64_t dts = 0;
    bool has_dts = false;
    bool random_access = false;
    bool has_pcr = false;
    std::uint64_t pcr_base = 0;
    std::size_t packets = 0;
    std::uint16_t declared_length = 0;
    Bytes header;  // the PES header bytes
    Bytes data;
};

std::vector<Pes> collect_pes(const Bytes& ts) {
    std::vector<Pes> all;
    std::map<std::uint16_t, std::size_t> current;
    for (const Packet& packet : split_packets(ts)) {
        if (packet.pid != kTsPidVideo && packet.pid != kTsPidAudio && packet.pid != kTsPidMp3) {
            continue;
        }
        if (packet.unit_start) {
            Pes pes;
            pes.pid = packet.pid;
            if (!packet.adaptation.empty()) {
                pes.random_access = (packet.adaptation[0] & 0x40) != 0;
                pes.has_pcr = (packet.adaptation[0] & 0x10) != 0;
                if (pes.has_pcr) {
                    const Bytes& a = packet.adaptation;
                    pes.pcr_base = std::uint64_t{a[1]} << 25 | std::uint64_t{a[2]} << 17 | std::uint64_t{a[3]} << 9 |
                                   std::uint64_t{a[4]} << 1 | a[5] >> 7;
                }
            }
            const Bytes& p = packet.payload;
            EXPECT_GE(p.size(), 14u);
            EXPECT_EQ(p[0], 0);
            EXPECT_EQ(p[1], 0);
            EXPECT_EQ(p[2], 1);
            pes.stream_id = p[3];
            pes.declared_length = static_cast<std::uint16_t>(p[4] << 8 | p[5]);
            const std::uint8_t flags = p[7];
            const std::size_t header_length = 9 + p[8];
            pes.pts = read_timestamp(&p[9], flags == 0xc0 ? 0x3 : 0x2);
            pes.has_dts = flags == 0xc0;
            pes.dts = pes.has_dts ? read_timestamp(&p[14], 0x1) : pes.pts;
            pes.header.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(header_length));
            pes.data.assign(p.begin() + static_cast<std::ptrdiff_t>(header_length), p.end());
            pes.packets = 1;
            current[packet.pid] = all.size();
            all.push_back(std::move(pes));
        } else if (current.count(packet.pid) != 0) {
            Pes& pes = all[current[packet.pid]];
            pes.data.insert(pes.data.end(), packet.payload.begin(), packet.payload.end());
            pes.packets += 1;
        } else {
            ADD_FAILURE() << "continuation before a PES start on PID " << packet.pid;
        }
    }
    for (const Pes& pes : all) {
        if (pes.declared_length != 0) {
            EXPECT_EQ(pes.declared_length, pes.header.size() - 6 + pes.data.size());
        }
    }
    return all;
}

/// Every PID's continuity counter goes up by one per packet (all packets carry payload).
void expect_continuity(const Bytes& ts) {
    std::map<std::uint16_t, int> last;
    for (const Packet& packet : split_packets(ts)) {
        auto it = last.find(packet.pid);
        if (it != last.end()) {
            EXPECT_EQ(packet.continuity_counter, (it->second + 1) & 0x0f) << "PID " << packet.pid;
        }
        last[packet.pid] = packet.continuity_counter;
    }
}

std::size_t count_of(const Bytes& haystack, const Bytes& needle) {
    std::size_t n = 0;
    for (auto it = haystack.begin(); (it = std::search(it, haystack.end(), needle.begin(), needle.end())) != haystack.end();
         ++it) {
        ++n;
    }
    return n;
}

TsMuxerOptions srs_timing() {
    TsMuxerOptions options;
    options.timestamp_offset_ms = 0;
    return options;
}

core::Result<TsMuxOutcome> mux(TsMuxer& muxer, const MediaFrame& frame, Bytes& out) { return muxer.mux(frame, out); }

TsMuxOutcome mux_ok(TsMuxer& muxer, FrameKind kind, std::uint32_t ts, const Bytes& payload, Bytes& out) {
    auto outcome = muxer.mux(frame_of(kind, ts, payload), out);
    EXPECT_TRUE(outcome.has_value()) << (outcome ? "" : outcome.error().where);
    return outcome.value_or(TsMuxOutcome::ignored);
}

// ---- tables ----

TEST(TsMuxerTables, PatAndPmtExactBytes) {
    TsMuxer muxer;
    Bytes out;
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out), TsMuxOutcome::config_updated);
    EXPECT_EQ(mux_ok(muxer, FrameKind::audio, 0, kAacSequenceHeader, out), TsMuxOutcome::config_updated);
    EXPECT_TRUE(out.empty());  // sequence headers produce no output
    muxer.write_tables(out);
    ASSERT_EQ(out.size(), 2 * kTsPacketSize);

    // PAT: PID 0, payload_unit_start, CC 0; pointer 0; table 0, length 13, TSID 1, version 0,
    // program 1 -> PMT PID 0x1001; CRC-32/MPEG-2; 0xFF to the end.
    Bytes pat = hex("474000100000b00d0001c100000001f0012e701905");
    pat.resize(kTsPacketSize, 0xff);
    EXPECT_EQ(Bytes(out.begin(), out.begin() + kTsPacketSize), pat);
    // PMT: PID 0x1001; table 2, length 23, program 1, version 0, PCR PID 0x100, then H.264 on
    // 0x100 and AAC (ADTS) on 0x101, no descriptors.
    Bytes pmt = hex("475001100002b0170001c10000e100f0001be100f0000fe101f0002f44b99b");
    pmt.resize(kTsPacketSize, 0xff);
    EXPECT_EQ(Bytes(out.begin() + kTsPacketSize, out.end()), pmt);

    // Written again at the next segment start: same tables, counters advanced.
    Bytes again;
    muxer.write_tables(again);
    ASSERT_EQ(again.size(), 2 * kTsPacketSize);
    EXPECT_EQ(again[3], 0x11);
    EXPECT_EQ(again[kTsPacketSize + 3], 0x11);
    EXPECT_TRUE(std::equal(again.begin() + 4, again.begin() + kTsPacketSize, pat.begin() + 4));
    EXPECT_EQ(muxer.stats().tables_written, 2u);
}

TEST(TsMuxerTables, AudioOnlyCarriesPcrOnAudioAndVersionBumpsWhenVideoArrives) {
    TsMuxer muxer;
    Bytes out;
    muxer.write_tables(out);
    EXPECT_TRUE(out.empty());  // nothing to describe yet
    mux_ok(muxer, FrameKind::audio, 0, kAacSequenceHeader, out);
    EXPECT_EQ(muxer.pcr_pid(), kTsPidAudio);
    muxer.write_tables(out);
    Bytes pmt = hex("475001100002b0120001c10000e101f0000fe101f000ece2b094");
    pmt.resize(kTsPacketSize, 0xff);
    ASSERT_EQ(out.size(), 2 * kTsPacketSize);
    EXPECT_EQ(Bytes(out.begin() + kTsPacketSize, out.end()), pmt);

    // Video appears: the next PES is preceded by a PMT with version 1 and PCR on video.
    out.clear();
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(muxer.pcr_pid(), kTsPidVideo);
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, kAvcKeyframe, out), TsMuxOutcome::muxed);
    const auto packets = split_packets(out);
    ASSERT_GE(packets.size(), 3u);
    EXPECT_EQ(packets[0].pid, kTsPidPat);
    EXPECT_EQ(packets[1].pid, kTsPidPmt);
    const Bytes expected_section = hex("0002b0170001c30000e100f0001be100f0000fe101f00000e2db21");
    EXPECT_EQ(Bytes(packets[1].payload.begin(), packets[1].payload.begin() + expected_section.size()), expected_section);
    EXPECT_EQ(packets[2].pid, kTsPidVideo);
}

TEST(TsMuxerTables, WrittenBeforeTheFirstPesWithoutBeingAsked) {
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::video, 0, kAvcKeyframe, out);
    mux_ok(muxer, FrameKind::video, 200, kAvcInter1, out);
    const auto packets = split_packets(out);
    ASSERT_EQ(packets.size(), 4u);
    EXPECT_EQ(packets[0].pid, kTsPidPat);
    EXPECT_EQ(packets[1].pid, kTsPidPmt);
    EXPECT_EQ(packets[2].pid, kTsPidVideo);
    EXPECT_EQ(packets[3].pid, kTsPidVideo);
    EXPECT_EQ(muxer.stats().tables_written, 1u);
}

TEST(TsMuxerTables, RepeatedBeforeKeyframesWhenAsked) {
    TsMuxerOptions options;
    options.tables_before_keyframes = true;
    TsMuxer muxer(options);
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::video, 0, kAvcKeyframe, out);    // tables (first), PES
    mux_ok(muxer, FrameKind::video, 200, kAvcInter1, out);    // PES
    mux_ok(muxer, FrameKind::video, 400, kAvcKeyframe, out);  // tables, PES
    muxer.write_tables(out);                                  // segment start: tables ...
    mux_ok(muxer, FrameKind::video, 600, kAvcKeyframe, out);  // ... not repeated here
    std::vector<std::uint16_t> pids;
    for (const auto& packet : split_packets(out)) {
        pids.push_back(packet.pid);
    }
    const std::vector<std::uint16_t> expected = {0, 0x1001, 0x100, 0x100, 0, 0x1001, 0x100, 0, 0x1001, 0x100};
    EXPECT_EQ(pids, expected);
    expect_continuity(out);
}

// ---- PES, PCR, adaptation field ----

TEST(TsMuxerPes, HeaderCarriesPtsAndDtsBits) {
    TsMuxer muxer(srs_timing());
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    out.clear();
    muxer.write_tables(out);
    const Bytes slice = slice_nalu(0x41, 20);
    mux_ok(muxer, FrameKind::video, 1000, avcc_frame(0x27, 40, {slice}), out);
    const auto packets = split_packets(out);
    ASSERT_EQ(packets.size(), 3u);
    const Packet& video = packets[2];
    EXPECT_TRUE(video.unit_start);
    // 00 00 01 E0, PES_packet_length = 3 + 10 + (AUD 6 + 4 + 20), '10' flags, PTS+DTS, 10.
    // PTS 93600 (1000 ms + 40 ms CTS, x90) with prefix 0011, DTS 90000 with prefix 0001.
    const Bytes expected = hex("000001e0002b80c00a310005db41110005bf21");
    EXPECT_EQ(Bytes(video.payload.begin(), video.payload.begin() + expected.size()), expected);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 1u);
    EXPECT_EQ(pes[0].pts, 93600u);
    EXPECT_EQ(pes[0].dts, 90000u);
    EXPECT_EQ(pes[0].stream_id, 0xe0);
}

TEST(TsMuxerPes, PtsOnlyWhenEqualAndWrapsAt33Bits) {
    TsMuxer muxer(srs_timing());
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    out.clear();
    mux_ok(muxer, FrameKind::video, 0xFFFFFFFF, kAvcInter1, out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 1u);
    EXPECT_FALSE(pes[0].has_dts);
    // 0xFFFFFFFF ms * 90 = 0x1_5F_FFFF_FFA6 -> 33 bits 0x1FFFFFFA6.
    EXPECT_EQ(Bytes(pes[0].header.begin() + 7, pes[0].header.end()), hex("80052fffffff4d"));
    EXPECT_EQ(pes[0].pts, 0x1FFFFFFA6u);
}

TEST(TsMuxerPes, OffsetShiftsPtsDtsButNotPcrAndNegativeCtsIsClamped) {
    TsMuxer muxer;  // default offset
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::video, 1000, avcc_frame(0x27, -40, {slice_nalu(0x41, 8)}), out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 1u);
    const std::uint64_t offset = std::uint64_t{muxer.options().timestamp_offset_ms} * 90;
    EXPECT_EQ(pes[0].dts, 90000u + offset);
    EXPECT_EQ(pes[0].pts, pes[0].dts);  // PTS never before DTS
    ASSERT_TRUE(pes[0].has_pcr);
    EXPECT_EQ(pes[0].pcr_base, 90000u);
    EXPECT_LE(pes[0].pcr_base, pes[0].dts);
}

TEST(TsMuxerPes, PcrAndRandomAccessInTheFirstPacket) {
    TsMuxer muxer(srs_timing());
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    out.clear();
    muxer.write_tables(out);
    mux_ok(muxer, FrameKind::video, 1000, kAvcKeyframe, out);
    mux_ok(muxer, FrameKind::video, 1200, kAvcInter1, out);
    const auto packets = split_packets(out);
    ASSERT_EQ(packets.size(), 4u);
    const Bytes& key = packets[2].adaptation;
    ASSERT_GE(key.size(), 7u);
    // Flags: random_access_indicator + PCR_flag; PCR base 90000, reserved 111111, ext 0.
    EXPECT_EQ(Bytes(key.begin(), key.begin() + 7), hex("500000afc87e00"));
    const Bytes& inter = packets[3].adaptation;
    ASSERT_GE(inter.size(), 7u);
    EXPECT_EQ(inter[0], 0x10);  // PCR only: not a random access point
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 2u);
    EXPECT_TRUE(pes[0].random_access);
    EXPECT_FALSE(pes[1].random_access);
    EXPECT_EQ(pes[1].pcr_base, 1200u * 90);
}

TEST(TsMuxerPes, LastPacketIsStuffedThroughTheAdaptationField) {
    // First packet: 184 - 8 (PCR) = 176 payload bytes. A P frame with CTS 0 has a 14-byte PES
    // header; ES = AUD 6 + start code 4 + NALU. Pick NALU sizes so the last packet's payload
    // is 183 (adaptation field = its length byte alone), 182 (length + flags) and 100.
    for (const std::size_t last_payload : {std::size_t{183}, std::size_t{182}, std::size_t{100}, std::size_t{184}}) {
        TsMuxer muxer(srs_timing());
        Bytes out;
        mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
        out.clear();
        muxer.write_tables(out);
        out.clear();
        const std::size_t es_bytes = 176 + last_payload - 14;
        const Bytes slice = slice_nalu(0x41, es_bytes - 10);
        mux_ok(muxer, FrameKind::video, 0, avcc_frame(0x27, 0, {slice}), out);
        const auto packets = split_packets(out);
        ASSERT_EQ(packets.size(), 2u) << last_payload;
        const Packet& last = packets[1];
        EXPECT_EQ(last.payload.size(), last_payload);
        if (last_payload == 184) {
            EXPECT_FALSE(last.has_adaptation);
        } else if (last_payload == 183) {
            EXPECT_TRUE(last.has_adaptation);
            EXPECT_TRUE(last.adaptation.empty());  // adaptation_field_length 0
        } else {
            ASSERT_EQ(last.adaptation.size(), 183 - last_payload);
            EXPECT_EQ(last.adaptation[0], 0x00);  // no flags
            for (std::size_t i = 1; i < last.adaptation.size(); ++i) {
                EXPECT_EQ(last.adaptation[i], 0xff);
            }
        }
        const auto pes = collect_pes(out);
        ASSERT_EQ(pes.size(), 1u);
        EXPECT_EQ(pes[0].data, concat({kAvcAud, kStartCode, slice}));
    }
}

TEST(TsMuxerPes, SmallPesIsStuffedAfterThePcr) {
    TsMuxer muxer(srs_timing());
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    out.clear();
    mux_ok(muxer, FrameKind::video, 0, kAvcInter1, out);
    const auto packets = split_packets(out);
    ASSERT_EQ(packets.size(), 3u);
    const Packet& video = packets[2];
    // PES = 14 header + AUD 6 + 4 + 5 = 29 bytes, so the adaptation field fills 184 - 29.
    EXPECT_EQ(video.adaptation.size() + 1, 184u - 29);
    EXPECT_EQ(video.adaptation[0], 0x10);
    EXPECT_EQ(video.adaptation[7], 0xff);
    EXPECT_EQ(video.adaptation.back(), 0xff);
    EXPECT_EQ(video.payload.size(), 29u);
}

TEST(TsMuxerPes, ContinuityCountersWrapAt16PerPid) {
    TsMuxer muxer(srs_timing());
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    for (std::uint32_t i = 0; i < 20; ++i) {
        mux_ok(muxer, FrameKind::video, i * 40, kAvcInter1, out);
    }
    // One more frame of three packets crosses the wrap in the middle of a PES.
    mux_ok(muxer, FrameKind::video, 800, avcc_frame(0x27, 0, {slice_nalu(0x41, 400)}), out);
    std::vector<int> video_counters;
    for (const auto& packet : split_packets(out)) {
        if (packet.pid == kTsPidVideo) {
            video_counters.push_back(packet.continuity_counter);
        }
    }
    ASSERT_EQ(video_counters.size(), 23u);
    for (std::size_t i = 0; i < video_counters.size(); ++i) {
        EXPECT_EQ(video_counters[i], static_cast<int>(i % 16));
    }
    for (int i = 0; i < 20; ++i) {
        muxer.write_tables(out);
    }
    expect_continuity(out);
}

// ---- video access units ----

TEST(TsMuxerVideo, AnnexBWithAudAndParameterSetsBeforeKeyframes) {
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::video, 0, kAvcKeyframe, out);
    mux_ok(muxer, FrameKind::video, 200, kAvcInter1, out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 2u);
    EXPECT_EQ(pes[0].data, concat({kAvcAud, kStartCode, kAvcSps, kStartCode, kAvcPps, kStartCode, kAvcIdr}));
    EXPECT_EQ(pes[1].data, concat({kAvcAud, kStartCode, hex("419a208940")}));
    EXPECT_EQ(muxer.stats().video_frames, 2u);
}

TEST(TsMuxerVideo, KeyframeCarryingItsOwnParameterSetsAndAudIsNotDoubled) {
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    const Bytes own_aud = {0x09, 0x10};
    const Bytes sei = {0x06, 0x05, 0x01, 0x00, 0x80};
    mux_ok(muxer, FrameKind::video, 0, avcc_frame(0x17, 0, {own_aud, kAvcSps, kAvcPps, sei, kAvcIdr}), out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 1u);
    EXPECT_EQ(pes[0].data, concat({kAvcAud, kStartCode, kAvcSps, kStartCode, kAvcPps, kStartCode, sei, kStartCode,
                                   kAvcIdr}));
    EXPECT_EQ(count_of(pes[0].data, {0, 0, 1, 0x09}), 1u);
}

TEST(TsMuxerVideo, IdrInAFrameNotFlaggedKeyIsTreatedAsKeyframe) {
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::video, 0, avcc_frame(0x27, 0, {kAvcIdr}), out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 1u);
    EXPECT_TRUE(pes[0].random_access);
    EXPECT_EQ(count_of(pes[0].data, concat({kStartCode, kAvcSps})), 1u);
}

TEST(TsMuxerVideo, HevcUsesItsAudParameterSetsAndStreamType) {
    const Bytes vps = {0x40, 0x01, 0x0c, 0x01};
    const Bytes sps = {0x42, 0x01, 0x01, 0x01, 0x60};
    const Bytes pps = {0x44, 0x01, 0xc1, 0x72};
    const Bytes record = concat({hex("010160000000900000000000" "5df000fcfdf8f800000f03"), hex("a00001"), {0x00, 0x04}, vps,
                                 hex("a10001"), {0x00, 0x05}, sps, hex("a20001"), {0x00, 0x04}, pps});
    TsMuxer muxer;
    Bytes out;
    // Enhanced RTMP: keyframe | SequenceStart, "hvc1".
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, concat({{0x90, 'h', 'v', 'c', '1'}, record}), out),
              TsMuxOutcome::config_updated);
    EXPECT_EQ(muxer.video_stream_type(), TsStreamType::h265);
    const Bytes idr = {0x26, 0x01, 0xaf, 0x12};  // IDR_W_RADL (19)
    const Bytes trail = {0x02, 0x01, 0xd0, 0x34};  // TRAIL_R (1)
    // CodedFrames with an 80 ms composition time, then a legacy (codec id 12) inter frame.
    const Bytes keyframe = concat({{0x91, 'h', 'v', 'c', '1', 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x04}, idr});
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, keyframe, out), TsMuxOutcome::muxed);
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 40, avcc_frame(0x2c, 0, {trail}), out), TsMuxOutcome::muxed);
    const Bytes hevc_aud = {0, 0, 0, 1, 0x46, 0x01, 0x50};
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 2u);
    EXPECT_EQ(pes[0].data, concat({hevc_aud, kStartCode, vps, kStartCode, sps, kStartCode, pps, kStartCode, idr}));
    EXPECT_EQ(pes[0].pts - pes[0].dts, 80u * 90);
    EXPECT_TRUE(pes[0].random_access);
    EXPECT_EQ(pes[1].data, concat({hevc_aud, kStartCode, trail}));
    const auto packets = split_packets(out);
    ASSERT_GE(packets.size(), 2u);
    EXPECT_EQ(packets[1].payload[13], 0x24);  // PMT stream_type H.265
}

TEST(TsMuxerVideo, FramesBeforeTheirSequenceHeaderAndUnsupportedCodecs) {
    TsMuxer muxer;
    Bytes out;
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, kAvcKeyframe, out), TsMuxOutcome::waiting_for_config);
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, hex("9161763031aabb"), out), TsMuxOutcome::unsupported_codec);  // av01
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, hex("9076703039aabb"), out), TsMuxOutcome::unsupported_codec);  // vp09
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, hex("2200"), out), TsMuxOutcome::unsupported_codec);  // Sorenson
    EXPECT_EQ(mux_ok(muxer, FrameKind::audio, 0, hex("914f707573fc"), out), TsMuxOutcome::unsupported_codec);  // Opus
    EXPECT_EQ(mux_ok(muxer, FrameKind::audio, 0, hex("3200"), out), TsMuxOutcome::unsupported_codec);  // PCM
    EXPECT_EQ(mux_ok(muxer, FrameKind::audio, 0, kAacFrame, out), TsMuxOutcome::waiting_for_config);
    EXPECT_EQ(mux_ok(muxer, FrameKind::data, 0, hex("02000a6f6e4d65746144617461"), out), TsMuxOutcome::ignored);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(muxer.stats().unsupported_frames, 5u);
    EXPECT_EQ(muxer.stats().frames_without_config, 2u);
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, hex("1702000000"), out), TsMuxOutcome::ignored);  // end of sequence
    EXPECT_EQ(mux_ok(muxer, FrameKind::video, 0, hex("2701000000"), out), TsMuxOutcome::ignored);  // no NALU
    EXPECT_TRUE(out.empty());
}

TEST(TsMuxerVideo, MalformedFramesAppendNothingAndLeaveTheMuxerUsable) {
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::video, 0, kAvcKeyframe, out);
    const Bytes before = out;
    // NALU length past the end, a truncated length, a truncated header, a bad sequence header.
    for (const Bytes& bad : {hex("27010000000000ffff41"), hex("2701000000000041"), hex("2701"),
                             hex("17000000000142c00affe1ffff")}) {
        auto outcome = mux(muxer, frame_of(FrameKind::video, 40, bad), out);
        ASSERT_FALSE(outcome.has_value());
        EXPECT_EQ(outcome.error().code, core::Errc::protocol);
        EXPECT_EQ(out, before);
    }
    // The old configuration survived the bad sequence header: the next keyframe still gets it.
    mux_ok(muxer, FrameKind::video, 400, kAvcKeyframe, out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 2u);
    EXPECT_EQ(pes[1].data, pes[0].data);
    expect_continuity(out);
}

TEST(TsMuxerVideo, OversizedFrameIsRefused) {
    TsMuxerOptions options;
    options.video_frame_bytes_max = 1000;
    TsMuxer muxer(options);
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    auto outcome = mux(muxer, frame_of(FrameKind::video, 0, avcc_frame(0x27, 0, {slice_nalu(0x41, 2000)})), out);
    ASSERT_FALSE(outcome.has_value());
    EXPECT_EQ(outcome.error().code, core::Errc::too_large);
    EXPECT_TRUE(out.empty());
}

// ---- audio ----

TEST(TsMuxerAudio, AdtsFramesGatheredIntoOnePesWithinTheBound) {
    TsMuxer muxer(srs_timing());  // 100 ms per PES
    Bytes out;
    mux_ok(muxer, FrameKind::audio, 0, kAacSequenceHeader, out);
    for (std::uint32_t i = 0; i < 5; ++i) {  // 0, 23, 46, 69, 92 ms
        EXPECT_EQ(mux_ok(muxer, FrameKind::audio, i * 23, kAacFrame, out), TsMuxOutcome::buffered);
    }
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(muxer.has_held_audio());
    mux_ok(muxer, FrameKind::audio, 115, kAacFrame, out);  // 115 - 0 >= 100: the first five go out
    auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 1u);
    const Bytes adts = hex("fff1508001bffc");  // LC, 44.1 kHz, stereo, frame length 13
    Bytes expected;
    for (int i = 0; i < 5; ++i) {
        expected = concat({expected, adts, kAacSilence});
    }
    EXPECT_EQ(pes[0].data, expected);
    EXPECT_EQ(pes[0].stream_id, 0xc0);
    EXPECT_EQ(pes[0].pts, 0u);
    EXPECT_FALSE(pes[0].has_dts);
    EXPECT_TRUE(pes[0].random_access);
    EXPECT_TRUE(pes[0].has_pcr);  // audio-only: PCR on the audio PID
    EXPECT_EQ(pes[0].pid, kTsPidAudio);
    // flush() writes the held sixth frame, at its own PTS.
    muxer.flush(out);
    EXPECT_FALSE(muxer.has_held_audio());
    pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 2u);
    EXPECT_EQ(pes[1].pts, 115u * 90);
    EXPECT_EQ(pes[1].data, concat({adts, kAacSilence}));
}

TEST(TsMuxerAudio, OnePesPerFrameAndBoundsOnBytesAndBackwardsTime) {
    TsMuxerOptions options = srs_timing();
    options.audio_pes_duration_ms_max = 0;
    TsMuxer single(options);
    Bytes out;
    mux_ok(single, FrameKind::audio, 0, kAacSequenceHeader, out);
    EXPECT_EQ(mux_ok(single, FrameKind::audio, 0, kAacFrame, out), TsMuxOutcome::muxed);
    EXPECT_EQ(mux_ok(single, FrameKind::audio, 23, kAacFrame, out), TsMuxOutcome::muxed);
    EXPECT_EQ(collect_pes(out).size(), 2u);

    options.audio_pes_duration_ms_max = 1000;
    options.audio_pes_bytes_max = 30;  // two 13-byte frames fit, a third does not
    TsMuxer bounded(options);
    out.clear();
    mux_ok(bounded, FrameKind::audio, 0, kAacSequenceHeader, out);
    for (std::uint32_t i = 0; i < 4; ++i) {
        mux_ok(bounded, FrameKind::audio, i * 23, kAacFrame, out);
    }
    mux_ok(bounded, FrameKind::audio, 10, kAacFrame, out);  // backwards: starts a new PES
    bounded.flush(out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 3u);
    EXPECT_EQ(pes[0].data.size(), 26u);
    EXPECT_EQ(pes[1].data.size(), 26u);
    EXPECT_EQ(pes[1].pts, 46u * 90);
    EXPECT_EQ(pes[2].pts, 10u * 90);
    expect_continuity(out);
}

TEST(TsMuxerAudio, WithVideoThePcrStaysOnVideo) {
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::audio, 0, kAacSequenceHeader, out);
    mux_ok(muxer, FrameKind::video, 0, kAvcKeyframe, out);
    mux_ok(muxer, FrameKind::audio, 0, kAacFrame, out);
    muxer.flush(out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 2u);
    EXPECT_TRUE(pes[0].has_pcr);
    EXPECT_EQ(pes[1].pid, kTsPidAudio);
    EXPECT_FALSE(pes[1].has_pcr);
    EXPECT_TRUE(pes[1].random_access);
}

TEST(TsMuxerAudio, Mp3StreamTypeFromItsFrameHeader) {
    TsMuxer mpeg1;
    Bytes out;
    // MPEG-1 Layer III (FF FB): stream_type 0x03 on SRS's MP3 PID 0x102.
    EXPECT_EQ(mux_ok(mpeg1, FrameKind::audio, 0, hex("2ffffb9064000000"), out), TsMuxOutcome::buffered);
    EXPECT_EQ(mpeg1.audio_stream_type(), TsStreamType::mpeg1_audio);
    mpeg1.flush(out);
    auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 1u);
    EXPECT_EQ(pes[0].pid, kTsPidMp3);
    EXPECT_EQ(pes[0].data, hex("fffb9064000000"));
    // MPEG-2 Layer III (FF F3), 22.05 kHz: 0x04.
    TsMuxer mpeg2;
    out.clear();
    mux_ok(mpeg2, FrameKind::audio, 0, hex("2ffff39064"), out);
    EXPECT_EQ(mpeg2.audio_stream_type(), TsStreamType::mpeg2_audio);
}

TEST(TsMuxerAudio, AudioCodecSwitchFlushesHeldFramesOnTheOldPid) {
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::audio, 0, hex("2ffffb9064"), out);
    EXPECT_TRUE(out.empty());
    mux_ok(muxer, FrameKind::audio, 23, kAacSequenceHeader, out);
    mux_ok(muxer, FrameKind::audio, 23, kAacFrame, out);
    muxer.flush(out);
    const auto pes = collect_pes(out);
    ASSERT_EQ(pes.size(), 2u);
    EXPECT_EQ(pes[0].pid, kTsPidMp3);
    EXPECT_EQ(pes[1].pid, kTsPidAudio);
    EXPECT_EQ(muxer.audio_stream_type(), TsStreamType::aac_adts);
}

TEST(TsMuxerAudio, AacConfigAdtsCannotExpressIsUnsupported) {
    TsMuxer muxer;
    Bytes out;
    // LC, 44.1 kHz, channel configuration 0 (a PCE would follow).
    EXPECT_EQ(mux_ok(muxer, FrameKind::audio, 0, hex("af001200"), out), TsMuxOutcome::unsupported_codec);
    EXPECT_EQ(mux_ok(muxer, FrameKind::audio, 0, kAacFrame, out), TsMuxOutcome::waiting_for_config);
    auto bad = mux(muxer, frame_of(FrameKind::audio, 0, hex("af0012")), out);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, core::Errc::protocol);
    EXPECT_TRUE(out.empty());
}

// ---- whole streams ----

TEST(TsMuxerStream, EveryPacketIs188BytesWithSyncAndContinuity) {
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::audio, 0, kAacSequenceHeader, out);
    std::uint32_t audio_ms = 0;
    for (std::uint32_t frame = 0; frame < 50; ++frame) {
        const std::uint32_t video_ms = frame * 40;
        for (; audio_ms <= video_ms; audio_ms += 23) {
            mux_ok(muxer, FrameKind::audio, audio_ms, kAacFrame, out);
        }
        if (frame % 25 == 0) {
            muxer.flush(out);
            muxer.write_tables(out);
        }
        mux_ok(muxer, FrameKind::video, video_ms,
               frame % 25 == 0 ? kAvcKeyframe : avcc_frame(0x27, 0, {slice_nalu(0x41, 300 + frame * 37)}), out);
    }
    muxer.flush(out);
    ASSERT_EQ(out.size() % kTsPacketSize, 0u);
    for (std::size_t i = 0; i < out.size(); i += kTsPacketSize) {
        ASSERT_EQ(out[i], 0x47);
    }
    expect_continuity(out);
    EXPECT_EQ(muxer.stats().packets_written * kTsPacketSize, out.size());
    const auto pes = collect_pes(out);
    std::size_t video = 0;
    for (const auto& p : pes) {
        video += p.pid == kTsPidVideo ? 1 : 0;
    }
    EXPECT_EQ(video, 50u);
}

bool file_exists(const char* path) { return ::access(path, X_OK) == 0; }

std::string run(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return "popen failed";
    }
    std::array<char, 512> chunk{};
    while (std::fgets(chunk.data(), static_cast<int>(chunk.size()), pipe) != nullptr) {
        output += chunk.data();
    }
    ::pclose(pipe);
    return output;
}

TEST(TsMuxerStream, FfprobeSeesH264AndAacAndFfmpegDecodesCleanly) {
    if (!file_exists("/usr/bin/ffprobe")) {
        GTEST_SKIP() << "ffprobe not installed";
    }
    TsMuxer muxer;
    Bytes out;
    mux_ok(muxer, FrameKind::video, 0, kAvcSequenceHeader, out);
    mux_ok(muxer, FrameKind::audio, 0, kAacSequenceHeader, out);
    muxer.write_tables(out);
    const Bytes* video[] = {&kAvcKeyframe, &kAvcInter1, &kAvcInter2};
    std::uint32_t audio_ms = 0;
    for (std::uint32_t i = 0; i < 3; ++i) {
        mux_ok(muxer, FrameKind::video, i * 200, *video[i], out);
        for (; audio_ms < (i + 1) * 200; audio_ms += 23) {
            mux_ok(muxer, FrameKind::audio, audio_ms, kAacFrame, out);
        }
    }
    muxer.flush(out);
    const std::string path = testing::TempDir() + "ringcast_ts_muxer_" + std::to_string(::getpid()) + ".ts";
    {
        std::ofstream file(path, std::ios::binary);
        file.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    }
    const std::string streams = run("/usr/bin/ffprobe -v error -show_streams " + path + " 2>&1");
    EXPECT_NE(streams.find("codec_name=h264"), std::string::npos) << streams;
    EXPECT_NE(streams.find("codec_name=aac"), std::string::npos) << streams;
    EXPECT_NE(streams.find("width=16"), std::string::npos) << streams;
    EXPECT_NE(streams.find("sample_rate=44100"), std::string::npos) << streams;
    if (file_exists("/usr/bin/ffmpeg")) {
        // Every frame decodes with nothing logged at error level.
        const std::string decode = run("/usr/bin/ffmpeg -v error -i " + path + " -f null - 2>&1");
        EXPECT_EQ(decode, "");
        const std::string frames =
            run("/usr/bin/ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of "
                "csv=p=0 " +
                path + " 2>&1");
        // (Listed once under the program and once as a stream.)
        EXPECT_EQ(frames.substr(0, frames.find('\n')), "3") << frames;
    }
    std::remove(path.c_str());
}

}  // namespace
}  // namespace ringcast::media
