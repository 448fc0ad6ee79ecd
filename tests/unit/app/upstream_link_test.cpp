#include "app/upstream_link.h"

#include <gtest/gtest.h>

namespace ringcast::app {
namespace {

using proto::rtmp::Amf0Value;
using Mode = proto::rtmp::ClientSessionOptions::Mode;

TEST(UpstreamSessionOptions, DefaultVhostNamesNoVhostAndCarriesOurId) {
    UpstreamRequest request;
    request.mode = Mode::play;
    request.host = "127.0.0.1";
    request.port = 19350;
    request.vhost = "__defaultVhost__";
    request.app = "live";
    request.stream = "s";
    request.server_id = "abc";
    const auto options = upstream_session_options(request);
    EXPECT_EQ(options.mode, Mode::play);
    EXPECT_EQ(options.app, "live");
    EXPECT_EQ(options.tc_url, "rtmp://127.0.0.1:19350/live");
    EXPECT_EQ(options.stream, "s");
    ASSERT_TRUE(options.connect_args.has_value());
    EXPECT_EQ(*options.connect_args->get_string(kViaConnectKey), "abc");
}

TEST(UpstreamSessionOptions, NamedVhostAndClientParamAndArgsTravel) {
    UpstreamRequest request;
    request.mode = Mode::connect_only;
    request.host = "::1";
    request.vhost = "edge.test";
    request.app = "live";
    request.param = "?token=x";
    request.server_id = "edge2";
    request.client_args = Amf0Value::object({{"user", std::string("u")}, {std::string(kViaConnectKey), std::string("edge1")}});
    const auto options = upstream_session_options(request);
    EXPECT_EQ(options.app, "live?token=x&vhost=edge.test");
    EXPECT_EQ(options.tc_url, "rtmp://[::1]:1935/live?token=x&vhost=edge.test");
    ASSERT_TRUE(options.connect_args.has_value());
    EXPECT_EQ(*options.connect_args->get_string("user"), "u");
    EXPECT_EQ(*options.connect_args->get_string(kViaConnectKey), "edge1,edge2");
}

TEST(ConnectComesFrom, FindsOurIdAnywhereInTheList) {
    EXPECT_FALSE(connect_comes_from(std::nullopt, "a"));
    EXPECT_FALSE(connect_comes_from(Amf0Value::object(), "a"));
    EXPECT_TRUE(connect_comes_from(Amf0Value::object({{std::string(kViaConnectKey), std::string("a")}}), "a"));
    EXPECT_TRUE(connect_comes_from(Amf0Value::object({{std::string(kViaConnectKey), std::string("x,a,y")}}), "a"));
    EXPECT_FALSE(connect_comes_from(Amf0Value::object({{std::string(kViaConnectKey), std::string("ab,ba")}}), "a"));
    EXPECT_FALSE(connect_comes_from(Amf0Value::object({{std::string(kViaConnectKey), std::string("a")}}), ""));
}

}  // namespace
}  // namespace ringcast::app
