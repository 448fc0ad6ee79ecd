// The HTTP API with real clients: ffmpeg publishes and plays, curl asks the API (SRS's JSON,
// parsed here with simdjson), kicks a player, and scrapes the Prometheus exporter.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "integration/http_fetch.h"
#include "integration/media_files.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

struct ApiServer {
    explicit ApiServer(bool one_port = false)
        : http_port(free_tcp_port()),
          api_port(one_port ? http_port : free_tcp_port()),
          metrics_port(free_tcp_port()),
          server("http_server {\n enabled on;\n listen " + std::to_string(http_port) + ";\n}\n" +
                 "http_api {\n enabled on;\n listen " + std::to_string(api_port) + ";\n}\n" +
                 "exporter {\n enabled on;\n listen " + std::to_string(metrics_port) + ";\n}\n" +
                 "vhost __defaultVhost__ {\n http_remux {\n  enabled on;\n  mount [vhost]/[app]/[stream].flv;\n }\n}\n") {}
    [[nodiscard]] std::string api(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(api_port) + path;
    }
    [[nodiscard]] std::string flv(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(http_port) + path;
    }
    std::uint16_t http_port;
    std::uint16_t api_port;
    std::uint16_t metrics_port;
    RtmpServer server;
};

/// The API's answer parsed; fails the test when it is not JSON or its code is not 0.
simdjson::dom::element get_json(simdjson::dom::parser& parser, const std::string& url, std::string& text) {
    text = http_fetch(url);
    simdjson::dom::element doc;
    auto error = parser.parse(text).get(doc);
    EXPECT_EQ(error, simdjson::SUCCESS) << url << ": " << text;
    if (error == simdjson::SUCCESS) {
        int64_t code = -1;
        EXPECT_EQ(doc["code"].get(code), simdjson::SUCCESS) << text;
        EXPECT_EQ(code, 0) << text;
    }
    return doc;
}

constexpr const char* kPageUrl = "http://example.test/page.html";

Process play(const std::string& url, int seconds) {
    std::vector<std::string> args = {"ffmpeg", "-hide_banner", "-loglevel", "error"};
    if (url.starts_with("rtmp:")) {
        args.insert(args.end(), {"-rtmp_pageurl", kPageUrl});  // shown by the API as pageUrl
    }
    args.insert(args.end(), {"-i", url, "-t", std::to_string(seconds), "-f", "null", "-"});
    return Process::spawn(args);
}

/// Polls /api/v1/streams until `done(stream)` holds for stream `name`, or `timeout`; returns
/// how long it took (or timeout).
template <class Done>
std::chrono::milliseconds wait_for_stream(const ApiServer& api, const std::string& name, std::chrono::milliseconds timeout,
                                          Done done) {
    const auto start = std::chrono::steady_clock::now();
    simdjson::dom::parser parser;
    while (std::chrono::steady_clock::now() - start < timeout) {
        std::string text = http_fetch(api.api("/api/v1/streams"));
        simdjson::dom::element doc;
        if (parser.parse(text).get(doc) == simdjson::SUCCESS) {
            simdjson::dom::array streams;
            if (doc["streams"].get(streams) == simdjson::SUCCESS) {
                for (simdjson::dom::element stream : streams) {
                    std::string_view stream_name;
                    if (stream["name"].get(stream_name) == simdjson::SUCCESS && stream_name == name && done(stream)) {
                        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
                    }
                }
            }
        }
        std::this_thread::sleep_for(100ms);
    }
    return timeout;
}

/// Whether `process` exits within `timeout` (polling; it keeps running otherwise).
bool exits_within(Process& process, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!process.running()) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return !process.running();
}

std::int64_t clients_of(simdjson::dom::element stream) {
    int64_t clients = -1;
    if (stream["clients"].get(clients) != simdjson::SUCCESS) {
        return -1;
    }
    return clients;
}

TEST(HttpApi, VersionsSummariesAndVhostsAreSrsJson) {
    ApiServer api;
    ASSERT_TRUE(api.server.ready()) << api.server.process().err();
    simdjson::dom::parser parser;
    std::string text;
    auto versions = get_json(parser, api.api("/api/v1/versions"), text);
    std::string_view version;
    EXPECT_EQ(versions["data"]["version"].get(version), simdjson::SUCCESS) << text;
    std::string_view server_id;
    EXPECT_EQ(versions["server"].get(server_id), simdjson::SUCCESS) << text;
    EXPECT_TRUE(server_id.starts_with("vid-")) << text;

    auto summaries = get_json(parser, api.api("/api/v1/summaries"), text);
    int64_t cpus = 0;
    EXPECT_EQ(summaries["data"]["system"]["cpus_online"].get(cpus), simdjson::SUCCESS) << text;
    EXPECT_GE(cpus, 1);
    uint64_t mem_kbyte = 0;
    EXPECT_EQ(summaries["data"]["self"]["mem_kbyte"].get(mem_kbyte), simdjson::SUCCESS) << text;
    EXPECT_GT(mem_kbyte, 0u) << text;

    auto vhosts = get_json(parser, api.api("/api/v1/vhosts"), text);
    simdjson::dom::array list;
    ASSERT_EQ(vhosts["vhosts"].get(list), simdjson::SUCCESS) << text;
    bool found = false;
    for (simdjson::dom::element vhost : list) {
        std::string_view name;
        found |= vhost["name"].get(name) == simdjson::SUCCESS && name == "__defaultVhost__";
    }
    EXPECT_TRUE(found) << text;

    EXPECT_EQ(run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", api.api("/api/v1/nothing")}, 10s).out,
              "404");
}

TEST(HttpApi, StreamsShowCodecsSizeAndClientsAndAKickEndsOnlyThatPlayer) {
    ApiServer api;
    ASSERT_TRUE(api.server.ready()) << api.server.process().err();
    Process publisher = publish_test_pattern(api.server.url("live/apis"), 25);
    const auto published = wait_for_stream(api, "apis", 10s, [](simdjson::dom::element stream) {
        bool active = false;
        std::string_view video_codec;
        int64_t width = 0;
        std::string_view audio_codec;
        return stream["publish"]["active"].get(active) == simdjson::SUCCESS && active &&
               stream["video"]["codec"].get(video_codec) == simdjson::SUCCESS && video_codec == "H264" &&
               stream["video"]["width"].get(width) == simdjson::SUCCESS && width == 640 &&
               stream["audio"]["codec"].get(audio_codec) == simdjson::SUCCESS && audio_codec == "AAC";
    });
    ASSERT_LT(published, 10s) << http_fetch(api.api("/api/v1/streams"));

    Process rtmp_player = play(api.server.url("live/apis"), 20);
    Process flv_player = play(api.flv("/live/apis.flv"), 20);
    const auto seen = wait_for_stream(api, "apis", 5s, [](simdjson::dom::element stream) { return clients_of(stream) == 3; });
    EXPECT_LT(seen, 2s) << "players shown after " << seen.count() << " ms: " << http_fetch(api.api("/api/v1/streams"));

    simdjson::dom::parser parser;
    std::string text;
    auto clients = get_json(parser, api.api("/api/v1/clients"), text);
    simdjson::dom::array list;
    ASSERT_EQ(clients["clients"].get(list), simdjson::SUCCESS) << text;
    std::string rtmp_player_id;
    std::vector<std::string> types;
    for (simdjson::dom::element client : list) {
        std::string_view type;
        std::string_view id;
        ASSERT_EQ(client["type"].get(type), simdjson::SUCCESS) << text;
        ASSERT_EQ(client["id"].get(id), simdjson::SUCCESS) << text;
        types.emplace_back(type);
        if (type == "rtmp-play") {
            rtmp_player_id = std::string(id);
        }
    }
    std::sort(types.begin(), types.end());
    EXPECT_EQ(types, (std::vector<std::string>{"flv-play", "fmle-publish", "rtmp-play"})) << text;

    auto page = get_json(parser, api.api("/api/v1/clients?start=1&count=1"), text);
    int64_t total = 0;
    EXPECT_EQ(page["total"].get(total), simdjson::SUCCESS) << text;
    EXPECT_EQ(total, 3);
    simdjson::dom::array one;
    ASSERT_EQ(page["clients"].get(one), simdjson::SUCCESS) << text;
    EXPECT_EQ(one.size(), 1u) << text;

    // The single-item endpoints, by the ids the lists gave.
    auto streams = get_json(parser, api.api("/api/v1/streams"), text);
    simdjson::dom::array stream_list;
    ASSERT_EQ(streams["streams"].get(stream_list), simdjson::SUCCESS) << text;
    ASSERT_EQ(stream_list.size(), 1u) << text;
    std::string_view stream_id_view;
    std::string_view vhost_id_view;
    ASSERT_EQ(stream_list.at(0)["id"].get(stream_id_view), simdjson::SUCCESS) << text;
    ASSERT_EQ(stream_list.at(0)["vhost"].get(vhost_id_view), simdjson::SUCCESS) << text;
    const std::string stream_id(stream_id_view);
    const std::string vhost_id(vhost_id_view);
    auto one_stream = get_json(parser, api.api("/api/v1/streams/" + stream_id), text);
    std::string_view one_name;
    EXPECT_EQ(one_stream["stream"]["name"].get(one_name), simdjson::SUCCESS) << text;
    EXPECT_EQ(one_name, "apis") << text;
    auto one_vhost = get_json(parser, api.api("/api/v1/vhosts/" + vhost_id), text);
    std::string_view vhost_name;
    EXPECT_EQ(one_vhost["vhost"]["name"].get(vhost_name), simdjson::SUCCESS) << text;
    EXPECT_EQ(vhost_name, "__defaultVhost__") << text;

    ASSERT_FALSE(rtmp_player_id.empty()) << text;
    auto one_client = get_json(parser, api.api("/api/v1/clients/" + rtmp_player_id), text);
    std::string_view one_type;
    EXPECT_EQ(one_client["client"]["type"].get(one_type), simdjson::SUCCESS) << text;
    EXPECT_EQ(one_type, "rtmp-play") << text;
    std::string_view page_url;
    EXPECT_EQ(one_client["client"]["pageUrl"].get(page_url), simdjson::SUCCESS) << text;
    EXPECT_EQ(page_url, kPageUrl) << text;
    std::string kicked = http_fetch(api.api("/api/v1/clients/" + rtmp_player_id), {"-X", "DELETE"});
    EXPECT_NE(kicked.find("\"code\":0"), std::string::npos) << kicked;
    // The kicked ffmpeg sees the end of its stream and exits long before its -t 20; the other
    // player and the publisher go on.
    EXPECT_TRUE(exits_within(rtmp_player, 8s)) << "the kicked player is still playing";
    EXPECT_FALSE(exits_within(flv_player, 1s)) << "the HTTP-FLV player ended too";
    const auto after = wait_for_stream(api, "apis", 5s, [](simdjson::dom::element stream) { return clients_of(stream) == 2; });
    EXPECT_LT(after, 2s) << http_fetch(api.api("/api/v1/streams"));
    std::string gone = http_fetch(api.api("/api/v1/clients/" + rtmp_player_id));
    EXPECT_NE(gone.find("\"code\":2049"), std::string::npos) << gone;
}

TEST(HttpApi, ExporterServesPrometheusText) {
    ApiServer api;
    ASSERT_TRUE(api.server.ready()) << api.server.process().err();
    Process publisher = publish_test_pattern(api.server.url("live/prom"), 8);
    wait_for_stream(api, "prom", 10s, [](simdjson::dom::element) { return true; });
    std::string text = http_fetch("http://127.0.0.1:" + std::to_string(api.metrics_port) + "/metrics");
    ASSERT_FALSE(text.empty());
    // The text exposition format: comments, or `name{labels} value`, one sample per line.
    const std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.eE+-]+|NaN|[+-]Inf$)");
    std::istringstream lines(text);
    std::string line;
    int samples = 0;
    while (std::getline(lines, line)) {
        if (line.empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
            continue;
        }
        EXPECT_TRUE(std::regex_match(line, sample)) << "not a Prometheus sample: " << line;
        ++samples;
    }
    EXPECT_GT(samples, 5) << text;
    EXPECT_NE(text.find("srs_streams"), std::string::npos) << text;
    // Only /metrics on the exporter's port.
    EXPECT_EQ(run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                           "http://127.0.0.1:" + std::to_string(api.metrics_port) + "/api/v1/versions"},
                          10s)
                  .out,
              "404");
}

TEST(HttpApi, ApiAndStreamsShareOnePort) {
    ApiServer api(/*one_port=*/true);
    ASSERT_TRUE(api.server.ready()) << api.server.process().err();
    simdjson::dom::parser parser;
    std::string text;
    get_json(parser, api.api("/api/v1/versions"), text);
    Process publisher = publish_test_pattern(api.server.url("live/one"), 10);
    std::this_thread::sleep_for(3s);
    ProcessResult probe = run_command(
        {"ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", api.flv("/live/one.flv")}, 15s);
    EXPECT_NE(probe.out.find("h264"), std::string::npos) << probe.out << probe.err;
}

}  // namespace
}  // namespace ringcast::test
