#include "integration/ringcast_server.h"

#include <signal.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

#include "integration/http_fetch.h"

namespace ringcast::test {

using namespace std::chrono_literals;

namespace {

bool bind_failed(const std::string& err) {
    return err.find("listen on") != std::string::npos && err.find("Address already in use") != std::string::npos;
}

}  // namespace

RtmpServer::RtmpServer(const std::string& extra_config, int workers)
    : RtmpServer(RtmpServerOptions{.extra_config = extra_config, .workers = workers}) {}

RtmpServer::RtmpServer(RtmpServerOptions options)
    : options_(std::move(options)), port_(options_.port != 0 ? options_.port : free_tcp_port()) {
    std::string conf = "daemon off;\nsrs_log_tank console;\nworkers " + std::to_string(options_.workers) + ";\npid " +
                       dir_.path() + "/ringcast.pid;\nlisten " + std::to_string(port_) + ";\n";
    if (options_.http_api) {
        api_port_ = free_tcp_port();
        conf += "http_api {\n enabled on;\n listen " + std::to_string(api_port_) + ";\n}\n";
    }
    config_path_ = dir_.write_file("rtmp.conf", conf + options_.extra_config);
    ready_ = start();
}

RtmpServer::~RtmpServer() { stop(); }

bool RtmpServer::start() {
    // A port just given up (by our previous run, or by a peer a test stopped to take its place)
    // can still be bound for a moment: retry the bind, within the same bound as the whole start.
    // (Another ringcast holding the port does not make the bind fail: ringcast listens with
    // SO_REUSEPORT, so two of them share a port silently.)
    const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
    for (;;) {
        if (process_ != nullptr) {
            earlier_logs_ += "===== ringcast run " + std::to_string(runs_) + " =====\n" + process_->err();
        }
        ++runs_;
        process_ = std::make_unique<Process>(Process::spawn({RINGCAST_BIN, "-c", config_path_}));
        Process& p = *process_;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        bool ready = wait_for_output(
            p,
            [&p](const std::string&, const std::string& err) {
                return err.find("ringcast ready") != std::string::npos || !p.running();
            },
            std::max(left, 0ms));
        if (ready && p.running()) {
            return true;
        }
        if (p.running()) {
            return false;  // timed out; the caller sees logs()
        }
        p.wait(1s);  // exited: collect the rest of its stderr
        if (!bind_failed(p.err()) || std::chrono::steady_clock::now() + 200ms >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(200ms);
    }
}

ProcessResult RtmpServer::stop() {
    if (process_->running()) {
        ::kill(process_->pid(), SIGTERM);
    }
    // Waiting on an exited process returns its status at once; a server that ignores SIGTERM
    // past the bound is killed by wait().
    ProcessResult result = process_->wait(10s);
    ready_ = false;
    return result;
}

ProcessResult RtmpServer::kill() {
    process_->signal_group(SIGKILL);
    ProcessResult result = process_->wait(5s);
    ready_ = false;
    return result;
}

bool RtmpServer::restart() {
    stop();
    ready_ = start();
    return ready_;
}

std::string RtmpServer::url(const std::string& path) const {
    return "rtmp://127.0.0.1:" + std::to_string(port_) + "/" + path;
}

std::string RtmpServer::api_get(const std::string& path) const {
    if (api_port_ == 0) {
        throw std::logic_error("api_get(" + path + "): the server was started without RtmpServerOptions::http_api");
    }
    return http_fetch("http://127.0.0.1:" + std::to_string(api_port_) + path);
}

std::string RtmpServer::logs() {
    process_->read_output(0ms);
    if (runs_ <= 1) {
        return process_->err();
    }
    return earlier_logs_ + "===== ringcast run " + std::to_string(runs_) + " =====\n" + process_->err();
}

}  // namespace ringcast::test
