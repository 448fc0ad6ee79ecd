#pragma once
// Prometheus text exposition format 0.0.4: snapshots in, text out.
//
// The whole-server families keep the names, types and help texts of SRS's exporter
// (SrsGoApiMetrics in srs_app_http_api.cpp), so SRS dashboards and alerts keep working:
//   srs_node_uname_info, srs_build_info, srs_cpu_percent, srs_memory, srs_send_bytes_total,
//   srs_receive_bytes_total, srs_streams, srs_clients, srs_clients_total, srs_clients_errs_total.
// SRS has no per-stream or per-shard metrics; ringcast's own carry the ringcast_ prefix, so they
// can never collide with a name SRS adds later:
//   ringcast_stream_clients, ringcast_stream_publish_active (gauges), ringcast_stream_
//   send_bytes_total, ringcast_stream_receive_bytes_total, ringcast_stream_frames_total{media}
//   (counters), labelled {vhost, app, stream};
//   ringcast_shard_connections (gauge), ringcast_shard_connections_accepted_total,
//   ringcast_shard_send_bytes_total, ringcast_shard_receive_bytes_total (counters), {shard}.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "api/stats.h"

namespace ringcast::api {

/// The Content-Type of write_metrics' output (SRS sends "text/plain; charset=utf-8", which
/// Prometheus also reads as 0.0.4).
inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// The /metrics body: SRS's families from `server`, then one sample per stream and per shard.
/// An empty `streams` span leaves the per-stream families out (hosts with very many streams may
/// not want one time series per stream); same for `shards`.
void write_metrics(const ServerSnapshot& server, std::span<const StreamSnapshot> streams,
                   std::span<const ShardSnapshot> shards, std::string& out);

enum class MetricType : std::uint8_t { counter, gauge };

struct MetricLabel {
    std::string_view name;   // [a-zA-Z_][a-zA-Z0-9_]*, a literal of ours
    std::string_view value;  // any bytes: escaped, and made valid UTF-8
};

/// Writes metric families: `family()` once, then that family's samples, then the next family
/// (the format forbids interleaving). Names are the caller's literals and must match
/// [a-zA-Z_:][a-zA-Z0-9_:]*; label values and help texts may hold anything.
///
/// Borrows `out` for its lifetime; appends, never clears.
class PrometheusWriter {
public:
    explicit PrometheusWriter(std::string& out) : out_(out) {}

    /// "# HELP name help" and "# TYPE name counter|gauge".
    void family(std::string_view name, std::string_view help, MetricType type);
    /// One line: name{labels} value. Integers are written exactly; doubles in their shortest
    /// round-trip form, NaN as "NaN" and infinities as "+Inf"/"-Inf".
    void sample(std::string_view name, std::span<const MetricLabel> labels, std::uint64_t value);
    void sample(std::string_view name, std::span<const MetricLabel> labels, double value);
    void sample(std::string_view name, std::initializer_list<MetricLabel> labels, std::uint64_t value) {
        sample(name, std::span<const MetricLabel>(labels.begin(), labels.size()), value);
    }
    void sample(std::string_view name, std::initializer_list<MetricLabel> labels, double value) {
        sample(name, std::span<const MetricLabel>(labels.begin(), labels.size()), value);
    }

private:
    void begin_sample(std::string_view name, std::span<const MetricLabel> labels);

    std::string& out_;
};

/// A label value as the format wants it: \ " and newline escaped, ill-formed UTF-8 replaced
/// by U+FFFD (a scraper rejects the whole page on one bad byte).
void append_label_value(std::string& out, std::string_view value);

}  // namespace ringcast::api
