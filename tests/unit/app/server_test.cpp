// The Server in-process: what it leaves behind after stop() (descriptors, threads) is visible
// from inside only.

#include "app/server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace ringcast::app {
namespace {

std::size_t count_entries(const char* dir_path) {
    std::size_t count = 0;
    if (DIR* dir = ::opendir(dir_path)) {
        while (dirent* entry = ::readdir(dir)) {
            count += entry->d_name[0] != '.';
        }
        ::closedir(dir);
    }
    return count;
}

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    ::close(fd);
    return ntohs(addr.sin_port);
}

int connect_to(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST(ServerLifecycle, TwoHundredConnectionsOnTwoShardsThenNoLeakedDescriptorsOrThreads) {
    Config config;
    config.workers = 2;
    config.rtmp.listen = {ListenEndpoint{"127.0.0.1", free_port(), false}};
    core::log::set_level(core::LogLevel::warn);
    const std::size_t fds_before = count_entries("/proc/self/fd");
    const std::size_t threads_before = count_entries("/proc/self/task");
    {
        Server server(config);
        ASSERT_TRUE(server.start());
        EXPECT_EQ(count_entries("/proc/self/task"), threads_before + 3) << "two shards and the log writer";
        std::vector<int> clients;
        for (int i = 0; i < 200; ++i) {
            int fd = connect_to(config.rtmp.listen[0].port);
            ASSERT_GE(fd, 0);
            clients.push_back(fd);
        }
        // Accepts are asynchronous; give the shards a moment before stopping.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        server.stop();
        for (int fd : clients) {
            ::close(fd);
        }
        EXPECT_EQ(server.shard_stats(0).accepted + server.shard_stats(1).accepted, 200u);
        EXPECT_GT(server.shard_stats(0).accepted, 0u);
        EXPECT_GT(server.shard_stats(1).accepted, 0u);
    }
    EXPECT_EQ(count_entries("/proc/self/fd"), fds_before) << "descriptors leaked";
    EXPECT_EQ(count_entries("/proc/self/task"), threads_before) << "threads leaked";
}

TEST(ServerLifecycle, StartFailureStopsTheShardsThatDidStart) {
    int blocker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(blocker, 1), 0);
    socklen_t length = sizeof addr;
    ::getsockname(blocker, reinterpret_cast<sockaddr*>(&addr), &length);
    Config config;
    config.workers = 2;
    config.rtmp.listen = {ListenEndpoint{"127.0.0.1", ntohs(addr.sin_port), false}};
    core::log::set_level(core::LogLevel::off);
    const std::size_t fds_before = count_entries("/proc/self/fd");
    const std::size_t threads_before = count_entries("/proc/self/task");
    {
        Server server(config);
        auto started = server.start();
        ASSERT_FALSE(started);
        EXPECT_EQ(started.error().sys_errno, EADDRINUSE);
    }
    ::close(blocker);
    EXPECT_EQ(count_entries("/proc/self/fd"), fds_before - 1);
    EXPECT_EQ(count_entries("/proc/self/task"), threads_before);
}

}  // namespace
}  // namespace ringcast::app
