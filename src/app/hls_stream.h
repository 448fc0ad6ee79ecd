#pragma once
// HLS output of one stream, on the stream's owner shard (DESIGN.md section 3: the owner runs the
// stream's HLS). Frames come in once, after jitter correction; files go out through io_uring
// (DESIGN.md: files through io_uring, never a blocking syscall on a shard):
//
//   owner_deliver -> HlsStream::on_frame -> filter (H.264/H.265 video, AAC/MP3 audio; repeated
//   identical sequence headers dropped) -> media::HlsSegmenter (SRS's decisions) ->
//   media::TsMuxer (TS bytes, gathered per segment) -> HlsFileWriter (the file steps, in order).
//
// HlsFileWriter runs one stream's file operations strictly in the order they were asked for,
// one io_uring operation in flight at a time: a segment is opened (its directories made on
// ENOENT), written in chunks of kWriteChunkBytes, closed and renamed from its temp name; the
// playlist is written to a temp file and renamed over the old one; expired files are unlinked.
// That order is what the segmenter's contract needs (a renamed segment before the playlist that
// lists it, the playlist before the deletes), and a per-stream serial queue gives it without
// locks or fsync. Different streams' writers run concurrently on the same ring.
//
// Bounded: the bytes and operations waiting for the disk are capped per stream
// (kQueuedBytesMax, kQueuedOpsMax). Past the cap the segment being written is dropped (its
// queued writes freed, its temp file deleted, the next segment marked EXT-X-DISCONTINUITY), one
// log line per segment, and hls_on_error decides what follows: `continue` tries the next
// segment, `ignore` stops HLS for the rest of the publish; `disconnect` does the same as
// ignore (ringcast cannot yet close a publisher from the owner shard). A failed open or write
// of the current segment is handled the same way.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/config.h"
#include "core/buffer.h"
#include "media/frame.h"
#include "media/hls_segmenter.h"
#include "media/ts_muxer.h"
#include "uring/completion.h"
#include "uring/reactor.h"

namespace ringcast::app {

/// The segmenter's settings from a vhost's hls block.
media::HlsSettings hls_settings_of(const HlsConfig& config);

/// Which file step failed (for the log line and the error policy).
enum class HlsFileStep : std::uint8_t { open_segment, write_segment, finish_segment, unlink, write_playlist };
const char* hls_file_step_name(HlsFileStep step);

struct HlsFileWriterStats {
    std::uint64_t operations = 0;  // operations finished (skipped ones included)
    std::uint64_t submits = 0;     // SQEs
    std::uint64_t bytes_written = 0;
    std::uint64_t errors = 0;
    std::uint64_t dropped_writes = 0;  // segment writes freed by drop_segment_writes
};

/// One stream's serial file-operation queue on its owner shard's ring. Owned by an HlsStream;
/// the Reactor (and its Ring) outlive it.
///
/// Lifetime (completion.h): it must not be destroyed while an operation is in flight (idle()
/// is false) if the ring will be reaped again, because the CQE names its Completion. The one
/// exception is shard teardown, after the reactor's last turn: then no CQE is ever dispatched,
/// paths were copied by the kernel at submission (openat, renameat, unlinkat and mkdirat import
/// them when the SQE is prepared) and a write still running reads freed memory at worst into a
/// file that is being abandoned; it cannot touch this process's memory.
class HlsFileWriter {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        /// An operation failed with errno `error`. Called after the failed operation left the
        /// queue; the listener may queue or drop operations from here.
        virtual void on_file_error(HlsFileStep step, std::uint64_t seq, const std::string& path, int error) = 0;
    };

    /// A short write is resumed; a pwrite of more than this is split (the SQE length is 32-bit).
    static constexpr std::size_t kWriteBytesMax = 1u << 20;
    /// How long to wait before trying again when the ring has no free SQE (rare: get_sqe submits
    /// first when the submission queue is full).
    static constexpr std::uint64_t kSubmitRetryMs = 5;
    /// A finished write's buffer is kept for reuse only up to this capacity.
    static constexpr std::size_t kSpareBytesMax = 1u << 20;

    HlsFileWriter(uring::Reactor& reactor, Listener& listener);
    ~HlsFileWriter();
    HlsFileWriter(const HlsFileWriter&) = delete;
    HlsFileWriter& operator=(const HlsFileWriter&) = delete;

    /// Creates (or truncates) `temp_path` for segment `seq`, making its directories when they
    /// are missing. The writer holds one segment file at a time: the next open_segment comes
    /// after finish_segment of the previous one.
    void open_segment(std::uint64_t seq, std::string temp_path);
    /// Appends bytes to the open segment `seq`; skipped when that segment failed to open.
    void write_segment(std::uint64_t seq, std::vector<std::uint8_t> bytes);
    /// Closes segment `seq`; then renames temp_path to final_path, or unlinks temp_path when
    /// final_path is empty (a segment that is not kept).
    void finish_segment(std::uint64_t seq, std::string temp_path, std::string final_path);
    /// Unlinks a file; ENOENT is not an error (it may never have been written).
    void unlink(std::string path);
    /// Writes `text` to path + ".tmp" and renames it over `path` (players never read a partial
    /// playlist). When the last queued operation is a not-yet-started write of the same file, its
    /// text is replaced instead: a slow disk writes the newest playlist once, and the order of
    /// renames, playlist and deletes is kept because nothing was queued after it.
    void write_file(std::string path, std::string text);
    /// Frees the queued (not started) writes of segment `seq`; returns the bytes freed.
    std::size_t drop_segment_writes(std::uint64_t seq);

    /// A cleared byte vector with capacity, recycled from a finished write (or an empty one), so
    /// a steady stream does not allocate a new chunk buffer every kWriteChunkBytes.
    std::vector<std::uint8_t> take_spare_buffer() { return std::exchange(spare_, {}); }

    /// Bytes in queued and in-flight operations.
    [[nodiscard]] std::size_t queued_bytes() const { return queued_bytes_; }
    /// Operations queued, plus the one in progress.
    [[nodiscard]] std::size_t queued_ops() const { return queue_.size() + (current_ ? 1 : 0); }
    /// Nothing queued, nothing in flight, no segment file open.
    [[nodiscard]] bool idle() const { return !current_ && queue_.empty() && segment_fd_ < 0; }
    [[nodiscard]] const HlsFileWriterStats& stats() const { return stats_; }

private:
    enum class Kind : std::uint8_t { open_segment, write_segment, finish_segment, unlink, write_file };
    /// The SQE the current operation is waiting for.
    enum class Stage : std::uint8_t { open, mkdir, write, close, rename, unlink, done };

    struct Op {
        Kind kind = Kind::unlink;
        std::uint64_t seq = 0;
        std::string path;    // the file opened / unlinked; write_file: the temp file
        std::string target;  // rename target (finish_segment: final path; write_file: the playlist)
        std::vector<std::uint8_t> bytes;  // write_segment
        std::string text;                 // write_file
        bool dropped = false;             // drop_segment_writes: finishes without an SQE
        // Progress of the operation in flight.
        Stage stage = Stage::done;
        std::size_t written_bytes = 0;
        int fd = -1;  // write_file's own descriptor
        std::vector<std::string> dirs;  // mkdir -p, shallowest first (only after ENOENT)
        std::size_t dir_index = 0;
        bool dirs_made = false;
        int error = 0;  // the first errno, reported when the operation ends
    };

    void push(Op op);
    /// Starts operations until one has an SQE in flight or the queue is empty.
    void pump();
    void begin(Op& op);
    bool submit(Op& op);
    void on_done(std::int32_t res, std::uint32_t flags);
    void advance(Op& op, std::int32_t res);
    void after_open(Op& op, std::int32_t res);
    void after_write(Op& op, std::int32_t res);
    void fail(Op& op, int error, Stage next);
    void finish_current();
    void on_retry();
    [[nodiscard]] static std::size_t payload_bytes(const Op& op) { return op.bytes.size() + op.text.size(); }

    uring::Reactor& reactor_;
    Listener& listener_;
    std::deque<Op> queue_;
    /// The operation in progress lives here, not in the queue: the kernel holds pointers into it
    /// while an SQE is in flight, so it must not move.
    std::optional<Op> current_;
    bool in_flight_ = false;
    bool pumping_ = false;
    uring::Completion done_;
    uring::Timer retry_;
    std::size_t queued_bytes_ = 0;
    // The segment file (one at a time, see open_segment).
    int segment_fd_ = -1;
    std::uint64_t segment_seq_ = 0;
    bool segment_failed_ = true;  // no usable segment file: its writes are skipped
    std::uint64_t segment_offset_ = 0;
    std::vector<std::uint8_t> spare_;
    HlsFileWriterStats stats_;
};

struct HlsStreamStats {
    std::uint64_t publishes = 0;
    std::uint64_t segments_kept = 0;
    std::uint64_t segments_dropped = 0;  // hls_on_error: disk behind or a failed write
    std::uint64_t frames_muxed = 0;
    std::uint64_t frames_filtered = 0;  // codecs HLS does not carry, info frames, repeated headers
    std::uint64_t mux_errors = 0;
    std::uint64_t file_errors = 0;
};

/// One stream's HLS output. Owned by the StreamRegistry of the stream's owner shard, kept per
/// stream key across publishes (so a republish continues the sequence numbers with
/// EXT-X-DISCONTINUITY, as SRS keeps SrsHls with the source); the Reactor outlives it. Not
/// thread-safe. Frames, publish and unpublish come from the registry; a 1 s timer runs
/// hls_dispose. May be freed only when idle() (see HlsFileWriter's lifetime note).
class HlsStream final : private HlsFileWriter::Listener {
public:
    /// TS bytes are handed to the writer in pieces of this size (fewer, larger pwrites).
    static constexpr std::size_t kWriteChunkBytes = 128 * 1024;
    /// Bytes waiting for the disk past which the current segment is dropped: about a minute of a
    /// 2 Mbps stream, far more than a healthy disk ever lets pile up.
    static constexpr std::size_t kQueuedBytesMax = 16u << 20;
    /// File operations waiting past which the current segment is dropped. After such a drop a
    /// new segment starts only below half of both bounds, so a stuck disk is given room instead
    /// of an open and a drop every segment.
    static constexpr std::size_t kQueuedOpsMax = 1024;
    static constexpr std::uint64_t kTickMs = 1000;  // SRS checks hls_dispose from its 1 s cycle

    /// `key` is "vhost/app/stream".
    HlsStream(uring::Reactor& reactor, std::string key);
    ~HlsStream() override;
    HlsStream(const HlsStream&) = delete;
    HlsStream& operator=(const HlsStream&) = delete;

    /// A publisher started; `config` is the vhost's hls block now (it may have changed since the
    /// last publish). Logs and stays off for this publish when the paths are unusable.
    void on_publish(const HlsConfig& config);
    /// One frame of the publish, timestamps corrected. Never throws (beyond allocation).
    void on_frame(const media::MediaFrame& frame);
    /// The publisher left: the segment closes (kept if long enough), the playlist is rewritten.
    void on_unpublish();
    /// Server stop: as on_unpublish, then, with hls_dispose, the files are removed (SRS). Later
    /// calls are ignored; the owner then waits for idle().
    void stop();

    /// Between on_publish and on_unpublish (or stop), whether or not files are being written:
    /// the registry holds a pointer to it meanwhile and must not free it.
    [[nodiscard]] bool publishing() const { return publishing_; }
    [[nodiscard]] bool idle() const { return writer_.idle(); }
    [[nodiscard]] const std::string& key() const { return key_; }
    [[nodiscard]] const HlsStreamStats& stats() const { return stats_; }
    [[nodiscard]] const HlsFileWriter& writer() const { return writer_; }
    [[nodiscard]] std::int64_t last_active_ms() const { return last_active_ms_; }

private:
    /// Whether HLS carries this frame (SRS feeds HLS only these): H.264/H.265 video coded frames
    /// and sequence headers, AAC/MP3 audio frames and AAC sequence headers; an identical repeat
    /// of the last sequence header of its kind is dropped.
    bool accept(const media::MediaFrame& frame);
    void apply(const media::HlsDecision& decision, const media::MediaFrame* frame);
    void close_segment();
    void open_segment();
    void write_frame(const media::MediaFrame& frame);
    /// Moves the gathered TS bytes into a write of the current segment.
    void flush_bytes();
    /// Past the bounds, or past half of them when `resuming` (see kQueuedOpsMax).
    [[nodiscard]] bool backlogged(bool resuming) const;
    [[nodiscard]] bool writing_segment() const { return segment_opened_ && !segment_dropped_; }
    /// hls_on_error: drops the current segment; `ignore`/`disconnect` then stop this publish.
    void drop_segment(const std::string& reason, bool backlog);
    void disable_publish();
    void arm_tick();
    void on_tick();
    void on_file_error(HlsFileStep step, std::uint64_t seq, const std::string& path, int error) override;

    uring::Reactor& reactor_;
    std::string key_;
    media::HlsStreamName name_;
    HlsConfig config_;
    media::HlsSegmenter segmenter_;
    std::optional<media::TsMuxer> muxer_;  // a fresh one per publish: the codecs may change
    HlsFileWriter writer_;
    std::vector<std::uint8_t> bytes_;    // TS bytes of the current segment not yet given to the writer
    std::vector<std::uint8_t> discard_;  // output of frames whose segment is not written
    std::uint64_t segment_seq_ = 0;
    bool segment_opened_ = false;   // an open was queued for the segmenter's current segment
    bool segment_dropped_ = false;  // ... and it was dropped since (hls_on_error)
    bool backlog_dropped_ = false;  // the last segment was dropped because the disk was behind
    bool disable_pending_ = false;  // hls_on_error ignore/disconnect: stop after this step
    bool disabled_ = false;         // until the next publish
    bool stopped_ = false;
    bool publishing_ = false;
    core::Buffer video_header_;  // the last sequence header of each kind, to drop repeats
    core::Buffer audio_header_;
    uring::Timer tick_;
    std::int64_t last_active_ms_ = 0;  // monotonic, for the registry's eviction of idle outputs
    HlsStreamStats stats_;
};

}  // namespace ringcast::app
