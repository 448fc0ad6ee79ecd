// Prometheus text-based exposition format, version 0.0.4 (prometheus.io/docs/instrumenting/
// exposition_formats): "# HELP" escapes \ and newline; label values escape \, " and newline; a
// family's samples follow its HELP/TYPE lines without another family in between; every line
// ends with \n. SRS's families: SrsGoApiMetrics::serve_http (srs_app_http_api.cpp).

#include "api/prometheus.h"

#include <charconv>
#include <cmath>
#include <string>

#include "api/json_writer.h"

namespace ringcast::api {

namespace {

void append_help(std::string& out, std::string_view help) {
    for (char c : help) {
        if (c == '\\') {
            out.append("\\\\");
        } else if (c == '\n') {
            out.append("\\n");
        } else {
            out.push_back(c);
        }
    }
}

template <class Integer>
std::string_view integer_text(char (&digits)[24], Integer value) {
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    return {digits, static_cast<std::size_t>(end - digits)};
}

void write_server_families(PrometheusWriter& w, const ServerSnapshot& server) {
    if (!server.uname.sysname.empty()) {
        w.family("srs_node_uname_info", "Labeled system information as provided by the uname system call.",
                 MetricType::gauge);
        w.sample("srs_node_uname_info",
                 {{"sysname", server.uname.sysname},
                  {"nodename", server.uname.nodename},
                  {"release", server.uname.release},
                  {"version", server.uname.version},
                  {"machine", server.uname.machine}},
                 std::uint64_t{1});
    }

    char pid_digits[24];
    char major_digits[24];
    const std::string_view pid = integer_text(pid_digits, server.pid);
    const std::string_view major = integer_text(major_digits, server.version_major);
    w.family("srs_build_info",
             "A metric with a constant '1' value labeled by build_date, version from which SRS was built.",
             MetricType::gauge);
    // SRS adds label and tag (config exporter.label/tag) only when set; so do we.
    MetricLabel labels[9] = {{"server", server.server_id}, {"service", server.service_id}, {"pid", pid},
                             {"build_date", server.build_date}, {"major", major}, {"version", server.version},
                             {"code", server.code_name}};
    std::size_t label_count = 7;
    if (!server.exporter_label.empty()) {
        labels[label_count++] = {"label", server.exporter_label};
    }
    if (!server.exporter_tag.empty()) {
        labels[label_count++] = {"tag", server.exporter_tag};
    }
    w.sample("srs_build_info", std::span<const MetricLabel>(labels, label_count), std::uint64_t{1});

    w.family("srs_cpu_percent", "SRS cpu used percent.", MetricType::gauge);
    w.sample("srs_cpu_percent", {}, server.self.cpu_ratio * 100);  // SRS: percent here, ratio in JSON
    // SRS: rss pages x 4, i.e. KiB, whatever its comment says.
    w.family("srs_memory", "SRS memory used.", MetricType::gauge);
    w.sample("srs_memory", {}, server.self.rss_kbyte);
    w.family("srs_send_bytes_total", "SRS total sent bytes.", MetricType::counter);
    w.sample("srs_send_bytes_total", {}, server.totals.send_bytes);
    w.family("srs_receive_bytes_total", "SRS total received bytes.", MetricType::counter);
    w.sample("srs_receive_bytes_total", {}, server.totals.recv_bytes);
    w.family("srs_streams", "The number of SRS concurrent streams.", MetricType::gauge);
    w.sample("srs_streams", {}, server.totals.streams);
    w.family("srs_clients", "The number of SRS concurrent clients.", MetricType::gauge);
    w.sample("srs_clients", {}, server.totals.clients);
    w.family("srs_clients_total", "The total counts of SRS clients.", MetricType::counter);
    w.sample("srs_clients_total", {}, server.totals.clients_total);
    w.family("srs_clients_errs_total", "The total errors of SRS clients.", MetricType::counter);
    w.sample("srs_clients_errs_total", {}, server.totals.client_errors_total);
}

// One family over every stream: the format wants a family's samples together.
template <class Value>
void write_stream_family(PrometheusWriter& w, std::span<const StreamSnapshot> streams, std::string_view name,
                         std::string_view help, MetricType type, Value (*value_of)(const StreamSnapshot&)) {
    w.family(name, help, type);
    for (const StreamSnapshot& stream : streams) {
        w.sample(name, {{"vhost", stream.vhost}, {"app", stream.app}, {"stream", stream.name}}, value_of(stream));
    }
}

void write_stream_families(PrometheusWriter& w, std::span<const StreamSnapshot> streams) {
    if (streams.empty()) {
        return;
    }
    write_stream_family<std::uint64_t>(w, streams, "ringcast_stream_clients",
                                       "Clients of the stream now, its publisher included.", MetricType::gauge,
                                       [](const StreamSnapshot& s) { return s.clients; });
    write_stream_family<std::uint64_t>(w, streams, "ringcast_stream_publish_active",
                                       "1 while the stream has a publisher.", MetricType::gauge,
                                       [](const StreamSnapshot& s) { return std::uint64_t{s.publish_active}; });
    write_stream_family<std::uint64_t>(w, streams, "ringcast_stream_send_bytes_total",
                                       "Bytes sent to the stream's clients, its players' media above all.",
                                       MetricType::counter,
                                       [](const StreamSnapshot& s) { return s.send_bytes; });
    write_stream_family<std::uint64_t>(w, streams, "ringcast_stream_receive_bytes_total",
                                       "Bytes received from the stream's clients, its publisher's media above all.",
                                       MetricType::counter,
                                       [](const StreamSnapshot& s) { return s.recv_bytes; });
    constexpr std::string_view frames = "ringcast_stream_frames_total";
    w.family(frames, "Frames received from the stream's publisher, by media.", MetricType::counter);
    for (const StreamSnapshot& stream : streams) {
        w.sample(frames, {{"vhost", stream.vhost}, {"app", stream.app}, {"stream", stream.name}, {"media", "video"}},
                 stream.video_frames);
        w.sample(frames, {{"vhost", stream.vhost}, {"app", stream.app}, {"stream", stream.name}, {"media", "audio"}},
                 stream.audio_frames);
    }
}

template <class Value>
void write_shard_family(PrometheusWriter& w, std::span<const ShardSnapshot> shards, std::string_view name,
                        std::string_view help, MetricType type, Value (*value_of)(const ShardSnapshot&)) {
    w.family(name, help, type);
    for (const ShardSnapshot& shard : shards) {
        char digits[24];
        w.sample(name, {{"shard", integer_text(digits, shard.shard)}}, value_of(shard));
    }
}

void write_shard_families(PrometheusWriter& w, std::span<const ShardSnapshot> shards) {
    if (shards.empty()) {
        return;
    }
    write_shard_family<std::uint64_t>(w, shards, "ringcast_shard_connections", "Connections open on the shard now.",
                                      MetricType::gauge, [](const ShardSnapshot& s) { return s.connections; });
    write_shard_family<std::uint64_t>(w, shards, "ringcast_shard_connections_accepted_total",
                                      "Connections the shard accepted.", MetricType::counter,
                                      [](const ShardSnapshot& s) { return s.connections_accepted_total; });
    write_shard_family<std::uint64_t>(w, shards, "ringcast_shard_send_bytes_total", "Bytes the shard sent.",
                                      MetricType::counter, [](const ShardSnapshot& s) { return s.send_bytes; });
    write_shard_family<std::uint64_t>(w, shards, "ringcast_shard_receive_bytes_total", "Bytes the shard received.",
                                      MetricType::counter, [](const ShardSnapshot& s) { return s.recv_bytes; });
}

}  // namespace

void append_label_value(std::string& out, std::string_view value) {
    std::size_t at = 0;
    while (at < value.size()) {
        const auto byte = static_cast<unsigned char>(value[at]);
        if (byte < 0x80) {
            if (byte == '\\') {
                out.append("\\\\");
            } else if (byte == '"') {
                out.append("\\\"");
            } else if (byte == '\n') {
                out.append("\\n");
            } else {
                out.push_back(static_cast<char>(byte));
            }
            ++at;
            continue;
        }
        const Utf8Sequence sequence = utf8_sequence_at(value, at);
        if (sequence.valid) {
            out.append(value.substr(at, sequence.length));
        } else {
            out.append("\xEF\xBF\xBD");  // U+FFFD
        }
        at += sequence.length;
    }
}

void PrometheusWriter::family(std::string_view name, std::string_view help, MetricType type) {
    out_.append("# HELP ");
    out_.append(name);
    out_.push_back(' ');
    append_help(out_, help);
    out_.append("\n# TYPE ");
    out_.append(name);
    out_.append(type == MetricType::counter ? " counter\n" : " gauge\n");
}

void PrometheusWriter::begin_sample(std::string_view name, std::span<const MetricLabel> labels) {
    out_.append(name);
    if (labels.empty()) {
        out_.push_back(' ');
        return;
    }
    char separator = '{';
    for (const MetricLabel& label : labels) {
        out_.push_back(separator);
        out_.append(label.name);
        out_.append("=\"");
        append_label_value(out_, label.value);
        out_.push_back('"');
        separator = ',';
    }
    out_.append("} ");
}

void PrometheusWriter::sample(std::string_view name, std::span<const MetricLabel> labels, std::uint64_t value) {
    begin_sample(name, labels);
    char digits[24];
    out_.append(integer_text(digits, value));
    out_.push_back('\n');
}

void PrometheusWriter::sample(std::string_view name, std::span<const MetricLabel> labels, double value) {
    begin_sample(name, labels);
    if (std::isnan(value)) {
        out_.append("NaN");
    } else if (std::isinf(value)) {
        out_.append(value > 0 ? "+Inf" : "-Inf");
    } else {
        char digits[32];
        const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        out_.append(digits, static_cast<std::size_t>(end - digits));
    }
    out_.push_back('\n');
}

void write_metrics(const ServerSnapshot& server, std::span<const StreamSnapshot> streams,
                   std::span<const ShardSnapshot> shards, std::string& out) {
    PrometheusWriter w(out);
    write_server_families(w, server);
    write_stream_families(w, streams);
    write_shard_families(w, shards);
}

}  // namespace ringcast::api
