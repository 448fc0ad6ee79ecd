#include "core/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <mutex>

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
    // One write per line keeps lines whole; a short write to a full disk is dropped, not retried,
    // because a logger must never stall the shard that called it.
    [[maybe_unused]] auto n = ::write(g_fd.load(std::memory_order_relaxed), line.data(), line.size());
}

}  // namespace log
}  // namespace ringcast::core
