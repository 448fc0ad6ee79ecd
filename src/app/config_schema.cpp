#include "app/config_schema.h"

namespace ringcast::app {

namespace {

using Specs = std::span<const DirectiveSpec>;

constexpr DirectiveSpec impl(std::string_view name) { return {name, Support::implemented}; }
constexpr DirectiveSpec impl_block(std::string_view name, Specs children) {
    return {name, Support::implemented, children};
}
constexpr DirectiveSpec unimpl(std::string_view name) { return {name, Support::unimplemented}; }
constexpr DirectiveSpec unimpl_block(std::string_view name, Specs children) {
    return {name, Support::unimplemented, children};
}
constexpr DirectiveSpec unimpl_any(std::string_view name) { return {name, Support::unimplemented, {}, true}; }

// ---- vhost children -------------------------------------------------------------------------

constexpr DirectiveSpec dvr_specs[] = {unimpl("enabled"),      unimpl("dvr_apply"),    unimpl("dvr_path"),
                                       unimpl("dvr_plan"),     unimpl("dvr_duration"), unimpl("dvr_wait_keyframe"),
                                       unimpl("time_jitter")};
constexpr DirectiveSpec refer_specs[] = {unimpl("enabled"), unimpl("all"), unimpl("publish"), unimpl("play")};
constexpr DirectiveSpec exec_specs[] = {unimpl("enabled"), unimpl("publish")};
constexpr DirectiveSpec play_specs[] = {
    impl("time_jitter"),          impl("mix_correct"),          impl("atc"),
    impl("atc_auto"),             impl("mw_latency"),           impl("gop_cache"),
    impl("gop_cache_max_frames"), impl("queue_length"),         unimpl("send_min_interval"),
    unimpl("reduce_sequence_header"), impl("mw_msgs")};
constexpr DirectiveSpec cluster_specs[] = {
    impl("mode"),      impl("origin"),         impl("token_traverse"), impl("vhost"),
    impl("debug_srs_upnode"), unimpl("coworkers"), unimpl("origin_cluster"), unimpl("protocol"),
    unimpl("follow_client")};
constexpr DirectiveSpec publish_specs[] = {impl("mr"),           impl("mr_latency"),        impl("firstpkt_timeout"),
                                           impl("normal_timeout"), unimpl("parse_sps"),       unimpl("try_annexb_first"),
                                           unimpl("kickoff_for_idle")};
// SRS checks transcode engines but not ingest engines or input blocks.
constexpr DirectiveSpec ingest_specs[] = {unimpl("enabled"), unimpl_any("input"), unimpl("ffmpeg"),
                                          unimpl_any("engine")};
constexpr DirectiveSpec http_static_specs[] = {unimpl("enabled"), unimpl("mount"), unimpl("dir")};
constexpr DirectiveSpec http_remux_specs[] = {impl("enabled"),   impl("mount"),     unimpl("fast_cache"),
                                              unimpl("drop_if_not_match"), unimpl("has_audio"), unimpl("has_video"),
                                              unimpl("guess_has_av")};
constexpr DirectiveSpec dash_specs[] = {unimpl("enabled"),       unimpl("dash_fragment"), unimpl("dash_update_period"),
                                        unimpl("dash_timeshift"), unimpl("dash_path"),    unimpl("dash_mpd_file"),
                                        unimpl("dash_window_size"), unimpl("dash_dispose"), unimpl("dash_cleanup")};
// hls_acodec/hls_vcodec (codecs announced before the first sequence header), hls_keys, fmp4,
// hls_ctx and the rest are not implemented yet: they warn.
constexpr DirectiveSpec hls_specs[] = {
    impl("enabled"),           impl("hls_entry_prefix"),   impl("hls_path"),          impl("hls_fragment"),
    impl("hls_window"),        impl("hls_on_error"),       unimpl("hls_storage"),     unimpl("hls_mount"),
    impl("hls_td_ratio"),      impl("hls_aof_ratio"),      unimpl("hls_acodec"),      unimpl("hls_vcodec"),
    impl("hls_m3u8_file"),     impl("hls_ts_file"),        impl("hls_ts_floor"),      impl("hls_cleanup"),
    impl("hls_nb_notify"),     impl("hls_wait_keyframe"),  impl("hls_dispose"),       unimpl("hls_keys"),
    unimpl("hls_fragments_per_key"), unimpl("hls_key_file"), unimpl("hls_key_file_path"), unimpl("hls_key_url"),
    unimpl("hls_dts_directly"), unimpl("hls_ctx"),         unimpl("hls_ts_ctx"),      unimpl("hls_use_fmp4"),
    unimpl("hls_fmp4_file"),   unimpl("hls_init_file"),    unimpl("hls_recover")};
constexpr DirectiveSpec http_hooks_specs[] = {unimpl("enabled"),  unimpl("on_connect"),   unimpl("on_close"),
                                              unimpl("on_publish"), unimpl("on_unpublish"), unimpl("on_play"),
                                              unimpl("on_stop"),  unimpl("on_dvr"),       unimpl("on_hls"),
                                              unimpl("on_hls_notify")};
constexpr DirectiveSpec forward_specs[] = {impl("enabled"), impl("destination"), impl("backend")};
constexpr DirectiveSpec security_specs[] = {unimpl("enabled"), unimpl("deny"), unimpl("allow")};
constexpr DirectiveSpec engine_specs[] = {
    unimpl("enabled"),   unimpl_any("vfilter"), unimpl("vcodec"),    unimpl("vbitrate"),   unimpl("vfps"),
    unimpl("vwidth"),    unimpl("vheight"),     unimpl("vthreads"),  unimpl("vprofile"),   unimpl("vpreset"),
    unimpl_any("vparams"), unimpl("acodec"),    unimpl("abitrate"),  unimpl("asample_rate"), unimpl("achannels"),
    unimpl_any("aparams"), unimpl("output"),    unimpl_any("perfile"), unimpl("iformat"),  unimpl("oformat")};
constexpr DirectiveSpec transcode_specs[] = {unimpl("enabled"), unimpl("ffmpeg"), unimpl_block("engine", engine_specs)};
constexpr DirectiveSpec rtc_specs[] = {
    unimpl("enabled"),      unimpl("nack"),          unimpl("twcc"),           unimpl("nack_no_copy"),
    unimpl("bframe"),       unimpl("aac"),           unimpl("stun_timeout"),   unimpl("stun_strict_check"),
    unimpl("dtls_role"),    unimpl("dtls_version"),  unimpl("drop_for_pt"),    unimpl("rtc_to_rtmp"),
    unimpl("pli_for_rtmp"), unimpl("rtmp_to_rtc"),   unimpl("keep_bframe"),    unimpl("opus_bitrate"),
    unimpl("aac_bitrate"),  unimpl("keep_avc_nalu_sei")};
constexpr DirectiveSpec srt_specs[] = {unimpl("enabled"), unimpl("srt_to_rtmp")};
constexpr DirectiveSpec rtsp_specs[] = {unimpl("enabled"), unimpl("rtmp_to_rtsp")};

constexpr DirectiveSpec vhost_specs[] = {
    impl("enabled"),
    impl("chunk_size"),
    impl("in_ack_size"),
    impl("out_ack_size"),
    impl("min_latency"),
    impl("tcp_nodelay"),
    unimpl_block("dvr", dvr_specs),
    unimpl_block("ingest", ingest_specs),
    impl_block("hls", hls_specs),
    unimpl_block("http_hooks", http_hooks_specs),
    unimpl_block("refer", refer_specs),
    impl_block("forward", forward_specs),
    unimpl_block("transcode", transcode_specs),
    unimpl_any("bandcheck"),
    impl_block("play", play_specs),
    impl_block("publish", publish_specs),
    impl_block("cluster", cluster_specs),
    unimpl_block("security", security_specs),
    impl_block("http_remux", http_remux_specs),
    unimpl_block("dash", dash_specs),
    unimpl_block("http_static", http_static_specs),
    unimpl_any("hds"),
    unimpl_block("exec", exec_specs),
    unimpl_block("rtc", rtc_specs),
    unimpl_block("srt", srt_specs),
    unimpl_block("rtsp", rtsp_specs),
};

// ---- top-level blocks -----------------------------------------------------------------------

constexpr DirectiveSpec rtmp_specs[] = {impl("listen"), impl("chunk_size")};
constexpr DirectiveSpec raw_api_specs[] = {unimpl("enabled"), unimpl("allow_reload"), unimpl("allow_query"),
                                           unimpl("allow_update")};
constexpr DirectiveSpec auth_specs[] = {unimpl("enabled"), unimpl("username"), unimpl("password")};
constexpr DirectiveSpec http_api_specs[] = {impl("enabled"), impl("listen"), impl("crossdomain"),
                                            unimpl_block("raw_api", raw_api_specs),
                                            unimpl_block("auth", auth_specs), unimpl_any("https")};
constexpr DirectiveSpec http_server_specs[] = {impl("enabled"), impl("listen"), impl("dir"),
                                               impl("crossdomain"), unimpl_any("https")};
constexpr DirectiveSpec srt_server_specs[] = {
    unimpl("enabled"),     unimpl("listen"),     unimpl("maxbw"),         unimpl("mss"),
    unimpl("latency"),     unimpl("recvlatency"), unimpl("peerlatency"),  unimpl("connect_timeout"),
    unimpl("peer_idle_timeout"), unimpl("sendbuf"), unimpl("recvbuf"),    unimpl("payloadsize"),
    unimpl("default_app"), unimpl("sei_filter"), unimpl("mix_correct"),   unimpl("tlpktdrop"),
    unimpl("tsbpdmode"),   unimpl("passphrase"), unimpl("pbkeylen")};
constexpr DirectiveSpec heartbeat_specs[] = {unimpl("enabled"),   unimpl("interval"),  unimpl("url"),
                                             unimpl("device_id"), unimpl("summaries"), unimpl("ports")};
constexpr DirectiveSpec stats_specs[] = {unimpl("enabled"), unimpl("network"), unimpl("disk")};
constexpr DirectiveSpec rtc_server_specs[] = {
    unimpl("enabled"),     unimpl("listen"),       unimpl("dir"),          unimpl("candidate"),
    unimpl("ecdsa"),       unimpl_any("tcp"),      unimpl("encrypt"),      unimpl("reuseport"),
    unimpl("merge_nalus"), unimpl_any("black_hole"), unimpl("protocol"),   unimpl("ip_family"),
    unimpl("api_as_candidates"), unimpl("resolve_api_domain"), unimpl("keep_api_domain"),
    unimpl("use_auto_detect_network_ip")};
constexpr DirectiveSpec rtsp_server_specs[] = {unimpl("enabled"), unimpl("listen")};
constexpr DirectiveSpec rtmps_specs[] = {unimpl("enabled"), unimpl("listen"), unimpl("key"), unimpl("cert")};
constexpr DirectiveSpec exporter_specs[] = {impl("enabled"), impl("listen"), impl("label"), impl("tag")};
constexpr DirectiveSpec sip_specs[] = {unimpl("enabled"), unimpl("listen"), unimpl("timeout"), unimpl("reinvite"),
                                       unimpl("candidate")};
constexpr DirectiveSpec stream_caster_specs[] = {unimpl("enabled"), unimpl("caster"), unimpl("output"),
                                                 unimpl("listen"), unimpl_block("sip", sip_specs)};

constexpr DirectiveSpec root_specs[] = {
    impl("workers"),
    impl_block("rtmp", rtmp_specs),
    impl("pid"),
    impl("srs_log_tank"),
    impl("srs_log_level"),
    impl("srs_log_level_v2"),
    impl("srs_log_file"),
    impl("max_connections"),
    impl("daemon"),
    impl_block("vhost", vhost_specs),
    impl("is_full"),
    unimpl("ff_log_dir"),
    unimpl("ff_log_level"),
    unimpl_block("heartbeat", heartbeat_specs),
    unimpl_any("tencentcloud_apm"),
    impl_block("http_api", http_api_specs),
    unimpl_block("stats", stats_specs),
    unimpl("pithy_print_ms"),
    impl_block("http_server", http_server_specs),
    unimpl_block("stream_caster", stream_caster_specs),
    unimpl_block("rtc_server", rtc_server_specs),
    unimpl_block("srt_server", srt_server_specs),
    unimpl("utc_time"),
    unimpl("work_dir"),
    unimpl("asprocess"),
    unimpl("server_id"),
    impl("grace_final_wait"),
    impl("force_grace_quit"),
    impl("grace_start_wait"),
    unimpl("empty_ip_ok"),
    unimpl("disable_daemon_for_docker"),
    unimpl("inotify_auto_reload"),
    unimpl("auto_reload_for_docker"),
    unimpl("tcmalloc_release_rate"),
    unimpl("query_latest_version"),
    unimpl("first_wait_for_qlv"),
    unimpl_any("circuit_breaker"),
    unimpl("in_docker"),
    unimpl_any("tencentcloud_cls"),
    impl_block("exporter", exporter_specs),
    unimpl_block("rtsp_server", rtsp_server_specs),
    unimpl_block("rtmps", rtmps_specs),
    unimpl_any("threads"),
};

}  // namespace

std::span<const DirectiveSpec> root_directive_specs() { return root_specs; }

}  // namespace ringcast::app
