// Field names, order and types follow SRS 7: SrsGoApi*::serve_http (srs_app_http_api.cpp),
// SrsStatisticVhost/Stream/Client::dumps (srs_app_statistic.cpp), srs_api_dump_summaries
// (srs_app_utility.cpp), and the codec names of srs_kernel_codec.cpp. SRS's quirks are kept
// where a reader may depend on them; each is marked "SRS:".

#include "api/srs_json.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "api/json_writer.h"

namespace ringcast::api {

namespace {

void write_envelope_fields(JsonWriter& w, const ServerSnapshot& server) {
    w.field("code", static_cast<int>(SrsCode::success));
    w.field("server", server.server_id);
    w.field("service", server.service_id);
    // SRS: the envelope's pid is a string (SrsStatistic::service_pid), summaries' is a number.
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, server.pid).ptr;
    w.field("pid", std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void write_kbps(JsonWriter& w, const Kbps& kbps) {
    w.key("kbps");
    w.begin_object();
    w.field("recv_30s", kbps.recv_30s);
    w.field("send_30s", kbps.send_30s);
    w.end_object();
}

void write_vhost_object(JsonWriter& w, const VhostSnapshot& vhost) {
    w.begin_object();
    w.field("id", vhost.id);
    w.field("name", vhost.name);
    w.field("enabled", vhost.enabled);
    w.field("clients", vhost.clients);
    w.field("streams", vhost.streams);
    w.field("send_bytes", vhost.send_bytes);
    w.field("recv_bytes", vhost.recv_bytes);
    write_kbps(w, vhost.kbps);
    w.key("hls");
    w.begin_object();
    w.field("enabled", vhost.hls_enabled);
    if (vhost.hls_enabled) {  // SRS: the fragment is shown only when HLS is on
        w.field("fragment", vhost.hls_fragment_s);
    }
    w.end_object();
    w.end_object();
}

void write_video(JsonWriter& w, const VideoInfo& video) {
    w.begin_object();
    w.field("codec", srs_video_codec_name(video.codec));
    switch (video.codec) {
    case VideoCodec::h264:
        w.field("profile", srs_avc_profile_name(video.profile));
        w.field("level", srs_avc_level_name(video.level));
        break;
    case VideoCodec::hevc:
        w.field("profile", srs_hevc_profile_name(video.profile));
        w.field("level", srs_hevc_level_name(video.level));
        break;
    case VideoCodec::av1:
    case VideoCodec::vp9:  // SRS: no profile/level names for these, null rather than "Other"
        w.null_field("profile");
        w.null_field("level");
        break;
    default:
        w.field("profile", "Other");
        w.field("level", "Other");
        break;
    }
    w.field("width", video.width);
    w.field("height", video.height);
    w.end_object();
}

void write_audio(JsonWriter& w, const AudioInfo& audio) {
    w.begin_object();
    w.field("codec", srs_audio_codec_name(audio.codec));
    w.field("sample_rate", audio.sample_rate_hz);
    w.field("channel", audio.channels);
    w.field("profile", srs_aac_object_name(audio.aac_object_type));  // SRS: "Other" for non-AAC
    w.end_object();
}

void write_stream_object(JsonWriter& w, const StreamSnapshot& stream, std::int64_t now_ms) {
    w.begin_object();
    w.field("id", stream.id);
    w.field("name", stream.name);
    w.field("vhost", stream.vhost_id);  // SRS: the vhost's id, not its name
    w.field("app", stream.app);
    w.field("tcUrl", stream.tc_url);
    w.field("url", stream.url);
    // SRS: "live_ms" is the time of the answer in Unix ms (srs_time_now_cached), not the
    // stream's age, in every SRS up to 7; readers that compute ages already expect that.
    w.field("live_ms", now_ms);
    w.field("clients", stream.clients);
    w.field("frames", stream.video_frames + stream.audio_frames);
    w.field("audio_frames", stream.audio_frames);  // SRS 7 added these two
    w.field("video_frames", stream.video_frames);
    w.field("send_bytes", stream.send_bytes);
    w.field("recv_bytes", stream.recv_bytes);
    write_kbps(w, stream.kbps);
    w.key("publish");
    w.begin_object();
    w.field("active", stream.publish_active);
    if (!stream.publisher_client_id.empty()) {
        w.field("cid", stream.publisher_client_id);
    }
    w.end_object();
    w.key("video");
    if (stream.video) {
        write_video(w, *stream.video);
    } else {
        w.null();
    }
    w.key("audio");
    if (stream.audio) {
        write_audio(w, *stream.audio);
    } else {
        w.null();
    }
    if (!stream.upstreams.empty()) {
        w.key("upstreams");
        w.begin_array();
        for (const UpstreamSnapshot& upstream : stream.upstreams) {
            w.begin_object();
            w.field("kind", upstream.kind);
            w.field("target", upstream.target);
            w.field("state", upstream.state);
            w.field("since", upstream.since_unix_ms);
            w.field("reconnects", upstream.reconnects);
            w.field("last_error", upstream.last_error);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

void write_client_object(JsonWriter& w, const ClientSnapshot& client) {
    w.begin_object();
    w.field("id", client.id);
    w.field("vhost", client.vhost_id);
    w.field("stream", client.stream_id);
    w.field("ip", client.ip);
    w.field("pageUrl", client.page_url);
    w.field("swfUrl", client.swf_url);
    w.field("tcUrl", client.tc_url);
    w.field("url", client.url);
    w.field("name", client.name);
    w.field("type", srs_client_type_name(client.type));
    w.field("publish", srs_client_type_is_publish(client.type));
    w.field("alive", client.alive_s);
    w.field("send_bytes", client.send_bytes);
    w.field("recv_bytes", client.recv_bytes);
    write_kbps(w, client.kbps);
    w.end_object();
}

// The page [start, start + count) of `items` in id order, as SRS walks its std::map. Only the
// first start + count items are sorted: O(n log(start + count)), one pointer vector.
template <class Snapshot>
std::vector<const Snapshot*> page_in_id_order(std::span<const Snapshot> items, Page page) {
    std::vector<const Snapshot*> sorted;
    if (page.start >= items.size()) {
        return sorted;
    }
    const std::size_t end = page.start + std::min(page.count, items.size() - page.start);
    sorted.reserve(items.size());
    for (const Snapshot& item : items) {
        sorted.push_back(&item);
    }
    std::partial_sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(end), sorted.end(),
                      [](const Snapshot* a, const Snapshot* b) { return a->id < b->id; });
    sorted.resize(end);
    sorted.erase(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(page.start));
    return sorted;
}

template <class Snapshot>
const Snapshot* find_by_id(std::span<const Snapshot> items, std::string_view id) {
    for (const Snapshot& item : items) {
        if (item.id == id) {
            return &item;
        }
    }
    return nullptr;
}

// The body without a JSONP wrapper.
void write_plain_answer(const Route& route, const ApiView& view, std::string& out) {
    switch (route.endpoint) {
    case Endpoint::versions: write_versions(view.server, out); return;
    case Endpoint::summaries: write_summaries(view.server, out); return;
    case Endpoint::vhosts: write_vhosts(view.server, view.vhosts, out); return;
    case Endpoint::streams: write_streams(view.server, view.streams, route.page, out); return;
    case Endpoint::clients: write_clients(view.server, view.clients, route.page, out); return;
    case Endpoint::vhost:
        if (const auto* vhost = find_by_id(view.vhosts, route.id)) {
            write_vhost(view.server, *vhost, out);
        } else {
            write_code(SrsCode::vhost_not_found, out);
        }
        return;
    case Endpoint::stream:
        if (const auto* stream = find_by_id(view.streams, route.id)) {
            write_stream(view.server, *stream, out);
        } else {
            write_code(SrsCode::stream_not_found, out);
        }
        return;
    case Endpoint::client:
        if (const auto* client = find_by_id(view.clients, route.id)) {
            write_client(view.server, *client, out);
        } else {
            write_code(SrsCode::client_not_found, out);
        }
        return;
    case Endpoint::kick_client:
        if (find_by_id(view.clients, route.id) != nullptr) {
            write_envelope_only(view.server, out);
        } else {
            write_code(SrsCode::client_not_found, out);
        }
        return;
    case Endpoint::root:
    case Endpoint::api:
    case Endpoint::api_v1: write_index(route.endpoint, view.server, out); return;
    case Endpoint::metrics:
    case Endpoint::options: return;
    }
}

// splitmix64's finalizer: spreads every input bit over the whole word, so ids derived from
// consecutive seeds share no visible pattern.
std::uint64_t mix(std::uint64_t value) {
    value += 0x9E3779B97F4A7C15ull;
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
    return value ^ (value >> 31);
}

}  // namespace

void write_api_answer(const Route& route, const ApiView& view, std::string& out) {
    if (route.endpoint == Endpoint::metrics || route.endpoint == Endpoint::options) {
        return;
    }
    if (route.jsonp_callback.empty()) {
        write_plain_answer(route, view, out);
        return;
    }
    // SRS: callback + "(" + json + ")", errors included.
    out.append(route.jsonp_callback);
    out.push_back('(');
    write_plain_answer(route, view, out);
    out.push_back(')');
}

void write_versions(const ServerSnapshot& server, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.key("data");
    w.begin_object();
    w.field("major", server.version_major);
    w.field("minor", server.version_minor);
    w.field("revision", server.version_revision);
    w.field("version", server.version);
    w.end_object();
    w.end_object();
}

void write_summaries(const ServerSnapshot& server, std::string& out) {
    const SelfFigures& self = server.self;
    const SystemFigures& sys = server.system;
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.key("data");
    w.begin_object();
    w.field("ok", server.figures_ok);
    w.field("now_ms", server.now_ms);
    w.key("self");
    w.begin_object();
    w.field("version", server.version);
    w.field("pid", server.pid);
    w.field("ppid", server.ppid);
    w.field("argv", server.argv);
    w.field("cwd", server.cwd);
    w.field("mem_kbyte", self.mem_kbyte);
    w.field("mem_percent", self.mem_ratio);  // SRS: ratios under "_percent" names
    w.field("cpu_percent", self.cpu_ratio);
    w.field("srs_uptime", server.uptime_s);
    w.end_object();
    w.key("system");
    w.begin_object();
    w.field("cpu_percent", sys.cpu_ratio);
    w.field("disk_read_KBps", sys.disk_read_kbyte_per_s);
    w.field("disk_write_KBps", sys.disk_write_kbyte_per_s);
    w.field("disk_busy_percent", sys.disk_busy_ratio);
    w.field("mem_ram_kbyte", sys.mem_ram_kbyte);
    w.field("mem_ram_percent", sys.mem_ram_ratio);
    w.field("mem_swap_kbyte", sys.mem_swap_kbyte);
    w.field("mem_swap_percent", sys.mem_swap_ratio);
    w.field("cpus", sys.cpus);
    w.field("cpus_online", sys.cpus_online);
    w.field("uptime", sys.uptime_s);
    w.field("ilde_time", sys.idle_time_s);  // SRS: the misspelling is the field's name
    w.field("load_1m", sys.load_1m);
    w.field("load_5m", sys.load_5m);
    w.field("load_15m", sys.load_15m);
    w.field("net_sample_time", sys.net_sample_time_ms);
    w.field("net_recv_bytes", sys.net_public_recv_bytes);
    w.field("net_send_bytes", sys.net_public_send_bytes);
    w.field("net_recvi_bytes", sys.net_private_recv_bytes);
    w.field("net_sendi_bytes", sys.net_private_send_bytes);
    w.field("srs_sample_time", server.totals.sample_time_ms);
    w.field("srs_recv_bytes", server.totals.recv_bytes);
    w.field("srs_send_bytes", server.totals.send_bytes);
    w.field("conn_sys", sys.tcp_sockets);
    w.field("conn_sys_et", sys.tcp_established);
    w.field("conn_sys_tw", sys.tcp_time_wait);
    w.field("conn_sys_udp", sys.udp_sockets);
    w.field("conn_srs", server.totals.clients);
    w.end_object();
    w.end_object();
    w.end_object();
}

void write_vhosts(const ServerSnapshot& server, std::span<const VhostSnapshot> vhosts, std::string& out) {
    // SRS: vhosts are not paged; there are few, and they come from the config.
    const auto ordered = page_in_id_order(vhosts, Page{0, vhosts.size()});
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.key("vhosts");
    w.begin_array();
    for (const VhostSnapshot* vhost : ordered) {
        write_vhost_object(w, *vhost);
    }
    w.end_array();
    w.end_object();
}

void write_vhost(const ServerSnapshot& server, const VhostSnapshot& vhost, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.key("vhost");
    write_vhost_object(w, vhost);
    w.end_object();
}

void write_streams(const ServerSnapshot& server, std::span<const StreamSnapshot> streams, Page page, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.field("total", streams.size());
    w.key("streams");
    w.begin_array();
    for (const StreamSnapshot* stream : page_in_id_order(streams, page)) {
        write_stream_object(w, *stream, server.now_ms);
    }
    w.end_array();
    w.end_object();
}

void write_stream(const ServerSnapshot& server, const StreamSnapshot& stream, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.key("stream");
    write_stream_object(w, stream, server.now_ms);
    w.end_object();
}

void write_clients(const ServerSnapshot& server, std::span<const ClientSnapshot> clients, Page page, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.field("total", clients.size());
    w.key("clients");
    w.begin_array();
    for (const ClientSnapshot* client : page_in_id_order(clients, page)) {
        write_client_object(w, *client);
    }
    w.end_array();
    w.end_object();
}

void write_client(const ServerSnapshot& server, const ClientSnapshot& client, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.key("client");
    write_client_object(w, client);
    w.end_object();
}

void write_envelope_only(const ServerSnapshot& server, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    w.end_object();
}

void write_code(SrsCode code, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    w.field("code", static_cast<int>(code));
    w.end_object();
}

void write_index(Endpoint which, const ServerSnapshot& server, std::string& out) {
    JsonWriter w(out);
    w.begin_object();
    write_envelope_fields(w, server);
    if (which == Endpoint::root || which == Endpoint::api || which == Endpoint::api_v1) {
        w.key("urls");
        w.begin_object();
        if (which == Endpoint::root) {
            w.field("api", "the api root");
        } else if (which == Endpoint::api) {
            w.field("v1", "the api version 1.0");
        } else {
            // SRS's descriptions, for the endpoints ringcast serves.
            w.field("versions", "the version of SRS");
            w.field("summaries", "the summary(pid, argv, pwd, cpu, mem) of SRS");
            w.field("vhosts", "manage all vhosts or specified vhost");
            w.field("streams", "manage all streams or specified stream");
            w.field("clients", "manage all clients or specified client, default query top 10 clients");
        }
        w.end_object();
    }
    w.end_object();
}

std::string_view srs_client_type_name(ClientType type) {
    switch (type) {
    case ClientType::rtmp_play: return "rtmp-play";
    case ClientType::hls_play: return "hls-play";
    case ClientType::flv_play: return "flv-play";
    case ClientType::rtc_play: return "rtc-play";
    case ClientType::srt_play: return "srt-play";
    case ClientType::fmle_publish: return "fmle-publish";
    case ClientType::flash_publish: return "flash-publish";
    case ClientType::haivision_publish: return "haivision-publish";
    case ClientType::rtc_publish: return "rtc-publish";
    case ClientType::srt_publish: return "srt-publish";
    case ClientType::unknown: break;
    }
    return "Unknown";
}

bool srs_client_type_is_publish(ClientType type) {
    switch (type) {
    case ClientType::fmle_publish:
    case ClientType::flash_publish:
    case ClientType::haivision_publish:
    case ClientType::rtc_publish:
    case ClientType::srt_publish: return true;
    default: return false;
    }
}

std::string_view srs_video_codec_name(VideoCodec codec) {
    switch (codec) {
    case VideoCodec::h264: return "H264";
    case VideoCodec::hevc: return "HEVC";
    case VideoCodec::av1: return "AV1";
    case VideoCodec::vp6: return "VP6";
    case VideoCodec::vp9: return "VP9";
    case VideoCodec::other: break;
    }
    return "Other";
}

std::string_view srs_avc_profile_name(int profile_idc) {
    switch (profile_idc) {
    case 66: return "Baseline";
    case 578: return "Baseline(Constrained)";  // 66 | 1 << 9: ffmpeg's FF_PROFILE_H264_CONSTRAINED
    case 77: return "Main";
    case 88: return "Extended";
    case 100: return "High";
    case 110: return "High(10)";
    case 2158: return "High(10+Intra)";  // 110 | 1 << 11: FF_PROFILE_H264_INTRA
    case 122: return "High(422)";
    case 2170: return "High(422+Intra)";
    case 144: return "High(444)";
    case 244: return "High(444+Predictive)";
    case 2192: return "High(444+Intra)";
    default: return "Other";
    }
}

std::string_view srs_avc_level_name(int level_idc) {
    switch (level_idc) {
    case 10: return "1";
    case 11: return "1.1";
    case 12: return "1.2";
    case 13: return "1.3";
    case 20: return "2";
    case 21: return "2.1";
    case 22: return "2.2";
    case 30: return "3";
    case 31: return "3.1";
    case 32: return "3.2";
    case 40: return "4";
    case 41: return "4.1";
    case 50: return "5";
    case 51: return "5.1";
    default: return "Other";  // SRS names no level above 5.1
    }
}

std::string_view srs_hevc_profile_name(int general_profile_idc) {
    switch (general_profile_idc) {
    case 1: return "Main";
    case 2: return "Main10";
    case 3: return "Main Still Picture";
    case 4: return "Rext";
    default: return "Other";
    }
}

std::string_view srs_hevc_level_name(int general_level_idc) {
    switch (general_level_idc) {  // H.265 A.4: general_level_idc = 30 x level number
    case 30: return "1";
    case 60: return "2";
    case 63: return "2.1";
    case 90: return "3";
    case 93: return "3.1";
    case 120: return "4";
    case 123: return "4.1";
    case 150: return "5";
    case 153: return "5.1";
    case 156: return "5.2";
    case 180: return "6";
    case 183: return "6.1";
    case 186: return "6.2";
    default: return "Other";
    }
}

std::string_view srs_audio_codec_name(AudioCodec codec) {
    switch (codec) {
    case AudioCodec::aac: return "AAC";
    case AudioCodec::mp3: return "MP3";
    case AudioCodec::opus: return "Opus";
    case AudioCodec::other: break;
    }
    return "Other";
}

std::string_view srs_aac_object_name(int audio_object_type) {
    switch (audio_object_type) {
    case 1: return "Main";
    case 2: return "LC";
    case 3: return "SSR";
    case 5: return "HE";
    case 29: return "HEv2";
    default: return "Other";
    }
}

std::string srs_stream_url(std::string_view vhost, std::string_view app, std::string_view stream) {
    // SRS: srs_path_filename drops everything from the last '.', so "a.b.flv" is stream "a.b".
    if (const auto dot = stream.rfind('.'); dot != std::string_view::npos) {
        stream = stream.substr(0, dot);
    }
    std::string url;
    url.reserve(vhost.size() + app.size() + stream.size() + 2);
    if (vhost != "__defaultVhost__") {
        url.append(vhost);
    }
    url.push_back('/');
    url.append(app);
    url.push_back('/');
    url.append(stream);
    return url;
}

std::string make_short_id(std::uint64_t seed, std::size_t length) {
    static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string id;
    id.reserve(length);
    std::uint64_t bits = mix(seed);
    for (std::size_t i = 0; i < length; ++i) {
        if (i > 0 && i % 12 == 0) {  // 36^12 < 2^64: take fresh bits every 12 characters
            bits = mix(bits);
        }
        id.push_back(alphabet[bits % 36]);
        bits /= 36;
    }
    return id;
}

std::string make_stat_id(std::uint64_t seed) { return "vid-" + make_short_id(seed, 7); }

}  // namespace ringcast::api
