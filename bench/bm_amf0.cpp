// AMF0 on the command path: decoding what encoders send (connect, onMetaData) and encoding the
// server's answers. Once per connection or per metadata, never per media message, so the figure
// to watch is that a connection's whole command exchange stays in the microseconds.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "core/byte_io.h"
#include "proto/rtmp/amf0.h"

namespace {

using namespace ringcast::proto::rtmp;

std::vector<std::uint8_t> encoded(const std::vector<Amf0Value>& values) { return encode_amf0(values); }

/// ffmpeg's connect command.
std::vector<std::uint8_t> connect_command() {
    return encoded({Amf0Value("connect"), Amf0Value(1.0),
                    Amf0Value::object({{"app", "live"},
                                       {"flashVer", "FMLE/3.0 (compatible; Lavf59.27.100)"},
                                       {"tcUrl", "rtmp://127.0.0.1:1935/live"},
                                       {"type", "nonprivate"},
                                       {"fpad", false},
                                       {"capabilities", 15.0},
                                       {"audioCodecs", 4071.0},
                                       {"videoCodecs", 252.0},
                                       {"videoFunction", 1.0}})});
}

/// ffmpeg's onMetaData (as @setDataFrame carries it).
std::vector<std::uint8_t> metadata() {
    return encoded({Amf0Value("onMetaData"),
                    Amf0Value::ecma_array({{"duration", 0.0},          {"width", 1920.0},
                                           {"height", 1080.0},         {"videodatarate", 6000.0},
                                           {"framerate", 30.0},        {"videocodecid", 7.0},
                                           {"audiodatarate", 128.0},   {"audiosamplerate", 48000.0},
                                           {"audiosamplesize", 16.0},  {"stereo", true},
                                           {"audiocodecid", 10.0},     {"encoder", "Lavf59.27.100"},
                                           {"filesize", 0.0}})});
}

void BM_Amf0Decode(benchmark::State& state, std::vector<std::uint8_t> bytes) {
    for (auto _ : state) {
        auto values = read_amf0_all(bytes);
        benchmark::DoNotOptimize(values);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK_CAPTURE(BM_Amf0Decode, connect, connect_command());
BENCHMARK_CAPTURE(BM_Amf0Decode, on_metadata, metadata());

void BM_Amf0EncodeConnectResult(benchmark::State& state) {
    const Amf0Value props = Amf0Value::object({{"fmsVer", "FMS/3,5,3,888"}, {"capabilities", 127.0}, {"mode", 1.0}});
    const Amf0Value info = Amf0Value::object({{"level", "status"},
                                              {"code", "NetConnection.Connect.Success"},
                                              {"description", "Connection succeeded"},
                                              {"objectEncoding", 0.0}});
    std::vector<std::uint8_t> bytes;
    for (auto _ : state) {
        bytes.clear();
        ringcast::core::ByteWriter writer(bytes);
        write_amf0_command(writer, "_result", 1, props, std::span<const Amf0Value>(&info, 1));
        benchmark::DoNotOptimize(bytes.data());
    }
}
BENCHMARK(BM_Amf0EncodeConnectResult);

}  // namespace

BENCHMARK_MAIN();
