#pragma once
// Snapshots: plain values the app gathers (from every shard, reduced on the shard that serves
// the API request) and the api module renders as SRS's JSON or as Prometheus text. Nothing here
// points into a shard: a snapshot is a copy, safe to read on any thread, and no renderer keeps
// a reference to it after it returns.
//
// Ids are strings, as SRS 5+ uses them (older SRS used integers):
//   - vhost and stream ids: "vid-" + 7 characters of [0-9a-z] (SRS's srs_generate_stat_vid),
//     stable for the life of the vhost/stream entry; make_stat_id() in srs_json.h builds one;
//   - client ids: the connection's traceable id, the one its log lines carry (SRS uses the
//     8-character context id), so an operator can go from the API to the logs;
//   - server id: env SRS_SERVER_ID, else config `server_id`, else a "vid-..." kept for the
//     host; service id: 8 random [0-9a-z] characters per process start (tells restarts apart).
//
// Units are in the field names. Where SRS names a JSON field "..._percent" but puts a ratio in
// it (0.25 for 25%), the field here is "..._ratio" and the JSON keeps SRS's name and value.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ringcast::api {

/// SRS's client kinds (SrsRtmpConnType); the JSON "type" strings are SRS's
/// srs_client_type_string, "publish" is true for the *_publish kinds.
enum class ClientType : std::uint8_t {
    unknown,
    rtmp_play,          // "rtmp-play"
    hls_play,           // "hls-play"
    flv_play,           // "flv-play": HTTP-FLV
    rtc_play,           // "rtc-play"
    srt_play,           // "srt-play"
    fmle_publish,       // "fmle-publish": FMLE-style publish (ffmpeg, OBS: releaseStream/FCPublish)
    flash_publish,      // "flash-publish": a bare publish, as Flash Player sent it
    haivision_publish,  // "haivision-publish"
    rtc_publish,        // "rtc-publish"
    srt_publish,        // "srt-publish"
};

enum class VideoCodec : std::uint8_t { other, h264, hevc, av1, vp6, vp9 };
enum class AudioCodec : std::uint8_t { other, aac, mp3, opus };

/// SRS's "kbps" object: kilobits per second averaged over the last 30 seconds.
struct Kbps {
    std::uint64_t recv_30s = 0;
    std::uint64_t send_30s = 0;
};

/// What the stream's video sequence header says. The renderer turns the numbers into SRS's
/// strings (srs_avc_profile2str and friends).
struct VideoInfo {
    VideoCodec codec = VideoCodec::other;
    /// H.264: profile_idc (66 Baseline, 77 Main, 100 High...; 578 = 66 with constraint_set1,
    /// ffmpeg's "Constrained Baseline"). HEVC: general_profile_idc (1 Main, 2 Main10...).
    int profile = 0;
    /// H.264: level_idc (31 = 3.1). HEVC: general_level_idc (93 = 3.1, i.e. 30 x level).
    int level = 0;
    int width = 0;
    int height = 0;
};

/// What the stream's audio sequence header says (for AAC: the AudioSpecificConfig, not the
/// FLV tag header, which always claims 44100 Hz stereo for AAC).
struct AudioInfo {
    AudioCodec codec = AudioCodec::other;
    int sample_rate_hz = 0;
    int channels = 0;         // SRS's "channel": 1 mono, 2 stereo
    int aac_object_type = 0;  // ASC audioObjectType: 1 Main, 2 LC, 3 SSR, 5 HE, 29 HEv2
};

/// This process, as /api/v1/summaries "self" shows it.
struct SelfFigures {
    std::uint64_t mem_kbyte = 0;  // peak resident set (getrusage ru_maxrss): SRS's "mem_kbyte"
    std::uint64_t rss_kbyte = 0;  // current resident set (/proc/self/stat rss): srs_memory metric
    double mem_ratio = 0;         // mem_kbyte / MemTotal: SRS's "mem_percent"
    double cpu_ratio = 0;         // CPU time / wall time since the last sample: "cpu_percent"
};

/// The machine, as /api/v1/summaries "system" shows it (SRS samples these from /proc).
struct SystemFigures {
    double cpu_ratio = 0;                     // "cpu_percent"
    std::uint64_t disk_read_kbyte_per_s = 0;  // "disk_read_KBps"
    std::uint64_t disk_write_kbyte_per_s = 0; // "disk_write_KBps"
    double disk_busy_ratio = 0;               // "disk_busy_percent"
    std::uint64_t mem_ram_kbyte = 0;          // MemTotal
    double mem_ram_ratio = 0;                 // in use / MemTotal: "mem_ram_percent"
    std::uint64_t mem_swap_kbyte = 0;         // SwapTotal
    double mem_swap_ratio = 0;                // "mem_swap_percent"
    std::int64_t cpus = 0;                    // configured processors
    std::int64_t cpus_online = 0;
    double uptime_s = 0;                      // /proc/uptime, first field
    double idle_time_s = 0;                   // /proc/uptime, second field: SRS's "ilde_time"
    double load_1m = 0;                       // /proc/loadavg
    double load_5m = 0;
    double load_15m = 0;
    std::int64_t net_sample_time_ms = 0;      // Unix ms of the network counters' sample
    std::uint64_t net_public_recv_bytes = 0;  // NICs with public addresses: "net_recv_bytes"
    std::uint64_t net_public_send_bytes = 0;  // "net_send_bytes"
    std::uint64_t net_private_recv_bytes = 0; // lo and private addresses: "net_recvi_bytes"
    std::uint64_t net_private_send_bytes = 0; // "net_sendi_bytes"
    std::uint64_t tcp_sockets = 0;            // sockstat TCP alloc + tw, as SRS sums: "conn_sys"
    std::uint64_t tcp_established = 0;        // /proc/net/snmp Tcp CurrEstab: "conn_sys_et"
    std::uint64_t tcp_time_wait = 0;          // sockstat TCP tw: "conn_sys_tw"
    std::uint64_t udp_sockets = 0;            // sockstat UDP inuse: "conn_sys_udp"
};

/// Whole-server counters, summed over every shard.
struct ServerTotals {
    std::uint64_t streams = 0;               // streams with an entry now (SRS: stat streams)
    std::uint64_t clients = 0;               // clients connected now: "conn_srs", srs_clients
    std::uint64_t clients_total = 0;         // clients ever accepted: srs_clients_total
    std::uint64_t client_errors_total = 0;   // clients that ended with an error
    std::uint64_t send_bytes = 0;            // "srs_send_bytes", srs_send_bytes_total
    std::uint64_t recv_bytes = 0;            // "srs_recv_bytes", srs_receive_bytes_total
    std::int64_t sample_time_ms = 0;         // Unix ms when these were summed: "srs_sample_time"
};

/// uname(2), for the srs_node_uname_info metric; empty sysname: the metric is left out.
struct Uname {
    std::string sysname;
    std::string nodename;
    std::string release;
    std::string version;
    std::string machine;
};

struct ServerSnapshot {
    std::string server_id;   // see the file comment
    std::string service_id;
    std::int64_t pid = 0;    // the envelope carries it as a string, "self" as a number (SRS)
    std::int64_t ppid = 0;
    std::string version;     // "0.1.0"
    int version_major = 0;
    int version_minor = 0;
    int version_revision = 0;
    std::string code_name;   // srs_build_info's "code" label
    std::string build_date;  // srs_build_info's "build_date" label
    std::string argv;        // the command line, space-joined
    std::string cwd;
    std::string exporter_label;  // config exporter.label / exporter.tag: extra srs_build_info
    std::string exporter_tag;    // labels, left out when empty
    std::int64_t now_ms = 0;     // Unix ms of this snapshot; also every stream's "live_ms"
    std::int64_t uptime_s = 0;   // since this process started: "srs_uptime"
    bool figures_ok = false;     // every self/system figure was sampled: summaries "ok"
    SelfFigures self;
    SystemFigures system;
    ServerTotals totals;
    Uname uname;
};

struct VhostSnapshot {
    std::string id;  // "vid-xxxxxxx"
    std::string name;
    bool enabled = true;
    std::uint64_t clients = 0;
    std::uint64_t streams = 0;  // streams being published now
    std::uint64_t send_bytes = 0;
    std::uint64_t recv_bytes = 0;
    Kbps kbps;
    bool hls_enabled = false;
    double hls_fragment_s = 0;  // shown only when HLS is enabled, as SRS does
};

/// A server's connection to another server for a stream (edge pull, forward): ringcast's own
/// addition to SRS's stream object, present only when there is one.
struct UpstreamSnapshot {
    std::string kind;    // "edge-pull", "forward"
    std::string target;  // host:port[/app/stream]
    std::string state;   // "connecting", "active", "retrying", "stopped"
    std::int64_t since_unix_ms = 0;
    std::uint64_t reconnects = 0;
    std::string last_error;
};

struct StreamSnapshot {
    std::string id;        // "vid-xxxxxxx"
    std::string name;      // the stream name, "livestream"
    std::string vhost_id;  // JSON "vhost" is the vhost's id, not its name (SRS)
    std::string vhost;     // the vhost's name, for Prometheus labels
    std::string app;
    std::string tc_url;    // as the publisher (or first client) sent it
    std::string url;       // srs_stream_url(vhost, app, name): "/live/livestream"
    std::uint64_t clients = 0;  // publisher and players
    std::uint64_t video_frames = 0;
    std::uint64_t audio_frames = 0;
    std::uint64_t send_bytes = 0;
    std::uint64_t recv_bytes = 0;
    Kbps kbps;
    bool publish_active = false;
    std::string publisher_client_id;  // "publish.cid"; left out when empty
    std::optional<VideoInfo> video;   // nullopt: JSON null (no video, or not published)
    std::optional<AudioInfo> audio;
    std::vector<UpstreamSnapshot> upstreams;  // left out of the JSON when empty
};

struct ClientSnapshot {
    std::string id;         // the connection's traceable id
    std::string vhost_id;   // JSON "vhost": the vhost's id
    std::string stream_id;  // JSON "stream": the stream's id
    std::string ip;
    std::string page_url;   // "pageUrl" from RTMP connect; "" for HTTP clients
    std::string swf_url;    // "swfUrl"
    std::string tc_url;     // "tcUrl"
    std::string url;        // srs_stream_url() of the stream
    std::string name;       // the stream name
    ClientType type = ClientType::unknown;
    double alive_s = 0;     // since the connection was accepted
    std::uint64_t send_bytes = 0;
    std::uint64_t recv_bytes = 0;
    Kbps kbps;
};

/// One shard's own counters (no SRS equivalent: SRS has one thread).
struct ShardSnapshot {
    std::uint32_t shard = 0;
    std::uint64_t connections = 0;                 // open now
    std::uint64_t connections_accepted_total = 0;  // accepted since start
    std::uint64_t send_bytes = 0;
    std::uint64_t recv_bytes = 0;
};

}  // namespace ringcast::api
