#include "integration/nginx_peer.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace ringcast::test {

using namespace std::chrono_literals;

namespace {

constexpr const char* kInstallHint = "install nginx and libnginx-mod-rtmp (scripts/install-deps.sh)";

bool is_executable_file(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

bool is_file(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

}  // namespace

std::string find_nginx_binary() {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (!dir.empty() && is_executable_file(dir + "/nginx")) {
            return dir + "/nginx";
        }
    }
    // A non-root PATH often lacks the sbin directories.
    return is_executable_file("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "";
}

std::string find_nginx_rtmp_module() {
    try {
        ProcessResult listed = run_command({"dpkg", "-L", "libnginx-mod-rtmp"}, 10s);
        std::istringstream lines(listed.out);
        std::string line;
        while (std::getline(lines, line)) {
            if (line.ends_with("/ngx_rtmp_module.so") && is_file(line)) {
                return line;
            }
        }
    } catch (const std::runtime_error&) {
        // no dpkg: not Debian, try the usual places
    }
    for (const char* candidate : {"/usr/lib/nginx/modules/ngx_rtmp_module.so", "/usr/share/nginx/modules/ngx_rtmp_module.so"}) {
        if (is_file(candidate)) {
            return candidate;
        }
    }
    return "";
}

NginxRtmpPeer::NginxRtmpPeer(const std::string& server_body, std::uint16_t port)
    : NginxRtmpPeer(NginxRtmpPeerOptions{.server_body = server_body, .port = port}) {}

NginxRtmpPeer::NginxRtmpPeer(NginxRtmpPeerOptions options) : options_(std::move(options)) {
    ready_ = start();
}

NginxRtmpPeer::~NginxRtmpPeer() { stop(); }

bool NginxRtmpPeer::start() {
    const std::string nginx = find_nginx_binary();
    if (nginx.empty()) {
        failure_ = std::string("nginx not found (PATH, /usr/sbin/nginx): ") + kInstallHint;
        return false;
    }
    const std::string module = find_nginx_rtmp_module();
    if (module.empty()) {
        failure_ = std::string("ngx_rtmp_module.so not found (dpkg -L libnginx-mod-rtmp, /usr/lib/nginx/modules, "
                               "/usr/share/nginx/modules): ") +
                   kInstallHint;
        return false;
    }
    const std::string& d = dir_.path();
    const std::string error_log = d + "/error.log";
    const std::string pid_file = d + "/nginx.pid";
    const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
    for (int attempt = 1;; ++attempt) {
        port_ = options_.port != 0 ? options_.port : free_tcp_port();
        // Every path is absolute and inside the temp dir: Debian's build defaults the rtmp
        // access log to /var/log/nginx/access.log (opened even when unused, so a non-root nginx
        // fails and a root one writes there), and the error log and pid file to system places.
        // With master_process off there are no workers, so a root nginx never switches user.
        config_path_ = dir_.write_file(
            "nginx.conf",
            "load_module " + module + ";\n" +
                "worker_processes 1;\nmaster_process off;\ndaemon off;\n"
                "pid " + pid_file + ";\n" +
                "error_log " + error_log + " " + options_.log_level + ";\n" +
                "events {\n    worker_connections 1024;\n}\n"
                "rtmp {\n"
                "    access_log " + d + "/access.log;\n"
                "    server {\n"
                "        listen 127.0.0.1:" + std::to_string(port_) + ";\n" +
                "        chunk_size " + std::to_string(options_.chunk_size) + ";\n" +
                options_.server_body + "\n"
                "    }\n"
                "}\n");
        std::error_code ec;
        std::filesystem::remove(pid_file, ec);
        // -p: nginx's prefix for relative paths; -e: where it logs before it has read error_log.
        process_ = std::make_unique<Process>(Process::spawn({nginx, "-p", d + "/", "-e", error_log, "-c", config_path_}));
        Process& p = *process_;
        const std::string own_pid = std::to_string(p.pid());
        // Ready only when *this* nginx wrote its pid file (nginx writes it after binding its
        // listeners) and the port answers: a bare connect could reach another test's server
        // that took the port while our nginx was still retrying bind().
        while (std::chrono::steady_clock::now() < deadline && p.running()) {
            if (trimmed(read_file(pid_file)) == own_pid) {
                int fd = connect_loopback(port_);
                if (fd >= 0) {
                    ::close(fd);
                    failure_.clear();
                    return true;
                }
            }
            p.read_output(50ms);
        }
        if (p.running()) {
            failure_ = "nginx did not listen on 127.0.0.1:" + std::to_string(port_) + " within " +
                       std::to_string(options_.ready_timeout.count()) + " ms";
            stop();
            return false;
        }
        ProcessResult exited = p.wait(1s);
        failure_ = "nginx exited (code " + std::to_string(exited.exit_code) + ", signal " +
                   std::to_string(exited.term_signal) + ") before listening; stderr: " + exited.err;
        // Another test took our free port between free_tcp_port() and nginx's bind().
        const bool port_taken = read_file(error_log).find("Address already in use") != std::string::npos;
        if (!port_taken || options_.port != 0 || attempt >= 3 || std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
    }
}

void NginxRtmpPeer::stop() {
    if (process_ == nullptr) {
        return;
    }
    if (process_->running()) {
        ::kill(process_->pid(), SIGTERM);
    }
    process_->wait(5s);  // SIGKILLs the group at the deadline
    ready_ = false;
}

std::string NginxRtmpPeer::url(const std::string& path) const {
    return "rtmp://127.0.0.1:" + std::to_string(port_) + "/" + path;
}

std::string NginxRtmpPeer::error_log() const { return read_file(dir_.path() + "/error.log"); }

std::string NginxRtmpPeer::diagnostics() const {
    std::string text;
    if (!failure_.empty()) {
        text += failure_ + "\n";
    }
    if (!config_path_.empty()) {
        text += "----- " + config_path_ + " -----\n" + read_file(config_path_);
        text += "----- nginx error log -----\n" + error_log();
    }
    return text;
}

}  // namespace ringcast::test
