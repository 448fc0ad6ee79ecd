#include "app/daemon.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace ringcast::app {

namespace {

constexpr rlim_t fd_reserve = 128;  // SRS reserves the same on top of max_connections

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

bool daemonize(std::string& error) {
    std::fflush(nullptr);  // or buffered output would be written by both processes
    pid_t child = ::fork();
    if (child < 0) {
        error = errno_text("fork");
        return false;
    }
    if (child > 0) {
        // Wait for the intermediate child so our exit means "the daemon exists".
        int status = 0;
        while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
    }
    ::setsid();
    pid_t daemon_pid = ::fork();
    if (daemon_pid < 0) {
        ::_exit(1);
    }
    if (daemon_pid > 0) {
        ::_exit(0);  // the daemon is reparented to init and can never regain a terminal
    }
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd >= 0) {
        ::dup2(null_fd, STDIN_FILENO);
        ::close(null_fd);
    }
    return true;
}

bool make_parent_dirs(const std::string& path, std::string& error) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (parent.empty()) {
        return true;
    }
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
        error = "cannot create directory " + parent.string() + ": " + ec.message();
        return false;
    }
    return true;
}

bool acquire_pid_file(const std::string& path, std::string& error) {
    if (!make_parent_dirs(path, error)) {
        return false;
    }
    // Kept open (and locked) until exit on purpose; O_CLOEXEC keeps it out of ffmpeg children.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = errno_text("cannot open pid file " + path);
        return false;
    }
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLK, &lock) < 0) {
        error = errno == EAGAIN || errno == EACCES ? "another ringcast holds pid file " + path + ", already running?"
                                                   : errno_text("cannot lock pid file " + path);
        ::close(fd);
        return false;
    }
    std::string text = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        error = errno_text("cannot write pid file " + path);
        ::close(fd);
        return false;
    }
    return true;
}

bool raise_fd_limit(int max_connections, std::string& error) {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) < 0) {
        error = errno_text("getrlimit");
        return false;
    }
    rlim_t wanted = static_cast<rlim_t>(max_connections) + fd_reserve;
    if (limit.rlim_cur >= wanted) {
        return true;
    }
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) {
        error = "max_connections=" + std::to_string(max_connections) + " needs " + std::to_string(wanted) +
                " descriptors, the hard limit is " + std::to_string(limit.rlim_max) + " (ulimit -Hn)";
        return false;
    }
    limit.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &limit) < 0) {
        error = errno_text("setrlimit(RLIMIT_NOFILE)");
        return false;
    }
    return true;
}

}  // namespace ringcast::app
