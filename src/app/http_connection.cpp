#include "app/http_connection.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <utility>

#include "app/http_flv.h"
#include "app/http_ts.h"
#include "app/shard.h"
#include "app/static_files.h"
#include "core/log.h"
#include "media/flv.h"
#include "uring/file_io.h"

namespace ringcast::app {

namespace {

constexpr std::string_view kDefaultVhost = "__defaultVhost__";

/// Matches `path` against a mount path with [app] and [stream] placeholders, each one or more
/// characters other than '/'.
bool match_mount_path(std::string_view pattern, std::string_view path, std::string& app, std::string& stream) {
    std::size_t p = 0;
    std::size_t i = 0;
    while (p < pattern.size()) {
        std::string* capture = nullptr;
        std::size_t token = 0;
        if (pattern.substr(p).starts_with("[app]")) {
            capture = &app;
            token = 5;
        } else if (pattern.substr(p).starts_with("[stream]")) {
            capture = &stream;
            token = 8;
        }
        if (capture == nullptr) {
            if (i >= path.size() || path[i] != pattern[p]) {
                return false;
            }
            ++p;
            ++i;
            continue;
        }
        p += token;
        // Up to the next literal of the pattern (the stream may hold dots: "a.b.flv").
        const char stop = p < pattern.size() ? pattern[p] : '\0';
        std::size_t end = stop == '\0' ? path.size() : path.rfind(stop);
        const std::size_t slash = path.find('/', i);
        if (stop != '/' && slash != std::string_view::npos && slash < end) {
            return false;
        }
        if (stop == '/') {
            end = slash;
        }
        if (end == std::string_view::npos || end <= i) {
            return false;
        }
        capture->assign(path.substr(i, end - i));
        i = end;
    }
    return i == path.size();
}

/// The status of a file that statx or open refused.
int status_for_errno(int err) {
    switch (err) {
    case EACCES:
    case EPERM:
        return 403;
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:  // O_NOFOLLOW met a symbolic link
        return 404;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EAGAIN:
    case EBUSY:
        return 503;
    default:
        return 500;
    }
}

}  // namespace

/// A static file answer in progress. Its strings and statx buffers are named by SQEs in
/// flight, so it lives in the connection (reused across keep-alive requests) and is only
/// rewritten when no operation of the previous request is in flight.
struct HttpConnection::FileJob {
    // The request, copied: the parser's HttpRequest is gone by the time statx answers.
    std::string_view method_name;  // libhttp-parser's static table
    bool head = false;
    bool keep_alive = true;
    std::string target;
    std::string path;  // decoded
    std::optional<std::string> range;
    std::optional<std::string> if_modified_since;
    std::optional<std::string> if_range;

    StaticPath mapped;
    std::vector<std::string> components;  // dir + each prefix of mapped.relative; the last is the file
    std::vector<struct statx> stats;      // one per component, filled by the kernel
    std::size_t stats_pending = 0;
    int stat_errno = 0;  // the first statx error

    StaticAnswer answer;
    std::string last_modified;
    std::string location;
    std::uint64_t offset = 0;     // next file byte to read
    std::uint64_t remaining = 0;  // file bytes still to read and queue
    core::MutableBuffer chunk;    // what the read in flight fills

    void begin(const proto::http::HttpRequest& request) {
        method_name = request.method_name;
        head = request.method == proto::http::HttpMethod::head;
        keep_alive = request.keep_alive;
        target = request.target;
        path = request.path;
        auto copy = [&](std::string_view name) -> std::optional<std::string> {
            if (auto value = request.header(name)) {
                return std::string(*value);
            }
            return std::nullopt;
        };
        range = copy("Range");
        if_modified_since = copy("If-Modified-Since");
        if_range = copy("If-Range");
        components.clear();
        stats_pending = 0;
        stat_errno = 0;
        answer = {};
        offset = 0;
        remaining = 0;
    }
};

std::optional<HttpRemuxMatch> match_http_remux_mount(const Config& config, std::string_view host,
                                                     std::string_view path) {
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
        host = host.substr(0, colon);
    }
    for (const VhostConfig& vhost : config.vhosts) {
        if (!vhost.enabled || !vhost.http_remux.enabled) {
            continue;
        }
        std::string pattern = vhost.http_remux.mount;
        const bool is_default = vhost.name == kDefaultVhost;
        if (auto at = pattern.find("[vhost]"); at != std::string::npos) {
            if (is_default) {
                pattern.erase(at, pattern.compare(at, 8, "[vhost]/") == 0 ? 8 : 7);
                if (!pattern.starts_with('/')) {
                    pattern.insert(0, 1, '/');  // SRS: "[vhost]/[app]/[stream].flv" is "/live/s.flv"
                }
            } else {
                pattern.replace(at, 7, vhost.name);
            }
        }
        std::string_view mount_path = pattern;
        if (!mount_path.starts_with('/')) {
            // "host/app/stream.flv": the first part names the Host the request must carry.
            const auto slash = mount_path.find('/');
            if (slash == std::string_view::npos || mount_path.substr(0, slash) != host) {
                continue;
            }
            mount_path.remove_prefix(slash);
        }
        std::string app;
        std::string stream;
        if (match_mount_path(mount_path, path, app, stream)) {
            return HttpRemuxMatch{vhost.name + "/" + app + "/" + stream, vhost.http_remux.format};
        }
    }
    return std::nullopt;
}

HttpConnection::HttpConnection(Shard& shard, std::uint64_t id, std::string peer, HttpRoles roles)
    : shard_(shard),
      id_(id),
      peer_(std::move(peer)),
      roles_(roles),
      stream_(shard.reactor(), shard.recv_buffers(), *this) {
    idle_timer_.bind<&HttpConnection::on_idle_timer>(this);
    file_stat_.bind<&HttpConnection::on_file_stat>(this);
    file_open_.bind<&HttpConnection::on_file_open>(this);
    file_read_.bind<&HttpConnection::on_file_read>(this);
    file_close_.bind<&HttpConnection::on_file_close>(this);
}

HttpConnection::~HttpConnection() {
    shard_.reactor().cancel(idle_timer_);
    if (file_fd_ >= 0) {
        // Only when the shard tears down with the connection still open (after its drain):
        // the ring is going away, and closing a read-only file does not wait on the disk.
        ::close(file_fd_);
    }
}

void HttpConnection::open(int fd) {
    stream_.open(fd);
    shard_.reactor().arm(idle_timer_, kIdleTimeoutMs);
}

void HttpConnection::on_idle_timer() {
    core::log::ConnScope scope(id_);
    if (feed_ || !stream_.is_open()) {
        return;
    }
    if (file_state_ != FileState::idle) {
        // A download is closed only when the client took no byte for a whole period; waiting
        // on the disk is not the client's doing.
        const std::uint64_t sent = stream_.stats().bytes_sent;
        if (sent != idle_check_bytes_sent_ || file_read_in_flight_ || file_state_ != FileState::send) {
            idle_check_bytes_sent_ = sent;
            shard_.reactor().arm(idle_timer_, kIdleTimeoutMs);
            return;
        }
        RC_WARN("{}: took no byte of {} for {} ms; closing", peer_, file_->target, kIdleTimeoutMs);
        stream_.close(core::Error::make(core::Errc::timeout, "http send stalled"));
        return;
    }
    RC_WARN("{}: no HTTP request for {} ms; closing", peer_, kIdleTimeoutMs);
    stream_.close(core::Error::make(core::Errc::timeout, "http idle"));
}

void HttpConnection::on_data(std::span<const std::uint8_t> bytes) {
    core::log::ConnScope scope(id_);
    auto status = parser_.feed(bytes, [this](proto::http::HttpRequest&& request) { return on_request(std::move(request)); });
    if (status) {
        return;
    }
    if (close_when_drained_ || pending_error_status_ != 0) {
        return;  // a failed parser fails every later feed: answered (or to be) once
    }
    if (const int code = parser_.error_status(); code != 0 && !feed_) {
        RC_WARN("{} from {}; answering {}", status.error().describe(), peer_, code);
        if (busy() || !pending_.empty()) {
            pending_error_status_ = code;  // after the answers before it, in order
            return;
        }
        send_head(code, "text/plain", proto::http::BodyFraming::content_length, false);
        close_when_drained_ = true;
        return;
    }
    RC_WARN("{} from {}; closing", status.error().describe(), peer_);
    stream_.close(status.error());
}

core::Status HttpConnection::on_request(proto::http::HttpRequest&& request) {
    ++requests_;
    if (feed_ || close_when_drained_) {
        return {};  // a player's connection carries no further requests
    }
    if (busy() || !pending_.empty()) {
        // Answered in order once the file or API answer in progress is out; the idle timer
        // watches a file answer's progress meanwhile (on_idle_timer).
        if (pending_.size() >= kPendingRequestsMax) {
            return core::fail(core::Errc::full, "http: pipelined requests over kPendingRequestsMax");
        }
        pending_.push_back(std::move(request));
        return {};
    }
    shard_.reactor().arm(idle_timer_, kIdleTimeoutMs);
    answer(std::move(request));
    return {};
}

bool HttpConnection::is_api_request(const proto::http::HttpRequest& request) const {
    if (roles_.metrics_only) {
        return true;  // the exporter's port answers everything through the API's routes (404 but /metrics)
    }
    if (!roles_.api) {
        return false;
    }
    // On its own port the API answers every path (SRS: "/" and "/api/" list the endpoints); on
    // the http_server's port only what is under /api/.
    return !roles_.streams_and_files || request.path == "/api" || request.path.starts_with("/api/");
}

void HttpConnection::answer(proto::http::HttpRequest&& request) {
    using proto::http::HttpMethod;
    const bool keep_alive = request.keep_alive;
    if (is_api_request(request)) {
        awaiting_api_ = true;
        api_keep_alive_ = keep_alive;
        api_head_only_ = request.method == HttpMethod::head;
        shard_.api().handle(id_, request, roles_.metrics_only);  // may answer at once
        return;
    }
    if (!roles_.streams_and_files) {
        send_head(404, "text/plain", proto::http::BodyFraming::content_length, keep_alive);
        close_when_drained_ = !keep_alive;
        return;
    }
    if (request.method != HttpMethod::get && request.method != HttpMethod::head) {
        const proto::http::HeaderField allow[] = {{"Allow", "GET, HEAD"}};
        send_head(405, "text/plain", proto::http::BodyFraming::content_length, keep_alive, allow);
        close_when_drained_ = !keep_alive;
        return;
    }
    const std::string_view host = request.header("Host").value_or("");
    std::optional<HttpRemuxMatch> match = match_http_remux_mount(shard_.config(), host, request.path);
    if (!match) {
        start_file(request);
        return;
    }
    if (request.method == HttpMethod::head) {
        send_head(200, http_remux_content_type(match->format), proto::http::BodyFraming::until_close, false);
        close_when_drained_ = true;
        return;
    }
    start_stream(request, std::move(*match));
}

void HttpConnection::answer_pending() {
    if (answering_pending_) {
        return;  // an answer made inside the loop below finished at once: the loop goes on
    }
    answering_pending_ = true;
    while (!busy() && !feed_ && !close_when_drained_ && stream_.is_open()) {
        if (!pending_.empty()) {
            proto::http::HttpRequest request = std::move(pending_.front());
            pending_.pop_front();
            answer(std::move(request));
            continue;
        }
        if (pending_error_status_ != 0) {
            send_head(pending_error_status_, "text/plain", proto::http::BodyFraming::content_length, false);
            pending_error_status_ = 0;
            close_when_drained_ = true;
        }
        break;
    }
    answering_pending_ = false;
}

void HttpConnection::start_file(const proto::http::HttpRequest& request) {
    if (!file_) {
        file_ = std::make_unique<FileJob>();
    }
    FileJob& job = *file_;
    job.begin(request);
    file_state_ = FileState::stat;
    idle_check_bytes_sent_ = stream_.stats().bytes_sent;
    if (!shard_.features().file_ops) {
        static thread_local bool warned = false;  // once per shard
        if (!warned) {
            warned = true;
            RC_WARN("static files need io_uring file operations (Linux 5.15+), which this kernel lacks; answering 503");
        }
        file_error_answer(503, "no io_uring file operations");
        return;
    }
    const std::string& dir = shard_.config().http_server.dir;
    std::optional<StaticPath> mapped = map_static_path(request.path);
    if (!mapped || dir.empty()) {
        file_error_answer(404, "path refused");
        return;
    }
    job.mapped = std::move(*mapped);
    for (std::size_t end : job.mapped.segment_ends) {
        job.components.push_back(static_file_path(dir, std::string_view(job.mapped.relative).substr(0, end)));
    }
    // Every component at once (each statx is a trip through the kernel's io-wq, so in parallel
    // they cost about one): none may be a symbolic link, all but the last must be directories.
    job.stats.assign(job.components.size(), {});
    for (std::size_t i = 0; i < job.components.size(); ++i) {
        if (!uring::submit_statx(shard_.reactor().ring(), file_stat_, job.components[i].c_str(), AT_SYMLINK_NOFOLLOW,
                                 STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_MTIME, &job.stats[i])) {
            job.stat_errno = EBUSY;
            break;
        }
        ++job.stats_pending;
        ++file_ops_in_flight_;
    }
    if (job.stats_pending == 0) {
        file_error_answer(503, "no submission queue entry");
    }
}

void HttpConnection::on_file_stat(std::int32_t res, std::uint32_t) {
    --file_ops_in_flight_;
    FileJob& job = *file_;
    if (res < 0 && job.stat_errno == 0) {
        job.stat_errno = -res;
    }
    if (--job.stats_pending > 0) {
        return;
    }
    core::log::ConnScope scope(id_);
    if (!stream_.is_open()) {
        file_state_ = FileState::idle;
        release_when_idle();
        return;
    }
    if (job.stat_errno != 0) {
        file_error_answer(status_for_errno(job.stat_errno), core::Error::from_errno(job.stat_errno, "statx").describe());
        return;
    }
    const std::size_t last = job.stats.size() - 1;
    for (std::size_t i = 0; i <= last; ++i) {
        const auto mode = job.stats[i].stx_mode;
        if (S_ISLNK(mode)) {
            // See static_files.h: links below dir are never followed, wherever they point. A
            // warning: the link is the administrator's, who should know why it is not served.
            const std::string why = job.components[i] + " is a symbolic link";
            file_error_answer(404, why, {}, core::LogLevel::warn);
            return;
        }
        if (i < last && !S_ISDIR(mode)) {
            file_error_answer(404, "not a directory");
            return;
        }
    }
    const struct statx& file = job.stats[last];
    if (S_ISDIR(file.stx_mode)) {
        if (job.mapped.index) {
            file_error_answer(404, "index is a directory");
            return;
        }
        // As nginx: a directory named without its '/' is redirected there, so the relative
        // links of its index page resolve.
        job.location = percent_encode_path(job.path) + "/";
        const proto::http::HeaderField location[] = {{"Location", job.location}};
        file_error_answer(301, "directory", location);
        return;
    }
    if (!S_ISREG(file.stx_mode)) {
        file_error_answer(403, "not a regular file");  // a FIFO or device would block a reader
        return;
    }
    StaticFileInfo info;
    info.size = file.stx_size;
    info.mtime_s = file.stx_mtime.tv_sec;
    info.live_playlist = static_is_live_playlist(job.mapped.relative);
    StaticRequest conditions;
    conditions.head = job.head;
    conditions.range = job.range;
    conditions.if_modified_since = job.if_modified_since;
    conditions.if_range = job.if_range;
    job.answer = plan_static_answer(conditions, info);
    const auto date = proto::http::http_date(info.mtime_s);
    job.last_modified.assign(date.data(), date.size());
    if (job.answer.status == 304) {
        const proto::http::HeaderField fields[] = {{"Last-Modified", job.last_modified}};
        file_error_answer(304, "not modified", fields);
        return;
    }
    if (job.answer.status == 416) {
        const proto::http::HeaderField fields[] = {{"Content-Range", job.answer.content_range}};
        file_error_answer(416, "range not satisfiable", fields);
        return;
    }
    // Opened even for HEAD, so HEAD says what GET would (403 for an unreadable file).
    // O_NOFOLLOW: the last component cannot have become a link since its statx.
    if (!uring::submit_open(shard_.reactor().ring(), file_open_, job.components[last].c_str(),
                            O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0)) {
        file_error_answer(503, "no submission queue entry");
        return;
    }
    ++file_ops_in_flight_;
    file_state_ = FileState::open;
}

void HttpConnection::on_file_open(std::int32_t res, std::uint32_t) {
    --file_ops_in_flight_;
    if (res >= 0) {
        file_fd_ = res;
    }
    core::log::ConnScope scope(id_);
    if (!stream_.is_open()) {
        close_file();
        file_state_ = FileState::idle;
        release_when_idle();
        return;
    }
    FileJob& job = *file_;
    if (res < 0) {
        file_error_answer(status_for_errno(-res), core::Error::from_errno(-res, "open").describe());
        return;
    }
    std::array<proto::http::HeaderField, 3> fields;
    std::size_t count = 0;
    fields[count++] = {"Accept-Ranges", "bytes"};
    if (static_is_live_playlist(job.mapped.relative)) {
        fields[count++] = {"Cache-Control", "no-cache"};
    } else {
        fields[count++] = {"Last-Modified", job.last_modified};
    }
    if (!job.answer.content_range.empty()) {
        fields[count++] = {"Content-Range", job.answer.content_range};
    }
    send_head(job.answer.status, static_content_type(job.mapped.relative), proto::http::BodyFraming::content_length,
              job.keep_alive, std::span(fields.data(), count), job.answer.content_length);
    job.offset = job.answer.offset;
    job.remaining = job.answer.body_bytes;
    file_state_ = FileState::send;
    read_file_chunk();
}

void HttpConnection::read_file_chunk() {
    if (file_state_ != FileState::send || file_read_in_flight_ || !stream_.is_open()) {
        return;
    }
    FileJob& job = *file_;
    if (job.remaining == 0) {
        close_file();
        finish_file_answer(job.answer.status, job.answer.body_bytes);
        return;
    }
    if (stream_.queued_bytes() >= kFileQueueBytesMax) {
        return;  // on_send_drained reads on
    }
    const auto bytes = static_cast<std::uint32_t>(std::min<std::uint64_t>(kFileChunkBytes, job.remaining));
    job.chunk = core::MutableBuffer::allocate(bytes);
    if (!uring::submit_read(shard_.reactor().ring(), file_read_, file_fd_, job.chunk.data(), bytes, job.offset)) {
        RC_WARN("{} {}: no submission queue entry for a file read; closing", job.method_name, job.target);
        job.chunk = {};
        close_file();
        stream_.close(core::Error::make(core::Errc::full, "file read"));
        return;
    }
    ++file_ops_in_flight_;
    file_read_in_flight_ = true;
}

void HttpConnection::on_file_read(std::int32_t res, std::uint32_t) {
    --file_ops_in_flight_;
    file_read_in_flight_ = false;
    FileJob& job = *file_;
    core::log::ConnScope scope(id_);
    if (!stream_.is_open()) {
        job.chunk = {};
        close_file();
        file_state_ = FileState::idle;
        release_when_idle();
        return;
    }
    if (res == -EAGAIN || res == -EINTR) {
        read_file_chunk();
        return;
    }
    if (res <= 0) {
        // The Content-Length already sent cannot be met (the file shrank, or the disk failed):
        // only closing tells the client its body is short.
        RC_WARN("{} {}: read at byte {} of {} failed: {}; closing", job.method_name, job.target, job.offset,
                job.answer.offset + job.answer.body_bytes,
                res == 0 ? std::string_view("end of file") : core::Error::from_errno(-res, "read").describe());
        job.chunk = {};
        close_file();
        stream_.close(core::Error::make(core::Errc::system, "file read"));
        return;
    }
    const auto bytes = std::min<std::uint64_t>(static_cast<std::uint64_t>(res), job.remaining);
    job.chunk.set_size(bytes);
    core::Buffer block = std::move(job.chunk).freeze();
    stream_.send(block.slice());
    job.offset += bytes;
    job.remaining -= bytes;
    file_bytes_sent_ += bytes;
    read_file_chunk();
}

void HttpConnection::close_file() {
    if (file_fd_ < 0) {
        return;
    }
    const int fd = std::exchange(file_fd_, -1);
    if (uring::submit_close(shard_.reactor().ring(), file_close_, fd)) {
        ++file_ops_in_flight_;
        return;
    }
    // No SQE even after a submit: closing a read-only regular file does not wait on the disk.
    ::close(fd);
}

void HttpConnection::on_file_close(std::int32_t res, std::uint32_t) {
    --file_ops_in_flight_;
    if (res < 0) {
        core::log::ConnScope scope(id_);
        RC_WARN("static file: {}", core::Error::from_errno(-res, "close").describe());
    }
    release_when_idle();
}

void HttpConnection::file_error_answer(int status, std::string_view why,
                                       std::span<const proto::http::HeaderField> extra_headers, core::LogLevel level) {
    FileJob& job = *file_;
    close_file();
    if (level == core::LogLevel::warn) {
        RC_WARN("{} {}: {} ({})", job.method_name, job.target, status, why);
    } else {
        RC_TRACE("{} {}: {} ({})", job.method_name, job.target, status, why);
    }
    // 304 has no body, so no Content-Type either (nginx sends none).
    send_head(status, status == 304 ? "" : "text/plain", proto::http::BodyFraming::content_length, job.keep_alive,
              extra_headers);
    finish_file_answer(status, 0);
}

void HttpConnection::finish_file_answer(int status, std::uint64_t body_bytes) {
    FileJob& job = *file_;
    file_state_ = FileState::idle;
    ++files_answered_;
    if (status == 200 || status == 206) {
        RC_TRACE("{} {}: {}, {} bytes", job.method_name, job.target, status, body_bytes);
    }
    if (!job.keep_alive) {
        close_when_drained_ = true;
        if (stream_.queued_bytes() == 0) {
            stream_.close(core::Error::make(core::Errc::closed, "answered"));
        }
        return;
    }
    shard_.reactor().arm(idle_timer_, kIdleTimeoutMs);
    answer_pending();
}

void HttpConnection::release_when_idle() {
    if (!stream_closed_ || file_ops_in_flight_ != 0 || released_) {
        return;
    }
    released_ = true;
    shard_.release_connection(*this);
}

void HttpConnection::on_api_answer(ApiAnswer&& answer) {
    core::log::ConnScope scope(id_);
    if (!awaiting_api_ || !stream_.is_open()) {
        return;
    }
    awaiting_api_ = false;
    std::vector<proto::http::HeaderField> headers;
    if (!answer.allow.empty()) {
        headers.push_back({"Allow", answer.allow});
    }
    // CORS as http_api's crossdomain says (dashboards on other origins read the API).
    answering_api_ = true;
    send_head(answer.status, answer.content_type, proto::http::BodyFraming::content_length, api_keep_alive_, headers,
              answer.body.size());
    answering_api_ = false;
    if (!api_head_only_) {
        send_bytes(answer.body);
    }
    close_when_drained_ = !api_keep_alive_;
    shard_.reactor().arm(idle_timer_, kIdleTimeoutMs);
    answer_pending();
}

bool HttpConnection::describe(std::uint64_t now_ms, ClientPart& out) const {
    if (!feed_) {
        return false;  // SRS lists players and publishers, not API or file requests
    }
    describe_common(now_ms, peer_, out);
    out.snapshot.type = api::ClientType::flv_play;
    out.snapshot.tc_url = flv_url_;
    out.stream_key = stream_key_;
    const auto first = stream_key_.find('/');
    const auto second = first == std::string::npos ? first : stream_key_.find('/', first + 1);
    if (second != std::string::npos) {
        out.vhost = stream_key_.substr(0, first);
        out.app = stream_key_.substr(first + 1, second - first - 1);
        out.snapshot.name = stream_key_.substr(second + 1);
    }
    return true;
}

void HttpConnection::start_stream(const proto::http::HttpRequest& request, HttpRemuxMatch match) {
    stream_key_ = std::move(match.stream_key);
    format_ = match.format;
    flv_url_ = request.target;
    // HTTP/1.1 gets chunked framing (a client can tell a cut stream from its end); HTTP/1.0 a
    // body that ends with the connection.
    chunked_ = request.version_minor >= 1;
    send_head(200, http_remux_content_type(format_),
              chunked_ ? proto::http::BodyFraming::chunked : proto::http::BodyFraming::until_close, chunked_);
    if (format_ == media::HttpRemuxFormat::flv) {
        // TS, ADTS and MP3 have no file header: their first frame starts the body.
        core::Buffer header = media::flv_file_header(true, true);
        if (chunked_) {
            send_bytes(fmt::format("{:x}\r\n", header.size()));
            stream_.send(header.slice(0, header.size()));
            send_bytes("\r\n");
        } else {
            stream_.send(header.slice(0, header.size()));
        }
    }
    const std::string_view vhost_name = std::string_view(stream_key_).substr(0, stream_key_.find('/'));
    const VhostConfig* vhost = shard_.config().find_vhost(vhost_name);
    const PlayConfig play = vhost != nullptr ? vhost->play : PlayConfig{};
    PlayerFeed::Settings settings{.queue_length_ms = static_cast<std::uint32_t>(play.queue_length_s * 1000),
                                  .mw_latency_ms = static_cast<std::uint32_t>(play.mw_latency_ms),
                                  .mw_msgs = static_cast<std::size_t>(play.mw_msgs),
                                  .duration_ms = std::nullopt};
    feed_.emplace(shard_.reactor(), static_cast<PlayerFeed::Writer&>(*this), settings, id_);
    int sndbuf_bytes = kSocketSendBufferBytes;
    ::setsockopt(stream_.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf_bytes, sizeof sndbuf_bytes);
    shard_.reactor().cancel(idle_timer_);
    RC_TRACE("play {} over HTTP ({}, {})", stream_key_, http_remux_content_type(format_), request.target);
    const std::size_t query = request.target.find('?');
    const std::string_view param =
        query == std::string::npos ? std::string_view() : std::string_view(request.target).substr(query);
    shard_.streams().play(stream_key_, *this, format_, param);
}

void HttpConnection::send_head(int status, std::string_view content_type, proto::http::BodyFraming framing,
                               bool keep_alive, std::span<const proto::http::HeaderField> extra_headers,
                               std::uint64_t content_length) {
    proto::http::HttpResponseHead head;
    head.status = static_cast<std::uint16_t>(status);
    head.framing = framing;
    head.content_length = content_length;
    head.content_type = content_type;
    head.keep_alive = keep_alive;
    head.cors = answering_api_ || roles_.metrics_only ? roles_.api_crossdomain : shard_.config().http_server.crossdomain;
    head.headers = extra_headers;
    std::vector<std::uint8_t> bytes;
    proto::http::write_response_head(head, bytes);
    core::Buffer buffer = core::Buffer::copy_of(std::span<const std::uint8_t>(bytes));
    stream_.send(buffer.slice(0, buffer.size()));
}

void HttpConnection::send_bytes(std::string_view bytes) {
    core::Buffer buffer = core::Buffer::copy_of(bytes);
    stream_.send(buffer.slice(0, buffer.size()));
}

void HttpConnection::on_frame(const media::MediaFrame& frame) {
    if (!feed_ || !stream_.is_open()) {
        return;
    }
    if (format_ != media::HttpRemuxFormat::flv && frame.http_remux_format != format_) {
        // A startup-cache frame from before this shard encoded the stream for HTTP-TS/AAC/MP3
        // players: its chunk was made when the first such player came (join time only, so the
        // copy is not per live frame).
        media::MediaFrame primed = frame;
        if (shard_.streams().fill_primed_http_remux(stream_key_, primed)) {
            feed_->push(primed);
            return;
        }
    }
    feed_->push(frame);
}

void HttpConnection::on_publishing(bool publishing) {
    if (publishing || !feed_ || !stream_.is_open() || format_ != media::HttpRemuxFormat::ts) {
        return;
    }
    if (const media::MediaFrame* tail = shard_.streams().http_remux_tail(stream_key_)) {
        feed_->push(*tail);  // the audio the TS muxer held, behind everything queued
    }
}

bool HttpConnection::can_write() const { return stream_.is_open() && stream_.queued_bytes() < kSendQueueBytesMax; }

core::Status HttpConnection::write_frame(const media::MediaFrame& frame) {
    if (format_ != media::HttpRemuxFormat::flv) {
        // Made once per shard (http_ts.h); a frame that adds no bytes (sequence header, held
        // audio, video to an .aac player) or none made for it is skipped.
        if (frame.http_remux_format != format_ || frame.http_remux_chunk.empty()) {
            return {};
        }
        if (chunked_) {
            stream_.send(frame.http_remux_chunk.slice(0, frame.http_remux_chunk.size()));
        } else {
            stream_.send(frame.http_remux_chunk.slice(frame.http_remux_body_offset, frame.http_remux_body_bytes));
        }
        return {};
    }
    if (frame.http_flv_chunk.empty()) {
        // Not made for this frame (or not representable: then this encodes nothing either).
        media::MediaFrame own = frame;
        encode_http_flv_chunk(own);
        if (own.http_flv_chunk.empty()) {
            return {};
        }
        return write_frame(own);
    }
    if (chunked_) {
        stream_.send(frame.http_flv_chunk.slice(0, frame.http_flv_chunk.size()));
    } else {
        stream_.send(frame.http_flv_chunk.slice(frame.http_flv_tag_offset, frame.http_flv_tag_bytes));
    }
    return {};
}

void HttpConnection::on_duration_played(std::uint32_t) {}

void HttpConnection::on_send_drained() {
    if (close_when_drained_) {
        stream_.close(core::Error::make(core::Errc::closed, "answered"));
        return;
    }
    if (file_state_ == FileState::send) {
        core::log::ConnScope scope(id_);
        read_file_chunk();
    }
    if (feed_) {
        feed_->pump();
    }
}

void HttpConnection::on_closed(core::Error reason) {
    core::log::ConnScope scope(id_);
    if (feed_) {
        shard_.streams().stop_play(stream_key_, *this);
    }
    shard_.reactor().cancel(idle_timer_);
    const auto& stats = stream_.stats();
    RC_TRACE("closed {} (http): {}, {} requests, sent {} bytes, {} frames in {} flushes, {} dropped, {} file answers "
             "with {} file bytes",
             peer_, reason.describe(), requests_, stats.bytes_sent, feed_ ? feed_->frames_sent() : 0,
             feed_ ? feed_->flushes() : 0, feed_ ? feed_->dropped_frames() : 0, files_answered_, file_bytes_sent_);
    feed_.reset();
    pending_.clear();
    stream_closed_ = true;
    // A statx, open or read still in flight names this object: it is released after the last
    // one completes (see release_when_idle).
    if (!file_read_in_flight_) {
        close_file();
    }
    release_when_idle();
}

}  // namespace ringcast::app
