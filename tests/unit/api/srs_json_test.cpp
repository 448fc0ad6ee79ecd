// SRS JSON answers parsed back with simdjson: every endpoint's field names, order and JSON types
// against SRS 7's, the envelope, paging in id order with "total", the error codes for unknown
// ids, kick answers, JSONP, strings from the network round-tripping, and SRS's codec names.
#include "api/srs_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "unit/api/api_test_support.h"

namespace ringcast::api {
namespace {

using test::keys_of;
using test::parse_json;
using test::sample_client;
using test::sample_server;
using test::sample_stream;
using test::shape_of;
using Shape = std::vector<std::string>;

const Shape envelope = {"code:i", "server:s", "service:s", "pid:s"};

Shape with_envelope(const Shape& rest) {
    Shape shape = envelope;
    shape.insert(shape.end(), rest.begin(), rest.end());
    return shape;
}

const Shape stream_shape_with_media = {"id:s", "name:s", "vhost:s", "app:s", "tcUrl:s", "url:s", "live_ms:i", "clients:i",
                                       "frames:i", "audio_frames:i", "video_frames:i", "send_bytes:i", "recv_bytes:i",
                                       "kbps:o", "publish:o", "video:o", "audio:o"};
const Shape client_shape = {"id:s", "vhost:s", "stream:s", "ip:s", "pageUrl:s", "swfUrl:s", "tcUrl:s", "url:s", "name:s",
                            "type:s", "publish:b", "alive:d", "send_bytes:i", "recv_bytes:i", "kbps:o"};
const Shape vhost_shape = {"id:s", "name:s", "enabled:b", "clients:i", "streams:i", "send_bytes:i", "recv_bytes:i", "kbps:o",
                           "hls:o"};
const Shape kbps_shape = {"recv_30s:i", "send_30s:i"};

simdjson::dom::object object_at(simdjson::dom::element element, std::string_view key) {
    simdjson::dom::object object;
    EXPECT_EQ(element[key].get(object), simdjson::SUCCESS) << key;
    return object;
}

simdjson::dom::object object_at(simdjson::dom::object parent, std::string_view key) {
    simdjson::dom::object object;
    EXPECT_EQ(parent[key].get(object), simdjson::SUCCESS) << key;
    return object;
}

VhostSnapshot vhost_named(std::string id, std::string name) {
    VhostSnapshot vhost;
    vhost.id = std::move(id);
    vhost.name = std::move(name);
    return vhost;
}

TEST(SrsJson, VersionsHasTheEnvelopeAndVersionData) {
    ServerSnapshot server = sample_server();
    server.version_major = 6;
    server.version_minor = 0;
    server.version_revision = 184;
    server.version = "6.0.184";
    std::string out;
    write_versions(server, out);
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
    EXPECT_EQ(shape_of(parsed->root.get_object()), with_envelope({"data:o"}));
    EXPECT_EQ(shape_of(object_at(parsed->root, "data")), (Shape{"major:i", "minor:i", "revision:i", "version:s"}));
    EXPECT_EQ(out, R"({"code":0,"server":"vid-k9x2m1a","service":"3ofb2e71","pid":"4242",)"
                   R"("data":{"major":6,"minor":0,"revision":184,"version":"6.0.184"}})");
}

TEST(SrsJson, SummariesHasEverySrsFieldWithSrsTypes) {
    const ServerSnapshot server = sample_server();
    std::string out;
    write_summaries(server, out);
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
    EXPECT_EQ(shape_of(parsed->root.get_object()), with_envelope({"data:o"}));
    const auto data = object_at(parsed->root, "data");
    EXPECT_EQ(shape_of(data), (Shape{"ok:b", "now_ms:i", "self:o", "system:o"}));
    EXPECT_EQ(shape_of(object_at(data, "self")),
              (Shape{"version:s", "pid:i", "ppid:i", "argv:s", "cwd:s", "mem_kbyte:i", "mem_percent:d", "cpu_percent:d",
                     "srs_uptime:i"}));
    EXPECT_EQ(shape_of(object_at(data, "system")),
              (Shape{"cpu_percent:d",     "disk_read_KBps:i",  "disk_write_KBps:i", "disk_busy_percent:d",
                     "mem_ram_kbyte:i",   "mem_ram_percent:d", "mem_swap_kbyte:i",  "mem_swap_percent:d",
                     "cpus:i",            "cpus_online:i",     "uptime:d",          "ilde_time:d",
                     "load_1m:d",         "load_5m:d",         "load_15m:d",        "net_sample_time:i",
                     "net_recv_bytes:i",  "net_send_bytes:i",  "net_recvi_bytes:i", "net_sendi_bytes:i",
                     "srs_sample_time:i", "srs_recv_bytes:i",  "srs_send_bytes:i",  "conn_sys:i",
                     "conn_sys_et:i",     "conn_sys_tw:i",     "conn_sys_udp:i",    "conn_srs:i"}));

    // Values: ratios stay ratios under the "_percent" names, as SRS sends them.
    double cpu = 0;
    EXPECT_EQ(parsed->root["data"]["self"]["cpu_percent"].get(cpu), simdjson::SUCCESS);
    EXPECT_DOUBLE_EQ(cpu, 0.5);
    int64_t pid = 0;
    EXPECT_EQ(parsed->root["data"]["self"]["pid"].get(pid), simdjson::SUCCESS);
    EXPECT_EQ(pid, 4242);
    uint64_t conn_srs = 0;
    EXPECT_EQ(parsed->root["data"]["system"]["conn_srs"].get(conn_srs), simdjson::SUCCESS);
    EXPECT_EQ(conn_srs, 7u);
    uint64_t send_bytes = 0;
    EXPECT_EQ(parsed->root["data"]["system"]["srs_send_bytes"].get(send_bytes), simdjson::SUCCESS);
    EXPECT_EQ(send_bytes, 123456789u);
}

TEST(SrsJson, StreamWithH264AndAac) {
    StreamSnapshot stream = sample_stream("vid-aaaaaaa", "livestream");
    stream.video = VideoInfo{.codec = VideoCodec::h264, .profile = 100, .level = 31, .width = 1280, .height = 720};
    stream.audio = AudioInfo{.codec = AudioCodec::aac, .sample_rate_hz = 48000, .channels = 2, .aac_object_type = 2};
    const ServerSnapshot server = sample_server();
    std::string out;
    write_stream(server, stream, out);
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
    EXPECT_EQ(shape_of(parsed->root.get_object()), with_envelope({"stream:o"}));
    const auto object = object_at(parsed->root, "stream");
    EXPECT_EQ(shape_of(object), stream_shape_with_media);
    EXPECT_EQ(shape_of(object_at(object, "kbps")), kbps_shape);
    EXPECT_EQ(shape_of(object_at(object, "publish")), (Shape{"active:b", "cid:s"}));
    EXPECT_EQ(shape_of(object_at(object, "video")), (Shape{"codec:s", "profile:s", "level:s", "width:i", "height:i"}));
    EXPECT_EQ(shape_of(object_at(object, "audio")), (Shape{"codec:s", "sample_rate:i", "channel:i", "profile:s"}));
    EXPECT_NE(out.find(R"("video":{"codec":"H264","profile":"High","level":"3.1","width":1280,"height":720})"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find(R"("audio":{"codec":"AAC","sample_rate":48000,"channel":2,"profile":"LC"})"), std::string::npos)
        << out;
    EXPECT_NE(out.find(R"("frames":680,"audio_frames":430,"video_frames":250)"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("vhost":"vid-0000001")"), std::string::npos);  // the vhost's id
    int64_t live_ms = 0;
    EXPECT_EQ(object["live_ms"].get(live_ms), simdjson::SUCCESS);
    EXPECT_EQ(live_ms, server.now_ms);  // SRS: the answer's time, not the stream's age
}

TEST(SrsJson, StreamWithoutMediaOrPublisher) {
    StreamSnapshot stream = sample_stream("vid-aaaaaaa", "idle");
    stream.publish_active = false;
    stream.publisher_client_id.clear();
    std::string out;
    write_stream(sample_server(), stream, out);
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
    const auto object = object_at(parsed->root, "stream");
    Shape shape = stream_shape_with_media;
    shape[shape.size() - 2] = "video:n";
    shape[shape.size() - 1] = "audio:n";
    EXPECT_EQ(shape_of(object), shape);
    EXPECT_EQ(shape_of(object_at(object, "publish")), (Shape{"active:b"}));  // no cid without a publisher
}

TEST(SrsJson, VideoProfileAndLevelPerCodec) {
    const auto video_of = [](VideoInfo video) {
        StreamSnapshot stream = sample_stream("vid-aaaaaaa", "s");
        stream.video = video;
        std::string out;
        write_stream(sample_server(), stream, out);
        const auto from = out.find(R"("video":)");
        return out.substr(from, out.find('}', from) - from + 1);
    };
    EXPECT_EQ(video_of({VideoCodec::hevc, 2, 153, 3840, 2160}),
              R"("video":{"codec":"HEVC","profile":"Main10","level":"5.1","width":3840,"height":2160})");
    EXPECT_EQ(video_of({VideoCodec::av1, 0, 0, 640, 360}),
              R"("video":{"codec":"AV1","profile":null,"level":null,"width":640,"height":360})");
    EXPECT_EQ(video_of({VideoCodec::vp6, 0, 0, 320, 240}),
              R"("video":{"codec":"VP6","profile":"Other","level":"Other","width":320,"height":240})");
    EXPECT_EQ(video_of({VideoCodec::h264, 578, 52, 1, 1}),
              R"x("video":{"codec":"H264","profile":"Baseline(Constrained)","level":"Other","width":1,"height":1})x");
}

TEST(SrsJson, StreamsArePagedInIdOrderWithTotal) {
    std::vector<StreamSnapshot> streams;
    for (int i = 0; i < 25; ++i) {
        streams.push_back(sample_stream(make_stat_id(static_cast<std::uint64_t>(i)), "s" + std::to_string(i)));
    }
    std::vector<std::string> sorted_ids;
    for (const auto& s : streams) {
        sorted_ids.push_back(s.id);
    }
    std::sort(sorted_ids.begin(), sorted_ids.end());
    std::shuffle(streams.begin(), streams.end(), std::mt19937(7));  // as shards hand them in
    Shape no_media = stream_shape_with_media;
    no_media[no_media.size() - 2] = "video:n";
    no_media[no_media.size() - 1] = "audio:n";

    const auto page_ids = [&](Page page) {
        std::string out;
        write_streams(sample_server(), streams, page, out);
        auto parsed = parse_json(out);
        EXPECT_EQ(parsed->error, simdjson::SUCCESS) << out;
        EXPECT_EQ(keys_of(parsed->root.get_object()),
                  (std::vector<std::string>{"code", "server", "service", "pid", "total", "streams"}));
        uint64_t total = 0;
        EXPECT_EQ(parsed->root["total"].get(total), simdjson::SUCCESS);
        EXPECT_EQ(total, 25u);
        std::vector<std::string> ids;
        for (auto element : parsed->root["streams"].get_array()) {
            EXPECT_EQ(shape_of(element.get_object()), no_media);
            ids.emplace_back(element["id"].get_string().value());
        }
        return ids;
    };
    const auto slice = [&](std::size_t from, std::size_t to) {
        return std::vector<std::string>(sorted_ids.begin() + static_cast<long>(from), sorted_ids.begin() + static_cast<long>(to));
    };
    EXPECT_EQ(page_ids(Page{}), slice(0, 10));
    EXPECT_EQ(page_ids(Page{10, 10}), slice(10, 20));
    EXPECT_EQ(page_ids(Page{20, 10}), slice(20, 25));
    EXPECT_EQ(page_ids(Page{24, 1}), slice(24, 25));
    EXPECT_EQ(page_ids(Page{25, 10}), slice(25, 25));
    EXPECT_EQ(page_ids(Page{1000000000000000000u, 1000}), slice(25, 25));
    EXPECT_EQ(page_ids(Page{0, 1000}), slice(0, 25));
}

TEST(SrsJson, EmptyListsAreEmptyArrays) {
    std::string out;
    write_streams(sample_server(), {}, Page{}, out);
    EXPECT_NE(out.find(R"("total":0,"streams":[]})"), std::string::npos) << out;
    out.clear();
    write_clients(sample_server(), {}, Page{}, out);
    EXPECT_NE(out.find(R"("total":0,"clients":[]})"), std::string::npos) << out;
    out.clear();
    write_vhosts(sample_server(), {}, out);
    EXPECT_NE(out.find(R"("vhosts":[]})"), std::string::npos) << out;
}

TEST(SrsJson, ClientsHaveSrsFieldsTypesAndKinds) {
    std::vector<ClientSnapshot> clients = {sample_client("c2", ClientType::flv_play),
                                           sample_client("c1", ClientType::fmle_publish),
                                           sample_client("c3", ClientType::rtmp_play)};
    std::string out;
    write_clients(sample_server(), clients, Page{}, out);
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
    EXPECT_EQ(keys_of(parsed->root.get_object()),
              (std::vector<std::string>{"code", "server", "service", "pid", "total", "clients"}));
    std::vector<std::string> types;
    std::vector<bool> publishes;
    for (auto element : parsed->root["clients"].get_array()) {
        EXPECT_EQ(shape_of(element.get_object()), client_shape);
        types.emplace_back(element["type"].get_string().value());
        publishes.push_back(element["publish"].get_bool().value());
    }
    EXPECT_EQ(types, (std::vector<std::string>{"fmle-publish", "flv-play", "rtmp-play"}));  // c1, c2, c3
    EXPECT_EQ(publishes, (std::vector<bool>{true, false, false}));
    double alive = 0;
    EXPECT_EQ(parsed->root["clients"].at(0)["alive"].get(alive), simdjson::SUCCESS);
    EXPECT_DOUBLE_EQ(alive, 12.5);
}

TEST(SrsJson, VhostsShowTheHlsFragmentOnlyWhenEnabled) {
    VhostSnapshot plain = vhost_named("vid-bbbbbbb", "__defaultVhost__");
    plain.clients = 2;
    plain.streams = 1;
    VhostSnapshot hls = plain;
    hls.id = "vid-aaaaaaa";
    hls.name = "hls.example.com";
    hls.hls_enabled = true;
    hls.hls_fragment_s = 10;
    const std::vector<VhostSnapshot> vhosts = {plain, hls};
    std::string out;
    write_vhosts(sample_server(), vhosts, out);
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
    EXPECT_EQ(shape_of(parsed->root.get_object()), with_envelope({"vhosts:a"}));
    auto list = parsed->root["vhosts"].get_array();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(shape_of(list.at(0).get_object()), vhost_shape);
    EXPECT_EQ(shape_of(object_at(list.at(0).value(), "hls")), (Shape{"enabled:b", "fragment:d"}));  // vid-aaaaaaa first
    EXPECT_EQ(shape_of(object_at(list.at(1).value(), "hls")), (Shape{"enabled:b"}));
    EXPECT_NE(out.find(R"("hls":{"enabled":true,"fragment":10.0})"), std::string::npos) << out;

    out.clear();
    write_vhost(sample_server(), plain, out);
    parsed = parse_json(out);
    EXPECT_EQ(shape_of(parsed->root.get_object()), with_envelope({"vhost:o"}));
}

TEST(SrsJson, UnknownIdsAnswerSrsErrorCodesAlone) {
    const ServerSnapshot server = sample_server();
    const std::vector<StreamSnapshot> streams = {sample_stream("vid-aaaaaaa", "s")};
    const std::vector<ClientSnapshot> clients = {sample_client("c1", ClientType::rtmp_play)};
    const std::vector<VhostSnapshot> vhosts = {vhost_named("vid-vvvvvvv", "v")};
    const ApiView view{server, vhosts, streams, clients};
    const auto answer = [&](Endpoint endpoint, std::string_view id) {
        std::string out;
        write_api_answer(Route{.endpoint = endpoint, .id = id}, view, out);
        return out;
    };
    EXPECT_EQ(answer(Endpoint::stream, "vid-nope"), R"({"code":2048})");
    EXPECT_EQ(answer(Endpoint::client, "c9"), R"({"code":2049})");
    EXPECT_EQ(answer(Endpoint::vhost, "vid-nope"), R"({"code":2014})");
    EXPECT_EQ(answer(Endpoint::kick_client, "c9"), R"({"code":2049})");
    EXPECT_EQ(answer(Endpoint::kick_client, ""), R"({"code":2049})");
    EXPECT_EQ(answer(Endpoint::stream, "vid-aaaaaaa").rfind(R"({"code":0,)", 0), 0u);
    EXPECT_EQ(answer(Endpoint::vhost, "vid-vvvvvvv").rfind(R"({"code":0,)", 0), 0u);
    // A kick that finds its client answers the bare envelope (SRS: the conn is expired).
    EXPECT_EQ(answer(Endpoint::kick_client, "c1"), R"({"code":0,"server":"vid-k9x2m1a","service":"3ofb2e71","pid":"4242"})");
    EXPECT_EQ(answer(Endpoint::metrics, ""), "");
    EXPECT_EQ(answer(Endpoint::options, ""), "");
}

TEST(SrsJson, EveryJsonEndpointParsesThroughTheDispatcher) {
    const ServerSnapshot server = sample_server();
    const std::vector<StreamSnapshot> streams = {sample_stream("vid-aaaaaaa", "s")};
    const std::vector<ClientSnapshot> clients = {sample_client("c1", ClientType::rtmp_play)};
    const std::vector<VhostSnapshot> vhosts = {vhost_named("vid-vvvvvvv", "v")};
    const ApiView view{server, vhosts, streams, clients};
    const Route routes[] = {
        {.endpoint = Endpoint::root},     {.endpoint = Endpoint::api},      {.endpoint = Endpoint::api_v1},
        {.endpoint = Endpoint::versions}, {.endpoint = Endpoint::summaries}, {.endpoint = Endpoint::vhosts},
        {.endpoint = Endpoint::vhost, .id = "vid-vvvvvvv"},                  {.endpoint = Endpoint::streams},
        {.endpoint = Endpoint::stream, .id = "vid-aaaaaaa"},                 {.endpoint = Endpoint::clients},
        {.endpoint = Endpoint::client, .id = "c1"},                          {.endpoint = Endpoint::kick_client, .id = "c1"},
    };
    for (const Route& route : routes) {
        std::string out;
        write_api_answer(route, view, out);
        auto parsed = parse_json(out);
        ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
        const Shape shape = shape_of(parsed->root.get_object());
        ASSERT_GE(shape.size(), envelope.size()) << out;
        EXPECT_EQ(Shape(shape.begin(), shape.begin() + 4), envelope) << out;
        int64_t code = -1;
        EXPECT_EQ(parsed->root["code"].get(code), simdjson::SUCCESS);
        EXPECT_EQ(code, 0) << out;
    }
}

TEST(SrsJson, IndexesListUrls) {
    const ServerSnapshot server = sample_server();
    std::string out;
    write_index(Endpoint::api_v1, server, out);
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
    EXPECT_EQ(shape_of(parsed->root.get_object()), with_envelope({"urls:o"}));
    EXPECT_EQ(keys_of(object_at(parsed->root, "urls")),
              (std::vector<std::string>{"versions", "summaries", "vhosts", "streams", "clients"}));
    out.clear();
    write_index(Endpoint::api, server, out);
    EXPECT_NE(out.find(R"("urls":{"v1":"the api version 1.0"})"), std::string::npos);
    out.clear();
    write_index(Endpoint::root, server, out);
    EXPECT_NE(out.find(R"("urls":{"api":"the api root"})"), std::string::npos);
}

TEST(SrsJson, JsonpWrapsAnswersAndErrors) {
    const ServerSnapshot server = sample_server();
    const ApiView view{server};
    std::string out;
    write_api_answer(Route{.endpoint = Endpoint::versions, .jsonp_callback = "cb"}, view, out);
    ASSERT_TRUE(out.starts_with("cb({\"code\":0,")) << out;
    ASSERT_TRUE(out.ends_with("})")) << out;
    EXPECT_EQ(parse_json(out.substr(3, out.size() - 4))->error, simdjson::SUCCESS);
    out.clear();
    write_api_answer(Route{.endpoint = Endpoint::client, .id = "x", .jsonp_callback = "cb"}, view, out);
    EXPECT_EQ(out, R"(cb({"code":2049}))");
}

TEST(SrsJson, StringsFromTheNetworkRoundTrip) {
    ClientSnapshot client = sample_client("c1", ClientType::rtmp_play);
    client.page_url = "http://x/?a=\"1\"&b=\\2\n\t\x01";
    client.swf_url = "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x8E\xA5";
    client.tc_url = "rtmp://h/live\xFF\xC0";  // ill-formed bytes from a hostile client
    client.name = "</script><script>alert(1)</script>\xE2\x80\xA8";
    std::string out;
    write_client(sample_server(), client, out);
    ASSERT_TRUE(simdjson::validate_utf8(out.data(), out.size()));
    auto parsed = parse_json(out);
    ASSERT_EQ(parsed->error, simdjson::SUCCESS) << out;
    EXPECT_EQ(parsed->root["client"]["pageUrl"].get_string().value(), client.page_url);
    EXPECT_EQ(parsed->root["client"]["swfUrl"].get_string().value(), client.swf_url);
    EXPECT_EQ(parsed->root["client"]["tcUrl"].get_string().value(), "rtmp://h/live\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(parsed->root["client"]["name"].get_string().value(), client.name);
}

TEST(SrsJson, SrsCodecAndClientTypeNames) {
    EXPECT_EQ(srs_video_codec_name(VideoCodec::other), "Other");
    EXPECT_EQ(srs_avc_profile_name(66), "Baseline");
    EXPECT_EQ(srs_avc_profile_name(77), "Main");
    EXPECT_EQ(srs_avc_profile_name(144), "High(444)");
    EXPECT_EQ(srs_avc_profile_name(1), "Other");
    EXPECT_EQ(srs_avc_level_name(10), "1");
    EXPECT_EQ(srs_avc_level_name(41), "4.1");
    EXPECT_EQ(srs_avc_level_name(52), "Other");
    EXPECT_EQ(srs_hevc_profile_name(1), "Main");
    EXPECT_EQ(srs_hevc_profile_name(3), "Main Still Picture");
    EXPECT_EQ(srs_hevc_level_name(30), "1");
    EXPECT_EQ(srs_hevc_level_name(186), "6.2");
    EXPECT_EQ(srs_hevc_level_name(31), "Other");
    EXPECT_EQ(srs_audio_codec_name(AudioCodec::mp3), "MP3");
    EXPECT_EQ(srs_audio_codec_name(AudioCodec::opus), "Opus");
    EXPECT_EQ(srs_aac_object_name(5), "HE");
    EXPECT_EQ(srs_aac_object_name(29), "HEv2");
    EXPECT_EQ(srs_aac_object_name(0), "Other");
    EXPECT_EQ(srs_client_type_name(ClientType::unknown), "Unknown");
    EXPECT_EQ(srs_client_type_name(ClientType::haivision_publish), "haivision-publish");
    EXPECT_TRUE(srs_client_type_is_publish(ClientType::flash_publish));
    EXPECT_FALSE(srs_client_type_is_publish(ClientType::hls_play));
    EXPECT_FALSE(srs_client_type_is_publish(ClientType::unknown));
}

TEST(SrsJson, StreamUrlsAsSrsBuildsThem) {
    EXPECT_EQ(srs_stream_url("__defaultVhost__", "live", "livestream"), "/live/livestream");
    EXPECT_EQ(srs_stream_url("__defaultVhost__", "live", "livestream.flv"), "/live/livestream");
    EXPECT_EQ(srs_stream_url("v.example.com", "live", "a.b.m3u8"), "v.example.com/live/a.b");
    EXPECT_EQ(srs_stream_url("v", "", ""), "v//");
}

TEST(SrsJson, StatIdsLookLikeSrsAndAreDeterministic) {
    const std::regex stat_id("vid-[0-9a-z]{7}");
    std::set<std::string> seen;
    for (std::uint64_t seed = 0; seed < 10000; ++seed) {
        const std::string id = make_stat_id(seed);
        ASSERT_TRUE(std::regex_match(id, stat_id)) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 10000u);
    EXPECT_EQ(make_stat_id(42), make_stat_id(42));
    EXPECT_NE(make_stat_id(42), make_stat_id(43));
    const std::string service = make_short_id(7, 8);
    EXPECT_TRUE(std::regex_match(service, std::regex("[0-9a-z]{8}"))) << service;
    EXPECT_TRUE(std::regex_match(make_short_id(7, 40), std::regex("[0-9a-z]{40}")));
    EXPECT_EQ(make_short_id(7, 0), "");
}

}  // namespace
}  // namespace ringcast::api
