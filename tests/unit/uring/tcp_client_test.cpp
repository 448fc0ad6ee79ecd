#include "uring/tcp_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "test_support.h"
#include "uring/socket.h"

namespace ringcast::uring {
namespace {

using testing::RuntimeTest;

struct ClientEvents final : TcpClient::Handler {
    bool connected = false;
    bool closed = false;
    core::Error reason{};
    std::vector<std::uint8_t> received;
    void on_connected() override { connected = true; }
    void on_data(std::span<const std::uint8_t> bytes) override { received.insert(received.end(), bytes.begin(), bytes.end()); }
    void on_closed(core::Error why) override {
        closed = true;
        reason = why;
    }
};

int accept_one(int listener) {
    for (int i = 0; i < 2000; ++i) {
        int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return -1;
}

class TcpClientTest : public RuntimeTest {};

TEST_F(TcpClientTest, ConnectsSendsReceivesAndSeesThePeerClose) {
    auto listener = listen_tcp(*SocketAddress::parse("127.0.0.1", 0), {.reuse_port = false});
    ASSERT_TRUE(listener);
    const auto target = SocketAddress::parse("127.0.0.1", *local_port(listener->get()));
    ClientEvents events;
    TcpClient client(*reactor, nullptr, events);
    client.start(*target, true);
    ASSERT_TRUE(reactor->run_until([&] { return events.connected || events.closed; }, 5000));
    ASSERT_TRUE(events.connected) << events.reason.describe();
    Fd peer(accept_one(listener->get()));
    ASSERT_TRUE(peer.valid());

    const std::uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
    ASSERT_TRUE(client.send(core::Buffer::copy_of(std::span<const std::uint8_t>(hello)).slice()));
    ASSERT_TRUE(reactor->run_until([&] { return client.queued_bytes() == 0; }, 5000));
    std::uint8_t got[5]{};
    ASSERT_EQ(::recv(peer.get(), got, sizeof got, MSG_WAITALL), 5);
    EXPECT_EQ(std::vector<std::uint8_t>(got, got + 5), std::vector<std::uint8_t>(hello, hello + 5));

    ASSERT_EQ(::send(peer.get(), "abc", 3, MSG_NOSIGNAL), 3);
    ASSERT_TRUE(reactor->run_until([&] { return events.received.size() == 3; }, 5000));
    EXPECT_EQ(client.stats().bytes_received, 3u);
    peer.reset();
    ASSERT_TRUE(reactor->run_until([&] { return events.closed; }, 5000));
    EXPECT_EQ(events.reason.code, core::Errc::closed);
    EXPECT_TRUE(client.closed());
}

TEST_F(TcpClientTest, RefusedConnectEndsInOnClosedWithTheErrno) {
    // A port that was just bound and released: nobody listens there.
    std::uint16_t port = 0;
    {
        auto listener = listen_tcp(*SocketAddress::parse("127.0.0.1", 0), {.reuse_port = false});
        ASSERT_TRUE(listener);
        port = *local_port(listener->get());
    }
    ClientEvents events;
    TcpClient client(*reactor, nullptr, events);
    client.start(*SocketAddress::parse("127.0.0.1", port), true);
    ASSERT_TRUE(reactor->run_until([&] { return events.closed; }, 5000));
    EXPECT_FALSE(events.connected);
    EXPECT_EQ(events.reason.sys_errno, ECONNREFUSED) << events.reason.describe();
    EXPECT_FALSE(client.send(core::Buffer::copy_of(std::span<const std::uint8_t>()).slice()));
}

TEST_F(TcpClientTest, CloseWhileConnectingCancelsWithTheGivenReason) {
    // A listener that never accepts, its accept queue filled: the kernel drops further SYNs on
    // loopback, so our connect stays pending until close() cancels it. (Should the kernel
    // complete it anyway, the close still has to end in on_closed: that is what is tested.)
    auto listener = listen_tcp(*SocketAddress::parse("127.0.0.1", 0), {.reuse_port = false, .backlog = 0});
    ASSERT_TRUE(listener);
    const auto target = SocketAddress::parse("127.0.0.1", *local_port(listener->get()));
    std::vector<Fd> fillers;
    for (int i = 0; i < 2; ++i) {
        Fd filler(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        ::connect(filler.get(), target->get(), target->length);
        fillers.push_back(std::move(filler));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ClientEvents events;
    TcpClient client(*reactor, nullptr, events);
    client.start(*target, true);
    reactor->run_until([&] { return events.closed; }, 50);
    client.close(core::Error::make(core::Errc::timeout, "connect timeout"));
    ASSERT_TRUE(reactor->run_until([&] { return events.closed; }, 5000));
    EXPECT_TRUE(client.closed());
    if (!events.connected) {
        EXPECT_EQ(events.reason.code, core::Errc::timeout) << events.reason.describe();
    }
}

}  // namespace
}  // namespace ringcast::uring
