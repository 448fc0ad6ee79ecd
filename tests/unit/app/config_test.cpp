#include "app/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace ringcast::app {
namespace {

namespace fs = std::filesystem;

LoadedConfig load(std::string_view text) { return load_config_text(text, "t.conf"); }

std::string error_of(std::string_view text) {
    try {
        load(text);
    } catch (const core::ConfigError& e) {
        return e.what();
    }
    return "";
}

std::string srs_conf(const std::string& name) { return std::string(RINGCAST_SRS_CONF_DIR) + "/" + name; }

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

ListenEndpoint any4(std::uint16_t port) { return {"0.0.0.0", port, false}; }

TEST(Config, DefaultsAreSrsDefaults) {
    LoadedConfig loaded = load("vhost __defaultVhost__ {\n}\n");
    const Config& c = loaded.config;
    EXPECT_TRUE(loaded.warnings.empty());
    EXPECT_EQ(c.file, "t.conf");
    EXPECT_EQ(c.rtmp.listen, std::vector<ListenEndpoint>{any4(1935)});
    EXPECT_EQ(c.rtmp.chunk_size, 60000);
    EXPECT_EQ(c.max_connections, 1000);
    EXPECT_EQ(c.pid, "./objs/srs.pid");
    EXPECT_TRUE(c.daemon);
    EXPECT_EQ(c.srs_log_tank, LogTank::file);
    EXPECT_EQ(c.srs_log_level, core::LogLevel::trace);
    EXPECT_EQ(c.srs_log_file, "./objs/srs.log");
    EXPECT_EQ(c.workers, default_workers());
    EXPECT_GE(c.workers, 1);
    EXPECT_LE(c.workers, 256);
    ASSERT_EQ(c.vhosts.size(), 1u);
    EXPECT_EQ(c.vhosts[0].name, "__defaultVhost__");
    EXPECT_TRUE(c.vhosts[0].enabled);
    EXPECT_FALSE(c.vhosts[0].chunk_size.has_value());
    EXPECT_EQ(c.vhosts[0].in_ack_size, 0);
    EXPECT_EQ(c.vhosts[0].out_ack_size, 2500000);
    EXPECT_EQ(c.vhosts[0].line, 1);
}

TEST(Config, TypedValues) {
    LoadedConfig loaded = load(
        "workers 3;\nmax_connections 2000;\npid /run/x.pid;\ndaemon off;\nsrs_log_tank console;\n"
        "srs_log_level warn;\nsrs_log_file /var/log/x.log;\nchunk_size 4096;\n"
        "vhost a { enabled off; chunk_size 128; in_ack_size 5000; out_ack_size 0; }\nvhost b { }\n");
    const Config& c = loaded.config;
    EXPECT_EQ(c.workers, 3);
    EXPECT_EQ(c.max_connections, 2000);
    EXPECT_EQ(c.pid, "/run/x.pid");
    EXPECT_FALSE(c.daemon);
    EXPECT_EQ(c.srs_log_tank, LogTank::console);
    EXPECT_EQ(c.srs_log_level, core::LogLevel::warn);
    EXPECT_EQ(c.srs_log_file, "/var/log/x.log");
    EXPECT_EQ(c.rtmp.chunk_size, 4096);
    ASSERT_EQ(c.vhosts.size(), 2u);
    const VhostConfig* a = c.find_vhost("a");
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(a->enabled);
    EXPECT_EQ(a->chunk_size, 128);
    EXPECT_EQ(a->in_ack_size, 5000);
    EXPECT_EQ(a->out_ack_size, 0);
    EXPECT_EQ(c.find_vhost("none"), nullptr);
}

TEST(Config, LogLevelV2OverridesWithShiftedNames) {
    EXPECT_EQ(load("srs_log_level warn;\nsrs_log_level_v2 info;\n").config.srs_log_level, core::LogLevel::trace);
    EXPECT_EQ(load("srs_log_level_v2 trace;\n").config.srs_log_level, core::LogLevel::verbose);
    EXPECT_EQ(load("srs_log_level_v2 debug;\n").config.srs_log_level, core::LogLevel::info);
}

TEST(Config, Srs6ListenForms) {
    EXPECT_EQ(load("listen 1935 1936;").config.rtmp.listen, (std::vector<ListenEndpoint>{any4(1935), any4(1936)}));
    EXPECT_EQ(load("listen 127.0.0.1:19350;").config.rtmp.listen,
              (std::vector<ListenEndpoint>{ListenEndpoint{"127.0.0.1", 19350, false}}));
    EXPECT_EQ(load("listen [::]:1935;").config.rtmp.listen, (std::vector<ListenEndpoint>{ListenEndpoint{"::", 1935, true}}));
    EXPECT_EQ(load("listen 1935 [::1]:1936;").config.rtmp.listen,
              (std::vector<ListenEndpoint>{any4(1935), ListenEndpoint{"::1", 1936, true}}));
}

TEST(Config, Srs7RtmpBlock) {
    LoadedConfig loaded = load("rtmp {\n  listen 1940 [::]:1940;\n  chunk_size 8192;\n}\n");
    EXPECT_TRUE(loaded.warnings.empty());
    EXPECT_EQ(loaded.config.rtmp.listen, (std::vector<ListenEndpoint>{any4(1940), ListenEndpoint{"::", 1940, true}}));
    EXPECT_EQ(loaded.config.rtmp.chunk_size, 8192);
}

TEST(Config, TopLevelListenOverridesRtmpBlockAsInSrs7) {
    LoadedConfig loaded = load("rtmp {\n  listen 1940;\n  chunk_size 8192;\n}\nlisten 1950;\n");
    EXPECT_EQ(loaded.config.rtmp.listen, std::vector<ListenEndpoint>{any4(1950)});
    EXPECT_EQ(loaded.config.rtmp.chunk_size, 8192);
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_EQ(loaded.warnings[0], "t.conf:5: top-level \"listen\" overrides rtmp.listen at t.conf:2 (as in SRS 7)");
}

TEST(Config, RepeatedDirectiveUsesTheFirstAndWarns) {
    LoadedConfig loaded = load("listen 1935;\nlisten 1936;\npid a;\npid b;\nvhost v {}\nvhost v { enabled off; }\n");
    EXPECT_EQ(loaded.config.rtmp.listen, std::vector<ListenEndpoint>{any4(1935)});
    EXPECT_EQ(loaded.config.pid, "a");
    ASSERT_EQ(loaded.config.vhosts.size(), 1u);
    EXPECT_TRUE(loaded.config.vhosts[0].enabled);
    EXPECT_EQ(loaded.warnings,
              (std::vector<std::string>{
                  "t.conf:2: duplicate \"listen\" ignored, the first one at t.conf:1 is used",
                  "t.conf:4: duplicate \"pid\" ignored, the first one at t.conf:3 is used",
                  "t.conf:6: duplicate vhost \"v\" ignored, the first one at t.conf:5 is used"}));
}

TEST(Config, ParseListenEndpoint) {
    ListenEndpoint e;
    EXPECT_TRUE(parse_listen_endpoint("1", e));
    EXPECT_TRUE(parse_listen_endpoint("65535", e));
    EXPECT_TRUE(parse_listen_endpoint("[fe80::1]:80", e));
    EXPECT_EQ(e.host, "fe80::1");
    for (std::string_view bad : {"", "abc", "0", "65536", "-1", "19 35", "1935x", "localhost:1935", "1.2.3:80",
                                 "1.2.3.4:", ":1935", "::1:1935", "[::1]", "[::1]1935", "[1.2.3.4]:80", "[::1:80"}) {
        EXPECT_FALSE(parse_listen_endpoint(bad, e)) << bad;
    }
}

TEST(Config, BadValuesAreErrorsAtTheirLine) {
    EXPECT_EQ(error_of("daemon off;\nlisten abc;\n"),
              "t.conf:2: invalid value \"abc\" for \"listen\": expected [IP:]PORT, e.g. 1935, 127.0.0.1:1935 or "
              "[::]:1935");
    EXPECT_EQ(error_of("rtmp {\n listen 1935 99999;\n}\n"),
              "t.conf:2: invalid value \"99999\" for \"listen\": expected [IP:]PORT, e.g. 1935, 127.0.0.1:1935 or "
              "[::]:1935");
    EXPECT_EQ(error_of("listen 1935 1935;"), "t.conf:1: \"listen\" lists 1935 twice");
    EXPECT_EQ(error_of("listen;"), "t.conf:1: directive \"listen\" takes 1 or more arguments, got 0");
    EXPECT_EQ(error_of("workers 0;"), "t.conf:1: invalid value \"0\" for \"workers\": expected an integer from 1 to 256");
    EXPECT_EQ(error_of("\nworkers 257;"),
              "t.conf:2: invalid value \"257\" for \"workers\": expected an integer from 1 to 256");
    EXPECT_EQ(error_of("workers 2x;"), "t.conf:1: invalid value \"2x\" for \"workers\": expected an integer from 1 to 256");
    EXPECT_EQ(error_of("chunk_size 10;"),
              "t.conf:1: invalid value \"10\" for \"chunk_size\": expected an integer from 128 to 65536");
    EXPECT_EQ(error_of("vhost v {\n chunk_size 70000;\n}"),
              "t.conf:2: invalid value \"70000\" for \"chunk_size\": expected an integer from 128 to 65536");
    EXPECT_EQ(error_of("max_connections 0;"),
              "t.conf:1: invalid value \"0\" for \"max_connections\": expected an integer from 1 to 1000000");
    EXPECT_EQ(error_of("daemon yes;"), "t.conf:1: invalid value \"yes\" for \"daemon\": expected on or off");
    EXPECT_EQ(error_of("srs_log_tank syslog;"),
              "t.conf:1: invalid value \"syslog\" for \"srs_log_tank\": expected console or file");
    EXPECT_EQ(error_of("srs_log_level loud;"),
              "t.conf:1: invalid value \"loud\" for \"srs_log_level\": expected verbose, info, trace, warn or error");
    EXPECT_EQ(error_of("srs_log_level_v2 verbose;"),
              "t.conf:1: invalid value \"verbose\" for \"srs_log_level_v2\": expected trace, debug, info, warn or error");
    EXPECT_EQ(error_of("pid a b;"), "t.conf:1: directive \"pid\" takes 1 argument, got 2");
    EXPECT_EQ(error_of("pid \"\";"), "t.conf:1: invalid value \"\" for \"pid\": expected a non-empty value");
    EXPECT_EQ(error_of("daemon off { }"), "t.conf:1: directive \"daemon\" takes no block");
    EXPECT_EQ(error_of("rtmp 1935;"), "t.conf:1: directive \"rtmp\" requires a block { ... }");
    EXPECT_EQ(error_of("vhost { }"), "t.conf:1: directive \"vhost\" takes 1 argument before its block, got 0");
    EXPECT_EQ(error_of("vhost a b { }"), "t.conf:1: directive \"vhost\" takes 1 argument before its block, got 2");
    EXPECT_EQ(error_of("vhost v;"), "t.conf:1: directive \"vhost\" requires a block { ... }");
    EXPECT_EQ(error_of("vhost v {\n\n enabled maybe;\n}"),
              "t.conf:3: invalid value \"maybe\" for \"enabled\": expected on or off");
}

TEST(Config, UnknownDirectivesAreErrors) {
    EXPECT_EQ(error_of("daemon off;\nfoo 1;\n"), "t.conf:2: unsupported directive \"foo\"");
    EXPECT_EQ(error_of("vhost v {\n  hls {\n    enabled on;\n    hls_bogus 1;\n  }\n}\n"),
              "t.conf:4: unsupported directive \"vhost.hls.hls_bogus\"");
    EXPECT_EQ(error_of("rtc_server {\n enabled on;\n bogus 1;\n}\n"), "t.conf:3: unsupported directive \"rtc_server.bogus\"");
    EXPECT_EQ(error_of("rtmp {\n listen 1935;\n ack 1;\n}\n"), "t.conf:3: unsupported directive \"rtmp.ack\"");
    EXPECT_EQ(error_of("worker_processes 3;\n"),
              "t.conf:1: unsupported directive \"worker_processes\" (this looks like an nginx config, not an SRS one)");
}

TEST(Config, UnimplementedDirectivesWarnOncePerOccurrence) {
    LoadedConfig loaded = load(
        "daemon off;\nrtc_server {\n  enabled on;\n  listen 8000;\n  tcp { enabled on; }\n}\n"
        "srt_server { enabled on; }\nff_log_dir ./objs;\n"
        "vhost v {\n  dash {\n    enabled on;\n  }\n  min_latency on;\n  chunk_size 4096;\n}\n");
    EXPECT_EQ(loaded.warnings,
              (std::vector<std::string>{
                  "t.conf:2: directive \"rtc_server\" is not implemented by ringcast, ignored",
                  "t.conf:7: directive \"srt_server\" is not implemented by ringcast, ignored",
                  "t.conf:8: directive \"ff_log_dir\" is not implemented by ringcast, ignored",
                  "t.conf:10: directive \"vhost.dash\" is not implemented by ringcast, ignored"}));
    EXPECT_EQ(loaded.config.vhosts[0].chunk_size, 4096);
    EXPECT_TRUE(loaded.config.vhosts[0].min_latency);
}

TEST(Config, FreeFormBlocksAcceptAnyNameAsSrsDoes) {
    LoadedConfig loaded = load(
        "vhost v {\n transcode {\n  engine e {\n   vparams { anything 1; }\n   perfile { re; }\n  }\n }\n}\n"
        "circuit_breaker { whatever on; }\n");
    EXPECT_EQ(loaded.warnings.size(), 2u);
}

TEST(Config, LegacySpellingsAreRewritten) {
    LoadedConfig loaded = load(
        "http_stream {\n enabled on;\n}\nvhost v {\n  gop_cache off;\n  mode remote;\n  forward 127.0.0.1:1936;\n"
        "  http { enabled on; }\n}\n");
    EXPECT_EQ(loaded.warnings,
              (std::vector<std::string>{
                  "t.conf:8: directive \"vhost.http_static\" is not implemented by ringcast, ignored",
                  "t.conf:6: mode remote without an origin: players of this vhost wait for a publisher and nothing "
                  "is pulled"}));
    EXPECT_TRUE(loaded.config.vhosts[0].cluster.edge) << "vhost-level mode (SRS 1) moves into cluster {}";
    ASSERT_EQ(loaded.config.vhosts[0].forward.destinations.size(), 1u) << "SRS 1's forward moves into forward {}";
    EXPECT_EQ(loaded.config.vhosts[0].forward.destinations[0].port, 1936);
    EXPECT_FALSE(loaded.config.vhosts[0].play.gop_cache) << "vhost-level gop_cache (SRS 1) moves into play {}";
}

TEST(Config, PlayAndPublishBlocks) {
    LoadedConfig loaded = load(
        "vhost v {\n  play {\n    time_jitter zero;\n    mw_latency 100;\n    mw_msgs 4;\n    queue_length 10;\n"
        "    gop_cache_max_frames 300;\n    atc on;\n  }\n  publish {\n    mr on;\n    firstpkt_timeout 5000;\n"
        "    normal_timeout 3000;\n  }\n  tcp_nodelay on;\n}\nvhost defaults {\n}\n");
    EXPECT_TRUE(loaded.warnings.empty());
    const VhostConfig& v = loaded.config.vhosts[0];
    EXPECT_EQ(v.play.time_jitter, TimeJitter::zero);
    EXPECT_EQ(v.play.mw_latency_ms, 100);
    EXPECT_EQ(v.play.mw_msgs, 4);
    EXPECT_DOUBLE_EQ(v.play.queue_length_s, 10);
    EXPECT_EQ(v.play.gop_cache_max_frames, 300);
    EXPECT_TRUE(v.play.atc);
    EXPECT_TRUE(v.publish.mr);
    EXPECT_EQ(v.publish.firstpkt_timeout_ms, 5000);
    EXPECT_EQ(v.publish.normal_timeout_ms, 3000);
    EXPECT_TRUE(v.tcp_nodelay);
    const VhostConfig& d = loaded.config.vhosts[1];
    EXPECT_EQ(d.play.time_jitter, TimeJitter::full);
    EXPECT_EQ(d.play.mw_latency_ms, 350);
    EXPECT_TRUE(d.play.gop_cache);
    EXPECT_DOUBLE_EQ(d.play.queue_length_s, 30);
    EXPECT_EQ(d.play.mw_msgs, 8);
    EXPECT_EQ(error_of("vhost v {\n play {\n  time_jitter fast;\n }\n}\n"),
              "t.conf:3: invalid value \"fast\" for \"time_jitter\": expected full, zero or off");
    EXPECT_EQ(error_of("vhost v {\n play {\n  queue_length -1;\n }\n}\n"),
              "t.conf:3: invalid value \"-1\" for \"queue_length\": expected seconds from 0 to 3600");
}

TEST(Config, MinLatencyMakesMergedWriteWaitForNoMessageCount) {
    LoadedConfig loaded = load(
        "vhost realtime {\n  min_latency on;\n  play { mw_latency 100; }\n}\n"
        "vhost explicit {\n  min_latency on;\n  play { mw_msgs 4; }\n}\n");
    EXPECT_EQ(loaded.config.vhosts[0].play.mw_msgs, 0);
    EXPECT_EQ(loaded.config.vhosts[0].play.mw_latency_ms, 100);
    EXPECT_EQ(loaded.config.vhosts[1].play.mw_msgs, 4);
}

TEST(Config, LegacyTreeMatchesSrsTransform) {
    core::ConfDirective root = core::parse_config_text(
        "listen 1935;\nchunk_size 4096;\nvhost v {\n refer a.com;\n refer_play b.com;\n mr { enabled on; latency 350; }\n"
        "  publish_1stpkt_timeout 20000;\n  nack { enabled on; no_copy off; }\n  rtc { aac transcode; }\n"
        "  forward x:1936 y:1937;\n  http_remux { hstrs on; enabled on; }\n}\n",
        "t.conf");
    build_config(root);
    const core::ConfDirective* rtmp = root.find("rtmp");
    ASSERT_NE(rtmp, nullptr);
    EXPECT_EQ(rtmp->find("chunk_size")->arg(0), "4096");
    EXPECT_EQ(rtmp->find("chunk_size")->line, 2);
    EXPECT_EQ(root.find("listen"), nullptr);
    const core::ConfDirective& v = *root.find("vhost");
    EXPECT_EQ(v.find("refer")->find("enabled")->arg(0), "on");
    EXPECT_EQ(v.find("refer")->find("all")->arg(0), "a.com");
    EXPECT_EQ(v.find("refer")->find("play")->arg(0), "b.com");
    EXPECT_EQ(v.find("publish")->find("mr")->arg(0), "on");
    EXPECT_EQ(v.find("publish")->find("mr_latency")->arg(0), "350");
    EXPECT_EQ(v.find("publish")->find("firstpkt_timeout")->arg(0), "20000");
    EXPECT_EQ(v.find("rtc")->find("nack")->arg(0), "on");
    EXPECT_EQ(v.find("rtc")->find("nack_no_copy")->arg(0), "off");
    EXPECT_EQ(v.find("rtc")->find("rtmp_to_rtc")->arg(0), "on");
    EXPECT_EQ(v.find("forward")->find("destination")->args, (std::vector<std::string>{"x:1936", "y:1937"}));
    EXPECT_TRUE(v.find("forward")->args.empty());
    EXPECT_EQ(v.find("http_remux")->find("hstrs"), nullptr);
}

TEST(Config, AsprocessConflictsWithDaemon) {
    EXPECT_EQ(error_of("asprocess on;\n"), "t.conf:1: asprocess on conflicts with daemon on (SRS refuses it too)");
    EXPECT_EQ(error_of("asprocess on;\ndaemon off;\n"), "");
}

// SRS's conf/ ships two nginx configs (for a cache in front of SRS); SRS refuses them too.
const std::set<std::string> nginx_configs = {"hls.edge.conf", "nginx.proxy.conf"};

TEST(Config, EverySrsExampleConfigLoads) {
    int count = 0;
    for (const auto& entry : fs::directory_iterator(RINGCAST_SRS_CONF_DIR)) {
        std::string name = entry.path().filename().string();
        if (entry.path().extension() != ".conf" || name == "full.conf" || nginx_configs.count(name) != 0) {
            continue;
        }
        SCOPED_TRACE(name);
        EXPECT_NO_THROW(load_config(entry.path().string()));
        ++count;
    }
    EXPECT_GT(count, 90);
}

TEST(Config, NginxConfigsInSrsConfDirAreRefusedAsSrsDoes) {
    for (const auto& name : nginx_configs) {
        try {
            load_config(srs_conf(name));
            ADD_FAILURE() << name << " loaded";
        } catch (const core::ConfigError& e) {
            EXPECT_EQ(e.reason(), "unsupported directive \"worker_processes\" (this looks like an nginx config, not an SRS one)");
        }
    }
}

TEST(Config, FullConfIsRefusedBecauseSrsRefusesIt) {
    try {
        load_config(srs_conf("full.conf"));
        FAIL() << "full.conf loaded";
    } catch (const core::ConfigError& e) {
        EXPECT_EQ(e.file(), srs_conf("full.conf"));
        EXPECT_NE(e.reason().find("is_full on"), std::string::npos);
        EXPECT_NE(e.reason().find("never use full.conf"), std::string::npos);
    }
}

TEST(Config, FullConfWithoutTheIsFullMarkLoads) {
    // Proves is_full is the only reason: every other directive of full.conf is known and valid.
    std::string text = read_file(srs_conf("full.conf"));
    std::size_t mark = text.rfind("is_full on;");
    ASSERT_NE(mark, std::string::npos);
    text.replace(mark, 11, "is_full off;");
    LoadedConfig loaded = load_config_text(text, srs_conf("full.conf"));
    EXPECT_FALSE(loaded.config.daemon);
    EXPECT_EQ(loaded.config.rtmp.listen, std::vector<ListenEndpoint>{any4(1935)});
    EXPECT_NE(loaded.config.find_vhost("include.srs.com"), nullptr);
    EXPECT_EQ(loaded.config.find_vhost("scope.vhost.srs.com")->out_ack_size, 2500000);
    EXPECT_GT(loaded.warnings.size(), 40u);
}

TEST(Config, RingcastDefaultConfigLoads) {
    LoadedConfig loaded = load_config(std::string(RINGCAST_SOURCE_DIR) + "/conf/ringcast.conf");
    EXPECT_FALSE(loaded.config.daemon);
    EXPECT_EQ(loaded.config.srs_log_tank, LogTank::console);
    EXPECT_EQ(loaded.config.rtmp.listen, std::vector<ListenEndpoint>{any4(1935)});
    EXPECT_NE(loaded.config.find_vhost("__defaultVhost__"), nullptr);
}

// ---- hls { } ---------------------------------------------------------------------------------

TEST(ConfigHls, DefaultsAreSrsDefaults) {
    LoadedConfig loaded = load("vhost v {\n  hls {\n  }\n}\nvhost none {\n}\n");
    EXPECT_TRUE(loaded.warnings.empty());
    for (const VhostConfig& v : loaded.config.vhosts) {
        const HlsConfig& hls = v.hls;
        EXPECT_FALSE(hls.enabled);
        EXPECT_EQ(hls.fragment_ms, 10'000);
        EXPECT_DOUBLE_EQ(hls.td_ratio, 1.0);
        EXPECT_DOUBLE_EQ(hls.aof_ratio, 2.1);
        EXPECT_EQ(hls.window_ms, 60'000);
        EXPECT_EQ(hls.on_error, HlsOnError::continue_);
        EXPECT_EQ(hls.path, "./objs/nginx/html");
        EXPECT_EQ(hls.m3u8_file, "[app]/[stream].m3u8");
        EXPECT_EQ(hls.ts_file, "[app]/[stream]-[seq].ts");
        EXPECT_EQ(hls.entry_prefix, "");
        EXPECT_TRUE(hls.cleanup);
        EXPECT_EQ(hls.dispose_ms, 120'000);
        EXPECT_TRUE(hls.wait_keyframe);
        EXPECT_FALSE(hls.ts_floor);
        EXPECT_EQ(hls.nb_notify, 64);
    }
}

TEST(ConfigHls, EveryImplementedDirective) {
    LoadedConfig loaded = load(
        "vhost v {\n  hls {\n    enabled on;\n    hls_fragment 2.5;\n    hls_td_ratio 1.5;\n    hls_aof_ratio 2.0;\n"
        "    hls_window 10;\n    hls_path /tmp/hls;\n    hls_m3u8_file [vhost]/[app]/[stream].m3u8;\n"
        "    hls_ts_file [app]/[stream]/[2006][01][02]-[seq].ts;\n    hls_entry_prefix http://cdn.example.com;\n"
        "    hls_cleanup off;\n    hls_dispose 30;\n    hls_wait_keyframe off;\n    hls_ts_floor on;\n"
        "    hls_on_error ignore;\n    hls_nb_notify 32;\n  }\n}\n");
    EXPECT_TRUE(loaded.warnings.empty()) << loaded.warnings.front();
    const HlsConfig& hls = loaded.config.vhosts.at(0).hls;
    EXPECT_TRUE(hls.enabled);
    EXPECT_EQ(hls.fragment_ms, 2'500);
    EXPECT_DOUBLE_EQ(hls.td_ratio, 1.5);
    EXPECT_DOUBLE_EQ(hls.aof_ratio, 2.0);
    EXPECT_EQ(hls.window_ms, 10'000);
    EXPECT_EQ(hls.path, "/tmp/hls");
    EXPECT_EQ(hls.m3u8_file, "[vhost]/[app]/[stream].m3u8");
    EXPECT_EQ(hls.ts_file, "[app]/[stream]/[2006][01][02]-[seq].ts");
    EXPECT_EQ(hls.entry_prefix, "http://cdn.example.com");
    EXPECT_FALSE(hls.cleanup);
    EXPECT_EQ(hls.dispose_ms, 30'000);
    EXPECT_FALSE(hls.wait_keyframe);
    EXPECT_TRUE(hls.ts_floor);
    EXPECT_EQ(hls.on_error, HlsOnError::ignore);
    EXPECT_EQ(hls.nb_notify, 32);
}

TEST(ConfigHls, TheBriefsExampleBlockWithAnEmptyEntryPrefix) {
    LoadedConfig loaded = load(
        "vhost X { hls { enabled on; hls_fragment 10; hls_td_ratio 1.5; hls_aof_ratio 2.0; hls_window 60; "
        "hls_path ./objs/nginx/html; hls_m3u8_file [app]/[stream].m3u8; hls_ts_file [app]/[stream]-[seq].ts; "
        "hls_entry_prefix; hls_cleanup on; hls_dispose 0; hls_wait_keyframe on; hls_ts_floor off; "
        "hls_on_error continue; hls_nb_notify 64; } }\n");
    EXPECT_TRUE(loaded.warnings.empty());
    const HlsConfig& hls = loaded.config.vhosts.at(0).hls;
    EXPECT_TRUE(hls.enabled);
    EXPECT_EQ(hls.entry_prefix, "");
    EXPECT_EQ(hls.dispose_ms, 0);
    EXPECT_EQ(hls.on_error, HlsOnError::continue_);
}

TEST(ConfigHls, UnimplementedHlsDirectivesWarnAndDisconnectSaysWhatItDoes) {
    LoadedConfig loaded = load(
        "vhost v {\n  hls {\n    enabled on;\n    hls_keys on;\n    hls_use_fmp4 on;\n    hls_acodec mp3;\n"
        "    hls_on_error disconnect;\n  }\n}\n");
    ASSERT_EQ(loaded.warnings.size(), 4u);
    EXPECT_EQ(loaded.warnings[0], "t.conf:4: directive \"vhost.hls.hls_keys\" is not implemented by ringcast, ignored");
    EXPECT_EQ(loaded.warnings[1], "t.conf:5: directive \"vhost.hls.hls_use_fmp4\" is not implemented by ringcast, ignored");
    EXPECT_EQ(loaded.warnings[2], "t.conf:6: directive \"vhost.hls.hls_acodec\" is not implemented by ringcast, ignored");
    EXPECT_NE(loaded.warnings[3].find("t.conf:7: hls_on_error disconnect does not disconnect"), std::string::npos)
        << loaded.warnings[3];
    EXPECT_EQ(loaded.config.vhosts.at(0).hls.on_error, HlsOnError::disconnect);
    EXPECT_TRUE(loaded.config.vhosts.at(0).hls.enabled);
}

TEST(ConfigHls, BadValuesAreErrorsAtTheirLine) {
    auto hls_error = [](const std::string& directive) {
        return error_of("vhost v {\n  hls {\n    " + directive + "\n  }\n}\n");
    };
    EXPECT_EQ(hls_error("enabled yes;"), "t.conf:3: invalid value \"yes\" for \"enabled\": expected on or off");
    EXPECT_EQ(hls_error("hls_fragment 0;"),
              "t.conf:3: invalid value \"0\" for \"hls_fragment\": expected seconds above 0 to 3600");
    EXPECT_EQ(hls_error("hls_fragment -2;"),
              "t.conf:3: invalid value \"-2\" for \"hls_fragment\": expected seconds above 0 to 3600");
    EXPECT_EQ(hls_error("hls_fragment ten;"),
              "t.conf:3: invalid value \"ten\" for \"hls_fragment\": expected seconds above 0 to 3600");
    EXPECT_EQ(hls_error("hls_fragment 0.0001;"),
              "t.conf:3: invalid value \"0.0001\" for \"hls_fragment\": expected seconds above 0 to 3600 (at least 1 ms)");
    EXPECT_EQ(hls_error("hls_fragment nan;"),
              "t.conf:3: invalid value \"nan\" for \"hls_fragment\": expected seconds above 0 to 3600");
    EXPECT_EQ(hls_error("hls_td_ratio 0;"),
              "t.conf:3: invalid value \"0\" for \"hls_td_ratio\": expected a ratio above 0 to 1000");
    EXPECT_EQ(hls_error("hls_aof_ratio inf;"),
              "t.conf:3: invalid value \"inf\" for \"hls_aof_ratio\": expected a ratio above 0 to 1000");
    EXPECT_EQ(hls_error("hls_window -1;"),
              "t.conf:3: invalid value \"-1\" for \"hls_window\": expected seconds from 0 to 2.592e+06");
    EXPECT_EQ(hls_error("hls_dispose 1x;"),
              "t.conf:3: invalid value \"1x\" for \"hls_dispose\": expected seconds from 0 to 3.1536e+07");
    EXPECT_EQ(hls_error("hls_on_error retry;"),
              "t.conf:3: invalid value \"retry\" for \"hls_on_error\": expected continue, ignore or disconnect");
    EXPECT_EQ(hls_error("hls_path \"\";"), "t.conf:3: invalid value \"\" for \"hls_path\": expected a non-empty value");
    EXPECT_EQ(hls_error("hls_ts_file a b;"), "t.conf:3: directive \"hls_ts_file\" takes 1 argument, got 2");
    EXPECT_EQ(hls_error("hls_entry_prefix a b;"),
              "t.conf:3: directive \"hls_entry_prefix\" takes 0 or 1 argument, got 2");
    EXPECT_EQ(hls_error("hls_nb_notify -1;"),
              "t.conf:3: invalid value \"-1\" for \"hls_nb_notify\": expected an integer from 0 to 1048576");
    EXPECT_EQ(error_of("vhost v {\n  hls on;\n}\n"), "t.conf:2: directive \"hls\" requires a block { ... }");
}

TEST(ConfigHttpRemux, MountExtensionPicksTheFormat) {
    auto remux_of = [](const std::string& mount) {
        return load("vhost v {\n  http_remux {\n    enabled on;\n    mount " + mount + ";\n  }\n}\n");
    };
    struct Case {
        std::string mount;
        media::HttpRemuxFormat format;
    };
    for (const Case& c : {Case{"[vhost]/[app]/[stream].flv", media::HttpRemuxFormat::flv},
                          Case{"[vhost]/[app]/[stream].ts", media::HttpRemuxFormat::ts},
                          Case{"[vhost]/[app]/[stream].aac", media::HttpRemuxFormat::aac},
                          Case{"/live/[stream].mp3", media::HttpRemuxFormat::mp3}}) {
        LoadedConfig loaded = remux_of(c.mount);
        EXPECT_TRUE(loaded.warnings.empty()) << c.mount;
        const HttpRemuxConfig& remux = loaded.config.vhosts.at(0).http_remux;
        EXPECT_TRUE(remux.enabled) << c.mount;
        EXPECT_EQ(remux.mount, c.mount);
        EXPECT_EQ(remux.format, c.format) << c.mount;
    }
    // The default mount is FLV.
    LoadedConfig defaults = load("vhost v {\n  http_remux {\n    enabled on;\n  }\n}\n");
    EXPECT_EQ(defaults.config.vhosts.at(0).http_remux.format, media::HttpRemuxFormat::flv);
    EXPECT_TRUE(defaults.config.vhosts.at(0).http_remux.enabled);

    LoadedConfig other = remux_of("[vhost]/[app]/[stream].m3u8");
    EXPECT_FALSE(other.config.vhosts.at(0).http_remux.enabled);
    ASSERT_EQ(other.warnings.size(), 1u);
    EXPECT_EQ(other.warnings[0],
              "t.conf:4: http_remux mount \"[vhost]/[app]/[stream].m3u8\" is not served (the mount must end in .flv, "
              ".ts, .aac or .mp3), this http_remux is ignored");
}

}  // namespace
}  // namespace ringcast::app

namespace ringcast::app {
namespace {

TEST(ConfigCluster, EdgeWithOriginsAsSrsWritesThem) {
    LoadedConfig loaded = load(
        "vhost edge.test {\n cluster {\n  mode remote;\n  origin 127.0.0.1:19350 localhost [::1]:1936;\n"
        "  token_traverse on;\n  vhost same.edge.srs.com;\n  debug_srs_upnode off;\n }\n}\n");
    const ClusterConfig& cluster = loaded.config.vhosts.at(0).cluster;
    EXPECT_TRUE(cluster.edge);
    ASSERT_EQ(cluster.origins.size(), 3u);
    EXPECT_EQ(cluster.origins[0].host, "127.0.0.1");
    EXPECT_EQ(cluster.origins[0].port, 19350);
    EXPECT_EQ(cluster.origins[0].address, "127.0.0.1");
    EXPECT_EQ(cluster.origins[1].host, "localhost");
    EXPECT_EQ(cluster.origins[1].port, 1935);  // SRS's default port
    EXPECT_FALSE(cluster.origins[1].address.empty());  // resolved while loading
    EXPECT_EQ(cluster.origins[2].host, "::1");
    EXPECT_EQ(cluster.origins[2].to_string(), "[::1]:1936");
    EXPECT_TRUE(cluster.token_traverse);
    EXPECT_EQ(cluster.vhost, "same.edge.srs.com");
    EXPECT_FALSE(cluster.debug_srs_upnode);
    EXPECT_TRUE(loaded.warnings.empty()) << loaded.warnings.front();
}

TEST(ConfigCluster, DefaultsAndErrors) {
    const ClusterConfig cluster = load("vhost v {\n}\n").config.vhosts.at(0).cluster;
    EXPECT_FALSE(cluster.edge);
    EXPECT_TRUE(cluster.debug_srs_upnode);
    EXPECT_NE(load("vhost v {\n cluster {\n  mode remote;\n }\n}\n").warnings.at(0).find("without an origin"),
              std::string::npos);
    EXPECT_NE(error_of("vhost v {\n cluster {\n  mode edge;\n }\n}\n").find("local or remote"), std::string::npos);
    EXPECT_NE(error_of("vhost v {\n cluster {\n  mode remote;\n  origin 1.2.3.4:0;\n }\n}\n").find("HOST[:PORT]"),
              std::string::npos);
    EXPECT_NE(error_of("vhost v {\n cluster {\n  mode remote;\n  origin 1.2.3.4/live/s;\n }\n}\n").find("HOST[:PORT]"),
              std::string::npos);
}

TEST(ConfigForward, DestinationsWithAndWithoutStream) {
    LoadedConfig loaded = load(
        "vhost v {\n forward {\n  enabled on;\n  destination 127.0.0.1:1936 127.0.0.1:1937/live/other "
        "rtmp://127.0.0.1/a/b/c;\n }\n}\n");
    const ForwardConfig& forward = loaded.config.vhosts.at(0).forward;
    EXPECT_TRUE(forward.enabled);
    ASSERT_EQ(forward.destinations.size(), 3u);
    EXPECT_EQ(forward.destinations[0].port, 1936);
    EXPECT_TRUE(forward.destinations[0].app.empty());
    EXPECT_EQ(forward.destinations[1].app, "live");
    EXPECT_EQ(forward.destinations[1].stream, "other");
    EXPECT_EQ(forward.destinations[2].port, 1935);
    EXPECT_EQ(forward.destinations[2].app, "a/b");
    EXPECT_EQ(forward.destinations[2].stream, "c");
}

TEST(ConfigForward, BackendUrlIsSplitAndResolved) {
    LoadedConfig loaded = load("vhost v {\n forward {\n  enabled on;\n  backend http://127.0.0.1:8085/api/v1/forward;\n }\n}\n");
    const ForwardConfig& forward = loaded.config.vhosts.at(0).forward;
    EXPECT_EQ(forward.backend, "http://127.0.0.1:8085/api/v1/forward");
    ASSERT_TRUE(forward.backend_url.has_value());
    EXPECT_EQ(forward.backend_url->host, "127.0.0.1");
    EXPECT_EQ(forward.backend_url->port, 8085);
    EXPECT_EQ(forward.backend_url->address, "127.0.0.1");
    EXPECT_EQ(forward.backend_url->path, "/api/v1/forward");
    EXPECT_TRUE(loaded.warnings.empty());
}

TEST(ConfigForward, BackendUrlForms) {
    HookUrl url;
    ASSERT_TRUE(parse_hook_url("http://hooks.test", url));
    EXPECT_EQ(url.host, "hooks.test");
    EXPECT_EQ(url.port, 80);
    EXPECT_EQ(url.path, "/");
    ASSERT_TRUE(parse_hook_url("http://[::1]:8085/a?b=c", url));
    EXPECT_EQ(url.host, "::1");
    EXPECT_EQ(url.port, 8085);
    EXPECT_EQ(url.path, "/a?b=c");
    ASSERT_TRUE(parse_hook_url("http://[::1]/x", url));
    EXPECT_EQ(url.port, 80);
    for (const char* bad : {"", "127.0.0.1:8085/api", "ftp://h/x", "http://", "http:///x", "http://h:/x", "http://h:99999/x",
                            "http://u:p@h/x", "http://[::1/x", "http://h/a b"}) {
        EXPECT_FALSE(parse_hook_url(bad, url)) << bad;
    }
}

TEST(ConfigForward, BadBackendIsAnErrorHttpsAndUnresolvableAreWarnings) {
    EXPECT_THROW(load("vhost v {\n forward {\n  backend 127.0.0.1:8085/api;\n }\n}\n"), core::ConfigError);
    LoadedConfig https = load("vhost v {\n forward {\n  backend https://127.0.0.1:8085/api;\n }\n}\n");
    EXPECT_FALSE(https.config.vhosts.at(0).forward.backend_url.has_value());
    ASSERT_EQ(https.warnings.size(), 1u);
    EXPECT_NE(https.warnings[0].find("https"), std::string::npos);
    LoadedConfig unresolved = load("vhost v {\n forward {\n  backend http://no-such-host.invalid/api;\n }\n}\n");
    EXPECT_FALSE(unresolved.config.vhosts.at(0).forward.backend_url.has_value());
    ASSERT_EQ(unresolved.warnings.size(), 1u);
    EXPECT_NE(unresolved.warnings[0].find("cannot resolve"), std::string::npos);
}

TEST(ConfigCluster, UnresolvableOriginIsAWarningNotAnError) {
    LoadedConfig loaded = load("vhost v {\n cluster {\n  mode remote;\n  origin no-such-host.invalid:1935;\n }\n}\n");
    EXPECT_TRUE(loaded.config.vhosts.at(0).cluster.origins.at(0).address.empty());
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_NE(loaded.warnings[0].find("cannot resolve"), std::string::npos);
}

}  // namespace
}  // namespace ringcast::app
