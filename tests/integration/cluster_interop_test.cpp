// ringcast next to another RTMP implementation, Debian's nginx-rtmp, in every relay role of a
// cluster: nginx pulls from ringcast (ringcast as origin of an nginx edge), nginx pushes to
// ringcast (nginx-rtmp's relay client as publisher), ringcast pulls from nginx (ringcast as edge
// of an nginx origin) and ringcast forwards to nginx. The media is H.264 + AAC from ffmpeg;
// ffprobe checks that both tracks come out of the far end.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "integration/ffprobe_probe.h"
#include "integration/harness.h"
#include "integration/media_files.h"
#include "integration/nginx_peer.h"
#include "integration/ringcast_server.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

/// A plain nginx-rtmp live application, for nginx as origin or as destination.
constexpr const char* kNginxLiveApp = "        application live {\n            live on;\n        }";

std::string relay_app(const std::string& directive, const RtmpServer& ringcast) {
    return "        application live {\n"
           "            live on;\n"
           "            " + directive + " rtmp://127.0.0.1:" + std::to_string(ringcast.port()) + "/live;\n"
           "        }";
}

TEST(ClusterInterop, NginxRtmpPullsH264AndAacFromRingcast) {
    RtmpServer ringcast;
    ASSERT_TRUE(ringcast.ready()) << ringcast.logs();
    Process publisher = publish_test_pattern(ringcast.url("live/pulled"), 40);
    // ringcast itself first: a failure here is not the relay's.
    Probe direct = probe_until_av(ringcast.url("live/pulled"), 15s);
    ASSERT_TRUE(direct.h264_and_aac()) << direct.output << "\n" << ringcast.logs();

    NginxRtmpPeer nginx(relay_app("pull", ringcast));
    ASSERT_TRUE(nginx.ready()) << nginx.diagnostics();
    // The first player on nginx starts the pull; ffprobe waits for it within its bound.
    Probe relayed = probe_until_av(nginx.url("live/pulled"), 15s);
    EXPECT_TRUE(relayed.h264_and_aac()) << relayed.output << "\n" << nginx.diagnostics() << "\n" << ringcast.logs();
    RecordProperty("pull_probe_ms", static_cast<int>(relayed.took.count()));
}

TEST(ClusterInterop, NginxRtmpPushesH264AndAacToRingcast) {
    RtmpServer ringcast;
    ASSERT_TRUE(ringcast.ready()) << ringcast.logs();
    NginxRtmpPeer nginx(relay_app("push", ringcast));
    ASSERT_TRUE(nginx.ready()) << nginx.diagnostics();
    Process publisher = publish_test_pattern(nginx.url("live/pushed"), 40);
    // nginx only pushes once ffmpeg publishes to it, so ringcast has no stream for a moment.
    Probe relayed = probe_until_av(ringcast.url("live/pushed"), 20s);
    EXPECT_TRUE(relayed.h264_and_aac()) << relayed.output << "\n" << nginx.diagnostics() << "\n" << ringcast.logs();
    RecordProperty("push_probe_ms", static_cast<int>(relayed.took.count()));
}

TEST(ClusterInterop, RingcastEdgePullsH264AndAacFromNginxRtmp) {
    NginxRtmpPeer nginx(kNginxLiveApp);
    ASSERT_TRUE(nginx.ready()) << nginx.diagnostics();
    RtmpServer edge("vhost __defaultVhost__ {\n"
                    "    cluster {\n"
                    "        mode remote;\n"
                    "        origin 127.0.0.1:" + std::to_string(nginx.port()) + ";\n"
                    "    }\n"
                    "}\n");
    ASSERT_TRUE(edge.ready()) << edge.logs();
    Process publisher = publish_test_pattern(nginx.url("live/origin"), 40);
    // nginx itself first: a failure here is not the edge's.
    Probe direct = probe_until_av(nginx.url("live/origin"), 15s);
    ASSERT_EQ(direct.codecs.size(), 2u) << direct.output << "\n" << nginx.diagnostics();

    Probe relayed = probe_until_av(edge.url("live/origin"), 15s);
    EXPECT_TRUE(relayed.h264_and_aac()) << relayed.output << "\n" << edge.logs() << "\n" << nginx.diagnostics();
    RecordProperty("edge_probe_ms", static_cast<int>(relayed.took.count()));
}

TEST(ClusterInterop, RingcastForwardsH264AndAacToNginxRtmp) {
    NginxRtmpPeer nginx(kNginxLiveApp);
    ASSERT_TRUE(nginx.ready()) << nginx.diagnostics();
    RtmpServer ringcast("vhost __defaultVhost__ {\n"
                        "    forward {\n"
                        "        enabled on;\n"
                        "        destination 127.0.0.1:" + std::to_string(nginx.port()) + ";\n"
                        "    }\n"
                        "}\n");
    ASSERT_TRUE(ringcast.ready()) << ringcast.logs();
    Process publisher = publish_test_pattern(ringcast.url("live/forwarded"), 40);
    // The forward starts with the publish; nginx has no stream until it connected.
    Probe relayed = probe_until_av(nginx.url("live/forwarded"), 20s);
    EXPECT_TRUE(relayed.h264_and_aac()) << relayed.output << "\n" << ringcast.logs() << "\n" << nginx.diagnostics();
    RecordProperty("forward_probe_ms", static_cast<int>(relayed.took.count()));
}

// The failover tests rely on this: a node that dies without a goodbye comes back on the same
// ports, with the listening sockets of its killed run and their connections just gone.
TEST(ClusterHarness, RingcastComesBackOnItsPortsAfterKillAndStop) {
    RtmpServer origin({.http_api = true});
    ASSERT_TRUE(origin.ready()) << origin.logs();
    const std::uint16_t port = origin.port();
    const std::uint16_t api_port = origin.api_port();
    ASSERT_NE(api_port, 0);
    EXPECT_NE(origin.api_get("/api/v1/versions").find("\"code\":0"), std::string::npos) << origin.logs();
    {
        Process publisher = publish_test_pattern(origin.url("live/back"), 30);
        Probe before = probe_until_av(origin.url("live/back"), 15s);
        ASSERT_EQ(before.codecs.size(), 2u) << before.output << "\n" << origin.logs();

        EXPECT_EQ(origin.kill().term_signal, SIGKILL);
        EXPECT_EQ(origin.kill().term_signal, SIGKILL) << "kill() again reports the same end";
        EXPECT_FALSE(origin.ready());
        ASSERT_TRUE(origin.restart()) << origin.logs();
    }
    EXPECT_EQ(origin.port(), port);
    EXPECT_EQ(origin.api_port(), api_port);
    EXPECT_NE(origin.api_get("/api/v1/versions").find("\"code\":0"), std::string::npos) << origin.logs();
    Process publisher = publish_test_pattern(origin.url("live/back"), 30);
    Probe after = probe_until_av(origin.url("live/back"), 15s);
    EXPECT_EQ(after.codecs.size(), 2u) << after.output << "\n" << origin.logs();

    ProcessResult stopped = origin.stop();
    EXPECT_EQ(stopped.exit_code, 0) << origin.logs();
    EXPECT_FALSE(stopped.timed_out);
    EXPECT_EQ(origin.stop().exit_code, 0) << "stop() again reports the same end";
    ASSERT_TRUE(origin.restart()) << origin.logs();
    EXPECT_EQ(origin.port(), port);
    EXPECT_NE(origin.logs().find("===== ringcast run 3 ====="), std::string::npos);
}

}  // namespace
}  // namespace ringcast::test
