#include "core/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ringcast::core {

bool parse_log_level(std::string_view name, LogLevel& out) {
    struct Named {
        std::string_view name;
        LogLevel level;
    };
    static constexpr Named names[] = {{"verbose", LogLevel::verbose}, {"info", LogLevel::info},
                                      {"trace", LogLevel::trace},     {"warn", LogLevel::warn},
                                      {"error", LogLevel::error},     {"off", LogLevel::off}};
    for (const auto& n : names) {
        if (n.name == name) {
            out = n.level;
            return true;
        }
    }
    return false;
}

namespace log {
namespace {

std::atomic<LogLevel> g_level{LogLevel::trace};
// The descriptor every line goes to. Replaced with dup2() so a concurrent writer never writes to
// a closed or reused descriptor.
std::atomic<int> g_fd{STDERR_FILENO};
std::mutex g_file_mutex;  // only open/reopen take it (main thread, rare), never the write path
std::string g_path;
thread_local int t_shard = -1;
thread_local std::uint64_t t_conn = 0;

/// One thread's lines on their way to the writer: a single-producer single-consumer byte ring
/// holding whole lines. Positions only grow; `& mask_` maps them into the storage.
class ThreadBuffer {
public:
    explicit ThreadBuffer(std::size_t capacity_bytes)
        : storage_(std::bit_ceil(std::max<std::size_t>(capacity_bytes, 4096))), mask_(storage_.size() - 1) {}

    /// Producer side. False (and the line is lost) when it does not fit.
    bool push(std::string_view line) {
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        const std::uint64_t head = head_.load(std::memory_order_acquire);
        if (line.size() > storage_.size() - (tail - head)) {
            return false;
        }
        const std::size_t start = tail & mask_;
        const std::size_t first = std::min(line.size(), storage_.size() - start);
        std::memcpy(storage_.data() + start, line.data(), first);
        std::memcpy(storage_.data(), line.data() + first, line.size() - first);
        tail_.store(tail + line.size(), std::memory_order_release);
        return true;
    }

    /// Consumer side: writes everything buffered to `fd`. True if there was anything.
    bool drain(int fd) {
        std::uint64_t head = head_.load(std::memory_order_relaxed);
        const std::uint64_t tail = tail_.load(std::memory_order_acquire);
        if (head == tail) {
            return false;
        }
        while (head < tail) {
            const std::size_t start = head & mask_;
            const std::size_t length = tail - head;
            const std::size_t first = std::min(length, storage_.size() - start);
            iovec parts[2] = {{storage_.data() + start, first}, {storage_.data(), length - first}};
            ssize_t n = ::writev(fd, parts, length > first ? 2 : 1);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            // A failing descriptor (full disk, closed pipe) loses the lines rather than spinning.
            head = n <= 0 ? tail : head + static_cast<std::uint64_t>(n);
            head_.store(head, std::memory_order_release);
        }
        return true;
    }

    std::atomic<bool> closed{false};

private:
    std::vector<char> storage_;
    std::size_t mask_;
    alignas(64) std::atomic<std::uint64_t> head_{0};
    alignas(64) std::atomic<std::uint64_t> tail_{0};
};

std::mutex g_writer_mutex;  // guards the buffer list and the writer's start/stop, never a line
std::condition_variable g_writer_wake;
std::vector<std::shared_ptr<ThreadBuffer>> g_buffers;
std::thread g_writer;
bool g_writer_running = false;  // under g_writer_mutex
std::atomic<bool> g_writer_stopping{false};
std::atomic<std::uint64_t> g_dropped_lines{0};
thread_local std::shared_ptr<ThreadBuffer> t_buffer;

constexpr std::string_view level_name(LogLevel lvl) {
    switch (lvl) {
    case LogLevel::verbose: return "Verb";
    case LogLevel::info: return "Debug";
    case LogLevel::trace: return "Trace";
    case LogLevel::warn: return "Warn";
    case LogLevel::error: return "Error";
    case LogLevel::off: break;
    }
    return "?";
}

bool install_path(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        return false;
    }
    int current = g_fd.load();
    if (current == STDERR_FILENO) {
        g_fd.store(fd);
    } else {
        ::dup2(fd, current);
        ::close(fd);
    }
    g_path = path;
    return true;
}

}  // namespace

void set_level(LogLevel lvl) { g_level.store(lvl, std::memory_order_relaxed); }
LogLevel level() { return g_level.load(std::memory_order_relaxed); }

bool open_file(const std::string& path) {
    std::lock_guard lock(g_file_mutex);
    return install_path(path);
}

bool reopen() {
    std::lock_guard lock(g_file_mutex);
    if (g_path.empty()) {
        return true;
    }
    return install_path(g_path);
}

void set_thread_shard(int shard_id) { t_shard = shard_id; }
int thread_shard() { return t_shard; }
void set_current_conn(std::uint64_t conn_id) { t_conn = conn_id; }
std::uint64_t current_conn() { return t_conn; }

void write_line(LogLevel lvl, std::string_view message) {
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    tm parts{};
    ::localtime_r(&tv.tv_sec, &parts);
    fmt::memory_buffer line;
    auto out = std::back_inserter(line);
    fmt::format_to(out, "[{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}][{}][{}]", parts.tm_year + 1900,
                   parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                   tv.tv_usec / 1000, level_name(lvl), ::getpid());
    if (t_shard >= 0) {
        fmt::format_to(out, "[s{}]", t_shard);
    } else {
        fmt::format_to(out, "[main]");
    }
    if (t_conn != 0) {
        fmt::format_to(out, "[c{}]", t_conn);
    }
    line.push_back(' ');
    line.append(message.data(), message.data() + message.size());
    line.push_back('\n');
    if (t_buffer && !t_buffer->closed.load(std::memory_order_relaxed)) {
        if (!t_buffer->push({line.data(), line.size()})) {
            g_dropped_lines.fetch_add(1, std::memory_order_relaxed);
        }
        return;
    }
    // One write per line keeps lines whole; a short write to a full disk is dropped, not retried.
    [[maybe_unused]] auto n = ::write(g_fd.load(std::memory_order_relaxed), line.data(), line.size());
}

namespace {

void writer_main() {
    constexpr auto kIdlePoll = std::chrono::milliseconds(50);
    std::uint64_t reported_drops = g_dropped_lines.load();
    for (;;) {
        // Stopping is read before draining so the last pass sees every line written before
        // stop_writer() was called.
        const bool stopping = g_writer_stopping.load();
        std::vector<std::shared_ptr<ThreadBuffer>> buffers;
        {
            std::lock_guard lock(g_writer_mutex);
            buffers = g_buffers;
        }
        bool wrote = false;
        for (auto& buffer : buffers) {
            wrote |= buffer->drain(g_fd.load(std::memory_order_relaxed));
        }
        if (std::uint64_t drops = g_dropped_lines.load(); drops != reported_drops) {
            write_line(LogLevel::warn, fmt::format("log: {} lines dropped because the log output did not keep up",
                                                   drops - reported_drops));
            reported_drops = drops;
        }
        if (stopping) {
            return;
        }
        if (!wrote) {
            std::unique_lock lock(g_writer_mutex);
            g_writer_wake.wait_for(lock, kIdlePoll, [] { return g_writer_stopping.load(); });
        }
    }
}

}  // namespace

void start_writer() {
    std::lock_guard lock(g_writer_mutex);
    if (g_writer_running) {
        return;
    }
    g_writer_stopping.store(false);
    g_writer_running = true;
    g_writer = std::thread(writer_main);
}

void stop_writer() {
    {
        std::lock_guard lock(g_writer_mutex);
        if (!g_writer_running) {
            return;
        }
        g_writer_stopping.store(true);
    }
    g_writer_wake.notify_all();
    g_writer.join();
    std::lock_guard lock(g_writer_mutex);
    for (auto& buffer : g_buffers) {
        buffer->closed.store(true);
    }
    g_buffers.clear();
    g_writer_running = false;
}

void attach_thread_buffer(std::size_t capacity_bytes) {
    std::lock_guard lock(g_writer_mutex);
    if (!g_writer_running) {
        return;
    }
    t_buffer = std::make_shared<ThreadBuffer>(capacity_bytes);
    g_buffers.push_back(t_buffer);
}

std::uint64_t dropped_lines() { return g_dropped_lines.load(std::memory_order_relaxed); }

}  // namespace log
}  // namespace ringcast::core
