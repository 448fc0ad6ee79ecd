#include "uring/acceptor.h"

#include <unistd.h>

#include <vector>

#include "test_support.h"

namespace ringcast::uring {
namespace {

struct Collector final : Acceptor::Handler {
    std::vector<Fd> accepted;
    bool stopped = false;
    void on_accept(int fd) override { accepted.emplace_back(fd); }
    void on_acceptor_stopped() override { stopped = true; }
};

class AcceptorTest : public testing::RuntimeTest {};

TEST_F(AcceptorTest, AcceptsManyConnectionsThenStopsCleanly) {
    auto address = SocketAddress::parse("127.0.0.1", 0);
    auto listener = listen_tcp(*address);
    ASSERT_TRUE(listener) << listener.error().describe();
    auto port = local_port(listener->get());
    Collector collector;
    Acceptor acceptor(*reactor, std::move(*listener), collector);
    acceptor.start();

    auto target = SocketAddress::parse("127.0.0.1", *port);
    std::vector<Fd> clients;
    for (int i = 0; i < 200; ++i) {
        auto client = connect_tcp_blocking(*target);
        ASSERT_TRUE(client) << client.error().describe();
        clients.push_back(std::move(*client));
        reactor->turn(reactor->now_ns());  // keep accepting while connecting: backlog stays short
    }
    ASSERT_TRUE(reactor->run_until([&] { return collector.accepted.size() == 200; }, 2000));
    EXPECT_EQ(acceptor.accepted(), 200u);

    acceptor.stop();
    ASSERT_TRUE(reactor->run_until([&] { return collector.stopped; }, 1000));
    EXPECT_FALSE(acceptor.in_flight());
    auto refused = connect_tcp_blocking(*target);
    EXPECT_FALSE(refused) << "the listener is still open after stop()";
}

TEST_F(AcceptorTest, ListenersShareAPortWithReusePort) {
    auto address = SocketAddress::parse("127.0.0.1", 0);
    auto first = listen_tcp(*address);
    ASSERT_TRUE(first);
    auto port = local_port(first->get());
    auto same = SocketAddress::parse("127.0.0.1", *port);
    auto second = listen_tcp(*same);
    EXPECT_TRUE(second) << "SO_REUSEPORT did not allow a second listener: " << second.error().describe();
}

}  // namespace
}  // namespace ringcast::uring
