#pragma once
// The HTTP API's route table: method + path + query in, a Route (what to answer) or the HTTP
// status that refuses the request out. Pure: no snapshot is looked at here, so an id that does
// not exist still routes; the renderer (write_api_answer in srs_json.h) answers SRS's error code
// for it, as SRS does (HTTP 200 with {"code":2048}).
//
// Paths (SRS's, see srs_app_server.cpp http_handle):
//   /                       GET   api root (urls)
//   /api, /api/             GET   urls
//   /api/v1, /api/v1/       GET   urls of what ringcast serves
//   /api/v1/versions        GET
//   /api/v1/summaries       GET
//   /api/v1/vhosts[/]       GET   all vhosts (SRS does not page them)
//   /api/v1/vhosts/{id}     GET
//   /api/v1/streams[/]      GET   ?start=&count= paging
//   /api/v1/streams/{id}    GET
//   /api/v1/clients[/]      GET   ?start=&count= paging; DELETE: kick (no id: not found)
//   /api/v1/clients/{id}    GET; DELETE: kick that client
//   /metrics                GET   Prometheus text (SRS serves it on its exporter listener)
// HEAD is accepted wherever GET is; OPTIONS on any known path routes to Endpoint::options (the
// app answers the CORS preflight when `crossdomain` is on). Every other method is 405.
//
// Differences from SRS, on purpose:
//   - SRS answers "/api/v1/streams" (no slash) with a redirect to "/api/v1/streams/"; both are
//     served directly here, so clients that do not follow redirects work too.
//   - SRS serves its "/api/v1/" index for any unknown path under it and the root handler for
//     anything else; here an unknown path is 404.
//   - SRS looks the id up before the method, so `PUT /api/v1/streams/<unknown>` gets
//     {"code":2048}; here a method the path never takes is 405 whatever the id. SRS also
//     refuses HEAD (405); here it is GET without the body (RFC 9110 section 9.3.2).
//   - SRS lets a JSONP request override the method (`?callback=f&method=DELETE`), which makes
//     a plain <script src> able to kick clients (cross-site request forgery). Not supported:
//     JSONP only wraps GET answers.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "proto/http/request_parser.h"

namespace ringcast::api {

enum class Endpoint : std::uint8_t {
    root,         // "/"
    api,          // "/api/"
    api_v1,       // "/api/v1/"
    versions,
    summaries,
    vhosts,       // the list
    vhost,        // one, by Route::id
    streams,
    stream,
    clients,
    client,
    kick_client,  // DELETE /api/v1/clients/{id}: the app closes that connection, then answers
    metrics,      // Prometheus text
    options,      // OPTIONS on a known path: CORS preflight
};

/// Which slice of a list to answer, as SRS 7.0.128+ reads ?start=&count=: start defaults to
/// 0 (negative: 0); count defaults to 10 when absent or not a number, and is at least 1.
/// Unlike SRS, count is also at most page_count_max.
struct Page {
    std::size_t start = 0;
    std::size_t count = 10;
};

inline constexpr std::size_t page_count_default = 10;
/// A page is rendered whole into memory on the shard thread that serves the request, while that
/// shard's other connections wait: 1000 streams (picked from 10000) is ~0.5 MB of JSON and
/// 1-2 ms of work, about what one request may cost before live traffic on that shard notices.
/// SRS has no bound; larger listings page with start.
inline constexpr std::size_t page_count_max = 1000;
/// JSONP callback names longer than this, or with bytes outside [A-Za-z0-9_$.], are ignored (the
/// answer is plain JSON): the name is echoed into JavaScript, so it must stay an identifier path.
inline constexpr std::size_t jsonp_callback_size_max = 64;

struct Route {
    Endpoint endpoint = Endpoint::root;
    /// vhost, stream or client id: the rest of the path after the collection's "/", verbatim
    /// (so it may hold '/'; then nothing matches it, as in SRS). Empty for lists and for a
    /// DELETE of the whole collection. A view into the `path` given to route_api_request().
    std::string_view id{};
    Page page{};                        // streams and clients lists
    std::string_view jsonp_callback{};  // non-empty: wrap the JSON as `callback(...)`; a view
                                        // into the query given to route_api_request()
    bool head_only = false;             // HEAD: answer GET's head without the body
};

/// Outcome of routing one request. status 200: `route` says what to answer. 404: no such path
/// (SRS answers "Not Found" as text/plain). 405: the path exists but not for that method;
/// `allow` is the Allow header value RFC 9110 section 15.5.6 requires with it.
struct RoutedRequest {
    std::uint16_t status = 200;
    Route route{};
    std::string_view allow{};  // static text
};

/// Routes one request. `path` is the decoded path without the query (HttpRequest::path),
/// `query` the decoded parameters (the first of each name counts). The result's views point into
/// `path` and `query`, which must outlive it.
RoutedRequest route_api_request(proto::http::HttpMethod method, std::string_view path,
                                std::span<const proto::http::QueryParam> query);

inline RoutedRequest route_api_request(const proto::http::HttpRequest& request) {
    return route_api_request(request.method, request.path, request.query_params);
}

/// SRS's reading of ?start= and ?count= (see Page), from the decoded values (nullopt: absent).
Page parse_page(std::optional<std::string_view> start, std::optional<std::string_view> count);

}  // namespace ringcast::api
