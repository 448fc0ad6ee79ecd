#include "load/load_run.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "core/clock.h"
#include "load/hls_player.h"
#include "load/http_flv_player.h"
#include "load/rtmp_player.h"

namespace ringcast::load {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void on_sigint(int) { g_interrupted = 1; }

void install_sigint() {
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: the signal must end the loop's wait in io_uring_enter, not resume it.
    action.sa_flags = 0;
    ::sigaction(SIGINT, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

constexpr std::uint64_t kRampTickNs = 10'000'000;
constexpr std::uint64_t kSecondNs = 1'000'000'000;
constexpr std::uint64_t kPublishStartTimeoutMs = 10'000;
constexpr std::uint64_t kCloseDrainMs = 3'000;
// Receive buffers for every socket of the run: the kernel fills them during one wait and the
// reap loop hands each back as soon as its bytes are decoded, so the pool bounds the bytes of
// one turn, not the number of connections. 16 KiB fits a merged write's segment train.
constexpr std::uint32_t kRecvBuffers = 4096;
constexpr std::uint32_t kRecvBufferBytes = 16 * 1024;
constexpr std::uint16_t kRecvBufferGroup = 1;
constexpr double kLaggingMs = 500;

std::uint64_t seconds_ns(double s) { return static_cast<std::uint64_t>(std::llround(s * 1e9)); }
double ns_seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

LoadRun::LoadRun(const LoadOptions& options) : options_(options) {
    core::BufferPool::set_current(&pool_);
    ramp_timer_.bind<&LoadRun::ramp_tick>(this);
    progress_timer_.bind<&LoadRun::progress_tick>(this);
    warmup_timer_.bind<&LoadRun::warmup_over>(this);
    end_timer_.bind<&LoadRun::end_of_run>(this);
    publish_timer_.bind<&LoadRun::publish_timeout>(this);
}

LoadRun::~LoadRun() {
    if (reactor_) {
        for (uring::Timer* timer : {&ramp_timer_, &progress_timer_, &warmup_timer_, &end_timer_, &publish_timer_}) {
            reactor_->cancel(*timer);
        }
    }
    publisher_.reset();
    players_.clear();
    buffers_.reset();
    reactor_.reset();
    ring_.reset();
}

bool LoadRun::setup(std::string& error) {
    if (options_.publish) {
        if (!resolve_rtmp_url(*options_.publish, options_.allow_remote, publish_address_, error) ||
            !read_flv(options_.flv, flv_, error)) {
            return false;
        }
        if (flv_.nal_length_size != 4) {
            stats_.add_error("publisher: " + options_.flv + " uses " + std::to_string(flv_.nal_length_size) +
                             "-byte NAL lengths; frames go out without latency stamps");
        }
    }
    if (options_.play && !resolve_rtmp_url(*options_.play, options_.allow_remote, play_address_, error)) {
        return false;
    }
    if (options_.play_http &&
        !resolve_host(options_.play_http->host, options_.play_http->port, options_.allow_remote, play_address_, error)) {
        return false;
    }
    auto ring = uring::Ring::create({.sq_entries = 4096, .cq_entries = 32768, .allow_defer_taskrun = true});
    if (!ring) {
        error = "io_uring: " + std::string(ring.error().describe());
        return false;
    }
    ring_ = std::move(*ring);
    reactor_ = std::make_unique<uring::Reactor>(*ring_);
    if (ring_->features().provided_buffer_ring) {
        auto buffers = uring::ProvidedBufRing::create(*ring_, kRecvBufferGroup, kRecvBuffers, kRecvBufferBytes);
        if (buffers) {
            buffers_ = std::move(*buffers);
        }
    }
    if (has_players(options_)) {
        context_.emplace(PlayerContext{.reactor = *reactor_,
                                       .buffers = buffers_.get(),
                                       .address = play_address_,
                                       .rtmp_url = options_.play ? &*options_.play : nullptr,
                                       .http_url = options_.play_http ? &*options_.play_http : nullptr,
                                       .hls = options_.play_hls,
                                       .stats = stats_});
        players_.reserve(options_.players);
    }
    return true;
}

int LoadRun::run() {
    install_sigint();
    start_ns_ = core::monotonic_ns();
    progress_ns_ = start_ns_;
    std::string error;
    if (!setup(error)) {
        std::fprintf(stderr, "ringcast-load: %s\n", error.c_str());
        return 1;
    }
    reactor_->arm_ns(progress_timer_, kSecondNs);
    if (options_.publish) {
        RtmpPublisher::Events& events = *this;
        publisher_ = std::make_unique<RtmpPublisher>(*reactor_, buffers_.get(), flv_, *options_.publish, events);
        publisher_->start(publish_address_);
        reactor_->arm(publish_timer_, kPublishStartTimeoutMs);
    } else {
        begin_ramp();
    }
    while (!stop_) {
        reactor_->turn();
        if (g_interrupted != 0) {
            std::fprintf(stderr, "ringcast-load: interrupted, writing the report\n");
            stop_ = true;
        }
    }
    stop_ns_ = core::monotonic_ns();
    if (context_) {
        context_->counting = false;
    }
    const Report report = build_report();
    const bool written = write_report(report);
    const int code = fatal_ ? 1 : (written ? 0 : 1);
    if (!close_all()) {
        // Something is still in flight: destroying its owner would let a late completion
        // write freed memory. The report is out; leave without running destructors.
        std::fprintf(stderr, "ringcast-load: connections did not close within %llu ms\n",
                     static_cast<unsigned long long>(kCloseDrainMs));
        std::fflush(nullptr);
        std::_Exit(code);
    }
    return code;
}

void LoadRun::begin_ramp() {
    ramp_start_ns_ = core::monotonic_ns();
    if (!has_players(options_)) {
        ramp_done();
        return;
    }
    ramp_tick();
}

void LoadRun::ramp_tick() {
    const double elapsed = ns_seconds(core::monotonic_ns() - ramp_start_ns_);
    // The first player goes at once, then one every 1/ramp seconds.
    const auto due = static_cast<std::uint64_t>(std::floor(elapsed * options_.ramp_per_s)) + 1;
    const auto target = static_cast<std::size_t>(std::min<std::uint64_t>(due, options_.players));
    while (players_.size() < target) {
        const auto index = static_cast<std::uint32_t>(players_.size());
        if (context_->hls) {
            players_.push_back(std::make_unique<HlsPlayer>(*context_, index));
        } else if (context_->http_url != nullptr) {
            players_.push_back(std::make_unique<HttpFlvPlayer>(*context_, index));
        } else {
            players_.push_back(std::make_unique<RtmpPlayer>(*context_, index));
        }
        players_.back()->start();
    }
    if (players_.size() == options_.players) {
        ramp_done();
        return;
    }
    reactor_->arm_ns(ramp_timer_, kRampTickNs);
}

void LoadRun::ramp_done() {
    ramp_end_ns_ = core::monotonic_ns();
    bytes_at_ramp_end_ = stats_.bytes;
    if (options_.warmup_s <= 0) {
        warmup_over();
    } else {
        reactor_->arm_ns(warmup_timer_, seconds_ns(options_.warmup_s));
    }
    reactor_->arm_ns(end_timer_, seconds_ns(options_.duration_s));
}

void LoadRun::warmup_over() {
    warmup_end_ns_ = core::monotonic_ns();
    bytes_at_warmup_end_ = stats_.bytes;
    if (context_) {
        context_->after_warmup = true;
    }
}

void LoadRun::on_publishing() {
    reactor_->cancel(publish_timer_);
    begin_ramp();
}

void LoadRun::on_publisher_failed(std::string why) {
    if (ramp_start_ns_ == 0) {
        fatal(std::move(why));  // no stream to play: the run cannot happen
    } else {
        stats_.add_error(std::move(why));
    }
}

void LoadRun::publish_timeout() { fatal("publisher: not publishing after 10 s"); }

void LoadRun::fatal(std::string why) {
    std::fprintf(stderr, "ringcast-load: %s\n", why.c_str());
    stats_.add_error(std::move(why));
    fatal_ = true;
    stop_ = true;
}

void LoadRun::progress_tick() {
    const std::int64_t now = core::monotonic_ns();
    const double interval = std::max(ns_seconds(now - progress_ns_), 1e-3);
    progress_ns_ = now;
    const double mbps = static_cast<double>(stats_.bytes_this_second) * 8 / 1e6 / interval;
    const LatencyHistogram& lat = stats_.latency_this_second;
    std::fprintf(stderr,
                 "[%6.1fs] players %u playing, %u connected, %u failed (%u/%u started) | %8.1f Mbit/s | "
                 "latency p50 %6.1f p99 %6.1f ms (%llu samples)%s%s\n",
                 ns_seconds(now - start_ns_), stats_.players_playing, stats_.players_connected, stats_.players_failed,
                 stats_.players_started, has_players(options_) ? options_.players : 0, mbps, lat.percentile(0.5),
                 lat.percentile(0.99), static_cast<unsigned long long>(lat.count()),
                 warmup_end_ns_ == 0 && ramp_end_ns_ != 0 ? " warmup" : "", publisher_line().c_str());
    stats_.bytes_this_second = 0;
    stats_.latency_this_second.reset();
    // Re-armed from the first tick's schedule, so the lines do not drift by a turn each.
    const std::int64_t next = start_ns_ + static_cast<std::int64_t>(kSecondNs) *
                                              ((now - start_ns_) / static_cast<std::int64_t>(kSecondNs) + 1);
    reactor_->arm_ns(progress_timer_, static_cast<std::uint64_t>(std::max<std::int64_t>(next - now, 0)));
}

std::string LoadRun::publisher_line() const {
    if (!publisher_) {
        return {};
    }
    return " | publisher " + std::string(publisher_->publishing() ? "on" : "off") + ", " +
           std::to_string(publisher_->frames_sent()) + " messages, loop " + std::to_string(publisher_->loops() + 1);
}

Report LoadRun::build_report() {
    Report r;
    r.players = has_players(options_) ? options_.players : 0;
    std::vector<double> startups;
    std::vector<double> setups;
    for (const auto& owned : players_) {
        const Player& player = *owned;
        if (!player.reached_playing() && !player.failed()) {
            // Never got going: a failure as much as a refused connect.
            ++stats_.players_failed;
            stats_.add_error("player " + std::to_string(player.index()) + ": not playing at the end of the run, waiting for " +
                             player.waiting_for());
        }
        if (auto startup = player.startup_ms()) {
            startups.push_back(*startup);
        }
        if (auto setup = player.setup_ms()) {
            setups.push_back(*setup);
        }
        if (player.max_latency_ms() > kLaggingMs) {
            ++r.players_lagging_500ms;
        }
        if (player.max_latency_ms() > options_.lag_ms) {
            ++r.players_lagging;
        }
    }
    r.connected = stats_.players_connected;
    r.failed = stats_.players_failed;
    const std::int64_t measured_from = ramp_end_ns_ != 0 ? ramp_end_ns_ : (ramp_start_ns_ != 0 ? ramp_start_ns_ : stop_ns_);
    r.duration_s = ns_seconds(stop_ns_ - measured_from);
    r.bytes = stats_.bytes;
    r.video_frames = stats_.video_frames;
    r.audio_frames = stats_.audio_frames;
    // The rate of the steady state: after the warmup, or after the ramp if the run ended
    // before the warmup did.
    if (warmup_end_ns_ != 0 && stop_ns_ > warmup_end_ns_) {
        r.mbps = static_cast<double>(stats_.bytes - bytes_at_warmup_end_) * 8 / 1e6 / ns_seconds(stop_ns_ - warmup_end_ns_);
    } else if (ramp_end_ns_ != 0 && stop_ns_ > ramp_end_ns_) {
        r.mbps = static_cast<double>(stats_.bytes - bytes_at_ramp_end_) * 8 / 1e6 / ns_seconds(stop_ns_ - ramp_end_ns_);
    }
    r.startup_p50_ms = percentile_of(startups, 0.5);
    r.startup_p95_ms = percentile_of(startups, 0.95);
    r.startup_max_ms = startups.empty() ? 0 : startups.back();  // sorted by percentile_of
    r.setup_p50_ms = percentile_of(setups, 0.5);
    r.setup_p95_ms = percentile_of(setups, 0.95);
    r.latency_p50_ms = stats_.latency.percentile(0.5);
    r.latency_p99_ms = stats_.latency.percentile(0.99);
    r.latency_max_ms = stats_.latency.max();
    r.lag_bound_ms = options_.lag_ms;
    r.timestamp_regressions = stats_.timestamp_regressions;
    r.hls_playlists = stats_.hls_playlists;
    r.hls_segments = stats_.hls_segments;
    r.hls_segments_skipped = stats_.hls_segments_skipped;
    r.errors = stats_.errors;
    if (stats_.error_count > stats_.errors.size()) {
        r.errors.push_back("... and " + std::to_string(stats_.error_count - stats_.errors.size()) + " more errors");
    }
    return r;
}

bool LoadRun::write_report(const Report& report) {
    const std::string json = report_json(report);
    if (options_.json_path.empty()) {
        std::fwrite(json.data(), 1, json.size(), stdout);
        std::fflush(stdout);
        return true;
    }
    std::ofstream out(options_.json_path, std::ios::trunc);
    out << json;
    out.close();
    if (!out) {
        std::fprintf(stderr, "ringcast-load: cannot write %s\n", options_.json_path.c_str());
        return false;
    }
    return true;
}

bool LoadRun::close_all() {
    if (!reactor_) {
        return true;
    }
    for (uring::Timer* timer : {&ramp_timer_, &progress_timer_, &warmup_timer_, &end_timer_, &publish_timer_}) {
        reactor_->cancel(*timer);
    }
    if (publisher_) {
        publisher_->stop();
    }
    for (const auto& player : players_) {
        player->stop();
    }
    auto all_closed = [this] {
        return (!publisher_ || publisher_->closed()) &&
               std::all_of(players_.begin(), players_.end(), [](const auto& p) { return p->closed(); });
    };
    return reactor_->run_until(all_closed, kCloseDrainMs);
}

}  // namespace ringcast::load
