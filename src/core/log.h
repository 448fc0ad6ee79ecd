#pragma once
// One event per line: `[time][level][pid][shard][conn] message` (SRS's traceable ids: every line
// of a connection carries its id, so `grep c42` tells one client's story).
//
// Levels are SRS's: verbose < info < trace < warn < error; the default is trace. Formatting happens
// only when the level is enabled.
//
// Shard threads never block on logging: while the log writer runs (start_writer), a thread that
// called attach_thread_buffer() appends whole lines to its own bounded byte ring, and the writer
// thread drains every ring to the descriptor. A full ring (a stalled pipe, a slow disk) drops the
// line and counts it; the writer reports the count. Other threads (main, tests) write directly,
// one write(2) per line to an O_APPEND descriptor, so lines never interleave.

#include <fmt/format.h>

#include <cstddef>
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

/// Starts the writer thread that drains the thread buffers. Idempotent.
void start_writer();
/// Writes out what the buffers hold, then stops the writer; buffered threads write directly
/// again afterwards. Call after the buffered threads are done (the server joins its shards first).
void stop_writer();
/// Gives the calling thread a buffer of `capacity_bytes` (rounded up to a power of two) while the
/// writer runs; no-op without a writer.
void attach_thread_buffer(std::size_t capacity_bytes = 1 << 20);
/// Lines dropped so far because a thread buffer was full.
std::uint64_t dropped_lines();

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
