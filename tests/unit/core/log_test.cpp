// The log writer: shard threads never block on a stalled log, lines stay whole, drops are counted.

#include "core/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

namespace ringcast::core {
namespace {

using namespace std::chrono_literals;

/// Points the log at a fresh pipe (through /proc/self/fd, as a log file), and back at stderr
/// afterwards.
class LogToPipe : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(::pipe2(pipe_, O_CLOEXEC), 0);
        ASSERT_TRUE(log::open_file("/proc/self/fd/" + std::to_string(pipe_[1])));
        log::set_level(LogLevel::trace);
    }
    void TearDown() override {
        log::stop_writer();
        log::set_level(LogLevel::warn);
        // The pipe is about to close: a later line written to it would raise SIGPIPE.
        log::open_file("/proc/self/fd/2");
        ::close(pipe_[0]);
        ::close(pipe_[1]);
    }
    /// Reads what the pipe holds until it stays empty for `quiet`.
    std::string read_pipe(std::chrono::milliseconds quiet) {
        std::string text;
        char chunk[65536];
        pollfd p{pipe_[0], POLLIN, 0};
        while (::poll(&p, 1, static_cast<int>(quiet.count())) > 0) {
            ssize_t n = ::read(pipe_[0], chunk, sizeof chunk);
            if (n <= 0) {
                break;
            }
            text.append(chunk, static_cast<std::size_t>(n));
        }
        return text;
    }
    int pipe_[2] = {-1, -1};
};

TEST_F(LogToPipe, ABufferedThreadDoesNotBlockOnAStalledReader) {
    log::start_writer();
    const std::uint64_t drops_before = log::dropped_lines();
    constexpr int kLines = 20000;  // ~2 MB: far past the 64 KiB pipe and the 256 KiB buffer
    auto start = std::chrono::steady_clock::now();
    std::thread shard([] {
        log::set_thread_shard(7);
        log::attach_thread_buffer(256 * 1024);
        for (int i = 0; i < kLines; ++i) {
            RC_TRACE("line {} {}", i, std::string(60, 'x'));
        }
    });
    shard.join();
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(elapsed, 2s) << "the logging thread waited for the pipe";
    std::thread reader([&] {
        std::string text = read_pipe(500ms);
        std::istringstream lines(text);
        std::string line;
        int shard_lines = 0;
        bool drop_report = false;
        while (std::getline(lines, line)) {
            if (line.find("[s7]") != std::string::npos) {
                ++shard_lines;
                EXPECT_TRUE(line.ends_with(" " + std::string(60, 'x'))) << "a torn line: " << line;
                EXPECT_EQ(line.find("[s7]", line.find("[s7]") + 1), std::string::npos) << "two lines in one: " << line;
            }
            drop_report |= line.find("lines dropped") != std::string::npos;
        }
        const std::uint64_t dropped = log::dropped_lines() - drops_before;
        EXPECT_GT(dropped, 0u);
        EXPECT_EQ(static_cast<std::uint64_t>(shard_lines) + dropped, static_cast<std::uint64_t>(kLines));
        EXPECT_TRUE(drop_report);
    });
    log::stop_writer();
    reader.join();
}

TEST_F(LogToPipe, BufferedLinesReachTheOutputPromptly) {
    log::start_writer();
    std::thread shard([] {
        log::set_thread_shard(3);
        log::attach_thread_buffer();
        RC_TRACE("hello from a shard");
    });
    shard.join();
    std::string text = read_pipe(300ms);
    EXPECT_NE(text.find("[s3] hello from a shard"), std::string::npos) << text;
}

TEST_F(LogToPipe, WithoutTheWriterThreadsWriteDirectly) {
    std::thread shard([] {
        log::attach_thread_buffer();  // no writer: stays unbuffered
        RC_TRACE("direct line");
    });
    shard.join();
    std::string text = read_pipe(100ms);
    EXPECT_NE(text.find("direct line"), std::string::npos);
}

}  // namespace
}  // namespace ringcast::core
