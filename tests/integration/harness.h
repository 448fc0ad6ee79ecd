#pragma once
// Helpers for tests that run real programs (the ringcast binary, ffmpeg, ...): spawn with the
// output captured, wait with a timeout, scratch directories. Generic on purpose: nothing here
// knows about ringcast.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::test {

/// How a process ended and what it wrote.
struct ProcessResult {
    int exit_code = -1;    // -1 when killed by a signal
    int term_signal = 0;   // the signal that killed it, else 0
    bool timed_out = false;  // we killed it at the deadline
    std::string out;
    std::string err;
};

/// What to spawn with besides argv.
struct SpawnOptions {
    std::string cwd;                     // empty: ours
    std::vector<std::string> extra_env;  // "NAME=value", added to our environment
};

/// A child process in its own process group, stdin on /dev/null, stdout and stderr captured on
/// pipes. Killed (the whole group, SIGKILL) and reaped on destruction if still running.
class Process {
public:
    /// Throws std::runtime_error if the program cannot be started (argv[0] is looked up in PATH).
    static Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    [[nodiscard]] pid_t pid() const { return pid_; }
    /// False once it has exited (it is then reaped, and wait() returns at once).
    [[nodiscard]] bool running() { return pid_ > 0 && !try_reap(); }

    /// Collects output until the process exits; at the deadline kills its group. Output still in
    /// the pipes when it exits is read; output of children it left behind (a daemon) is not
    /// waited for.
    ProcessResult wait(std::chrono::milliseconds timeout);

    /// Reads what the process has written, for up to `timeout`; returns at the first data.
    void read_output(std::chrono::milliseconds timeout);
    [[nodiscard]] const std::string& out() const { return out_; }
    [[nodiscard]] const std::string& err() const { return err_; }

    /// Sends a signal to the process group.
    void signal_group(int sig);

private:
    Process() = default;
    bool try_reap();
    void kill_and_reap();
    void close_pipes();

    pid_t pid_ = -1;
    bool reaped_ = false;
    int status_ = 0;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_;
    std::string err_;
};

/// Runs a program to completion (or the timeout) and returns how it ended.
ProcessResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10),
                          const SpawnOptions& options = {});

/// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
class TempDir {
public:
    explicit TempDir(std::string_view prefix = "ringcast-test");
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    [[nodiscard]] const std::string& path() const { return path_; }
    /// Writes `content` to path()/name (creating subdirectories) and returns the full path.
    std::string write_file(std::string_view name, std::string_view content) const;

private:
    std::string path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released), for a
/// server under test to listen on.
std::uint16_t free_tcp_port();

/// Reads the process's output until `done(out, err)` holds or the timeout passes; returns done.
bool wait_for_output(Process& process, const std::function<bool(const std::string& out, const std::string& err)>& done,
                     std::chrono::milliseconds timeout);

/// How many times `needle` occurs in `text`.
std::size_t count_occurrences(std::string_view text, std::string_view needle);

/// A blocking TCP connection to 127.0.0.1:port, or -1. The caller closes it. `rcvbuf_bytes` > 0
/// sets SO_RCVBUF before connecting (it bounds the TCP window only when set that early).
int connect_loopback(std::uint16_t port, int rcvbuf_bytes = 0);

/// The whole content of a file, or "" if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace ringcast::test
