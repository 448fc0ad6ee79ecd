// The server binary as a user runs it: shards sharing a port, connection limits, stop on signals.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

std::string base_config(const TempDir& dir, std::uint16_t port, const std::string& extra) {
    return "daemon off;\nsrs_log_tank console;\npid " + dir.path() + "/ringcast.pid;\nlisten " +
           std::to_string(port) + ";\n" + extra;
}

bool ready(Process& server) {
    return wait_for_output(
        server, [](const std::string&, const std::string& err) { return err.find("ringcast ready") != std::string::npos; },
        10s);
}

TEST(Server, TwoShardsShareThePortAcceptOnBothAndStopWithinOneSecond) {
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    std::string conf = dir.write_file("r.conf", base_config(dir, port, "workers 2;\n"));
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    ASSERT_TRUE(ready(server)) << server.err();
    EXPECT_NE(server.err().find("2 shards serving"), std::string::npos) << server.err();

    std::vector<int> clients;
    for (int i = 0; i < 200; ++i) {
        int fd = connect_loopback(port);
        ASSERT_GE(fd, 0) << "connect " << i;
        clients.push_back(fd);
    }
    bool all_logged = wait_for_output(
        server, [](const std::string&, const std::string& err) { return count_occurrences(err, "] accept ") >= 200; }, 10s);
    ASSERT_TRUE(all_logged) << count_occurrences(server.err(), "] accept ") << " accepts logged";
    std::size_t on_shard0 = count_occurrences(server.err(), "on shard 0\n");
    std::size_t on_shard1 = count_occurrences(server.err(), "on shard 1\n");
    EXPECT_EQ(on_shard0 + on_shard1, 200u);
    EXPECT_GT(on_shard0, 0u) << "SO_REUSEPORT did not spread connections: all on shard 1";
    EXPECT_GT(on_shard1, 0u) << "SO_REUSEPORT did not spread connections: all on shard 0";

    auto stop_begin = std::chrono::steady_clock::now();
    ::kill(server.pid(), SIGTERM);
    ProcessResult result = server.wait(5s);
    auto stop_elapsed = std::chrono::steady_clock::now() - stop_begin;
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_LT(stop_elapsed, 1s) << "SIGTERM with 200 open connections took too long";
    EXPECT_NE(result.err.find("server stopped"), std::string::npos);
    // The server closed our connections: each reads end-of-stream.
    char byte = 0;
    for (int fd : clients) {
        EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);
        ::close(fd);
    }
}

TEST(Server, RefusesConnectionsPastMaxConnections) {
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    std::string conf = dir.write_file("r.conf", base_config(dir, port, "workers 2;\nmax_connections 10;\n"));
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    ASSERT_TRUE(ready(server)) << server.err();
    std::vector<int> clients;
    for (int i = 0; i < 15; ++i) {
        int fd = connect_loopback(port);
        ASSERT_GE(fd, 0);
        clients.push_back(fd);
    }
    ASSERT_TRUE(wait_for_output(
        server,
        [](const std::string&, const std::string& err) {
            return count_occurrences(err, "] accept ") + count_occurrences(err, "max_connections 10 reached") >= 15;
        },
        10s));
    EXPECT_EQ(count_occurrences(server.err(), "] accept "), 10u);
    EXPECT_EQ(count_occurrences(server.err(), "max_connections 10 reached"), 5u);
    // Closing one frees a slot for the next client.
    ::close(clients.front());
    clients.erase(clients.begin());
    std::this_thread::sleep_for(200ms);
    int late = connect_loopback(port);
    ASSERT_GE(late, 0);
    clients.push_back(late);
    EXPECT_TRUE(wait_for_output(
        server, [](const std::string&, const std::string& err) { return count_occurrences(err, "] accept ") == 11; }, 5s));
    for (int fd : clients) {
        ::close(fd);
    }
    ::kill(server.pid(), SIGTERM);
    EXPECT_EQ(server.wait(5s).exit_code, 0);
}

TEST(Server, ExitsWithAnErrorWhenThePortIsTaken) {
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    // A listener without SO_REUSEPORT owns the port: ringcast's bind must fail, loudly.
    int blocker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(blocker, 1), 0);
    std::string conf = dir.write_file("r.conf", base_config(dir, port, "workers 2;\n"));
    ProcessResult result = run_command({RINGCAST_BIN, "-c", conf}, 10s);
    ::close(blocker);
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("Address already in use"), std::string::npos) << result.err;
}

TEST(Server, SigintStopsToo) {
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    std::string conf = dir.write_file("r.conf", base_config(dir, port, "workers 1;\n"));
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    ASSERT_TRUE(ready(server)) << server.err();
    ::kill(server.pid(), SIGINT);
    ProcessResult result = server.wait(2s);
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 0);
}

/// Starts a server with short grace periods, sends `sig`, and checks SRS's graceful quit: new
/// connections still accepted during grace_start_wait, refused after it, existing ones kept
/// until grace_final_wait ends, then exit 0.
void expect_graceful_quit(int sig, const std::string& extra) {
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    std::string conf = dir.write_file(
        "r.conf", base_config(dir, port, "workers 2;\ngrace_start_wait 800;\ngrace_final_wait 800;\n" + extra));
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    ASSERT_TRUE(ready(server)) << server.err();
    int existing = connect_loopback(port);
    ASSERT_GE(existing, 0);
    auto start = std::chrono::steady_clock::now();
    ::kill(server.pid(), sig);
    std::this_thread::sleep_for(200ms);
    int during_start_wait = connect_loopback(port);
    EXPECT_GE(during_start_wait, 0) << "refused during grace_start_wait";
    std::this_thread::sleep_for(1100ms);  // past grace_start_wait: the listeners are closed
    int after = connect_loopback(port);
    EXPECT_LT(after, 0) << "still accepting after grace_start_wait";
    pollfd p{existing, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0) << "the existing connection was closed before grace_final_wait";
    ProcessResult result = server.wait(5s);
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_GE(elapsed, 1500ms);
    EXPECT_LT(elapsed, 3500ms);
    for (int fd : {existing, during_start_wait, after}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

TEST(Server, SigquitQuitsGracefully) { expect_graceful_quit(SIGQUIT, ""); }

TEST(Server, SigtermQuitsGracefullyWithForceGraceQuit) { expect_graceful_quit(SIGTERM, "force_grace_quit on;\n"); }

TEST(Server, SigtermDuringAGracefulQuitStopsAtOnce) {
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    std::string conf = dir.write_file("r.conf", base_config(dir, port, "workers 1;\ngrace_start_wait 5000;\n"));
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    ASSERT_TRUE(ready(server)) << server.err();
    ::kill(server.pid(), SIGQUIT);
    std::this_thread::sleep_for(200ms);
    auto start = std::chrono::steady_clock::now();
    ::kill(server.pid(), SIGTERM);
    ProcessResult result = server.wait(3s);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(Server, LogsTheProbedKernelFeaturesAtStartup) {
    TempDir dir;
    std::uint16_t port = free_tcp_port();
    std::string conf = dir.write_file("r.conf", base_config(dir, port, "workers 1;\n"));
    Process server = Process::spawn({RINGCAST_BIN, "-c", conf});
    ASSERT_TRUE(ready(server)) << server.err();
    EXPECT_NE(server.err().find("io_uring: kernel"), std::string::npos) << server.err();
    EXPECT_NE(server.err().find("multishot_accept"), std::string::npos);
    ::kill(server.pid(), SIGTERM);
    server.wait(5s);
}

}  // namespace
}  // namespace ringcast::test
