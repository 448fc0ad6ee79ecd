#pragma once
// One load run on one thread and one ring: the publisher (if any) starts first; once it
// publishes, players (RTMP, HTTP-FLV or HLS, by the --play URL) connect at the ramp rate; the measured period starts when the last one
// has been started, the warmup is cut from its beginning, and the run stops after --duration
// or on SIGINT, writes the JSON report, and closes every connection.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "load/flv_reader.h"
#include "load/options.h"
#include "load/player.h"
#include "load/rtmp_publisher.h"
#include "load/stats.h"
#include "uring/buf_ring.h"
#include "uring/reactor.h"
#include "uring/ring.h"
#include "uring/socket.h"

namespace ringcast::load {

class LoadRun final : private RtmpPublisher::Events {
public:
    /// `options` outlives the run.
    explicit LoadRun(const LoadOptions& options);
    ~LoadRun() override;
    LoadRun(const LoadRun&) = delete;
    LoadRun& operator=(const LoadRun&) = delete;

    /// Runs to the end and writes the report. Returns the exit code: 0 when the run happened
    /// (player failures are in the report), 1 when it could not (setup, publisher refused).
    int run();

private:
    bool setup(std::string& error);
    void begin_ramp();
    void ramp_tick();
    void ramp_done();
    void warmup_over();
    void end_of_run() { stop_ = true; }
    void progress_tick();
    [[nodiscard]] std::string publisher_line() const;
    void publish_timeout();
    void on_publishing() override;
    void on_publisher_failed(std::string why) override;
    void fatal(std::string why);

    [[nodiscard]] Report build_report();
    bool write_report(const Report& report);
    /// Closes every connection and waits (bounded) until nothing is in flight.
    bool close_all();

    const LoadOptions& options_;
    core::BufferPool pool_;  // first: every Buffer the run allocates may come from it
    std::unique_ptr<uring::Ring> ring_;
    std::unique_ptr<uring::Reactor> reactor_;
    std::unique_ptr<uring::ProvidedBufRing> buffers_;
    uring::SocketAddress publish_address_;
    uring::SocketAddress play_address_;
    FlvFile flv_;
    RunStats stats_;
    std::optional<PlayerContext> context_;
    std::vector<std::unique_ptr<Player>> players_;  // RTMP, HTTP-FLV or HLS players, never moved
    std::unique_ptr<RtmpPublisher> publisher_;

    uring::Timer ramp_timer_;
    uring::Timer progress_timer_;
    uring::Timer warmup_timer_;
    uring::Timer end_timer_;
    uring::Timer publish_timer_;

    std::int64_t start_ns_ = 0;
    std::int64_t ramp_start_ns_ = 0;
    std::int64_t ramp_end_ns_ = 0;    // 0 until the last player has been started
    std::int64_t warmup_end_ns_ = 0;  // 0 until the warmup is over
    std::int64_t progress_ns_ = 0;    // when the last progress line was printed
    std::int64_t stop_ns_ = 0;
    std::uint64_t bytes_at_ramp_end_ = 0;
    std::uint64_t bytes_at_warmup_end_ = 0;
    bool stop_ = false;
    bool fatal_ = false;
};

}  // namespace ringcast::load
