// HLS segmenter: SRS 7 srs_app_hls.cpp (SrsHls::on_audio/on_video/cycle/dispose,
// SrsHlsController::write_audio/write_video/reap_segment, SrsHlsMuxer::segment_open/
// generate_ts_filename/is_segment_overflow/is_segment_absolutely_overflow/do_segment_close2),
// srs_app_fragment.cpp (SrsFragment::append) and srs_app_utility.cpp (srs_path_build_stream,
// srs_path_build_timestamp), paraphrased. See hls_segmenter.h for the rules and the differences.
#include "media/hls_segmenter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iterator>

namespace ringcast::media {

namespace {

/// No cut before the segment is this long: SRS is_segment_overflow's 2 * SRS_HLS_SEGMENT_MIN_DURATION.
constexpr std::int64_t kCutDurationMinMs = 200;
/// A closing segment shorter than this is dropped: SRS_HLS_SEGMENT_MIN_DURATION.
constexpr std::int64_t kKeepDurationMinMs = 100;
/// hls_ts_floor: SRS_HLS_FLOOR_REAP_PERCENT and SRS_JUMP_WHEN_PIECE_DEVIATION.
constexpr double kFloorReapShare = 0.3;
constexpr std::int64_t kFloorJumpPiecesMax = 20;

bool has_control_char(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
}

/// A path relative to hls_path made canonical: empty and "." components dropped, so a leading
/// or doubled '/' cannot reach outside the root either. ".." components are dropped too and
/// reported: on_publish() rejects such names; afterwards (digits only change) none can appear,
/// and dropping keeps every later path inside the root by construction.
struct RelativePath {
    std::string text;
    bool had_parent_reference = false;
};

RelativePath normalize_relative(std::string_view path) {
    RelativePath result;
    std::size_t begin = 0;
    while (begin <= path.size()) {
        std::size_t end = path.find('/', begin);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        const std::string_view component = path.substr(begin, end - begin);
        if (component == "..") {
            result.had_parent_reference = true;
        } else if (!component.empty() && component != ".") {
            if (!result.text.empty()) {
                result.text.push_back('/');
            }
            result.text.append(component);
        }
        begin = end + 1;
    }
    return result;
}

std::string_view directory_of(std::string_view relative) {
    const std::size_t slash = relative.rfind('/');
    return slash == std::string_view::npos ? std::string_view{} : relative.substr(0, slash);
}

/// `target` relative to directory `from`, both canonical relative paths.
std::string relative_to(std::string_view from, std::string_view target) {
    // Skip the directories both start with, whole components only ("live" is not a prefix of
    // "live2/x.ts", which SRS's string prefix test gets wrong).
    std::size_t common = 0;
    while (common < from.size()) {
        std::size_t end = from.find('/', common);
        if (end == std::string_view::npos) {
            end = from.size();
        }
        const std::string_view component = from.substr(common, end - common);
        if (target.substr(common, component.size()) != component || target.size() <= end || target[end] != '/') {
            break;
        }
        common = end + 1;
    }
    std::string result;
    if (common < from.size()) {
        const std::string_view rest = from.substr(common);
        const auto ups = 1 + std::count(rest.begin(), rest.end(), '/');
        for (std::ptrdiff_t i = 0; i < ups; ++i) {
            result.append("../");
        }
    }
    result.append(target.substr(std::min(common, target.size())));
    return result;
}

/// RFC 3986 path characters (unreserved, sub-delims, '@', '/') stay; everything else is
/// %-encoded. ':' is encoded too: in the first segment of a relative reference it would read
/// as a URI scheme.
std::string percent_encode_path(std::string_view text) {
    static constexpr std::string_view kKept = "-._~!$&'()*+,;=@/";
    std::string result;
    result.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool alnum = (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z');
        if (alnum || kKept.find(c) != std::string_view::npos) {
            result.push_back(c);
        } else {
            fmt::format_to(std::back_inserter(result), "%{:02X}", byte);
        }
    }
    return result;
}

bool positive_finite(double value) { return std::isfinite(value) && value > 0; }

}  // namespace

core::Status validate_hls_settings(const HlsSettings& settings) {
    if (settings.fragment_ms <= 0) {
        return core::fail(core::Errc::invalid, "hls_fragment must be > 0");
    }
    if (!positive_finite(settings.td_ratio)) {
        return core::fail(core::Errc::invalid, "hls_td_ratio must be > 0");
    }
    if (!positive_finite(settings.aof_ratio)) {
        return core::fail(core::Errc::invalid, "hls_aof_ratio must be > 0");
    }
    if (settings.window_ms < 0) {
        return core::fail(core::Errc::invalid, "hls_window must be >= 0");
    }
    if (settings.dispose_ms < 0) {
        return core::fail(core::Errc::invalid, "hls_dispose must be >= 0");
    }
    if (settings.path_root.empty() || settings.m3u8_file.empty() || settings.ts_file.empty()) {
        return core::fail(core::Errc::invalid, "hls_path, hls_m3u8_file and hls_ts_file must not be empty");
    }
    return {};
}

HlsCalendarTime hls_calendar_time(std::int64_t unix_ms, bool utc) {
    HlsCalendarTime result;
    result.unix_ms = unix_ms;
    // Floor division, so a time before 1970 still gets a millisecond in [0, 999].
    std::int64_t seconds = unix_ms / 1000;
    std::int64_t millisecond = unix_ms % 1000;
    if (millisecond < 0) {
        millisecond += 1000;
        --seconds;
    }
    const auto time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    if ((utc ? ::gmtime_r(&time, &parts) : ::localtime_r(&time, &parts)) == nullptr) {
        return result;  // SRS leaves the path as it is when the conversion fails; epoch fields here
    }
    result.year = parts.tm_year + 1900;
    result.month = parts.tm_mon + 1;
    result.day = parts.tm_mday;
    result.hour = parts.tm_hour;
    result.minute = parts.tm_min;
    result.second = parts.tm_sec;
    result.millisecond = static_cast<int>(millisecond);
    return result;
}

std::string expand_hls_template(std::string_view template_text, const HlsTemplateValues& values) {
    std::string result;
    result.reserve(template_text.size() + 32);
    auto out = std::back_inserter(result);
    std::size_t at = 0;
    while (at < template_text.size()) {
        const std::size_t open = template_text.find('[', at);
        if (open == std::string_view::npos) {
            result.append(template_text.substr(at));
            break;
        }
        result.append(template_text.substr(at, open - at));
        const std::size_t close = template_text.find(']', open + 1);
        if (close == std::string_view::npos) {
            result.append(template_text.substr(open));
            break;
        }
        const std::string_view name = template_text.substr(open + 1, close - open - 1);
        const HlsCalendarTime* time = values.time ? &*values.time : nullptr;
        bool known = true;
        if (name == "vhost") {
            result.append(values.vhost);
        } else if (name == "app") {
            result.append(values.app);
        } else if (name == "stream") {
            result.append(values.stream);
        } else if (name == "seq" && values.seq) {
            fmt::format_to(out, "{}", *values.seq);
        } else if (name == "duration" && values.duration_ms) {
            fmt::format_to(out, "{}", *values.duration_ms);
        } else if (name == "timestamp" && (values.timestamp_override || time)) {
            fmt::format_to(out, "{}", values.timestamp_override ? *values.timestamp_override : time->unix_ms);
        } else if (time && name == "2006") {
            fmt::format_to(out, "{:04}", time->year);
        } else if (time && name == "01") {
            fmt::format_to(out, "{:02}", time->month);
        } else if (time && name == "02") {
            fmt::format_to(out, "{:02}", time->day);
        } else if (time && name == "15") {
            fmt::format_to(out, "{:02}", time->hour);
        } else if (time && name == "04") {
            fmt::format_to(out, "{:02}", time->minute);
        } else if (time && name == "05") {
            fmt::format_to(out, "{:02}", time->second);
        } else if (time && name == "999") {
            fmt::format_to(out, "{:03}", time->millisecond);
        } else {
            known = false;
        }
        if (known) {
            at = close + 1;
        } else {
            // Keep the '[' and look again from the next character: "[[seq]" is "[" + "[seq]".
            result.push_back('[');
            at = open + 1;
        }
    }
    return result;
}

core::Status HlsSegmenter::on_publish(const HlsStreamName& name, std::int64_t now_ms) {
    if (state_ == State::publishing) {
        return {};  // SRS SrsHls::on_publish: "support multiple publish"
    }
    state_ = State::idle;
    if (auto valid = validate_hls_settings(settings_); !valid) {
        return valid;
    }
    if (has_control_char(name.vhost) || has_control_char(name.app) || has_control_char(name.stream)) {
        return core::fail(core::Errc::invalid, "hls: control character in the stream name");
    }
    const HlsTemplateValues stream_values{name.vhost, name.app, name.stream, {}, {}, {}, {}};
    RelativePath m3u8 = normalize_relative(expand_hls_template(settings_.m3u8_file, stream_values));
    // A trial segment name: only digits differ between it and every real one, so if it stays
    // inside hls_path they all do (digits cannot form a ".." component).
    HlsTemplateValues trial = stream_values;
    trial.seq = 0;
    trial.time = HlsCalendarTime{};
    trial.duration_ms = 0;
    const RelativePath ts = normalize_relative(expand_hls_template(settings_.ts_file, trial));
    if (m3u8.had_parent_reference || ts.had_parent_reference) {
        return core::fail(core::Errc::invalid, "hls: a \"..\" in the stream name or template leaves hls_path");
    }
    if (m3u8.text.empty() || ts.text.empty()) {
        return core::fail(core::Errc::invalid, "hls: the m3u8 or ts path expands to nothing");
    }

    active_ = settings_;
    name_ = name;
    playlist_url_ = std::move(m3u8.text);
    playlist_dir_url_ = std::string(directory_of(playlist_url_));
    playlist_path_ = full_path(playlist_url_);
    playlist_.set_segments_max(active_.playlist_segments_max);
    // SRS update_config: max_td = fragment * td_ratio (in microseconds there, so rounding to the
    // nearest ms matches it better than truncation).
    max_td_ms_ = std::llround(static_cast<double>(active_.fragment_ms) * active_.td_ratio);
    aof_threshold_ms_ = static_cast<double>(active_.fragment_ms) * active_.aof_ratio;

    state_ = State::publishing;
    discontinuity_pending_ = publishes_ > 0;
    ++publishes_;
    audio_seen_ = false;
    video_seen_ = false;
    have_timestamp_ = false;
    floor_accepted_ = 0;
    floor_deviation_ = 0;
    last_activity_ms_ = now_ms;
    disposable_ = true;
    return {};
}

HlsDecision HlsSegmenter::on_frame(const HlsFrame& frame, std::int64_t now_ms) {
    HlsDecision decision;
    if (state_ != State::publishing || (frame.kind != FrameKind::audio && frame.kind != FrameKind::video)) {
        return decision;
    }
    const bool is_video = frame.kind == FrameKind::video;
    last_activity_ms_ = now_ms;  // SRS refreshes last_update_time on every audio/video message
    decision.write_frame = true;

    bool& media_seen = is_video ? video_seen_ : audio_seen_;
    if (frame.sequence_header) {
        // SRS on_sequence_header marks the current segment. Headers before any media of their
        // kind are the publish's own start, which the republish rule already covers.
        if (media_seen && current_) {
            current_->open.discontinuity = true;
        }
        return decision;
    }
    media_seen = true;

    const std::int64_t dts_ms = extend_timestamp(frame.timestamp_ms);
    if (!current_) {
        open_segment(now_ms);
        decision.open_segment = true;
        append_dts(dts_ms);
        return decision;
    }
    // SRS write_video/write_audio: the frame first extends the current segment, so the segment
    // it closes ends at this frame; then the frame starts the next one.
    append_dts(dts_ms);
    const bool cut = is_video ? reached(static_cast<double>(max_td_ms_)) && (!active_.wait_keyframe || frame.keyframe)
                              : reached(aof_threshold_ms_);
    if (cut) {
        close_segment(decision);
        open_segment(now_ms);
        decision.open_segment = true;
        append_dts(dts_ms);
    }
    return decision;
}

HlsDecision HlsSegmenter::on_unpublish() {
    HlsDecision decision;
    if (state_ == State::publishing && current_) {
        close_segment(decision);
    }
    state_ = State::idle;
    return decision;
}

HlsDecision HlsSegmenter::on_tick(std::int64_t now_ms) {
    // SRS SrsHls::cycle: nothing when disabled, before a publish, or within the timeout.
    if (active_.dispose_ms <= 0 || !disposable_ || now_ms - last_activity_ms_ <= active_.dispose_ms) {
        return {};
    }
    return dispose();
}

HlsDecision HlsSegmenter::dispose() {
    HlsDecision decision;
    if (current_) {
        closed_ = HlsClosedSegment{};
        closed_.seq = current_->open.seq;
        closed_.duration_ms = current_->open.duration_ms;
        closed_.temp_path = current_->open.temp_path;
        closed_.discontinuity = current_->open.discontinuity;
        current_.reset();
        decision.close_segment = true;
    }
    for (HlsSegment& segment : playlist_.take_all()) {
        files_to_delete_.push_back(std::move(segment.path));
    }
    if (!playlist_path_.empty()) {
        files_to_delete_.push_back(playlist_path_);
    }
    disposable_ = false;
    if (state_ == State::publishing) {
        state_ = State::disposed;
    }
    decision.files_to_delete = !files_to_delete_.empty();
    return decision;
}

void HlsSegmenter::abandon_segment() {
    if (current_) {
        current_->open.abandoned = true;
    }
}

void HlsSegmenter::open_segment(std::int64_t now_ms) {
    Current segment;
    segment.open.seq = next_seq_++;
    segment.open.discontinuity = discontinuity_pending_;
    discontinuity_pending_ = false;
    segment.time = hls_calendar_time(now_ms, active_.utc_time);
    if (active_.ts_floor) {
        // SRS generate_ts_filename: the piece number advances by exactly one per segment, starting
        // one behind the clock, and jumps back to the clock when it runs more than 20 ahead.
        const std::int64_t current_floor = now_ms / active_.fragment_ms;
        floor_accepted_ = floor_accepted_ == 0 ? current_floor - 1 : floor_accepted_ + 1;
        if (floor_accepted_ - current_floor > kFloorJumpPiecesMax) {
            floor_accepted_ = current_floor - 1;
        }
        floor_deviation_ = floor_accepted_ - current_floor;
        segment.floor_timestamp = floor_accepted_;
    }
    const RelativePath relative = normalize_relative(expand_hls_template(active_.ts_file, template_values(segment)));
    segment.open.temp_path = full_path(relative.text) + ".tmp";
    current_ = std::move(segment);
}

void HlsSegmenter::close_segment(HlsDecision& decision) {
    Current& segment = *current_;
    closed_ = HlsClosedSegment{};
    closed_.seq = segment.open.seq;
    closed_.duration_ms = segment.open.duration_ms;
    closed_.temp_path = segment.open.temp_path;
    closed_.discontinuity = segment.open.discontinuity;
    decision.close_segment = true;

    if (segment.open.abandoned) {
        // Its number is used again: a playlist's numbers must stay consecutive (RFC 8216
        // 6.2.2, a segment's number never changes), and the media between the two is missing.
        next_seq_ = segment.open.seq;
        discontinuity_pending_ = true;
        current_.reset();
        return;
    }
    if (segment.open.duration_ms < kKeepDurationMinMs) {
        next_seq_ = segment.open.seq;  // SRS: "reuse current segment index"
        current_.reset();
        return;
    }
    HlsTemplateValues values = template_values(segment);
    values.duration_ms = segment.open.duration_ms;
    const RelativePath relative = normalize_relative(expand_hls_template(active_.ts_file, values));
    closed_.final_path = full_path(relative.text);
    closed_.uri = segment_uri(relative.text);
    closed_.kept = true;
    current_.reset();

    playlist_.append(HlsSegment{closed_.seq, closed_.duration_ms, closed_.uri, closed_.final_path, closed_.discontinuity});
    for (HlsSegment& left : playlist_.trim(active_.window_ms)) {
        if (active_.cleanup) {
            files_to_delete_.push_back(std::move(left.path));
        }
    }
    decision.playlist_changed = true;
    decision.files_to_delete = !files_to_delete_.empty();
}

void HlsSegmenter::append_dts(std::int64_t dts_ms) {
    Current& segment = *current_;
    if (!segment.has_dts) {
        segment.has_dts = true;
        segment.start_dts_ms = dts_ms;
    }
    // SrsFragment::append: an earlier frame (audio interleaved behind video) moves the start.
    segment.start_dts_ms = std::min(segment.start_dts_ms, dts_ms);
    segment.open.duration_ms = dts_ms - segment.start_dts_ms;
}

std::int64_t HlsSegmenter::extend_timestamp(std::uint32_t timestamp_ms) {
    if (!have_timestamp_) {
        have_timestamp_ = true;
        last_timestamp_ms_ = timestamp_ms;
        last_dts_ms_ = timestamp_ms;
        return last_dts_ms_;
    }
    // Serial-number delta: a step across 2^32 is a small step forward, a real jump back stays one.
    last_dts_ms_ += static_cast<std::int32_t>(timestamp_ms - last_timestamp_ms_);
    last_timestamp_ms_ = timestamp_ms;
    return last_dts_ms_;
}

bool HlsSegmenter::reached(double threshold_ms) const {
    const std::int64_t duration_ms = current_->open.duration_ms;
    if (duration_ms < kCutDurationMinMs) {
        return false;
    }
    return static_cast<double>(duration_ms) >= threshold_ms + floor_shift_ms();
}

double HlsSegmenter::floor_shift_ms() const {
    if (!active_.ts_floor) {
        return 0;
    }
    return kFloorReapShare * static_cast<double>(floor_deviation_) * static_cast<double>(active_.fragment_ms);
}

HlsTemplateValues HlsSegmenter::template_values(const Current& segment) const {
    HlsTemplateValues values{name_.vhost, name_.app, name_.stream, {}, {}, {}, {}};
    values.seq = segment.open.seq;
    values.time = segment.time;
    values.timestamp_override = segment.floor_timestamp;
    return values;
}

std::string HlsSegmenter::full_path(std::string_view relative) const {
    std::string_view root = active_.path_root;
    while (root.size() > 1 && root.back() == '/') {
        root.remove_suffix(1);
    }
    std::string path(root);
    if (path != "/") {
        path.push_back('/');
    }
    path.append(relative);
    return path;
}

std::string HlsSegmenter::segment_uri(std::string_view relative) const {
    // SRS segment_open: entry prefix, then, only for a prefix without a trailing '/', a '/' and
    // the m3u8's directory; then the segment relative to the m3u8's directory.
    std::string uri = active_.entry_prefix;
    if (!uri.empty() && uri.back() != '/') {
        uri.push_back('/');
        if (!playlist_dir_url_.empty()) {
            uri.append(percent_encode_path(playlist_dir_url_));
            uri.push_back('/');
        }
    }
    uri.append(percent_encode_path(relative_to(playlist_dir_url_, relative)));
    return uri;
}

}  // namespace ringcast::media
