// Prometheus text: every line matches the 0.0.4 exposition grammar (HELP/TYPE comments, metric
// and label names, escaped label values, one sample per line, a parseable value), families are
// contiguous and declared once, SRS's metric names and values, label escaping of hostile stream
// names, and the optional families.
#include "api/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "unit/api/api_test_support.h"

namespace ringcast::api {
namespace {

using test::sample_server;
using test::sample_stream;

struct Sample {
    std::string name;
    std::string labels;  // the {...} text, braces included, or empty
    std::string value;
};

struct Exposition {
    std::vector<Sample> samples;
    std::map<std::string, std::string> types;  // family -> counter|gauge
    std::vector<std::string> errors;
};

// Checks the text line by line against the exposition grammar and the family rules.
Exposition check_exposition(const std::string& text) {
    static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (?:[^\\\n]|\\[\\n])*)");
    static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
    static const std::regex sample(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (\S+))");
    Exposition result;
    if (text.empty() || text.back() != '\n') {
        result.errors.push_back("text does not end with a newline");
    }
    std::set<std::string> finished;  // families whose samples are over
    std::string current;             // the family being written
    std::string pending_help;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::smatch match;
        if (std::regex_match(line, match, help)) {
            pending_help = match[1];
        } else if (std::regex_match(line, match, type)) {
            const std::string family = match[1];
            if (pending_help != family) {
                result.errors.push_back("TYPE without its HELP first: " + line);
            }
            if (result.types.count(family) != 0) {
                result.errors.push_back("family declared twice: " + family);
            }
            if (!current.empty()) {
                finished.insert(current);
            }
            current = family;
            result.types[family] = match[2];
        } else if (std::regex_match(line, match, sample)) {
            const Sample s{match[1], match[2], match[3]};
            if (s.name != current) {
                result.errors.push_back("sample outside its family: " + line);
            }
            if (finished.count(s.name) != 0) {
                result.errors.push_back("family interleaved: " + line);
            }
            char* end = nullptr;
            std::strtod(s.value.c_str(), &end);
            if (end != s.value.c_str() + s.value.size() && s.value != "NaN" && s.value != "+Inf" && s.value != "-Inf") {
                result.errors.push_back("bad value: " + line);
            }
            result.samples.push_back(s);
        } else {
            result.errors.push_back("not exposition grammar: " + line);
        }
    }
    for (const auto& [family, kind] : result.types) {
        if (kind == "counter" && !family.ends_with("_total")) {
            result.errors.push_back("counter without _total: " + family);
        }
    }
    return result;
}

std::string value_of(const Exposition& e, std::string_view name, std::string_view labels = "") {
    for (const Sample& s : e.samples) {
        if (s.name == name && s.labels == labels) {
            return s.value;
        }
    }
    return "<missing>";
}

TEST(Prometheus, TheGrammarCheckRejectsWhatScrapersReject) {
    EXPECT_TRUE(check_exposition("# HELP a_total x\n# TYPE a_total counter\na_total 1\n").errors.empty());
    EXPECT_FALSE(check_exposition("# HELP a_total x\n# TYPE a_total counter\na_total 1").errors.empty());
    EXPECT_FALSE(check_exposition("# HELP a x\n# TYPE a counter\na 1\n").errors.empty());  // no _total
    EXPECT_FALSE(check_exposition("# HELP 1a x\n# TYPE 1a gauge\n1a 1\n").errors.empty());
    EXPECT_FALSE(check_exposition("# HELP a x\n# TYPE a gauge\na{b=\"c\"\"} 1\n").errors.empty());
    EXPECT_FALSE(check_exposition("# HELP a x\n# TYPE a gauge\na one\n").errors.empty());
    EXPECT_FALSE(check_exposition("# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n")
                     .errors.empty());  // interleaved
    EXPECT_FALSE(check_exposition("# HELP a x\n# TYPE a gauge\na 1\n# HELP a x\n# TYPE a gauge\n").errors.empty());
}

TEST(Prometheus, SrsFamiliesWithSrsNamesAndValues) {
    std::string out;
    write_metrics(sample_server(), {}, {}, out);
    const Exposition e = check_exposition(out);
    EXPECT_TRUE(e.errors.empty()) << testing::PrintToString(e.errors) << "\n" << out;
    const std::map<std::string, std::string> srs_types = {
        {"srs_node_uname_info", "gauge"},     {"srs_build_info", "gauge"},
        {"srs_cpu_percent", "gauge"},         {"srs_memory", "gauge"},
        {"srs_send_bytes_total", "counter"},  {"srs_receive_bytes_total", "counter"},
        {"srs_streams", "gauge"},             {"srs_clients", "gauge"},
        {"srs_clients_total", "counter"},     {"srs_clients_errs_total", "counter"},
    };
    EXPECT_EQ(e.types, srs_types);  // and no per-stream/shard family without streams/shards
    EXPECT_EQ(value_of(e, "srs_cpu_percent"), "50");  // percent here, a ratio in the JSON
    EXPECT_EQ(value_of(e, "srs_memory"), "40960");    // KiB of resident memory
    EXPECT_EQ(value_of(e, "srs_send_bytes_total"), "123456789");
    EXPECT_EQ(value_of(e, "srs_receive_bytes_total"), "987654321");
    EXPECT_EQ(value_of(e, "srs_streams"), "3");
    EXPECT_EQ(value_of(e, "srs_clients"), "7");
    EXPECT_EQ(value_of(e, "srs_clients_total"), "100");
    EXPECT_EQ(value_of(e, "srs_clients_errs_total"), "4");
    EXPECT_EQ(value_of(e, "srs_node_uname_info",
                       R"({sysname="Linux",nodename="edge-1",release="6.1.0",version="#1 SMP",machine="x86_64"})"),
              "1");
    EXPECT_EQ(value_of(e, "srs_build_info",
                       R"({server="vid-k9x2m1a",service="3ofb2e71",pid="4242",build_date="2025-01-02",major="0",)"
                       R"(version="0.1.0",code="ringcast"})"),
              "1");
    EXPECT_NE(out.find("# HELP srs_clients_errs_total The total errors of SRS clients.\n"
                       "# TYPE srs_clients_errs_total counter\n"
                       "srs_clients_errs_total 4\n"),
              std::string::npos)
        << out;
}

TEST(Prometheus, BuildInfoCarriesExporterLabelAndTagWhenSet) {
    ServerSnapshot server = sample_server();
    server.exporter_label = "cn-beijing";
    std::string out;
    write_metrics(server, {}, {}, out);
    EXPECT_NE(out.find(R"(code="ringcast",label="cn-beijing"} 1)"), std::string::npos) << out;
    server.exporter_tag = "cn-edge";
    out.clear();
    write_metrics(server, {}, {}, out);
    EXPECT_NE(out.find(R"(code="ringcast",label="cn-beijing",tag="cn-edge"} 1)"), std::string::npos) << out;
    server.exporter_label.clear();
    out.clear();
    write_metrics(server, {}, {}, out);
    EXPECT_NE(out.find(R"(code="ringcast",tag="cn-edge"} 1)"), std::string::npos) << out;
    EXPECT_TRUE(check_exposition(out).errors.empty());
}

TEST(Prometheus, NoUnameNoUnameFamily) {
    ServerSnapshot server = sample_server();
    server.uname = {};
    std::string out;
    write_metrics(server, {}, {}, out);
    EXPECT_EQ(out.find("srs_node_uname_info"), std::string::npos);
    EXPECT_TRUE(check_exposition(out).errors.empty());
}

TEST(Prometheus, PerStreamAndPerShardFamiliesAreContiguous) {
    std::vector<StreamSnapshot> streams = {sample_stream("vid-aaaaaaa", "one"), sample_stream("vid-bbbbbbb", "two")};
    streams[1].publish_active = false;
    streams[1].vhost = "v.example.com";
    const std::vector<ShardSnapshot> shards = {{.shard = 0, .connections = 5, .connections_accepted_total = 50,
                                                .send_bytes = 1 << 20, .recv_bytes = 1 << 10},
                                               {.shard = 1, .connections = 6, .connections_accepted_total = 60,
                                                .send_bytes = 2 << 20, .recv_bytes = 2 << 10}};
    std::string out;
    write_metrics(sample_server(), streams, shards, out);
    const Exposition e = check_exposition(out);
    EXPECT_TRUE(e.errors.empty()) << testing::PrintToString(e.errors) << "\n" << out;
    EXPECT_EQ(e.types.at("ringcast_stream_clients"), "gauge");
    EXPECT_EQ(e.types.at("ringcast_stream_publish_active"), "gauge");
    EXPECT_EQ(e.types.at("ringcast_stream_send_bytes_total"), "counter");
    EXPECT_EQ(e.types.at("ringcast_stream_receive_bytes_total"), "counter");
    EXPECT_EQ(e.types.at("ringcast_stream_frames_total"), "counter");
    EXPECT_EQ(e.types.at("ringcast_shard_connections"), "gauge");
    EXPECT_EQ(e.types.at("ringcast_shard_connections_accepted_total"), "counter");
    EXPECT_EQ(e.types.at("ringcast_shard_send_bytes_total"), "counter");
    EXPECT_EQ(e.types.at("ringcast_shard_receive_bytes_total"), "counter");
    EXPECT_EQ(value_of(e, "ringcast_stream_clients", R"({vhost="__defaultVhost__",app="live",stream="one"})"), "3");
    EXPECT_EQ(value_of(e, "ringcast_stream_publish_active", R"({vhost="v.example.com",app="live",stream="two"})"), "0");
    EXPECT_EQ(value_of(e, "ringcast_stream_frames_total",
                       R"({vhost="__defaultVhost__",app="live",stream="one",media="video"})"),
              "250");
    EXPECT_EQ(value_of(e, "ringcast_stream_frames_total",
                       R"({vhost="__defaultVhost__",app="live",stream="one",media="audio"})"),
              "430");
    EXPECT_EQ(value_of(e, "ringcast_shard_connections", R"({shard="1"})"), "6");
    EXPECT_EQ(value_of(e, "ringcast_shard_send_bytes_total", R"({shard="0"})"), "1048576");
}

TEST(Prometheus, HostileStreamNamesAreEscapedAndValidUtf8) {
    StreamSnapshot stream = sample_stream("vid-aaaaaaa", "a\"b\\c\nd} 1\n# TYPE x counter");
    stream.app = "live\xFF\xC0";
    stream.vhost = "\xE4\xB8\xAD";
    std::string out;
    write_metrics(sample_server(), std::vector<StreamSnapshot>{stream}, {}, out);
    ASSERT_TRUE(simdjson::validate_utf8(out.data(), out.size()));
    const Exposition e = check_exposition(out);
    EXPECT_TRUE(e.errors.empty()) << testing::PrintToString(e.errors) << "\n" << out;
    EXPECT_EQ(value_of(e, "ringcast_stream_clients",
                       "{vhost=\"\xE4\xB8\xAD\",app=\"live\xEF\xBF\xBD\xEF\xBF\xBD\","
                       "stream=\"a\\\"b\\\\c\\nd} 1\\n# TYPE x counter\"}"),
              "3");
}

TEST(Prometheus, WriterEscapesHelpAndWritesSpecialFloats) {
    std::string out;
    PrometheusWriter w(out);
    w.family("x_ratio", "line one\nback\\slash", MetricType::gauge);
    w.sample("x_ratio", {}, std::nan(""));
    w.sample("x_ratio", {{"k", "v"}}, std::numeric_limits<double>::infinity());
    w.sample("x_ratio", {{"k", "w"}}, -std::numeric_limits<double>::infinity());
    w.sample("x_ratio", {{"k", "z"}}, 0.25);
    EXPECT_EQ(out,
              "# HELP x_ratio line one\\nback\\\\slash\n"
              "# TYPE x_ratio gauge\n"
              "x_ratio NaN\n"
              "x_ratio{k=\"v\"} +Inf\n"
              "x_ratio{k=\"w\"} -Inf\n"
              "x_ratio{k=\"z\"} 0.25\n");
    EXPECT_TRUE(check_exposition(out).errors.empty());
}

TEST(Prometheus, LabelValueEscaping) {
    const auto escaped = [](std::string_view value) {
        std::string out;
        append_label_value(out, value);
        return out;
    };
    EXPECT_EQ(escaped("plain"), "plain");
    EXPECT_EQ(escaped("q\"b\\n\n"), "q\\\"b\\\\n\\n");
    EXPECT_EQ(escaped("tab\tcr\r"), "tab\tcr\r");  // only \, " and newline are escaped
    EXPECT_EQ(escaped("\xF0\x9F\x8E\xA5"), "\xF0\x9F\x8E\xA5");
    EXPECT_EQ(escaped("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace ringcast::api
