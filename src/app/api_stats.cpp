#include "app/api_stats.h"

#include "app/client_connection.h"

namespace ringcast::app {

void TrafficWindow::sample(std::uint64_t now_ms, std::uint64_t sent_bytes, std::uint64_t received_bytes) {
    points_[next_] = {now_ms, sent_bytes, received_bytes};
    next_ = (next_ + 1) % points_.size();
    if (count_ < points_.size()) {
        ++count_;
    }
}

api::Kbps TrafficWindow::kbps(std::uint64_t now_ms, std::uint64_t sent_bytes, std::uint64_t received_bytes) const {
    // The oldest sample still in the ring opens the window (up to 40 s back; a young
    // connection's first point is its start).
    const std::size_t oldest = count_ < points_.size() ? 0 : next_;
    const Point& from = points_[oldest];
    if (now_ms <= from.ms) {
        return {};
    }
    const std::uint64_t elapsed_ms = now_ms - from.ms;
    // bytes * 8 / 1000 per second = bytes * 8 / elapsed_ms kbit/s
    return {(received_bytes - from.received) * 8 / elapsed_ms, (sent_bytes - from.sent) * 8 / elapsed_ms};
}

const uring::TcpStreamStats& ClientConnection::io_stats() const {
    static const uring::TcpStreamStats none;
    return none;
}

void ClientConnection::describe_common(std::uint64_t now_ms, std::string_view peer, ClientPart& out) const {
    api::ClientSnapshot& client = out.snapshot;
    client.id = std::to_string(id());
    // "ip:port" or "[v6]:port": SRS shows the address alone.
    std::string_view ip = peer;
    if (auto colon = ip.rfind(':'); colon != std::string_view::npos) {
        ip = ip.substr(0, colon);
    }
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') {
        ip = ip.substr(1, ip.size() - 2);
    }
    client.ip = std::string(ip);
    client.alive_s = now_ms > accepted_ms_ ? static_cast<double>(now_ms - accepted_ms_) / 1000.0 : 0;
    client.send_bytes = io_stats().bytes_sent;
    client.recv_bytes = io_stats().bytes_received;
    client.kbps = traffic_.kbps(now_ms, client.send_bytes, client.recv_bytes);
}

}  // namespace ringcast::app
