#include "app/config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <climits>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "app/config_legacy.h"
#include "app/config_schema.h"

namespace ringcast::app {

namespace {

using core::ConfDirective;
using core::ConfigError;

constexpr int workers_max = 256;
constexpr int max_connections_max = 1000000;
constexpr int chunk_size_min = 128;  // RTMP's own bounds (SRS_CONSTS_RTMP_MIN/MAX_CHUNK_SIZE)
constexpr int chunk_size_max = 65536;
constexpr std::uint16_t rtmp_default_port = 1935;
constexpr std::uint16_t http_default_port = 8080;  // SRS's http_server default
constexpr std::uint16_t http_api_default_port = 1985;
constexpr std::uint16_t exporter_default_port = 9972;

[[noreturn]] void fail(const ConfDirective& d, const std::string& reason) { throw ConfigError(d.file, d.line, reason); }

// ---- names ----------------------------------------------------------------------------------

const DirectiveSpec* find_spec(std::span<const DirectiveSpec> specs, std::string_view name) {
    auto it = std::find_if(specs.begin(), specs.end(), [&](const DirectiveSpec& s) { return s.name == name; });
    return it == specs.end() ? nullptr : &*it;
}

// SRS's conf/ directory ships nginx configs too (for a proxy in front of SRS); say so.
std::string nginx_hint(const std::string& path, std::string_view name) {
    constexpr std::string_view nginx_only[] = {"worker_processes", "events", "http", "user", "error_log"};
    bool nginx = path.empty() && std::find(std::begin(nginx_only), std::end(nginx_only), name) != std::end(nginx_only);
    return nginx ? " (this looks like an nginx config, not an SRS one)" : "";
}

// Unknown names are errors anywhere; an unimplemented one warns once, not again for its children.
void check_names(const ConfDirective& node, std::span<const DirectiveSpec> specs, const std::string& path,
                 bool warn, std::vector<std::string>& warnings) {
    for (const auto& child : node.children) {
        std::string child_path = path.empty() ? child.name : path + "." + child.name;
        const DirectiveSpec* spec = find_spec(specs, child.name);
        if (spec == nullptr) {
            fail(child, "unsupported directive \"" + child_path + "\"" + nginx_hint(path, child.name));
        }
        bool warn_inside = warn;
        if (warn && spec->support == Support::unimplemented) {
            warnings.push_back(child.where() + ": directive \"" + child_path +
                               "\" is not implemented by ringcast, ignored");
            warn_inside = false;
        }
        if (!spec->any_children) {
            check_names(child, spec->children, child_path, warn_inside, warnings);
        }
    }
}

// ---- values ---------------------------------------------------------------------------------

void expect_args(const ConfDirective& d, std::size_t count_min, std::size_t count_max) {
    if (d.has_block) {
        fail(d, "directive \"" + d.name + "\" takes no block");
    }
    if (d.args.size() < count_min || d.args.size() > count_max) {
        std::string wanted = count_min == count_max ? std::to_string(count_min)
                             : count_max == SIZE_MAX ? std::to_string(count_min) + " or more"
                                                     : std::to_string(count_min) + " or " + std::to_string(count_max);
        fail(d, "directive \"" + d.name + "\" takes " + wanted + " argument" + (count_max == 1 ? "" : "s") + ", got " +
                    std::to_string(d.args.size()));
    }
}

void expect_block(const ConfDirective& d, std::size_t arg_count) {
    if (!d.has_block) {
        fail(d, "directive \"" + d.name + "\" requires a block { ... }");
    }
    if (d.args.size() != arg_count) {
        fail(d, "directive \"" + d.name + "\" takes " + std::to_string(arg_count) + " argument" +
                    (arg_count == 1 ? "" : "s") + " before its block, got " + std::to_string(d.args.size()));
    }
}

[[noreturn]] void fail_value(const ConfDirective& d, const std::string& expected) {
    fail(d, "invalid value \"" + d.arg(0) + "\" for \"" + d.name + "\": expected " + expected);
}

int int_value(const ConfDirective& d, int value_min, int value_max) {
    expect_args(d, 1, 1);
    const std::string& text = d.arg(0);
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < value_min || value > value_max) {
        fail_value(d, "an integer from " + std::to_string(value_min) + " to " + std::to_string(value_max));
    }
    return value;
}

bool switch_value(const ConfDirective& d) {
    expect_args(d, 1, 1);
    if (d.arg(0) != "on" && d.arg(0) != "off") {
        fail_value(d, "on or off");
    }
    return d.arg(0) == "on";
}

std::string string_value(const ConfDirective& d) {
    expect_args(d, 1, 1);
    if (d.arg(0).empty()) {
        fail_value(d, "a non-empty value");
    }
    return d.arg(0);
}

core::LogLevel log_level_value(const ConfDirective& d) {
    expect_args(d, 1, 1);
    core::LogLevel level{};
    if (!core::parse_log_level(d.arg(0), level)) {
        fail_value(d, "verbose, info, trace, warn or error");
    }
    return level;
}

// SRS 5's level names shift by one: its "trace" is the old "verbose", its "info" the old "trace".
core::LogLevel log_level_v2_value(const ConfDirective& d) {
    expect_args(d, 1, 1);
    static constexpr std::pair<std::string_view, core::LogLevel> names[] = {
        {"trace", core::LogLevel::verbose}, {"debug", core::LogLevel::info}, {"info", core::LogLevel::trace},
        {"warn", core::LogLevel::warn},     {"error", core::LogLevel::error}};
    for (const auto& [name, level] : names) {
        if (d.arg(0) == name) {
            return level;
        }
    }
    fail_value(d, "trace, debug, info, warn or error");
}

// SRS reads the first of a repeated directive; say so rather than silently ignore the rest.
const ConfDirective* first_of(const ConfDirective& parent, std::string_view name, std::vector<std::string>& warnings) {
    const ConfDirective* first = nullptr;
    for (const auto& child : parent.children) {
        if (child.name != name) {
            continue;
        }
        if (first == nullptr) {
            first = &child;
        } else {
            warnings.push_back(child.where() + ": duplicate \"" + child.name + "\" ignored, the first one at " +
                               first->where() + " is used");
        }
    }
    return first;
}

// ---- sections -------------------------------------------------------------------------------

std::vector<ListenEndpoint> listen_value(const ConfDirective& d) {
    expect_args(d, 1, SIZE_MAX);
    std::vector<ListenEndpoint> endpoints;
    for (const auto& text : d.args) {
        ListenEndpoint endpoint;
        if (!parse_listen_endpoint(text, endpoint)) {
            fail(d, "invalid value \"" + text + "\" for \"" + d.name +
                        "\": expected [IP:]PORT, e.g. 1935, 127.0.0.1:1935 or [::]:1935");
        }
        if (std::find(endpoints.begin(), endpoints.end(), endpoint) != endpoints.end()) {
            fail(d, "\"" + d.name + "\" lists " + text + " twice");
        }
        endpoints.push_back(std::move(endpoint));
    }
    return endpoints;
}

RtmpConfig rtmp_section(const ConfDirective& root, std::vector<std::string>& warnings) {
    RtmpConfig rtmp;
    rtmp.listen = {ListenEndpoint{"0.0.0.0", rtmp_default_port, false}};
    const ConfDirective* section = first_of(root, "rtmp", warnings);
    if (section == nullptr) {
        return rtmp;
    }
    expect_block(*section, 0);
    if (const ConfDirective* d = first_of(*section, "listen", warnings)) {
        rtmp.listen = listen_value(*d);
    }
    if (const ConfDirective* d = first_of(*section, "chunk_size", warnings)) {
        rtmp.chunk_size = int_value(*d, chunk_size_min, chunk_size_max);
    }
    return rtmp;
}

HttpServerConfig http_server_section(const ConfDirective& root, std::vector<std::string>& warnings) {
    HttpServerConfig http;
    http.listen = {ListenEndpoint{"0.0.0.0", http_default_port, false}};
    const ConfDirective* section = first_of(root, "http_server", warnings);
    if (section == nullptr) {
        return http;
    }
    expect_block(*section, 0);
    if (const ConfDirective* d = first_of(*section, "enabled", warnings)) {
        http.enabled = switch_value(*d);
    }
    if (const ConfDirective* d = first_of(*section, "listen", warnings)) {
        http.listen = listen_value(*d);
    }
    if (const ConfDirective* d = first_of(*section, "dir", warnings)) {
        expect_args(*d, 1, 1);
        http.dir = d->arg(0);
    }
    if (const ConfDirective* d = first_of(*section, "crossdomain", warnings)) {
        http.crossdomain = switch_value(*d);
    }
    return http;
}

HttpApiConfig http_api_section(const ConfDirective& root, std::vector<std::string>& warnings) {
    HttpApiConfig api;
    api.listen = {ListenEndpoint{"0.0.0.0", http_api_default_port, false}};
    const ConfDirective* section = first_of(root, "http_api", warnings);
    if (section == nullptr) {
        return api;
    }
    expect_block(*section, 0);
    if (const ConfDirective* d = first_of(*section, "enabled", warnings)) {
        api.enabled = switch_value(*d);
    }
    if (const ConfDirective* d = first_of(*section, "listen", warnings)) {
        api.listen = listen_value(*d);
    }
    if (const ConfDirective* d = first_of(*section, "crossdomain", warnings)) {
        api.crossdomain = switch_value(*d);
    }
    return api;
}

ExporterConfig exporter_section(const ConfDirective& root, std::vector<std::string>& warnings) {
    ExporterConfig exporter;
    exporter.listen = {ListenEndpoint{"0.0.0.0", exporter_default_port, false}};
    const ConfDirective* section = first_of(root, "exporter", warnings);
    if (section == nullptr) {
        return exporter;
    }
    expect_block(*section, 0);
    if (const ConfDirective* d = first_of(*section, "enabled", warnings)) {
        exporter.enabled = switch_value(*d);
    }
    if (const ConfDirective* d = first_of(*section, "listen", warnings)) {
        exporter.listen = listen_value(*d);
    }
    if (const ConfDirective* d = first_of(*section, "label", warnings)) {
        expect_args(*d, 1, 1);
        exporter.label = d->arg(0);
    }
    if (const ConfDirective* d = first_of(*section, "tag", warnings)) {
        expect_args(*d, 1, 1);
        exporter.tag = d->arg(0);
    }
    return exporter;
}

HttpRemuxConfig http_remux_section(const ConfDirective& d, std::vector<std::string>& warnings) {
    expect_block(d, 0);
    HttpRemuxConfig remux;
    if (const ConfDirective* c = first_of(d, "enabled", warnings)) {
        remux.enabled = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "mount", warnings)) {
        expect_args(*c, 1, 1);
        remux.mount = c->arg(0);
        // SRS picks the remuxer by the mount's extension; it refuses any other.
        if (remux.mount.ends_with(".flv")) {
            remux.format = media::HttpRemuxFormat::flv;
        } else if (remux.mount.ends_with(".ts")) {
            remux.format = media::HttpRemuxFormat::ts;
        } else if (remux.mount.ends_with(".aac")) {
            remux.format = media::HttpRemuxFormat::aac;
        } else if (remux.mount.ends_with(".mp3")) {
            remux.format = media::HttpRemuxFormat::mp3;
        } else {
            warnings.push_back(c->where() + ": http_remux mount \"" + remux.mount +
                               "\" is not served (the mount must end in .flv, .ts, .aac or .mp3), this "
                               "http_remux is ignored");
            remux.enabled = false;
        }
    }
    return remux;
}

double seconds_value(const ConfDirective& d, double value_min, double value_max) {
    expect_args(d, 1, 1);
    const std::string& text = d.arg(0);
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !(value >= value_min && value <= value_max)) {
        fail_value(d, "seconds from " + std::to_string(static_cast<int>(value_min)) + " to " +
                          std::to_string(static_cast<int>(value_max)));
    }
    return value;
}

TimeJitter time_jitter_value(const ConfDirective& d) {
    expect_args(d, 1, 1);
    if (d.arg(0) == "full") {
        return TimeJitter::full;
    }
    if (d.arg(0) == "zero") {
        return TimeJitter::zero;
    }
    if (d.arg(0) == "off") {
        return TimeJitter::off;
    }
    fail_value(d, "full, zero or off");
}

PlayConfig play_section(const ConfDirective& d, std::vector<std::string>& warnings) {
    expect_block(d, 0);
    PlayConfig play;
    if (const ConfDirective* c = first_of(d, "time_jitter", warnings)) {
        play.time_jitter = time_jitter_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "mix_correct", warnings)) {
        play.mix_correct = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "atc", warnings)) {
        play.atc = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "atc_auto", warnings)) {
        play.atc_auto = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "mw_latency", warnings)) {
        play.mw_latency_ms = int_value(*c, 0, 60000);
    }
    if (const ConfDirective* c = first_of(d, "mw_msgs", warnings)) {
        play.mw_msgs = int_value(*c, 0, 10000);
    }
    if (const ConfDirective* c = first_of(d, "gop_cache", warnings)) {
        play.gop_cache = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "gop_cache_max_frames", warnings)) {
        play.gop_cache_max_frames = int_value(*c, 0, 1000000);
    }
    if (const ConfDirective* c = first_of(d, "queue_length", warnings)) {
        play.queue_length_s = seconds_value(*c, 0, 3600);
    }
    return play;
}

PublishConfig publish_section(const ConfDirective& d, std::vector<std::string>& warnings) {
    expect_block(d, 0);
    PublishConfig publish;
    if (const ConfDirective* c = first_of(d, "mr", warnings)) {
        publish.mr = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "mr_latency", warnings)) {
        publish.mr_latency_ms = int_value(*c, 0, 60000);
    }
    if (const ConfDirective* c = first_of(d, "firstpkt_timeout", warnings)) {
        publish.firstpkt_timeout_ms = int_value(*c, 0, 3600000);
    }
    if (const ConfDirective* c = first_of(d, "normal_timeout", warnings)) {
        publish.normal_timeout_ms = int_value(*c, 0, 3600000);
    }
    return publish;
}

// ---- hls ------------------------------------------------------------------------------------

constexpr double hls_fragment_s_max = 3600;         // one segment an hour is already absurd
constexpr double hls_window_s_max = 30 * 86400;     // the playlist also bounds its segment count
constexpr double hls_dispose_s_max = 365 * 86400;
constexpr double hls_ratio_max = 1000;
constexpr int hls_nb_notify_max = 1 << 20;

// SRS reads these with atof; we insist on a whole number literal and a range.
double hls_number_value(const ConfDirective& d, double value_min, double value_max, bool min_exclusive,
                        const std::string& expected) {
    expect_args(d, 1, 1);
    const std::string& text = d.arg(0);
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    const bool above_min = min_exclusive ? value > value_min : value >= value_min;
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || !above_min || value > value_max) {
        fail_value(d, expected);
    }
    return value;
}

std::int64_t hls_seconds_ms(const ConfDirective& d, double value_min, double value_max, bool min_exclusive) {
    const std::string expected = std::string("seconds ") + (min_exclusive ? "above " : "from ") +
                                 fmt::format("{:g}", value_min) + " to " + fmt::format("{:g}", value_max);
    const double seconds = hls_number_value(d, value_min, value_max, min_exclusive, expected);
    const std::int64_t ms = std::llround(seconds * 1000);
    if (min_exclusive && ms <= 0) {
        fail_value(d, expected + " (at least 1 ms)");
    }
    return ms;
}

HlsOnError hls_on_error_value(const ConfDirective& d, std::vector<std::string>& warnings) {
    expect_args(d, 1, 1);
    if (d.arg(0) == "continue") {
        return HlsOnError::continue_;
    }
    if (d.arg(0) == "ignore") {
        return HlsOnError::ignore;
    }
    if (d.arg(0) == "disconnect") {
        warnings.push_back(d.where() + ": hls_on_error disconnect does not disconnect the publisher in ringcast yet; "
                                       "HLS stops for that publish instead (as with ignore)");
        return HlsOnError::disconnect;
    }
    fail_value(d, "continue, ignore or disconnect");
}

HlsConfig hls_section(const ConfDirective& d, std::vector<std::string>& warnings) {
    expect_block(d, 0);
    HlsConfig hls;
    if (const ConfDirective* c = first_of(d, "enabled", warnings)) {
        hls.enabled = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "hls_fragment", warnings)) {
        hls.fragment_ms = hls_seconds_ms(*c, 0, hls_fragment_s_max, true);
    }
    if (const ConfDirective* c = first_of(d, "hls_td_ratio", warnings)) {
        hls.td_ratio = hls_number_value(*c, 0, hls_ratio_max, true, fmt::format("a ratio above 0 to {:g}", hls_ratio_max));
    }
    if (const ConfDirective* c = first_of(d, "hls_aof_ratio", warnings)) {
        hls.aof_ratio = hls_number_value(*c, 0, hls_ratio_max, true, fmt::format("a ratio above 0 to {:g}", hls_ratio_max));
    }
    if (const ConfDirective* c = first_of(d, "hls_window", warnings)) {
        hls.window_ms = hls_seconds_ms(*c, 0, hls_window_s_max, false);
    }
    if (const ConfDirective* c = first_of(d, "hls_on_error", warnings)) {
        hls.on_error = hls_on_error_value(*c, warnings);
    }
    if (const ConfDirective* c = first_of(d, "hls_path", warnings)) {
        hls.path = string_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "hls_m3u8_file", warnings)) {
        hls.m3u8_file = string_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "hls_ts_file", warnings)) {
        hls.ts_file = string_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "hls_entry_prefix", warnings)) {
        expect_args(*c, 0, 1);  // SRS: `hls_entry_prefix;` is the empty default
        hls.entry_prefix = c->arg(0);
    }
    if (const ConfDirective* c = first_of(d, "hls_cleanup", warnings)) {
        hls.cleanup = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "hls_dispose", warnings)) {
        hls.dispose_ms = hls_seconds_ms(*c, 0, hls_dispose_s_max, false);
    }
    if (const ConfDirective* c = first_of(d, "hls_wait_keyframe", warnings)) {
        hls.wait_keyframe = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "hls_ts_floor", warnings)) {
        hls.ts_floor = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "hls_nb_notify", warnings)) {
        hls.nb_notify = int_value(*c, 0, hls_nb_notify_max);
    }
    return hls;
}

// ---- cluster and forward ----------------------------------------------------------------------

constexpr std::size_t upstream_targets_max = 64;

/// Loading runs on the main thread before any shard exists, the one place a blocking name
/// lookup is allowed; shards only ever connect to the address found here.
void resolve_upstream(const ConfDirective& d, UpstreamTarget& target, std::vector<std::string>& warnings) {
    unsigned char probe[sizeof(struct in6_addr)];
    if (::inet_pton(AF_INET, target.host.c_str(), probe) == 1 || ::inet_pton(AF_INET6, target.host.c_str(), probe) == 1) {
        target.address = target.host;
        return;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(target.host.c_str(), nullptr, &hints, &found); rc != 0 || found == nullptr) {
        warnings.push_back(d.where() + ": cannot resolve \"" + target.host + "\" (" + ::gai_strerror(rc) +
                           "); it is skipped until the config is loaded again");
        return;
    }
    char text[INET6_ADDRSTRLEN] = {};
    const void* ip = found->ai_family == AF_INET6
                         ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(found->ai_addr)->sin6_addr)
                         : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr);
    if (::inet_ntop(found->ai_family, ip, text, sizeof text) != nullptr) {
        target.address = text;
    }
    ::freeaddrinfo(found);
}

std::vector<UpstreamTarget> upstream_targets_value(const ConfDirective& d, bool with_stream,
                                                   std::vector<std::string>& warnings) {
    if (d.args.empty() || d.args.size() > upstream_targets_max) {
        fail(d, fmt::format("expects 1 to {} servers", upstream_targets_max));
    }
    std::vector<UpstreamTarget> targets;
    for (const std::string& text : d.args) {
        UpstreamTarget target;
        if (!parse_upstream_target(text, with_stream, target)) {
            fail(d, "\"" + text + "\" is not " + (with_stream ? "HOST[:PORT][/app/stream]" : "HOST[:PORT]"));
        }
        resolve_upstream(d, target, warnings);
        targets.push_back(std::move(target));
    }
    return targets;
}

ClusterConfig cluster_section(const ConfDirective& d, std::vector<std::string>& warnings) {
    expect_block(d, 0);
    ClusterConfig cluster;
    if (const ConfDirective* c = first_of(d, "mode", warnings)) {
        std::string mode = string_value(*c);
        if (mode != "local" && mode != "remote") {
            fail_value(*c, "local or remote");
        }
        cluster.edge = mode == "remote";
    }
    if (const ConfDirective* c = first_of(d, "origin", warnings)) {
        cluster.origins = upstream_targets_value(*c, false, warnings);
    }
    if (const ConfDirective* c = first_of(d, "token_traverse", warnings)) {
        cluster.token_traverse = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "vhost", warnings)) {
        cluster.vhost = string_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "debug_srs_upnode", warnings)) {
        cluster.debug_srs_upnode = switch_value(*c);
    }
    if (cluster.edge && cluster.origins.empty()) {
        warnings.push_back(d.where() + ": mode remote without an origin: players of this vhost wait for a publisher "
                                       "and nothing is pulled");
    }
    return cluster;
}

ForwardConfig forward_section(const ConfDirective& d, std::vector<std::string>& warnings) {
    expect_block(d, 0);
    ForwardConfig forward;
    if (const ConfDirective* c = first_of(d, "enabled", warnings)) {
        forward.enabled = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "destination", warnings)) {
        forward.destinations = upstream_targets_value(*c, true, warnings);
    }
    if (const ConfDirective* c = first_of(d, "backend", warnings)) {
        forward.backend = string_value(*c);
        HookUrl url;
        if (forward.backend.starts_with("https://")) {
            // Valid for SRS, so not an error; ringcast has no TLS client.
            warnings.push_back(c->where() + ": https backends are not supported; the on_forward hook is not called");
        } else if (!parse_hook_url(forward.backend, url)) {
            fail_value(*c, "an http://HOST[:PORT]/path URL");
        } else {
            UpstreamTarget resolved;
            resolved.host = url.host;
            resolve_upstream(*c, resolved, warnings);
            if (!resolved.address.empty()) {
                url.address = resolved.address;
                forward.backend_url = std::move(url);
            }
        }
    }
    return forward;
}

VhostConfig vhost_section(const ConfDirective& d, std::vector<std::string>& warnings) {
    expect_block(d, 1);
    VhostConfig vhost;
    vhost.name = d.arg(0);
    vhost.file = d.file;
    vhost.line = d.line;
    if (vhost.name.empty()) {
        fail(d, "empty vhost name");
    }
    if (const ConfDirective* c = first_of(d, "enabled", warnings)) {
        vhost.enabled = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "chunk_size", warnings)) {
        vhost.chunk_size = int_value(*c, chunk_size_min, chunk_size_max);
    }
    if (const ConfDirective* c = first_of(d, "in_ack_size", warnings)) {
        vhost.in_ack_size = int_value(*c, 0, INT_MAX);
    }
    if (const ConfDirective* c = first_of(d, "out_ack_size", warnings)) {
        vhost.out_ack_size = int_value(*c, 0, INT_MAX);
    }
    if (const ConfDirective* c = first_of(d, "tcp_nodelay", warnings)) {
        vhost.tcp_nodelay = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "min_latency", warnings)) {
        vhost.min_latency = switch_value(*c);
    }
    if (const ConfDirective* c = first_of(d, "play", warnings)) {
        vhost.play = play_section(*c, warnings);
    }
    const ConfDirective* play = d.find("play");
    if (vhost.min_latency && (play == nullptr || play->find("mw_msgs") == nullptr)) {
        vhost.play.mw_msgs = 0;  // SRS_PERF_MW_MIN_MSGS_REALTIME
    }
    if (const ConfDirective* c = first_of(d, "publish", warnings)) {
        vhost.publish = publish_section(*c, warnings);
    }
    if (const ConfDirective* c = first_of(d, "http_remux", warnings)) {
        vhost.http_remux = http_remux_section(*c, warnings);
    }
    if (const ConfDirective* c = first_of(d, "hls", warnings)) {
        vhost.hls = hls_section(*c, warnings);
    }
    if (const ConfDirective* c = first_of(d, "cluster", warnings)) {
        vhost.cluster = cluster_section(*c, warnings);
    }
    if (const ConfDirective* c = first_of(d, "forward", warnings)) {
        vhost.forward = forward_section(*c, warnings);
    }
    return vhost;
}

std::vector<VhostConfig> vhosts_section(const ConfDirective& root, std::vector<std::string>& warnings) {
    std::vector<VhostConfig> vhosts;
    for (const auto& d : root.children) {
        if (d.name != "vhost") {
            continue;
        }
        VhostConfig vhost = vhost_section(d, warnings);
        auto same = [&](const VhostConfig& v) { return v.name == vhost.name; };
        if (auto it = std::find_if(vhosts.begin(), vhosts.end(), same); it != vhosts.end()) {
            warnings.push_back(d.where() + ": duplicate vhost \"" + vhost.name + "\" ignored, the first one at " +
                               it->file + ":" + std::to_string(it->line) + " is used");
            continue;
        }
        vhosts.push_back(std::move(vhost));
    }
    return vhosts;
}

void log_section(const ConfDirective& root, Config& config, std::vector<std::string>& warnings) {
    if (const ConfDirective* d = first_of(root, "srs_log_tank", warnings)) {
        std::string tank = string_value(*d);
        if (tank != "console" && tank != "file") {
            fail_value(*d, "console or file");
        }
        config.srs_log_tank = tank == "console" ? LogTank::console : LogTank::file;
    }
    if (const ConfDirective* d = first_of(root, "srs_log_level", warnings)) {
        config.srs_log_level = log_level_value(*d);
    }
    if (const ConfDirective* d = first_of(root, "srs_log_level_v2", warnings)) {
        config.srs_log_level = log_level_v2_value(*d);  // SRS: v2 overrides srs_log_level
    }
    if (const ConfDirective* d = first_of(root, "srs_log_file", warnings)) {
        config.srs_log_file = string_value(*d);
    }
}

void process_section(const ConfDirective& root, Config& config, std::vector<std::string>& warnings) {
    config.workers = default_workers();
    if (const ConfDirective* d = first_of(root, "workers", warnings)) {
        config.workers = int_value(*d, 1, workers_max);
    }
    if (const ConfDirective* d = first_of(root, "max_connections", warnings)) {
        config.max_connections = int_value(*d, 1, max_connections_max);
    }
    if (const ConfDirective* d = first_of(root, "pid", warnings)) {
        config.pid = string_value(*d);
    }
    if (const ConfDirective* d = first_of(root, "grace_start_wait", warnings)) {
        config.grace_start_wait_ms = int_value(*d, 0, 3600000);
    }
    if (const ConfDirective* d = first_of(root, "grace_final_wait", warnings)) {
        config.grace_final_wait_ms = int_value(*d, 0, 3600000);
    }
    if (const ConfDirective* d = first_of(root, "force_grace_quit", warnings)) {
        config.force_grace_quit = switch_value(*d);
    }
    if (const ConfDirective* d = first_of(root, "daemon", warnings)) {
        config.daemon = switch_value(*d);
    }
}

// SRS's whole-config checks that concern what ringcast reads.
void cross_checks(const ConfDirective& root, const Config& config) {
    const ConfDirective* asprocess = root.find("asprocess");
    if (asprocess != nullptr && asprocess->arg(0) == "on" && config.daemon) {
        fail(*asprocess, "asprocess on conflicts with daemon on (SRS refuses it too)");
    }
    // Last, as in SRS: full.conf is a catalogue of every directive, marked so it is never run.
    const ConfDirective* is_full = root.find("is_full");
    if (is_full != nullptr && switch_value(*is_full)) {
        fail(*is_full, "is_full on: this is SRS's full.conf, a catalogue of every directive that must never be "
                       "used as a config (SRS refuses it too: \"never use full.conf\")");
    }
}

bool parse_port(std::string_view text, std::uint16_t& port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
        return false;
    }
    port = static_cast<std::uint16_t>(value);
    return true;
}

bool is_ip(const std::string& host, int family) {
    unsigned char buf[sizeof(struct in6_addr)];
    return ::inet_pton(family, host.c_str(), buf) == 1;
}

}  // namespace

const VhostConfig* Config::find_vhost(std::string_view name) const {
    auto it = std::find_if(vhosts.begin(), vhosts.end(), [&](const VhostConfig& v) { return v.name == name; });
    return it == vhosts.end() ? nullptr : &*it;
}

bool parse_listen_endpoint(std::string_view text, ListenEndpoint& out) {
    ListenEndpoint endpoint;
    std::string_view port_text = text;
    if (!text.empty() && text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") {
            return false;
        }
        endpoint.host = std::string(text.substr(1, close - 1));
        endpoint.ipv6 = true;
        port_text = text.substr(close + 2);
    } else if (std::size_t colon = text.rfind(':'); colon != std::string_view::npos) {
        endpoint.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    } else {
        endpoint.host = "0.0.0.0";  // SRS: a bare port listens on any IPv4 address
    }
    if (!parse_port(port_text, endpoint.port) || !is_ip(endpoint.host, endpoint.ipv6 ? AF_INET6 : AF_INET)) {
        return false;
    }
    out = std::move(endpoint);
    return true;
}

bool parse_upstream_target(std::string_view text, bool with_stream, UpstreamTarget& out) {
    UpstreamTarget target;
    if (with_stream && text.starts_with("rtmp://")) {
        text.remove_prefix(7);
    }
    std::string_view path;
    if (std::size_t slash = text.find('/'); slash != std::string_view::npos) {
        if (!with_stream) {
            return false;
        }
        path = text.substr(slash + 1);
        text = text.substr(0, slash);
        // SRS's app may have several levels; the stream is the last one.
        std::size_t last = path.rfind('/');
        if (last == std::string_view::npos || last == 0 || last + 1 == path.size()) {
            return false;
        }
        target.app = std::string(path.substr(0, last));
        target.stream = std::string(path.substr(last + 1));
    }
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        target.host = std::string(text.substr(1, close - 1));
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || (port_text = rest.substr(1)).empty())) {
            return false;
        }
    } else if (std::size_t colon = text.find(':'); colon != std::string_view::npos) {
        target.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (port_text.empty()) {
            return false;
        }
    } else {
        target.host = std::string(text);
    }
    if (target.host.empty() || (!port_text.empty() && !parse_port(port_text, target.port))) {
        return false;
    }
    out = std::move(target);
    return true;
}

bool parse_hook_url(std::string_view text, HookUrl& out) {
    if (!text.starts_with("http://")) {
        return false;
    }
    text.remove_prefix(7);
    const std::size_t slash = text.find('/');
    const std::string_view authority = text.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? std::string_view("/") : text.substr(slash);
    // Userinfo is refused rather than sent: a credential in a config line is a mistake.
    if (authority.empty() || authority.find('@') != std::string_view::npos ||
        path.find_first_of(" \t\r\n") != std::string_view::npos) {
        return false;
    }
    UpstreamTarget target;
    if (!parse_upstream_target(authority, false, target)) {
        return false;
    }
    const bool has_port = authority.front() == '[' ? authority.find("]:") != std::string_view::npos
                                                   : authority.find(':') != std::string_view::npos;
    HookUrl url;
    url.host = std::move(target.host);
    url.port = has_port ? target.port : 80;
    url.path = std::string(path);
    out = std::move(url);
    return true;
}

std::string UpstreamTarget::to_string() const {
    std::string text = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    text += ":" + std::to_string(port);
    if (!app.empty()) {
        text += "/" + app + "/" + stream;
    }
    return text;
}

int default_workers() {
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    return static_cast<int>(std::clamp<long>(cpus, 1, workers_max));
}

LoadedConfig build_config(ConfDirective& root) {
    LoadedConfig loaded;
    rewrite_legacy_spellings(root, loaded.warnings);
    check_names(root, root_directive_specs(), "", true, loaded.warnings);
    Config& config = loaded.config;
    config.file = root.file;
    process_section(root, config, loaded.warnings);
    log_section(root, config, loaded.warnings);
    config.rtmp = rtmp_section(root, loaded.warnings);
    config.http_server = http_server_section(root, loaded.warnings);
    config.http_api = http_api_section(root, loaded.warnings);
    config.exporter = exporter_section(root, loaded.warnings);
    config.vhosts = vhosts_section(root, loaded.warnings);
    cross_checks(root, config);
    return loaded;
}

bool Config::api_shares_http_server() const {
    if (!http_server.enabled || !http_api.enabled) {
        return false;
    }
    for (const ListenEndpoint& api : http_api.listen) {
        for (const ListenEndpoint& http : http_server.listen) {
            if (api.port == http.port) {
                return true;
            }
        }
    }
    return false;
}

LoadedConfig load_config(const std::string& path) {
    ConfDirective root = core::parse_config_file(path);
    return build_config(root);
}

LoadedConfig load_config_text(std::string_view text, const std::string& virtual_file_name) {
    ConfDirective root = core::parse_config_text(text, virtual_file_name);
    return build_config(root);
}

}  // namespace ringcast::app
