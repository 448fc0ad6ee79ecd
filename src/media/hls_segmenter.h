#pragma once
// HlsSegmenter: SRS's HLS decisions (srs_app_hls.cpp SrsHls / SrsHlsController / SrsHlsMuxer,
// srs_app_fragment.cpp, SRS 7) as pure logic: when a TS segment starts and ends, what its files
// are called, what the m3u8 says, which files to delete. No I/O, no TS bytes, no clock: the
// caller passes frame timestamps and the wall clock. The TS muxer writes the bytes and the
// integrator does the file work through io_uring on the stream's owner shard.
//
// Per frame (on_frame), with SRS's rules:
//   - a segment's duration is the DTS of its latest frame minus its earliest (SrsFragment::append),
//     and the frame that starts the next segment is counted first, so a finished segment spans
//     from its first frame to the next segment's first frame (or to the last frame, at unpublish);
//   - a video frame cuts when the segment reached hls_fragment * hls_td_ratio (SRS 7's max_td: the
//     ratio stretches the cut point itself, not only the target duration) and, with
//     hls_wait_keyframe on, the frame is a keyframe;
//   - an audio frame cuts when the segment reached hls_fragment * hls_aof_ratio, whatever the
//     stream (SRS applies this "absolute overflow" to every audio frame: it is what cuts pure
//     audio, and it also bounds the segments of an A/V stream whose GOP is longer than that);
//   - no cut below 200 ms (2 * SRS_HLS_SEGMENT_MIN_DURATION); a segment under 100 ms at its close
//     is dropped and its sequence number reused (only possible at unpublish or dispose here);
//   - hls_ts_floor: [timestamp] is the piece number floor(now / hls_fragment), kept increasing by
//     one, and both thresholds move by 0.3 * deviation * hls_fragment (SRS's "N% deviation").
// Sequence headers cut nothing; they go to the muxer (write_frame). Script data is not HLS.
//
// Per publish: the sequence continues across publishes of the same segmenter, and the first
// segment of every publish after the first is marked EXT-X-DISCONTINUITY. A sequence header that
// arrives after media of its kind in the same publish (a codec change) marks the current segment
// as SRS does. Differences from SRS are listed at the end of this file.
//
// Files: every segment is written to `temp_path` (path + ".tmp") and renamed to `final_path` when
// it closes, so a player never fetches a partial segment (SrsFragment::tmppath/rename). The
// playlist is rewritten (tmp file + rename, the integrator's job) after every segment close; the
// segments that left the window are deleted after that rewrite (SRS: shrink, refresh_m3u8, then
// clear_expired), so a listed segment is never missing.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "media/frame.h"
#include "media/hls_playlist.h"

namespace ringcast::media {

/// The `hls { }` directives of a vhost, already parsed and converted by the config layer.
/// Defaults are SRS's.
struct HlsSettings {
    std::string path_root = "./objs/nginx/html";      // hls_path
    std::string m3u8_file = "[app]/[stream].m3u8";    // hls_m3u8_file: [vhost] [app] [stream]
    std::string ts_file = "[app]/[stream]-[seq].ts";  // hls_ts_file: also [seq] [timestamp] [duration] and dates
    std::string entry_prefix;                         // hls_entry_prefix
    std::int64_t fragment_ms = 10'000;                // hls_fragment (seconds, may be fractional)
    double td_ratio = 1.0;                            // hls_td_ratio
    double aof_ratio = 2.1;                           // hls_aof_ratio
    std::int64_t window_ms = 60'000;                  // hls_window
    bool wait_keyframe = true;                        // hls_wait_keyframe
    bool ts_floor = false;                            // hls_ts_floor
    bool cleanup = true;                              // hls_cleanup
    std::int64_t dispose_ms = 120'000;                // hls_dispose; 0 disables
    bool utc_time = false;                            // the top-level utc_time: date variables in UTC
    std::size_t playlist_segments_max = HlsPlaylist::kSegmentsMaxDefault;  // ours, see HlsPlaylist
};

/// Errc::invalid when a value cannot work (fragment_ms <= 0, a ratio <= 0 or not finite,
/// window_ms or dispose_ms < 0, an empty template). The config layer should reject these at
/// file:line first; on_publish() checks again so the segmenter never divides by zero.
core::Status validate_hls_settings(const HlsSettings& settings);

struct HlsStreamName {
    std::string vhost;  // as SRS: "__defaultVhost__" for the default vhost
    std::string app;
    std::string stream;
};

/// Broken-down wall-clock time for the date variables of hls_ts_file.
struct HlsCalendarTime {
    int year = 1970;  // [2006]
    int month = 1;    // [01], 1-12
    int day = 1;      // [02]
    int hour = 0;     // [15]
    int minute = 0;   // [04]
    int second = 0;   // [05]
    int millisecond = 0;  // [999]
    std::int64_t unix_ms = 0;  // [timestamp]
};

/// unix_ms in local time (localtime_r, SRS's default) or UTC (gmtime_r, SRS's `utc_time on`).
/// localtime_r reads the zone file once per process; the server calls tzset() at startup so
/// that read never happens on a shard thread.
HlsCalendarTime hls_calendar_time(std::int64_t unix_ms, bool utc);

/// What the variables of a template expand to; a variable without a value stays as written.
struct HlsTemplateValues {
    std::string_view vhost;
    std::string_view app;
    std::string_view stream;
    std::optional<std::uint64_t> seq;                // [seq]
    std::optional<HlsCalendarTime> time;             // [2006] [01] [02] [15] [04] [05] [999] [timestamp]
    std::optional<std::int64_t> timestamp_override;  // [timestamp] instead of time->unix_ms (hls_ts_floor)
    std::optional<std::int64_t> duration_ms;         // [duration]
};

/// SRS's srs_path_build_stream + srs_path_build_timestamp + the [seq] and [duration]
/// replacements, in one pass: inserted values are never scanned again, so a stream named
/// "[seq]" stays "[seq]" (SRS replaces in sequence and would expand it). Unknown "[...]" text
/// is kept. Formats as SRS: %04d year, %02d month/day/hour/minute/second, %03d millisecond,
/// decimal seq, [timestamp] and [duration] in ms.
std::string expand_hls_template(std::string_view template_text, const HlsTemplateValues& values);

/// A frame as the segmenter needs it. `timestamp_ms` is the DTS after jitter correction (what
/// players get); 32-bit wrap is handled.
struct HlsFrame {
    FrameKind kind = FrameKind::data;
    bool keyframe = false;
    bool sequence_header = false;
    std::uint32_t timestamp_ms = 0;
};

inline HlsFrame hls_frame_of(const MediaFrame& frame) {
    return {frame.kind, frame.flags.keyframe, frame.flags.sequence_header, frame.timestamp_ms};
}

/// What to do, in this order (each step only when its flag is set):
///   1. close_segment: flush the muxer and close the file of closed_segment(); then, if
///      closed_segment().kept, rename temp_path to final_path, else unlink temp_path.
///   2. playlist_changed: write playlist_text() to playlist_path() (tmp file + rename), after the
///      rename of step 1 completed (the playlist lists the renamed file).
///   3. files_to_delete: take_files_to_delete() and unlink them after step 2 completed (ENOENT
///      is fine: a file may never have been written).
///   4. open_segment: open current_segment()->temp_path (creating its directories) and start a
///      new TS segment in the muxer (PAT/PMT, codec config).
///   5. write_frame: hand the frame to the muxer. A sequence header only updates the muxer's
///      codec state; every other frame goes into current_segment().
struct HlsDecision {
    bool close_segment = false;
    bool playlist_changed = false;
    bool files_to_delete = false;
    bool open_segment = false;
    bool write_frame = false;
};

/// The segment being written.
struct HlsOpenSegment {
    std::uint64_t seq = 0;
    std::string temp_path;  // write here; "[duration]" in hls_ts_file is still literal in it
    std::int64_t duration_ms = 0;  // so far
    bool discontinuity = false;
    bool abandoned = false;  // abandon_segment(): its bytes are not wanted, it will not be kept
};

/// The segment that the last decision with close_segment ended.
struct HlsClosedSegment {
    std::uint64_t seq = 0;
    std::int64_t duration_ms = 0;
    std::string temp_path;
    std::string final_path;  // rename target (with [duration]); valid when kept
    std::string uri;         // its playlist line; for the on_hls hook (SRS's ts_url)
    bool discontinuity = false;
    /// false: shorter than 100 ms (SRS drops it, and its seq is used again), dropped by a
    /// dispose, or abandoned (abandon_segment, seq used again too); delete temp_path.
    bool kept = false;
};

/// One stream's HLS state: the open segment, the window, the sequence counter, the dispose
/// timer. Owned by the stream's owner shard (with the stream, across publishes, as SRS keeps
/// SrsHls with the source); not thread-safe. Lives as long as the stream's HLS output should
/// continue its sequence; a new segmenter starts again at sequence 0.
class HlsSegmenter {
public:
    explicit HlsSegmenter(HlsSettings settings) : settings_(std::move(settings)) {}

    /// Settings for the next on_publish() (a reload: SRS re-reads them at every publish and
    /// reloads HLS by unpublish + publish). The current publish keeps the ones it started with.
    void set_settings(HlsSettings settings) { settings_ = std::move(settings); }

    /// A publisher started. Computes and checks the paths: Errc::invalid when the settings are
    /// unusable, a name holds a control character (it would inject lines into the m3u8), or the
    /// expanded m3u8 or ts path has a ".." component (a stream named "../x" must not write
    /// outside hls_path). On error the segmenter stays idle and ignores frames: the integrator
    /// logs it and publishes without HLS (SRS's hls_on_error decides the rest). A second call
    /// while publishing is ignored (SRS: "support multiple publish"). No segment is opened
    /// until the first audio or video frame.
    core::Status on_publish(const HlsStreamName& name, std::int64_t now_ms);

    /// One frame of the publish, in order. now_ms is CLOCK_REALTIME in ms: it names a new
    /// segment's file and feeds the dispose timer. Nothing is decided (all false) when not
    /// publishing or for script data. Never fails, never throws (beyond allocation).
    HlsDecision on_frame(const HlsFrame& frame, std::int64_t now_ms);

    /// The publisher left: the current segment closes (kept if >= 100 ms) and the playlist is
    /// rewritten, without EXT-X-ENDLIST (SRS). No-op when not publishing.
    HlsDecision on_unpublish();

    /// Call periodically, about once a second (SRS checks from its source cycle). When hls_dispose
    /// is on and more than dispose_ms passed since the last publish or audio/video frame,
    /// disposes (see dispose()), once per publish. A stalled publisher counts too: its later
    /// frames are ignored until it publishes again, as in SRS.
    HlsDecision on_tick(std::int64_t now_ms);

    /// Drops the segment being written (hls_on_error: the disk fell behind or a write failed):
    /// its close says kept = false, so it never enters the playlist and its temp file is
    /// deleted; its sequence number goes to the next segment (numbers in a playlist are
    /// consecutive), which starts with EXT-X-DISCONTINUITY because the media between is missing. Frames still extend it
    /// (and cut it) as usual, so the next segment starts where it would have. No-op without an
    /// open segment.
    void abandon_segment();

    /// Removes the HLS output: every segment in the window, the current one (discarded) and the
    /// playlist go to the delete list, the window empties; the sequence continues. SRS does this
    /// on hls_dispose and on server stop (only when hls_dispose is not 0).
    HlsDecision dispose();

    [[nodiscard]] bool publishing() const { return state_ == State::publishing; }
    /// hls_path + m3u8 (known after a successful on_publish); what to write and dispose deletes.
    [[nodiscard]] const std::string& playlist_path() const { return playlist_path_; }
    /// The m3u8 path relative to hls_path (SRS's m3u8_url, for the on_hls hook).
    [[nodiscard]] const std::string& playlist_url() const { return playlist_url_; }
    /// The m3u8 text of the current window; empty (write nothing) when the window is empty.
    [[nodiscard]] std::string playlist_text() const { return playlist_.render(target_duration_min_ms()); }
    [[nodiscard]] const HlsPlaylist& playlist() const { return playlist_; }
    /// The segment being written, or nullptr.
    [[nodiscard]] const HlsOpenSegment* current_segment() const { return current_ ? &current_->open : nullptr; }
    [[nodiscard]] const HlsClosedSegment& closed_segment() const { return closed_; }
    /// Files to unlink, in order; drained by the call. Drain it after every decision that says
    /// files_to_delete (at most the segments that left the window, or one dispose's worth).
    [[nodiscard]] std::vector<std::string> take_files_to_delete() { return std::exchange(files_to_delete_, {}); }
    /// The sequence number the next segment gets.
    [[nodiscard]] std::uint64_t next_seq() const { return next_seq_; }
    /// hls_ts_floor's deviation in pieces (0 when off), for the log line SRS prints.
    [[nodiscard]] std::int64_t floor_deviation() const { return active_.ts_floor ? floor_deviation_ : 0; }
    [[nodiscard]] const HlsSettings& settings() const { return settings_; }

private:
    enum class State : std::uint8_t {
        idle,        // never published, unpublished, or on_publish failed
        publishing,
        disposed,    // disposed while publishing: frames ignored until the next publish (SRS)
    };

    struct Current {
        HlsOpenSegment open;
        bool has_dts = false;
        std::int64_t start_dts_ms = 0;
        // What re-expands hls_ts_file with [duration] at the close.
        HlsCalendarTime time;
        std::optional<std::int64_t> floor_timestamp;
    };

    void open_segment(std::int64_t now_ms);
    void close_segment(HlsDecision& decision);
    /// SrsFragment::append: the earliest DTS is the start; duration = this DTS - start.
    void append_dts(std::int64_t dts_ms);
    /// 32-bit RTMP time to a continuous 64-bit one (serial-number delta from the previous frame).
    std::int64_t extend_timestamp(std::uint32_t timestamp_ms);
    [[nodiscard]] bool reached(double threshold_ms) const;
    [[nodiscard]] double floor_shift_ms() const;
    [[nodiscard]] std::int64_t target_duration_min_ms() const { return max_td_ms_; }
    [[nodiscard]] HlsTemplateValues template_values(const Current& segment) const;
    /// hls_path + a path relative to it.
    [[nodiscard]] std::string full_path(std::string_view relative) const;
    /// The playlist line of a segment at `relative` (to hls_path).
    [[nodiscard]] std::string segment_uri(std::string_view relative) const;

    HlsSettings settings_;          // for the next publish
    HlsSettings active_;            // the current (or last) publish's
    State state_ = State::idle;
    HlsStreamName name_;
    std::string playlist_url_;      // m3u8 relative to hls_path
    std::string playlist_path_;
    std::string playlist_dir_url_;  // directory part of playlist_url_ ("" at the root)
    std::int64_t max_td_ms_ = 0;    // hls_fragment * hls_td_ratio (SRS max_td)
    double aof_threshold_ms_ = 0;   // hls_fragment * hls_aof_ratio

    HlsPlaylist playlist_{settings_.playlist_segments_max};
    std::optional<Current> current_;
    HlsClosedSegment closed_;
    std::vector<std::string> files_to_delete_;

    std::uint64_t next_seq_ = 0;
    std::uint64_t publishes_ = 0;
    bool discontinuity_pending_ = false;  // the next segment opened starts a republish
    bool audio_seen_ = false;             // media (not a sequence header) of this kind in this publish
    bool video_seen_ = false;
    bool have_timestamp_ = false;
    std::uint32_t last_timestamp_ms_ = 0;
    std::int64_t last_dts_ms_ = 0;

    // hls_ts_floor (SRS accept_floor_ts / deviation_ts), reset per publish.
    std::int64_t floor_accepted_ = 0;
    std::int64_t floor_deviation_ = 0;

    // hls_dispose (SRS last_update_time / disposable).
    std::int64_t last_activity_ms_ = 0;
    bool disposable_ = false;
};

// Differences from SRS 7, on purpose:
//   - Segments open at the first audio/video frame, not at publish, so there is never an empty
//     segment file and its name carries the time of its first frame.
//   - The first segment of the first publish has no EXT-X-DISCONTINUITY (SRS marks it, because
//     the first sequence headers arrive after its segment_open; a discontinuity before the
//     first segment means nothing). Republish and codec changes are marked as in SRS.
//   - No upper bound drops long segments: SRS 7's check (duration <= max_td * 3 * 1000, in
//     microseconds on both sides) never fires, so we keep its effective behaviour.
//   - Paths: ".." and control characters are rejected; the playlist URI of a segment is its
//     path relative to the m3u8's directory ("../" when needed; SRS strips a string prefix and
//     falls back to the full path), percent-encoded outside RFC 3986 path characters, so a name
//     with a space or '#' still gives a valid URI line. Ordinary names are unchanged.
//   - Template variables expand in one pass (see expand_hls_template).
//   - Timestamps are unwrapped past 2^32 ms; SRS compares raw values.
// Not here: the AAC DTS guessing of hls_dts_directly off, pure-audio PES aggregation, codec
// filtering (SRS feeds HLS only AAC/MP3 audio and H.264/H.265 video, and skips video info
// frames: the integrator must not pass other frames, or they would count in durations),
// hls_keys, fmp4, hls_recover, hls_nb_notify.

}  // namespace ringcast::media
