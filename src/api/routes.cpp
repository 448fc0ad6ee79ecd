// The API's paths and methods as SRS 5..7 registers them (srs_app_server.cpp http_handle, the
// SrsGoApi* handlers of srs_app_http_api.cpp); see routes.h for where we differ and why.

#include "api/routes.h"

#include <algorithm>

namespace ringcast::api {

namespace {

using proto::http::HttpMethod;
using proto::http::QueryParam;

constexpr std::string_view allow_read = "GET, HEAD, OPTIONS";
constexpr std::string_view allow_read_delete = "GET, HEAD, DELETE, OPTIONS";

struct Collection {
    std::string_view path;  // without the trailing slash
    Endpoint list;
    Endpoint item;
    bool kick = false;      // DELETE kicks (clients only)
};

constexpr Collection collections[] = {
    {"/api/v1/vhosts", Endpoint::vhosts, Endpoint::vhost},
    {"/api/v1/streams", Endpoint::streams, Endpoint::stream},
    {"/api/v1/clients", Endpoint::clients, Endpoint::client, true},
};

struct Fixed {
    std::string_view path;
    Endpoint endpoint;
};

constexpr Fixed fixed_paths[] = {
    {"/", Endpoint::root},
    {"/api", Endpoint::api},
    {"/api/", Endpoint::api},
    {"/api/v1", Endpoint::api_v1},
    {"/api/v1/", Endpoint::api_v1},
    {"/api/v1/versions", Endpoint::versions},
    {"/api/v1/summaries", Endpoint::summaries},
    {"/metrics", Endpoint::metrics},
};

// What the path names, before the method is considered.
struct PathMatch {
    bool found = false;
    Endpoint endpoint = Endpoint::root;
    std::string_view id{};
    bool kick = false;  // DELETE is allowed and means kick_client
};

PathMatch match_path(std::string_view path) {
    for (const Fixed& fixed : fixed_paths) {
        if (path == fixed.path) {
            return {true, fixed.endpoint};
        }
    }
    for (const Collection& collection : collections) {
        if (!path.starts_with(collection.path)) {
            continue;
        }
        const std::string_view rest = path.substr(collection.path.size());
        if (rest.empty() || rest == "/") {
            return {true, collection.list, {}, collection.kick};
        }
        if (rest.front() == '/') {
            return {true, collection.item, rest.substr(1), collection.kick};
        }
    }
    return {};
}

std::optional<std::string_view> first_param(std::span<const QueryParam> query, std::string_view name) {
    for (const QueryParam& param : query) {
        if (param.name == name) {
            return std::string_view(param.value);
        }
    }
    return std::nullopt;
}

// C's atoi as SRS applies it: leading blanks, an optional sign, then as many digits as there
// are; "12abc" is 12. Saturates instead of overflowing.
struct LeadingInteger {
    bool has_digits = false;
    std::int64_t value = 0;
};

LeadingInteger leading_integer(std::string_view text) {
    std::size_t at = 0;
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) {
        ++at;
    }
    bool negative = false;
    if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        negative = text[at] == '-';
        ++at;
    }
    constexpr std::int64_t saturated = 1'000'000'000'000'000'000;  // far past any list, far from overflow
    LeadingInteger result;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) {
        result.has_digits = true;
        const int digit = text[at] - '0';
        result.value = result.value <= (saturated - digit) / 10 ? result.value * 10 + digit : saturated;
    }
    if (negative) {
        result.value = -result.value;
    }
    return result;
}

bool valid_jsonp_callback(std::string_view name) {
    if (name.empty() || name.size() > jsonp_callback_size_max) {
        return false;
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '$' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool answers_json(Endpoint endpoint) { return endpoint != Endpoint::metrics && endpoint != Endpoint::options; }

}  // namespace

Page parse_page(std::optional<std::string_view> start, std::optional<std::string_view> count) {
    Page page;
    if (start) {
        const LeadingInteger value = leading_integer(*start);
        page.start = value.value > 0 ? static_cast<std::size_t>(value.value) : 0;
    }
    if (count) {
        const LeadingInteger value = leading_integer(*count);
        if (value.has_digits) {
            const std::int64_t count_max = static_cast<std::int64_t>(page_count_max);
            page.count = static_cast<std::size_t>(std::clamp<std::int64_t>(value.value, 1, count_max));
        }
    }
    return page;
}

RoutedRequest route_api_request(HttpMethod method, std::string_view path, std::span<const QueryParam> query) {
    const PathMatch match = match_path(path);
    if (!match.found) {
        return {.status = 404};
    }
    Route route{.endpoint = match.endpoint, .id = match.id};
    switch (method) {
    case HttpMethod::get:
    case HttpMethod::head:
        route.head_only = method == HttpMethod::head;
        break;
    case HttpMethod::options:
        route.endpoint = Endpoint::options;
        return {.route = route};
    case HttpMethod::delete_:
        if (match.kick) {
            route.endpoint = Endpoint::kick_client;
            return {.route = route};
        }
        [[fallthrough]];
    default:
        return {.status = 405, .allow = match.kick ? allow_read_delete : allow_read};
    }
    if (route.endpoint == Endpoint::streams || route.endpoint == Endpoint::clients) {
        route.page = parse_page(first_param(query, "start"), first_param(query, "count"));
    }
    if (answers_json(route.endpoint)) {
        if (const auto callback = first_param(query, "callback"); callback && valid_jsonp_callback(*callback)) {
            route.jsonp_callback = *callback;
        }
    }
    return {.route = route};
}

}  // namespace ringcast::api
