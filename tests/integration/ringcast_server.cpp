#include "integration/ringcast_server.h"

#include <signal.h>

#include <chrono>

namespace ringcast::test {

using namespace std::chrono_literals;

RtmpServer::RtmpServer(const std::string& extra_config, int workers) : port_(free_tcp_port()) {
    std::string conf = dir_.write_file(
        "rtmp.conf", "daemon off;\nsrs_log_tank console;\nworkers " + std::to_string(workers) + ";\npid " + dir_.path() +
                         "/ringcast.pid;\nlisten " + std::to_string(port_) + ";\n" + extra_config);
    process_ = std::make_unique<Process>(Process::spawn({RINGCAST_BIN, "-c", conf}));
    ready_ = wait_for_output(
        *process_, [](const std::string&, const std::string& err) { return err.find("ringcast ready") != std::string::npos; },
        10s);
}

RtmpServer::~RtmpServer() {
    if (process_->running()) {
        ::kill(process_->pid(), SIGTERM);
        process_->wait(5s);
    }
}

std::string RtmpServer::url(const std::string& path) const {
    return "rtmp://127.0.0.1:" + std::to_string(port_) + "/" + path;
}

}  // namespace ringcast::test
