#include "uring/tcp_stream.h"

#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_support.h"
#include "uring/buf_ring.h"
#include "uring/socket.h"

namespace ringcast::uring {
namespace {

using testing::RuntimeTest;

/// Collects what a TcpStream reports.
struct Sink final : TcpStream::Handler {
    std::vector<std::uint8_t> received;
    bool closed = false;
    core::Error reason{};
    void on_data(std::span<const std::uint8_t> bytes) override { received.insert(received.end(), bytes.begin(), bytes.end()); }
    void on_closed(core::Error why) override {
        closed = true;
        reason = why;
    }
};

/// A connected loopback TCP pair: `ours` goes to the TcpStream, `peer` stays blocking for the test.
struct LoopbackPair {
    Fd ours;
    Fd peer;
};

LoopbackPair make_pair() {
    auto address = SocketAddress::parse("127.0.0.1", 0);
    auto listener = listen_tcp(*address, {.reuse_port = false});
    EXPECT_TRUE(listener);
    auto port = local_port(listener->get());
    auto target = SocketAddress::parse("127.0.0.1", *port);
    auto client = connect_tcp_blocking(*target);
    EXPECT_TRUE(client);
    int accepted = -1;
    for (int i = 0; i < 1000 && accepted < 0; ++i) {
        accepted = ::accept4(listener->get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (accepted < 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    EXPECT_GE(accepted, 0);
    return {Fd(accepted), std::move(*client)};
}

std::vector<std::uint8_t> pattern(std::size_t size, std::uint32_t seed) {
    std::vector<std::uint8_t> bytes(size);
    std::uint32_t x = seed;
    for (auto& b : bytes) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return bytes;
}

void write_all(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        ASSERT_GT(n, 0);
        done += static_cast<std::size_t>(n);
    }
}

class TcpStreamTest : public RuntimeTest {};

TEST_F(TcpStreamTest, MultishotRecvSurvivesBufferExhaustion) {
    if (!ring->features().multishot_recv) {
        GTEST_SKIP() << "kernel lacks multishot recv with buffer rings: " << ring->features().describe();
    }
    // Four 64-byte buffers for 256 KiB: the pool runs dry again and again.
    auto buffers = ProvidedBufRing::create(*ring, 7, 4, 64);
    ASSERT_TRUE(buffers) << buffers.error().describe();
    auto pair = make_pair();
    const auto sent = pattern(256 * 1024, 1);
    // Fill the socket before arming the recv, so the first multishot burst exhausts the pool.
    std::thread writer([&] { write_all(pair.peer.get(), sent); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

    Sink sink;
    TcpStream stream(*reactor, buffers->get(), sink);
    stream.open(pair.ours.release());
    ASSERT_TRUE(reactor->run_until([&] { return sink.received.size() >= sent.size(); }, 5000));
    writer.join();
    EXPECT_EQ(sink.received, sent) << "bytes lost or reordered across buffer exhaustion";
    EXPECT_GT(stream.stats().recv_rearms, 0u) << "the pool never ran dry; the test did not test recovery";
    EXPECT_EQ((*buffers)->lent(), 0u);

    stream.close(core::Error::make(core::Errc::closed, "test"));
    ASSERT_TRUE(reactor->run_until([&] { return sink.closed; }, 1000));
}

TEST_F(TcpStreamTest, PlainRecvPathWorksWithoutBufferRing) {
    auto pair = make_pair();
    const auto sent = pattern(100 * 1024, 2);
    std::thread writer([&] { write_all(pair.peer.get(), sent); });
    Sink sink;
    TcpStream stream(*reactor, nullptr, sink);
    stream.open(pair.ours.release());
    ASSERT_TRUE(reactor->run_until([&] { return sink.received.size() >= sent.size(); }, 5000));
    writer.join();
    EXPECT_EQ(sink.received, sent);
    pair.peer.reset();
    ASSERT_TRUE(reactor->run_until([&] { return sink.closed; }, 1000));
    EXPECT_EQ(sink.reason.code, core::Errc::closed);
}

TEST_F(TcpStreamTest, PartialSendsKeepByteOrder) {
    auto pair = make_pair();
    // A small send buffer: each sendmsg of up to 64 slices is cut short by the kernel.
    int small = 32 * 1024;
    ::setsockopt(pair.ours.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    tune_stream_socket(pair.ours.get(), true);
    Sink sink;
    TcpStream stream(*reactor, nullptr, sink);
    stream.open(pair.ours.release());

    // 4 MiB in slices of odd sizes, some sharing one buffer, queued in one turn.
    const auto payload = pattern(4 * 1024 * 1024, 3);
    core::Buffer whole = core::Buffer::copy_of(std::span(payload));
    std::size_t offset = 0;
    for (std::size_t i = 0; offset < payload.size(); ++i) {
        std::size_t length = std::min<std::size_t>(1 + (i * 7919) % 20000, payload.size() - offset);
        ASSERT_TRUE(stream.send(whole.slice(offset, length)));
        offset += length;
    }
    std::vector<std::uint8_t> got;
    std::atomic<bool> reader_done{false};
    std::thread reader([&] {
        std::vector<std::uint8_t> chunk(3000);
        while (got.size() < payload.size()) {
            ssize_t n = ::recv(pair.peer.get(), chunk.data(), chunk.size(), 0);
            if (n <= 0) {
                break;
            }
            got.insert(got.end(), chunk.begin(), chunk.begin() + n);
        }
        reader_done = true;
        reactor->notify();  // the loop may be asleep with nothing left in flight
    });
    bool finished = reactor->run_until([&] { return reader_done.load() && stream.queued_bytes() == 0; }, 10000);
    if (!finished) {
        pair.peer.reset();
    }
    reader.join();
    ASSERT_TRUE(finished) << "queued " << stream.queued_bytes() << " received " << got.size() << " sendmsg "
                          << stream.stats().sendmsg_calls << " sent " << stream.stats().bytes_sent << " closed " << sink.closed << " " << sink.reason.describe() << " turns " << reactor->stats().turns << " cqes " << reactor->stats().cqes;
    EXPECT_EQ(got.size(), payload.size());
    EXPECT_TRUE(got == payload) << "sent bytes arrived out of order";
    EXPECT_GT(stream.stats().sendmsg_calls, 1u);
    EXPECT_LT(stream.stats().sendmsg_calls, 2000u) << "sends were not batched";
    stream.close(core::Error::make(core::Errc::closed, "test"));
    ASSERT_TRUE(reactor->run_until([&] { return sink.closed; }, 1000));
}

TEST_F(TcpStreamTest, CloseCancelsInFlightRecvAndStalledSend) {
    auto buffers = ring->features().provided_buffer_ring ? ProvidedBufRing::create(*ring, 8, 16, 4096)
                                                         : core::Result<std::unique_ptr<ProvidedBufRing>>(nullptr);
    auto pair = make_pair();
    Sink sink;
    auto stream = std::make_unique<TcpStream>(*reactor, buffers ? buffers->get() : nullptr, sink);
    int fd = pair.ours.release();
    stream->open(fd);
    // The peer never reads: the send stalls in the kernel with bytes queued behind it.
    const auto bytes = pattern(8 * 1024 * 1024, 4);
    core::Buffer big = core::Buffer::copy_of(std::span(bytes));
    ASSERT_TRUE(stream->send(big.slice()));
    reactor->run_until([] { return false; }, 50);
    EXPECT_GT(stream->queued_bytes(), 0u);

    stream->close(core::Error::make(core::Errc::canceled, "test close"));
    EXPECT_FALSE(stream->send(big.slice())) << "a closing stream accepted more bytes";
    ASSERT_TRUE(reactor->run_until([&] { return sink.closed; }, 1000)) << "close waited on a stalled send";
    EXPECT_EQ(sink.reason.code, core::Errc::canceled);
    EXPECT_EQ(big.use_count(), 1) << "the send queue kept a reference after close";
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "the descriptor was not closed";
    stream.reset();  // safe: nothing in flight can reach it any more
    reactor->run_until([] { return false; }, 20);
}

}  // namespace
}  // namespace ringcast::uring
