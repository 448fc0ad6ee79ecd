// Route table: every endpoint's path with and without its trailing slash, ids, 404 for unknown
// paths, 405 (with Allow) for wrong methods, DELETE as kick, OPTIONS and HEAD, SRS's reading of
// ?start=&count= and its bound, JSONP callback validation, and a request parsed by
// proto/http's parser routed end to end.
#include "api/routes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/http/request_parser.h"

namespace ringcast::api {
namespace {

using proto::http::HttpMethod;
using proto::http::QueryParam;

RoutedRequest route(HttpMethod method, std::string_view path, const std::vector<QueryParam>& query = {}) {
    return route_api_request(method, path, query);
}

TEST(ApiRoutes, EveryReadEndpointWithAndWithoutTrailingSlash) {
    struct Case {
        std::string_view path;
        Endpoint endpoint;
    };
    const Case cases[] = {
        {"/", Endpoint::root},
        {"/api", Endpoint::api},
        {"/api/", Endpoint::api},
        {"/api/v1", Endpoint::api_v1},
        {"/api/v1/", Endpoint::api_v1},
        {"/api/v1/versions", Endpoint::versions},
        {"/api/v1/summaries", Endpoint::summaries},
        {"/api/v1/vhosts", Endpoint::vhosts},
        {"/api/v1/vhosts/", Endpoint::vhosts},
        {"/api/v1/streams", Endpoint::streams},
        {"/api/v1/streams/", Endpoint::streams},
        {"/api/v1/clients", Endpoint::clients},
        {"/api/v1/clients/", Endpoint::clients},
        {"/metrics", Endpoint::metrics},
    };
    for (const Case& c : cases) {
        const RoutedRequest routed = route(HttpMethod::get, c.path);
        EXPECT_EQ(routed.status, 200) << c.path;
        EXPECT_EQ(routed.route.endpoint, c.endpoint) << c.path;
        EXPECT_TRUE(routed.route.id.empty()) << c.path;
        EXPECT_FALSE(routed.route.head_only);
    }
}

TEST(ApiRoutes, ItemIdsAreTheRestOfThePath) {
    RoutedRequest routed = route(HttpMethod::get, "/api/v1/streams/vid-0w2a5b3");
    EXPECT_EQ(routed.status, 200);
    EXPECT_EQ(routed.route.endpoint, Endpoint::stream);
    EXPECT_EQ(routed.route.id, "vid-0w2a5b3");

    routed = route(HttpMethod::get, "/api/v1/vhosts/vid-1");
    EXPECT_EQ(routed.route.endpoint, Endpoint::vhost);
    EXPECT_EQ(routed.route.id, "vid-1");

    routed = route(HttpMethod::get, "/api/v1/clients/c42");
    EXPECT_EQ(routed.route.endpoint, Endpoint::client);
    EXPECT_EQ(routed.route.id, "c42");

    // SRS's parse_rest_id keeps everything after the pattern: such an id then matches nothing.
    routed = route(HttpMethod::get, "/api/v1/clients/c42/extra");
    EXPECT_EQ(routed.route.endpoint, Endpoint::client);
    EXPECT_EQ(routed.route.id, "c42/extra");
    routed = route(HttpMethod::get, "/api/v1/streams//");
    EXPECT_EQ(routed.route.endpoint, Endpoint::stream);
    EXPECT_EQ(routed.route.id, "/");
}

TEST(ApiRoutes, UnknownPathsAre404) {
    for (std::string_view path : {"", "/api/v2/versions", "/api/v1/version", "/api/v1/versions/", "/api/v1/streamsx",
                                  "/api/v1/clientsfoo/1", "/API/V1/VERSIONS", "/api/v1/rusages", "//api/v1/streams",
                                  "/metrics/", "/live/livestream.flv", "/favicon.ico"}) {
        const RoutedRequest routed = route(HttpMethod::get, path);
        EXPECT_EQ(routed.status, 404) << path;
        EXPECT_EQ(route(HttpMethod::delete_, path).status, 404) << path;
    }
}

TEST(ApiRoutes, DeleteOfAClientIsAKick) {
    RoutedRequest routed = route(HttpMethod::delete_, "/api/v1/clients/c42");
    EXPECT_EQ(routed.status, 200);
    EXPECT_EQ(routed.route.endpoint, Endpoint::kick_client);
    EXPECT_EQ(routed.route.id, "c42");
    // SRS: DELETE of the collection finds no client (ERROR_RTMP_CLIENT_NOT_FOUND), not a 405.
    routed = route(HttpMethod::delete_, "/api/v1/clients/");
    EXPECT_EQ(routed.status, 200);
    EXPECT_EQ(routed.route.endpoint, Endpoint::kick_client);
    EXPECT_TRUE(routed.route.id.empty());
}

TEST(ApiRoutes, WrongMethodsAre405WithAllow) {
    struct Case {
        HttpMethod method;
        std::string_view path;
        std::string_view allow;
    };
    const Case cases[] = {
        {HttpMethod::post, "/api/v1/versions", "GET, HEAD, OPTIONS"},
        {HttpMethod::put, "/api/v1/streams/vid-1", "GET, HEAD, OPTIONS"},
        {HttpMethod::delete_, "/api/v1/streams/vid-1", "GET, HEAD, OPTIONS"},
        {HttpMethod::delete_, "/api/v1/vhosts/", "GET, HEAD, OPTIONS"},
        {HttpMethod::delete_, "/metrics", "GET, HEAD, OPTIONS"},
        {HttpMethod::post, "/api/v1/clients/c1", "GET, HEAD, DELETE, OPTIONS"},
        {HttpMethod::other, "/api/v1/clients", "GET, HEAD, DELETE, OPTIONS"},
    };
    for (const Case& c : cases) {
        const RoutedRequest routed = route(c.method, c.path);
        EXPECT_EQ(routed.status, 405) << c.path;
        EXPECT_EQ(routed.allow, c.allow) << c.path;
    }
}

TEST(ApiRoutes, HeadIsGetWithoutBodyAndOptionsIsAPreflight) {
    RoutedRequest routed = route(HttpMethod::head, "/api/v1/summaries");
    EXPECT_EQ(routed.status, 200);
    EXPECT_EQ(routed.route.endpoint, Endpoint::summaries);
    EXPECT_TRUE(routed.route.head_only);

    routed = route(HttpMethod::options, "/api/v1/clients/c1");
    EXPECT_EQ(routed.status, 200);
    EXPECT_EQ(routed.route.endpoint, Endpoint::options);
    EXPECT_EQ(route(HttpMethod::options, "/nope").status, 404);
}

TEST(ApiRoutes, PagingFollowsSrsDefaultsAndIsBounded) {
    using O = std::optional<std::string_view>;
    struct Case {
        O start;
        O count;
        std::size_t want_start;
        std::size_t want_count;
    };
    const Case cases[] = {
        {O{}, O{}, 0, 10},                 // SRS 7.0.128+: default count 10
        {O{"5"}, O{"3"}, 5, 3},
        {O{"-3"}, O{"0"}, 0, 1},           // start at least 0, count at least 1
        {O{""}, O{""}, 0, 10},             // empty: as absent
        {O{"abc"}, O{"abc"}, 0, 10},       // not a number: the default
        {O{"12abc"}, O{"7x"}, 12, 7},      // atoi: leading digits count
        {O{" 4"}, O{"+9"}, 4, 9},
        {O{}, O{"-1"}, 0, 1},
        {O{}, O{"1000"}, 0, page_count_max},
        {O{}, O{"1001"}, 0, page_count_max},
        {O{}, O{"99999999999999999999999999"}, 0, page_count_max},
        {O{"99999999999999999999999999"}, O{}, 1000000000000000000u, 10},  // saturates, no overflow
    };
    for (const Case& c : cases) {
        const Page page = parse_page(c.start, c.count);
        EXPECT_EQ(page.start, c.want_start) << c.start.value_or("<none>") << " " << c.count.value_or("<none>");
        EXPECT_EQ(page.count, c.want_count) << c.start.value_or("<none>") << " " << c.count.value_or("<none>");
    }
}

TEST(ApiRoutes, PagingIsReadOnlyForStreamAndClientLists) {
    const std::vector<QueryParam> query = {{"start", "2"}, {"count", "4"}, {"start", "9"}};
    RoutedRequest routed = route(HttpMethod::get, "/api/v1/clients", query);
    EXPECT_EQ(routed.route.page.start, 2u);  // the first of each name counts
    EXPECT_EQ(routed.route.page.count, 4u);
    routed = route(HttpMethod::get, "/api/v1/streams/", query);
    EXPECT_EQ(routed.route.page.start, 2u);
    routed = route(HttpMethod::get, "/api/v1/vhosts/", query);  // SRS does not page vhosts
    EXPECT_EQ(routed.route.page.start, 0u);
    EXPECT_EQ(routed.route.page.count, page_count_default);
}

TEST(ApiRoutes, JsonpCallbackMustBeAnIdentifierPath) {
    const auto callback_of = [](std::string_view value, std::string_view path = "/api/v1/versions") {
        const std::vector<QueryParam> query = {{"callback", std::string(value)}};
        return std::string(route(HttpMethod::get, path, query).route.jsonp_callback);
    };
    EXPECT_EQ(callback_of("JSON_CALLBACK"), "JSON_CALLBACK");
    EXPECT_EQ(callback_of("angular.callbacks._0"), "angular.callbacks._0");
    EXPECT_EQ(callback_of("$jq123"), "$jq123");
    EXPECT_EQ(callback_of("alert(1)//"), "");
    EXPECT_EQ(callback_of("a b"), "");
    EXPECT_EQ(callback_of(""), "");
    EXPECT_EQ(callback_of(std::string(jsonp_callback_size_max, 'a')), std::string(jsonp_callback_size_max, 'a'));
    EXPECT_EQ(callback_of(std::string(jsonp_callback_size_max + 1, 'a')), "");
    EXPECT_EQ(callback_of("cb", "/metrics"), "");  // Prometheus text is never wrapped
}

TEST(ApiRoutes, RequestFromTheHttpParserRoutesEndToEnd) {
    proto::http::HttpRequestParser parser;
    std::vector<proto::http::HttpRequest> requests;
    const std::string_view wire =
        "GET /api/v1/streams/?start=1&count=2&callback=cb HTTP/1.1\r\nHost: x\r\n\r\n"
        "DELETE /api/v1/clients/c%34%32 HTTP/1.1\r\nHost: x\r\n\r\n";
    const auto status = parser.feed(std::span(reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()),
                                    [&](proto::http::HttpRequest&& request) { requests.push_back(std::move(request)); });
    ASSERT_TRUE(status.has_value());
    ASSERT_EQ(requests.size(), 2u);

    RoutedRequest routed = route_api_request(requests[0]);
    EXPECT_EQ(routed.status, 200);
    EXPECT_EQ(routed.route.endpoint, Endpoint::streams);
    EXPECT_EQ(routed.route.page.start, 1u);
    EXPECT_EQ(routed.route.page.count, 2u);
    EXPECT_EQ(routed.route.jsonp_callback, "cb");

    routed = route_api_request(requests[1]);
    EXPECT_EQ(routed.route.endpoint, Endpoint::kick_client);
    EXPECT_EQ(routed.route.id, "c42");  // the parser percent-decoded the path
}

}  // namespace
}  // namespace ringcast::api
