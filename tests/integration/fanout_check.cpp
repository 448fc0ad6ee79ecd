#include "integration/fanout_check.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

namespace ringcast::test {

bool is_sequence_header(int kind, std::span<const std::uint8_t> payload) {
    if (payload.size() < 2) {
        return false;
    }
    return (kind == 9 && (payload[0] & 0x0f) == 7 && payload[1] == 0) ||
           (kind == 8 && (payload[0] >> 4) == 10 && payload[1] == 0);
}

void FanoutPlayer::record(int kind, std::uint32_t timestamp, std::span<const std::uint8_t> payload) {
    const int index = kind == 9 ? 1 : 0;
    if (seen_[index] && timestamp < last_[index]) {
        ++regressions;
    }
    seen_[index] = true;
    last_[index] = timestamp;
    if (!is_sequence_header(kind, payload)) {
        media.emplace_back(timestamp, payload.size());
    }
}

std::string FanoutResult::describe() const {
    return std::to_string(short_players) + " players under 95% of the " + std::to_string(most_bytes) +
           " media bytes of a " + std::to_string(window_ms) + " ms window (least: " + std::to_string(least_bytes) +
           "), " + std::to_string(regressions) + " regressions, " + std::to_string(failed) + " undecodable";
}

FanoutResult run_fanout(std::vector<std::unique_ptr<FanoutPlayer>>& players, std::chrono::milliseconds duration) {
    std::vector<pollfd> fds(players.size());
    for (std::size_t i = 0; i < players.size(); ++i) {
        fds[i] = {players[i]->fd, POLLIN, 0};
    }
    std::vector<std::uint8_t> buffer(256 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::poll(fds.data(), fds.size(), 100) <= 0) {
            continue;
        }
        for (std::size_t i = 0; i < players.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            FanoutPlayer& p = *players[i];
            const ssize_t n = ::recv(p.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n <= 0) {
                fds[i].fd = -1;
                continue;
            }
            p.bytes += static_cast<std::size_t>(n);
            p.failed |= !p.feed({buffer.data(), static_cast<std::size_t>(n)});
        }
    }
    FanoutResult result;
    std::uint32_t window_start = 0;
    std::uint32_t window_end = UINT32_MAX;
    for (auto& p : players) {
        ::close(p->fd);
        result.regressions += p->regressions;
        result.failed += p->failed;
        if (p->media.empty()) {
            window_end = 0;
            continue;
        }
        window_start = std::max(window_start, p->media.front().first);
        window_end = std::min(window_end, p->media.back().first);
    }
    if (window_end <= window_start) {
        result.short_players = static_cast<int>(players.size());
        return result;
    }
    result.window_ms = window_end - window_start;
    std::vector<std::size_t> window_bytes;
    for (auto& p : players) {
        std::size_t bytes = 0;
        for (auto& [ts, size] : p->media) {
            bytes += ts >= window_start && ts <= window_end ? size : 0;
        }
        window_bytes.push_back(bytes);
    }
    if (window_bytes.empty()) {
        return result;
    }
    result.most_bytes = *std::max_element(window_bytes.begin(), window_bytes.end());
    result.least_bytes = *std::min_element(window_bytes.begin(), window_bytes.end());
    for (std::size_t bytes : window_bytes) {
        result.short_players += bytes < result.most_bytes * 95 / 100;
    }
    return result;
}

}  // namespace ringcast::test
