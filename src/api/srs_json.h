#pragma once
// SRS's HTTP API answers, byte-compatible in shape with SRS 7 (srs_app_http_api.cpp,
// srs_app_statistic.cpp, srs_app_utility.cpp srs_api_dump_summaries): the same field names, in
// the same order, with the same JSON types, so SRS's console, Oryx and operators' scripts read
// ringcast unchanged.
//
// Every success answer starts with SRS 5+'s envelope
//   {"code":0,"server":"<server id>","service":"<service id>","pid":"<pid as a string>", ...}
// An unknown id answers HTTP 200 with only {"code":<SRS error>} (SRS does not add the envelope
// there), e.g. {"code":2049} for a client.
//
// Numbers: SRS's JSON writer (srs_protocol_json.cpp, as far back as we read it) prints doubles
// with "%.6f" (12.500000) and strings without escaping; here doubles are the shortest exact form
// (12.5: the same number to every JSON reader), never printed as integers (1.0, not 1, so
// readers that type a field by its value stay right), and strings are always valid JSON and
// UTF-8 whatever a client sent (see json_writer.h).
//
// Values in, bytes appended to `out` (never cleared). Nothing is kept after a call returns.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "api/routes.h"
#include "api/stats.h"

namespace ringcast::api {

/// SRS's error codes (srs_kernel_error.hpp) that the API answers with.
enum class SrsCode : int {
    success = 0,
    vhost_not_found = 2014,   // ERROR_RTMP_VHOST_NOT_FOUND
    stream_not_found = 2048,  // ERROR_RTMP_STREAM_NOT_FOUND
    client_not_found = 2049,  // ERROR_RTMP_CLIENT_NOT_FOUND
};

inline constexpr std::string_view json_content_type = "application/json";
inline constexpr std::string_view jsonp_content_type = "text/javascript";  // SRS's, for ?callback=

/// Everything an answer may need, gathered by the app. Spans may be empty when the endpoint does
/// not use them (see write_api_answer). The order of the spans does not matter: lists are
/// answered in id order, as SRS's std::map gives them, so paging is stable between requests.
struct ApiView {
    const ServerSnapshot& server;
    std::span<const VhostSnapshot> vhosts{};
    std::span<const StreamSnapshot> streams{};
    std::span<const ClientSnapshot> clients{};
};

/// The whole body of a routed JSON endpoint (every Endpoint but metrics and options, which
/// write nothing): the answer, or {"code":<SRS error>} for an id that `view` does not hold,
/// wrapped as `callback(...)` when the route carries a JSONP callback (then send it as
/// jsonp_content_type). What each endpoint reads from `view`:
///   versions, summaries, root, api, api_v1: server only;
///   vhosts, vhost: vhosts; streams, stream: streams; clients, client, kick_client: clients.
/// kick_client answers the bare envelope when the id is in `view.clients` (the app closes that
/// connection), else {"code":2049}.
void write_api_answer(const Route& route, const ApiView& view, std::string& out);

// The answers one by one (write_api_answer picks among them; the app rarely needs these).

void write_versions(const ServerSnapshot& server, std::string& out);
void write_summaries(const ServerSnapshot& server, std::string& out);
void write_vhosts(const ServerSnapshot& server, std::span<const VhostSnapshot> vhosts, std::string& out);
void write_vhost(const ServerSnapshot& server, const VhostSnapshot& vhost, std::string& out);
/// {"code":0,...,"total":<all streams>,"streams":[<the page, in id order>]}
void write_streams(const ServerSnapshot& server, std::span<const StreamSnapshot> streams, Page page, std::string& out);
void write_stream(const ServerSnapshot& server, const StreamSnapshot& stream, std::string& out);
void write_clients(const ServerSnapshot& server, std::span<const ClientSnapshot> clients, Page page, std::string& out);
void write_client(const ServerSnapshot& server, const ClientSnapshot& client, std::string& out);
/// The bare envelope: the answer to a kick that found its client.
void write_envelope_only(const ServerSnapshot& server, std::string& out);
/// {"code":<code>}
void write_code(SrsCode code, std::string& out);
/// The "urls" indexes of "/", "/api/" and "/api/v1/" (for other endpoints: the envelope only).
void write_index(Endpoint which, const ServerSnapshot& server, std::string& out);

// SRS's names for codec parameters (srs_kernel_codec.cpp); "Other" for what SRS does not name.
// One exception: SRS 7 has no name for VP9 (its stream dump says "Other"); we say "VP9".

std::string_view srs_client_type_name(ClientType type);
bool srs_client_type_is_publish(ClientType type);
std::string_view srs_video_codec_name(VideoCodec codec);
std::string_view srs_avc_profile_name(int profile_idc);
std::string_view srs_avc_level_name(int level_idc);
std::string_view srs_hevc_profile_name(int general_profile_idc);
std::string_view srs_hevc_level_name(int general_level_idc);
std::string_view srs_audio_codec_name(AudioCodec codec);
std::string_view srs_aac_object_name(int audio_object_type);

/// SRS's stream url (srs_generate_stream_url): "vhost/app/stream", with the vhost left out for
/// SRS's default vhost ("__defaultVhost__" -> "/app/stream") and the stream's extension dropped
/// ("livestream.flv" and "livestream.m3u8" are the stream "livestream").
std::string srs_stream_url(std::string_view vhost, std::string_view app, std::string_view stream);

/// An SRS-style statistic id, "vid-" + 7 characters of [0-9a-z], derived from `seed` (the app
/// passes e.g. a hash of the vhost or stream key mixed with a per-process nonce). Same seed,
/// same id; nearby seeds give unrelated-looking ids.
std::string make_stat_id(std::uint64_t seed);

/// `length` characters of [0-9a-z] derived from `seed`: SRS's service id (8 characters).
std::string make_short_id(std::uint64_t seed, std::size_t length);

}  // namespace ringcast::api
