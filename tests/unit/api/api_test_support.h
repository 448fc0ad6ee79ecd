#pragma once
// Shared by the api tests: parse JSON back with simdjson's DOM (which tells integers from
// doubles, as a typed dashboard reader would), and sample snapshots.

#include <simdjson.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/stats.h"

namespace ringcast::api::test {

/// A parsed document; the elements point into the parser, so keep this alive while using them.
struct Parsed {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::error_code error = simdjson::UNINITIALIZED;
};

inline std::unique_ptr<Parsed> parse_json(const std::string& text) {
    auto parsed = std::make_unique<Parsed>();
    parsed->error = parsed->parser.parse(text).get(parsed->root);
    return parsed;
}

inline std::vector<std::string> keys_of(simdjson::dom::object object) {
    std::vector<std::string> keys;
    for (auto field : object) {
        keys.emplace_back(field.key);
    }
    return keys;
}

/// One letter per JSON type, to compare whole field lists at once: i integer, d double,
/// s string, b bool, n null, o object, a array.
inline char type_letter(simdjson::dom::element element) {
    using simdjson::dom::element_type;
    switch (element.type()) {
    case element_type::INT64:
    case element_type::UINT64: return 'i';
    case element_type::DOUBLE: return 'd';
    case element_type::STRING: return 's';
    case element_type::BOOL: return 'b';
    case element_type::NULL_VALUE: return 'n';
    case element_type::OBJECT: return 'o';
    case element_type::ARRAY: return 'a';
    }
    return '?';
}

/// "name:letter" for every member, in order.
inline std::vector<std::string> shape_of(simdjson::dom::object object) {
    std::vector<std::string> shape;
    for (auto field : object) {
        shape.push_back(std::string(field.key) + ":" + type_letter(field.value));
    }
    return shape;
}

inline ServerSnapshot sample_server() {
    ServerSnapshot server;
    server.server_id = "vid-k9x2m1a";
    server.service_id = "3ofb2e71";
    server.pid = 4242;
    server.ppid = 1;
    server.version = "0.1.0";
    server.version_major = 0;
    server.version_minor = 1;
    server.version_revision = 0;
    server.code_name = "ringcast";
    server.build_date = "2025-01-02";
    server.argv = "./ringcast -c conf/ringcast.conf";
    server.cwd = "/srv/ringcast";
    server.now_ms = 1735689600123;
    server.uptime_s = 3600;
    server.figures_ok = true;
    server.self = {.mem_kbyte = 51200, .rss_kbyte = 40960, .mem_ratio = 0.0125, .cpu_ratio = 0.5};
    server.system.cpu_ratio = 0.25;
    server.system.mem_ram_kbyte = 4096000;
    server.system.cpus = 2;
    server.system.cpus_online = 2;
    server.system.uptime_s = 12345.67;
    server.system.idle_time_s = 20000.5;
    server.system.load_1m = 0.5;
    server.system.load_5m = 1;
    server.system.load_15m = 2;
    server.totals = {.streams = 3, .clients = 7, .clients_total = 100, .client_errors_total = 4,
                     .send_bytes = 123456789, .recv_bytes = 987654321, .sample_time_ms = 1735689600000};
    server.uname = {"Linux", "edge-1", "6.1.0", "#1 SMP", "x86_64"};
    return server;
}

inline StreamSnapshot sample_stream(std::string id, std::string name) {
    StreamSnapshot stream;
    stream.id = std::move(id);
    stream.name = std::move(name);
    stream.vhost_id = "vid-0000001";
    stream.vhost = "__defaultVhost__";
    stream.app = "live";
    stream.tc_url = "rtmp://127.0.0.1:1935/live";
    stream.url = "/live/" + stream.name;
    stream.clients = 3;
    stream.video_frames = 250;
    stream.audio_frames = 430;
    stream.send_bytes = 1000;
    stream.recv_bytes = 2000;
    stream.kbps = {.recv_30s = 2500, .send_30s = 7500};
    stream.publish_active = true;
    stream.publisher_client_id = "c17";
    return stream;
}

inline ClientSnapshot sample_client(std::string id, ClientType type) {
    ClientSnapshot client;
    client.id = std::move(id);
    client.vhost_id = "vid-0000001";
    client.stream_id = "vid-aaaaaaa";
    client.ip = "192.0.2.10";
    client.page_url = "";
    client.swf_url = "";
    client.tc_url = "rtmp://127.0.0.1:1935/live";
    client.url = "/live/livestream";
    client.name = "livestream";
    client.type = type;
    client.alive_s = 12.5;
    client.send_bytes = 4096;
    client.recv_bytes = 128;
    client.kbps = {.recv_30s = 1, .send_30s = 2500};
    return client;
}

}  // namespace ringcast::api::test
