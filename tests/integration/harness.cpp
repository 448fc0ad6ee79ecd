#include "integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace ringcast::test {

namespace {

using Clock = std::chrono::steady_clock;

std::runtime_error system_error(const std::string& what, int err) {
    return std::runtime_error(what + ": " + std::strerror(err));
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

/// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Appends what `fd` has now to `into`; closes it and sets it to -1 at EOF.
void drain_fd(int& fd, std::string& into) {
    char buf[8192];
    while (fd >= 0) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            into.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n == 0) {
            ::close(fd);
            fd = -1;
        }
        return;  // EAGAIN: nothing more for now
    }
}

}  // namespace

Process Process::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) < 0) {
        throw system_error("pipe2", errno);
    }
    if (::pipe2(err_pipe, O_CLOEXEC) < 0) {
        int err = errno;
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        throw system_error("pipe2", err);
    }
    SpawnSetup setup;
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, err_pipe[1], STDERR_FILENO);
    if (!options.cwd.empty()) {
        posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd.c_str());
    }
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&setup.attr, 0);

    std::vector<std::string> args = argv;
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        env.emplace_back(*e);
    }
    env.insert(env.end(), options.extra_env.begin(), options.extra_env.end());
    std::vector<char*> c_args = c_strings(args);
    std::vector<char*> c_env = c_strings(env);

    Process p;
    int rc = ::posix_spawnp(&p.pid_, c_args[0], &setup.actions, &setup.attr, c_args.data(), c_env.data());
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    p.out_fd_ = out_pipe[0];
    p.err_fd_ = err_pipe[0];
    if (rc != 0) {
        p.pid_ = -1;
        throw system_error("posix_spawnp " + argv.at(0), rc);
    }
    ::fcntl(p.out_fd_, F_SETFL, O_NONBLOCK);
    ::fcntl(p.err_fd_, F_SETFL, O_NONBLOCK);
    return p;
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      reaped_(other.reaped_),
      status_(other.status_),
      out_fd_(std::exchange(other.out_fd_, -1)),
      err_fd_(std::exchange(other.err_fd_, -1)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)) {}

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        close_pipes();
        pid_ = std::exchange(other.pid_, -1);
        reaped_ = other.reaped_;
        status_ = other.status_;
        out_fd_ = std::exchange(other.out_fd_, -1);
        err_fd_ = std::exchange(other.err_fd_, -1);
        out_ = std::move(other.out_);
        err_ = std::move(other.err_);
    }
    return *this;
}

Process::~Process() {
    kill_and_reap();
    close_pipes();
}

void Process::read_output(std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    if (out_fd_ < 0 && err_fd_ < 0) {
        std::this_thread::sleep_for(timeout);  // nothing to read: just let time pass
        return;
    }
    int rc = ::poll(fds, 2, static_cast<int>(timeout.count()));
    if (rc <= 0) {
        return;
    }
    drain_fd(out_fd_, out_);
    drain_fd(err_fd_, err_);
}

bool Process::try_reap() {
    if (pid_ <= 0 || reaped_) {
        return reaped_;
    }
    pid_t rc = ::waitpid(pid_, &status_, WNOHANG);
    reaped_ = rc == pid_;
    return reaped_;
}

ProcessResult Process::wait(std::chrono::milliseconds timeout) {
    ProcessResult result;
    auto deadline = Clock::now() + timeout;
    while (!try_reap()) {
        if (Clock::now() >= deadline) {
            kill_and_reap();
            result.timed_out = true;
            break;
        }
        read_output(std::chrono::milliseconds(10));
    }
    drain_fd(out_fd_, out_);
    drain_fd(err_fd_, err_);
    result.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    result.term_signal = WIFSIGNALED(status_) ? WTERMSIG(status_) : 0;
    result.out = out_;
    result.err = err_;
    return result;
}

void Process::signal_group(int sig) {
    if (running()) {
        ::kill(-pid_, sig);
    }
}

void Process::kill_and_reap() {
    if (!running()) {
        return;
    }
    ::kill(-pid_, SIGKILL);
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
}

void Process::close_pipes() {
    for (int* fd : {&out_fd_, &err_fd_}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

ProcessResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const SpawnOptions& options) {
    return Process::spawn(argv, options).wait(timeout);
}

TempDir::TempDir(std::string_view prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                          std::string(prefix) + ".XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw system_error("mkdtemp " + pattern, errno);
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write_file(std::string_view name, std::string_view content) const {
    std::filesystem::path p = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
}

std::uint16_t free_tcp_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw system_error("socket", errno);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
        int err = errno;
        ::close(fd);
        throw system_error("bind 127.0.0.1:0", err);
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace ringcast::test

namespace ringcast::test {

bool wait_for_output(Process& process, const std::function<bool(const std::string&, const std::string&)>& done,
                     std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(process.out(), process.err())) {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return false;
        }
        process.read_output(std::min<std::chrono::milliseconds>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now), std::chrono::milliseconds(100)));
    }
    return true;
}

std::size_t count_occurrences(std::string_view text, std::string_view needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + needle.size())) {
        ++count;
    }
    return count;
}

int connect_loopback(std::uint16_t port, int rcvbuf_bytes) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (rcvbuf_bytes > 0) {
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
    }
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

}  // namespace ringcast::test
