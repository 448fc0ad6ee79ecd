#pragma once
// The typed config, built once from the directive tree (core/conf_parser.h) and then read-only.
//
// Loading does what SRS does at startup (srs_config_transform_vhost + check_normal_config):
//  1. legacy spellings are rewritten to the current ones (SRS 6 `listen`/`chunk_size` at the top
//     level -> `rtmp { }`, SRS 1 `http_stream` -> `http_server`, vhost `gop_cache` -> `play {}` ...);
//  2. every directive name is checked against the table of names SRS accepts: an unknown name is
//     an error, a name ringcast does not implement yet gives one warning and is ignored;
//  3. the directives ringcast implements are parsed, a bad value is an error at its file:line.
// Members are named after the directives they come from.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/conf_parser.h"
#include "core/log.h"
#include "media/frame.h"

namespace ringcast::app {

/// One listening address: `1935` (any IPv4 address), `127.0.0.1:1935` or `[::]:1935`.
struct ListenEndpoint {
    std::string host;  // an IP literal, without brackets
    std::uint16_t port = 0;
    bool ipv6 = false;

    bool operator==(const ListenEndpoint&) const = default;
};

enum class LogTank { console, file };

/// `time_jitter full|zero|off` (the app maps it to media::JitterMode).
enum class TimeJitter { full, zero, off };

/// `vhost { play { ... } }`: how players are fed. SRS's defaults.
struct PlayConfig {
    TimeJitter time_jitter = TimeJitter::full;
    bool mix_correct = false;
    bool atc = false;
    bool atc_auto = false;
    // Merged write (SRS's consumer wait): a player's frames go to its socket once more than
    // mw_msgs are queued and they span more than mw_latency_ms (or the oldest has waited
    // mw_latency_ms): fewer, larger sends for a little latency.
    int mw_latency_ms = 350;
    int mw_msgs = 8;  // SRS: 8, or 0 with min_latency on, unless set
    bool gop_cache = true;
    int gop_cache_max_frames = 2500;
    double queue_length_s = 30;  // a player further behind than this drops to the next keyframe
};

/// `vhost { publish { ... } }`.
struct PublishConfig {
    bool mr = false;  // merged read
    int mr_latency_ms = 350;
    int firstpkt_timeout_ms = 20000;
    int normal_timeout_ms = 5000;
};

/// `vhost { http_remux { ... } }`: live HTTP-FLV, HTTP-TS, AAC or MP3 (SRS's http_remux); the
/// mount's extension picks the format, as in SRS.
struct HttpRemuxConfig {
    bool enabled = false;
    std::string mount = "[vhost]/[app]/[stream].flv";  // [vhost]/ is dropped for __defaultVhost__
    media::HttpRemuxFormat format = media::HttpRemuxFormat::flv;
};

/// `hls_on_error`: what a disk error (or a disk too slow for the stream) does to HLS.
enum class HlsOnError {
    ignore,      // HLS stops for the rest of that publish
    disconnect,  // SRS drops the publisher; ringcast stops HLS for that publish (see hls_stream.h)
    continue_,   // the segment is dropped and the next one is tried (SRS's default)
};

/// `vhost { hls { ... } }`: HLS output (SRS's defaults). Durations are converted from SRS's
/// (possibly fractional) seconds.
struct HlsConfig {
    bool enabled = false;
    std::int64_t fragment_ms = 10'000;  // hls_fragment
    double td_ratio = 1.0;              // hls_td_ratio
    double aof_ratio = 2.1;             // hls_aof_ratio
    std::int64_t window_ms = 60'000;    // hls_window
    HlsOnError on_error = HlsOnError::continue_;
    std::string path = "./objs/nginx/html";          // hls_path
    std::string m3u8_file = "[app]/[stream].m3u8";   // hls_m3u8_file
    std::string ts_file = "[app]/[stream]-[seq].ts";  // hls_ts_file
    std::string entry_prefix;                        // hls_entry_prefix
    bool cleanup = true;                             // hls_cleanup
    std::int64_t dispose_ms = 120'000;               // hls_dispose; 0 = never
    bool wait_keyframe = true;                       // hls_wait_keyframe
    bool ts_floor = false;                           // hls_ts_floor
    int nb_notify = 64;  // hls_nb_notify: read by on_hls_notify, which is not implemented yet
};

/// An upstream server: an origin of an edge or a forward destination. `HOST[:PORT]` with SRS's
/// default port 1935; a forward destination may name the stream too (`HOST:PORT/app/stream`,
/// or an rtmp:// URL).
struct UpstreamTarget {
    std::string host;     // as written (a name or an IP literal, without brackets)
    std::uint16_t port = 1935;
    std::string address;  // the IP the host resolved to when the config was loaded; empty: unresolved
    std::string app;      // forward only: the app and stream to publish as; empty: the source's
    std::string stream;

    [[nodiscard]] std::string to_string() const;
    bool operator==(const UpstreamTarget&) const = default;
};

/// `vhost { cluster { ... } }`: SRS's origin/edge cluster.
struct ClusterConfig {
    bool edge = false;                    // mode remote
    std::vector<UpstreamTarget> origins;  // tried in turn, round robin
    bool token_traverse = false;
    std::string vhost;                    // the origin's vhost to pull from / push to; empty: the same
    bool debug_srs_upnode = true;
};

/// An HTTP hook URL, `http://HOST[:PORT][/path]`, split and resolved when the config is loaded
/// (a shard never blocks on DNS).
struct HookUrl {
    std::string host;  // as written (a name or an IP literal, without brackets)
    std::uint16_t port = 80;
    std::string address;  // the IP the host resolved to when the config was loaded; empty: unresolved
    std::string path = "/";  // path and query, as written

    bool operator==(const HookUrl&) const = default;
};

/// `vhost { forward { ... } }`: push every stream published here to other servers.
struct ForwardConfig {
    bool enabled = false;
    std::vector<UpstreamTarget> destinations;
    std::string backend;  // SRS's dynamic forward hook (on_forward), as written
    /// `backend` parsed; unset when absent or not callable (https, unresolved host: warned).
    std::optional<HookUrl> backend_url;
};

/// `vhost NAME { ... }`.
struct VhostConfig {
    std::string name;
    bool enabled = true;
    std::optional<int> chunk_size;  // unset: rtmp.chunk_size
    int in_ack_size = 0;            // bytes; 0 = do not send acknowledgements
    int out_ack_size = 2500000;     // bytes; the window announced to the peer
    bool tcp_nodelay = false;
    bool min_latency = false;       // SRS's realtime mode: mw_msgs defaults to 0
    PlayConfig play;
    PublishConfig publish;
    HttpRemuxConfig http_remux;
    HlsConfig hls;
    ClusterConfig cluster;
    ForwardConfig forward;
    std::string file;               // where it was defined, for messages
    int line = 0;
};

/// SRS 7's `rtmp { listen ...; chunk_size N; }` (SRS 6: the same directives at the top level).
/// `http_server { ... }`: the HTTP port for HTTP-FLV (and static files later).
struct HttpServerConfig {
    bool enabled = false;
    std::vector<ListenEndpoint> listen;  // default: 8080 on any IPv4 address
    std::string dir = "./objs/nginx/html";
    bool crossdomain = true;
};

/// `http_api { enabled; listen; crossdomain; }`: SRS's HTTP API (default port 1985).
struct HttpApiConfig {
    bool enabled = false;
    std::vector<ListenEndpoint> listen;  // default: 1985 on any IPv4 address
    bool crossdomain = true;
};

/// `exporter { enabled; listen; label; tag; }`: Prometheus metrics (SRS's default port 9972).
struct ExporterConfig {
    bool enabled = false;
    std::vector<ListenEndpoint> listen;
    std::string label;
    std::string tag;
};

struct RtmpConfig {
    std::vector<ListenEndpoint> listen;  // default: 1935 on any IPv4 address
    int chunk_size = 60000;              // 128..65536
};

/// Everything the server reads from the config file.
struct Config {
    std::string file;  // the config file it was loaded from
    int workers = 1;   // ringcast's own: shards; default: online CPUs, 1..256
    RtmpConfig rtmp;
    HttpServerConfig http_server;
    HttpApiConfig http_api;
    ExporterConfig exporter;
    int max_connections = 1000;
    // Graceful quit (SIGQUIT, or SIGTERM with force_grace_quit): keep serving grace_start_wait,
    // then close the listeners, then give clients grace_final_wait before stopping.
    int grace_start_wait_ms = 2300;
    int grace_final_wait_ms = 3200;
    bool force_grace_quit = false;
    std::string pid = "./objs/srs.pid";
    // SRS's default is `daemon on` (full.conf: "default: on"), and ringcast follows SRS so a
    // config written for SRS behaves the same. Every example config says `daemon off;` and so
    // does conf/ringcast.conf, which gives the foreground run of DESIGN.md section 1.
    bool daemon = true;
    LogTank srs_log_tank = LogTank::file;  // SRS's default
    core::LogLevel srs_log_level = core::LogLevel::trace;
    std::string srs_log_file = "./objs/srs.log";
    std::vector<VhostConfig> vhosts;

    /// SRS's http.api.one.port.conf: http_api listens where http_server does, and that port
    /// serves both.
    [[nodiscard]] bool api_shares_http_server() const;
    /// The vhost with this name, or nullptr.
    [[nodiscard]] const VhostConfig* find_vhost(std::string_view name) const;
};

/// A config plus the warnings of loading it ("FILE:LINE: ..." each).
struct LoadedConfig {
    Config config;
    std::vector<std::string> warnings;
};

/// Parses, checks and types a config file; throws core::ConfigError ("FILE:LINE: reason").
LoadedConfig load_config(const std::string& path);
/// The same for text that claims to come from `virtual_file_name` (tests).
LoadedConfig load_config_text(std::string_view text, const std::string& virtual_file_name);
/// The same for an already parsed tree (rewritten in place by step 1 above).
LoadedConfig build_config(core::ConfDirective& root);

/// Parses `1935`, `127.0.0.1:1935` or `[::1]:1935` as SRS does; false when invalid.
bool parse_listen_endpoint(std::string_view text, ListenEndpoint& out);

/// Parses an origin or forward destination (see UpstreamTarget), without resolving the host;
/// false when invalid. `with_stream` allows the /app/stream suffix and rtmp:// URLs.
bool parse_upstream_target(std::string_view text, bool with_stream, UpstreamTarget& out);

/// Parses `http://HOST[:PORT][/path]` (port 80 by default, path "/" when absent), without
/// resolving the host; false when invalid or not http.
bool parse_hook_url(std::string_view text, HookUrl& out);

/// Online CPUs, clamped to 1..256: the default of `workers`.
int default_workers();

}  // namespace ringcast::app
