#pragma once
// One event per line: `[time][level][pid][shard][conn] message` (SRS's traceable ids: every line
// of a connection carries its id, so `grep c42` tells one client's story).
//
// Levels are SRS's: verbose < info < trace < warn < error; the default is trace. Formatting happens
// only when the level is enabled. A line is written with one write(2) to an O_APPEND descriptor, so
// lines from different shards never interleave.

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::core {

enum class LogLevel : std::uint8_t { verbose = 0, info, trace, warn, error, off };

/// Parses SRS's `srs_log_level` values; returns false on an unknown name.
bool parse_log_level(std::string_view name, LogLevel& out);

namespace log {

/// Process-wide settings; set from main before shards start, or on reload/SIGUSR1 from the
/// main thread (the level is atomic, the descriptor swap is dup2-based so writers never see a
/// closed fd).
void set_level(LogLevel level);
LogLevel level();
/// Log to this file (append) instead of stderr. Returns false (and keeps stderr) on failure.
bool open_file(const std::string& path);
/// SIGUSR1: reopen the same path after logrotate moved it.
bool reopen();

/// Per-thread context shown in every line: the shard (-1 = main thread) and the connection.
void set_thread_shard(int shard_id);
int thread_shard();
/// The connection being served right now on this thread (0 = none). Set by the code that
/// dispatches a completion to a connection, cleared afterwards.
void set_current_conn(std::uint64_t conn_id);
std::uint64_t current_conn();

inline bool enabled(LogLevel lvl) { return lvl >= level(); }
void write_line(LogLevel lvl, std::string_view message);

template <class... Args>
void emit(LogLevel lvl, fmt::format_string<Args...> format, Args&&... args) {
    if (!enabled(lvl)) {
        return;
    }
    fmt::memory_buffer text;
    fmt::format_to(std::back_inserter(text), format, std::forward<Args>(args)...);
    write_line(lvl, {text.data(), text.size()});
}

/// Scoped connection id for the current thread, restored on exit.
class ConnScope {
public:
    explicit ConnScope(std::uint64_t conn_id) : saved_(current_conn()) { set_current_conn(conn_id); }
    ~ConnScope() { set_current_conn(saved_); }
    ConnScope(const ConnScope&) = delete;
    ConnScope& operator=(const ConnScope&) = delete;

private:
    std::uint64_t saved_;
};

}  // namespace log
}  // namespace ringcast::core

#define RC_LOG(lvl, ...) ::ringcast::core::log::emit(::ringcast::core::LogLevel::lvl, __VA_ARGS__)
#define RC_VERBOSE(...) RC_LOG(verbose, __VA_ARGS__)
#define RC_INFO(...) RC_LOG(info, __VA_ARGS__)
#define RC_TRACE(...) RC_LOG(trace, __VA_ARGS__)
#define RC_WARN(...) RC_LOG(warn, __VA_ARGS__)
#define RC_ERROR(...) RC_LOG(error, __VA_ARGS__)
