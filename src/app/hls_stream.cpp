// HLS output of one stream: see hls_stream.h. The file steps follow HlsSegmenter's contract
// (hls_segmenter.h, HlsDecision), which is SRS's order in srs_app_hls.cpp: segment close and
// rename, playlist rewrite (temp + rename), deletes, then the next segment.
#include "app/hls_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/log.h"
#include "media/codec_config.h"
#include "uring/file_io.h"

namespace ringcast::app {

namespace {

constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;

/// The directories above `path`, shallowest first, for mkdir -p ("." and ".." are not made).
std::vector<std::string> parent_dirs(const std::string& path) {
    std::vector<std::string> dirs;
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        const std::string_view dir(path.data(), slash);
        const std::size_t last_slash = dir.rfind('/');
        const std::string_view last = last_slash == std::string_view::npos ? dir : dir.substr(last_slash + 1);
        if (last.empty() || last == "." || last == "..") {
            continue;
        }
        dirs.emplace_back(dir);
    }
    return dirs;
}

const char* on_error_name(HlsOnError on_error) {
    switch (on_error) {
    case HlsOnError::ignore: return "ignore";
    case HlsOnError::disconnect: return "disconnect";
    case HlsOnError::continue_: return "continue";
    }
    return "continue";
}

bool same_bytes(const core::Buffer& a, const core::Buffer& b) {
    return a.size() == b.size() && std::equal(a.span().begin(), a.span().end(), b.span().begin());
}

}  // namespace

media::HlsSettings hls_settings_of(const HlsConfig& config) {
    media::HlsSettings settings;
    settings.path_root = config.path;
    settings.m3u8_file = config.m3u8_file;
    settings.ts_file = config.ts_file;
    settings.entry_prefix = config.entry_prefix;
    settings.fragment_ms = config.fragment_ms;
    settings.td_ratio = config.td_ratio;
    settings.aof_ratio = config.aof_ratio;
    settings.window_ms = config.window_ms;
    settings.wait_keyframe = config.wait_keyframe;
    settings.ts_floor = config.ts_floor;
    settings.cleanup = config.cleanup;
    settings.dispose_ms = config.dispose_ms;
    settings.utc_time = false;  // the top-level utc_time is not implemented yet
    return settings;
}

const char* hls_file_step_name(HlsFileStep step) {
    switch (step) {
    case HlsFileStep::open_segment: return "open segment";
    case HlsFileStep::write_segment: return "write segment";
    case HlsFileStep::finish_segment: return "close/rename segment";
    case HlsFileStep::unlink: return "unlink";
    case HlsFileStep::write_playlist: return "write playlist";
    }
    return "file step";
}

// ---- HlsFileWriter --------------------------------------------------------------------------

HlsFileWriter::HlsFileWriter(uring::Reactor& reactor, Listener& listener) : reactor_(reactor), listener_(listener) {
    done_.bind<&HlsFileWriter::on_done>(this);
    retry_.bind<&HlsFileWriter::on_retry>(this);
}

HlsFileWriter::~HlsFileWriter() {
    if (retry_.armed()) {
        reactor_.cancel(retry_);
    }
    // Only at shard teardown can a descriptor still be open here (the owner frees a writer only
    // when idle() otherwise). The reactor will not turn again to close it through the ring, and
    // closing a file descriptor does not wait for the disk.
    if (segment_fd_ >= 0) {
        ::close(segment_fd_);
    }
    if (current_ && current_->fd >= 0) {
        ::close(current_->fd);
    }
}

void HlsFileWriter::open_segment(std::uint64_t seq, std::string temp_path) {
    Op op;
    op.kind = Kind::open_segment;
    op.seq = seq;
    op.path = std::move(temp_path);
    push(std::move(op));
}

void HlsFileWriter::write_segment(std::uint64_t seq, std::vector<std::uint8_t> bytes) {
    if (bytes.empty()) {
        return;
    }
    Op op;
    op.kind = Kind::write_segment;
    op.seq = seq;
    op.bytes = std::move(bytes);
    push(std::move(op));
}

void HlsFileWriter::finish_segment(std::uint64_t seq, std::string temp_path, std::string final_path) {
    Op op;
    op.kind = Kind::finish_segment;
    op.seq = seq;
    op.path = std::move(temp_path);
    op.target = std::move(final_path);
    push(std::move(op));
}

void HlsFileWriter::unlink(std::string path) {
    Op op;
    op.kind = Kind::unlink;
    op.path = std::move(path);
    push(std::move(op));
}

void HlsFileWriter::write_file(std::string path, std::string text) {
    if (!queue_.empty() && queue_.back().kind == Kind::write_file && queue_.back().target == path) {
        Op& queued = queue_.back();
        queued_bytes_ = queued_bytes_ - queued.text.size() + text.size();
        queued.text = std::move(text);
        return;
    }
    Op op;
    op.kind = Kind::write_file;
    op.path = path + ".tmp";
    op.target = std::move(path);
    op.text = std::move(text);
    push(std::move(op));
}

std::size_t HlsFileWriter::drop_segment_writes(std::uint64_t seq) {
    // The operation in progress is in current_, not in queue_: erasing here moves nothing the
    // kernel is reading.
    std::size_t freed = 0;
    const auto dropped = std::erase_if(queue_, [&](const Op& op) {
        if (op.kind != Kind::write_segment || op.seq != seq) {
            return false;
        }
        freed += op.bytes.size();
        return true;
    });
    queued_bytes_ -= freed;
    stats_.dropped_writes += dropped;
    return freed;
}

void HlsFileWriter::push(Op op) {
    queued_bytes_ += payload_bytes(op);
    queue_.push_back(std::move(op));
    pump();
}

void HlsFileWriter::pump() {
    // A listener callback (from finish_current) may queue more operations: they wait for this loop.
    if (pumping_) {
        return;
    }
    pumping_ = true;
    while (!in_flight_ && !retry_.armed()) {
        if (!current_) {
            if (queue_.empty()) {
                break;
            }
            current_.emplace(std::move(queue_.front()));
            queue_.pop_front();
            begin(*current_);
        }
        if (current_->stage == Stage::done) {
            finish_current();
            continue;
        }
        if (!submit(*current_)) {
            reactor_.arm(retry_, kSubmitRetryMs);
            break;
        }
        in_flight_ = true;
    }
    pumping_ = false;
}

void HlsFileWriter::begin(Op& op) {
    switch (op.kind) {
    case Kind::open_segment:
        segment_seq_ = op.seq;
        segment_failed_ = true;  // until the open succeeds
        segment_offset_ = 0;
        op.stage = Stage::open;
        break;
    case Kind::write_segment:
        // A segment that failed to open (or to write) has been reported; its bytes go nowhere.
        op.stage = segment_failed_ || segment_fd_ < 0 || segment_seq_ != op.seq ? Stage::done : Stage::write;
        break;
    case Kind::finish_segment:
        if (segment_seq_ != op.seq || segment_fd_ < 0) {
            op.stage = Stage::done;  // never opened: no file to close, rename or delete
        } else {
            op.stage = Stage::close;
        }
        break;
    case Kind::unlink: op.stage = Stage::unlink; break;
    case Kind::write_file: op.stage = Stage::open; break;
    }
}

bool HlsFileWriter::submit(Op& op) {
    uring::Ring& ring = reactor_.ring();
    bool submitted = false;
    switch (op.stage) {
    case Stage::open:
        submitted = uring::submit_open(ring, done_, op.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, kFileMode);
        break;
    case Stage::mkdir: submitted = uring::submit_mkdir(ring, done_, op.dirs[op.dir_index].c_str(), kDirMode); break;
    case Stage::write: {
        const bool segment = op.kind == Kind::write_segment;
        const auto* data = segment ? op.bytes.data() : reinterpret_cast<const std::uint8_t*>(op.text.data());
        const std::size_t left = payload_bytes(op) - op.written_bytes;
        const auto bytes = static_cast<std::uint32_t>(std::min(left, kWriteBytesMax));
        const std::uint64_t offset = segment ? segment_offset_ : op.written_bytes;
        submitted = uring::submit_write(ring, done_, segment ? segment_fd_ : op.fd, data + op.written_bytes, bytes, offset);
        break;
    }
    case Stage::close:
        submitted = uring::submit_close(ring, done_, op.kind == Kind::write_file ? op.fd : segment_fd_);
        break;
    case Stage::rename: submitted = uring::submit_rename(ring, done_, op.path.c_str(), op.target.c_str()); break;
    case Stage::unlink: submitted = uring::submit_unlink(ring, done_, op.path.c_str()); break;
    case Stage::done: return true;
    }
    if (submitted) {
        ++stats_.submits;
    }
    return submitted;
}

void HlsFileWriter::on_done(std::int32_t res, std::uint32_t) {
    in_flight_ = false;
    if (current_) {
        advance(*current_, res);
    }
    pump();
}

void HlsFileWriter::on_retry() { pump(); }

void HlsFileWriter::fail(Op& op, int error, Stage next) {
    if (op.error == 0) {
        op.error = error;
    }
    op.stage = next;
}

void HlsFileWriter::advance(Op& op, std::int32_t res) {
    switch (op.stage) {
    case Stage::open: after_open(op, res); break;
    case Stage::mkdir:
        if (res < 0 && res != -EEXIST) {
            fail(op, -res, Stage::done);
        } else if (++op.dir_index == op.dirs.size()) {
            op.stage = Stage::open;  // every directory exists now: open again
        }
        break;
    case Stage::write: after_write(op, res); break;
    case Stage::close: {
        const bool playlist = op.kind == Kind::write_file;
        (playlist ? op.fd : segment_fd_) = -1;  // the descriptor is gone whatever close says
        if (res < 0 && op.error == 0) {
            op.error = -res;  // a deferred write error (NFS, quota); the file may be short
        }
        // A playlist that failed is not put in place; a segment is renamed even when short (the
        // owner drops the current segment on a write error, so a kept one here was complete
        // when its close was asked for).
        const bool keep = playlist ? op.error == 0 : !op.target.empty();
        op.stage = keep ? Stage::rename : Stage::unlink;
        break;
    }
    case Stage::rename:
        if (res < 0) {
            fail(op, -res, Stage::unlink);  // do not leave the temp file behind
        } else {
            op.stage = Stage::done;
        }
        break;
    case Stage::unlink:
        if (res < 0 && res != -ENOENT && op.error == 0) {
            op.error = -res;
        }
        op.stage = Stage::done;
        break;
    case Stage::done: break;
    }
}

void HlsFileWriter::after_open(Op& op, std::int32_t res) {
    if (res >= 0) {
        if (op.kind == Kind::open_segment) {
            segment_fd_ = res;
            segment_failed_ = false;
            op.stage = Stage::done;
        } else {
            op.fd = res;
            op.stage = op.text.empty() ? Stage::close : Stage::write;
        }
        return;
    }
    if (res == -ENOENT && !op.dirs_made) {
        // mkdir -p only when the open says a directory is missing: once per new directory, not
        // once per segment.
        op.dirs_made = true;
        op.dirs = parent_dirs(op.path);
        if (!op.dirs.empty()) {
            op.dir_index = 0;
            op.stage = Stage::mkdir;
            return;
        }
    }
    fail(op, -res, Stage::done);
}

void HlsFileWriter::after_write(Op& op, std::int32_t res) {
    const bool segment = op.kind == Kind::write_segment;
    if (res <= 0) {
        const int error = res < 0 ? -res : EIO;  // 0 bytes for a regular file: the disk is full or gone
        if (segment) {
            segment_failed_ = true;  // later writes of this segment are skipped
            fail(op, error, Stage::done);
        } else {
            fail(op, error, Stage::close);  // then the temp playlist is unlinked
        }
        return;
    }
    const auto written = static_cast<std::size_t>(res);
    op.written_bytes += written;
    stats_.bytes_written += written;
    if (segment) {
        segment_offset_ += written;
    }
    if (op.written_bytes < payload_bytes(op)) {
        return;  // a short write: the rest from where it stopped
    }
    op.stage = segment ? Stage::done : Stage::close;
}

void HlsFileWriter::finish_current() {
    Op op = std::move(*current_);
    current_.reset();
    queued_bytes_ -= payload_bytes(op);
    ++stats_.operations;
    if (op.kind == Kind::finish_segment && segment_seq_ == op.seq) {
        segment_failed_ = true;  // no segment open until the next open_segment
    }
    if (op.kind == Kind::write_segment && spare_.capacity() == 0 && op.bytes.capacity() <= kSpareBytesMax) {
        spare_ = std::move(op.bytes);
        spare_.clear();
    }
    if (op.error == 0) {
        return;
    }
    ++stats_.errors;
    HlsFileStep step = HlsFileStep::unlink;
    switch (op.kind) {
    case Kind::open_segment: step = HlsFileStep::open_segment; break;
    case Kind::write_segment: step = HlsFileStep::write_segment; break;
    case Kind::finish_segment: step = HlsFileStep::finish_segment; break;
    case Kind::unlink: step = HlsFileStep::unlink; break;
    case Kind::write_file: step = HlsFileStep::write_playlist; break;
    }
    listener_.on_file_error(step, op.seq, op.kind == Kind::write_file ? op.target : op.path, op.error);
}

// ---- HlsStream ------------------------------------------------------------------------------

HlsStream::HlsStream(uring::Reactor& reactor, std::string key)
    : reactor_(reactor), key_(std::move(key)), segmenter_(media::HlsSettings{}), writer_(reactor, *this) {
    tick_.bind<&HlsStream::on_tick>(this);
    // "vhost/app/stream": an RTMP app may hold '/', a stream name normally does not.
    const std::size_t first = key_.find('/');
    const std::size_t last = key_.rfind('/');
    name_.vhost = key_.substr(0, first);
    if (first != std::string::npos && last != first) {
        name_.app = key_.substr(first + 1, last - first - 1);
        name_.stream = key_.substr(last + 1);
    } else if (first != std::string::npos) {
        name_.stream = key_.substr(first + 1);
    }
    last_active_ms_ = static_cast<std::int64_t>(reactor_.now_ms());
}

HlsStream::~HlsStream() {
    if (tick_.armed()) {
        reactor_.cancel(tick_);
    }
}

void HlsStream::on_publish(const HlsConfig& config) {
    if (stopped_) {
        return;
    }
    apply(segmenter_.on_unpublish(), nullptr);  // a no-op unless a publish was never closed
    config_ = config;
    segmenter_.set_settings(hls_settings_of(config));
    ++stats_.publishes;
    publishing_ = true;
    disabled_ = false;
    disable_pending_ = false;
    last_active_ms_ = static_cast<std::int64_t>(reactor_.now_ms());
    if (auto status = segmenter_.on_publish(name_, core::realtime_ms()); !status) {
        RC_WARN("hls {}: off for this publish: {}", key_, status.error().describe());
        disabled_ = true;
        return;
    }
    muxer_.emplace();  // codecs, PIDs and held audio belong to one publisher
    video_header_ = {};
    audio_header_ = {};
    bytes_.clear();
    segment_opened_ = false;
    segment_dropped_ = false;
    backlog_dropped_ = false;
    arm_tick();
    RC_TRACE("hls {}: publish, playlist {}, next segment {}", key_, segmenter_.playlist_path(), segmenter_.next_seq());
}

void HlsStream::on_frame(const media::MediaFrame& frame) {
    if (disabled_ || stopped_ || !segmenter_.publishing()) {
        return;
    }
    if (!accept(frame)) {
        if (frame.is_audio() || frame.is_video()) {
            ++stats_.frames_filtered;
        }
        return;
    }
    last_active_ms_ = static_cast<std::int64_t>(reactor_.now_ms());
    apply(segmenter_.on_frame(media::hls_frame_of(frame), core::realtime_ms()), &frame);
    if (disable_pending_) {
        disable_publish();
    }
}

void HlsStream::on_unpublish() {
    if (stopped_) {
        return;
    }
    apply(segmenter_.on_unpublish(), nullptr);
    publishing_ = false;
    last_active_ms_ = static_cast<std::int64_t>(reactor_.now_ms());
    RC_TRACE("hls {}: unpublish; {} segments kept, {} dropped, {} frames muxed, {} mux errors, {} file errors, next "
             "segment {}",
             key_, stats_.segments_kept, stats_.segments_dropped, stats_.frames_muxed, stats_.mux_errors,
             stats_.file_errors, segmenter_.next_seq());
}

void HlsStream::stop() {
    if (stopped_) {
        return;
    }
    apply(segmenter_.on_unpublish(), nullptr);
    // SRS removes the HLS files at server stop only when hls_dispose is set.
    if (config_.dispose_ms > 0 && stats_.publishes > 0) {
        apply(segmenter_.dispose(), nullptr);
    }
    stopped_ = true;
    disabled_ = true;
    publishing_ = false;
    if (tick_.armed()) {
        reactor_.cancel(tick_);
    }
}

bool HlsStream::accept(const media::MediaFrame& frame) {
    if (frame.is_video()) {
        if (frame.codec != media::Codec::h264 && frame.codec != media::Codec::h265) {
            return false;
        }
        auto view = media::parse_video_tag(frame.payload.span());
        if (!view || view->multitrack) {
            return false;
        }
        if (view->packet_type == media::VideoPacketType::sequence_header) {
            if (same_bytes(video_header_, frame.payload)) {
                return false;
            }
            video_header_ = frame.payload;
            return true;
        }
        // End of sequence, video info/command frames: SRS skips them, and counted as frames
        // they would stretch a segment's duration.
        return view->packet_type == media::VideoPacketType::coded_frames;
    }
    if (frame.is_audio()) {
        if (frame.codec != media::Codec::aac && frame.codec != media::Codec::mp3) {
            return false;
        }
        auto view = media::parse_audio_tag(frame.payload.span());
        if (!view) {
            return false;
        }
        if (view->sequence_header) {
            if (same_bytes(audio_header_, frame.payload)) {
                return false;
            }
            audio_header_ = frame.payload;
            return true;
        }
        return view->coded_frame;
    }
    return false;  // script data is not HLS
}

void HlsStream::apply(const media::HlsDecision& decision, const media::MediaFrame* frame) {
    if (decision.close_segment) {
        close_segment();
    }
    if (decision.playlist_changed) {
        std::string text = segmenter_.playlist_text();
        if (!text.empty()) {
            writer_.write_file(segmenter_.playlist_path(), std::move(text));
        }
    }
    if (decision.files_to_delete) {
        for (std::string& path : segmenter_.take_files_to_delete()) {
            writer_.unlink(std::move(path));
        }
    }
    if (decision.open_segment) {
        open_segment();
    }
    if (decision.write_frame && frame != nullptr) {
        write_frame(*frame);
    }
}

void HlsStream::close_segment() {
    const media::HlsClosedSegment& closed = segmenter_.closed_segment();
    const bool ours = segment_opened_ && closed.seq == segment_seq_;
    const bool write = ours && !segment_dropped_;
    if (muxer_) {
        // Held audio belongs to the segment its timestamps fall in (TsMuxer::flush).
        muxer_->flush(write ? bytes_ : discard_);
        discard_.clear();
    }
    if (write) {
        flush_bytes();
    }
    bytes_.clear();
    if (ours) {
        writer_.finish_segment(closed.seq, closed.temp_path, closed.kept ? closed.final_path : std::string{});
    }
    if (write && closed.kept) {
        ++stats_.segments_kept;
        RC_INFO("hls {}: segment {} ({} ms) -> {}", key_, closed.seq, closed.duration_ms, closed.final_path);
    }
    segment_opened_ = false;
    segment_dropped_ = false;
}

void HlsStream::open_segment() {
    const media::HlsOpenSegment* segment = segmenter_.current_segment();
    if (segment == nullptr) {
        return;
    }
    segment_seq_ = segment->seq;
    segment_opened_ = false;
    segment_dropped_ = false;
    if (backlogged(backlog_dropped_)) {
        drop_segment("the disk is behind", true);
        return;
    }
    writer_.open_segment(segment->seq, segment->temp_path);
    segment_opened_ = true;
    backlog_dropped_ = false;
    if (bytes_.capacity() == 0) {
        bytes_ = writer_.take_spare_buffer();
    }
    if (muxer_) {
        muxer_->write_tables(bytes_);  // SRS: PAT and PMT first in every segment
    }
}

void HlsStream::write_frame(const media::MediaFrame& frame) {
    if (!muxer_) {
        return;
    }
    const bool write = writing_segment();
    auto outcome = muxer_->mux(frame, write ? bytes_ : discard_);
    discard_.clear();
    if (discard_.capacity() > kWriteChunkBytes) {
        discard_ = {};  // one huge frame must not pin its size for the stream's life
    }
    if (!outcome) {
        // The muxer appended nothing and kept its state; the frame is lost, the stream goes on.
        if (stats_.mux_errors++ == 0) {
            RC_WARN("hls {}: a frame at {} ms was not muxed: {} (later ones are only counted)", key_, frame.timestamp_ms,
                    outcome.error().describe());
        }
        return;
    }
    if (*outcome == media::TsMuxOutcome::muxed || *outcome == media::TsMuxOutcome::buffered) {
        ++stats_.frames_muxed;
    }
    if (!write) {
        return;
    }
    if (bytes_.size() >= kWriteChunkBytes) {
        flush_bytes();
    }
    if (backlogged(false)) {
        drop_segment("the disk is behind", true);
    }
}

void HlsStream::flush_bytes() {
    if (bytes_.empty()) {
        return;
    }
    writer_.write_segment(segment_seq_, std::move(bytes_));
    bytes_ = writer_.take_spare_buffer();
}

bool HlsStream::backlogged(bool resuming) const {
    const std::size_t divisor = resuming ? 2 : 1;
    return writer_.queued_bytes() + bytes_.size() > kQueuedBytesMax / divisor ||
           writer_.queued_ops() >= kQueuedOpsMax / divisor;
}

void HlsStream::drop_segment(const std::string& reason, bool backlog) {
    segmenter_.abandon_segment();
    backlog_dropped_ = backlog;
    const std::size_t waiting_bytes = writer_.queued_bytes() + bytes_.size();
    const std::size_t waiting_ops = writer_.queued_ops();
    const std::size_t freed_bytes = writer_.drop_segment_writes(segment_seq_) + bytes_.size();
    bytes_.clear();
    segment_dropped_ = true;
    ++stats_.segments_dropped;
    RC_WARN("hls {}: segment {} dropped: {} ({} bytes in {} file operations waiting, {} bytes freed; hls_on_error {})",
            key_, segment_seq_, reason, waiting_bytes, waiting_ops, freed_bytes, on_error_name(config_.on_error));
    if (config_.on_error != HlsOnError::continue_) {
        disable_pending_ = true;
    }
}

void HlsStream::disable_publish() {
    disable_pending_ = false;
    if (disabled_) {
        return;
    }
    RC_WARN("hls {}: stopped until the next publish (hls_on_error {}{})", key_, on_error_name(config_.on_error),
            config_.on_error == HlsOnError::disconnect ? ": the publisher is not disconnected by ringcast yet" : "");
    apply(segmenter_.on_unpublish(), nullptr);
    disabled_ = true;
}

void HlsStream::arm_tick() {
    if (config_.dispose_ms > 0 && !stopped_) {
        reactor_.arm(tick_, kTickMs);
    }
}

void HlsStream::on_tick() {
    const media::HlsDecision decision = segmenter_.on_tick(core::realtime_ms());
    apply(decision, nullptr);
    if (decision.files_to_delete) {
        // Disposed: nothing more to watch until the next publish arms the tick again.
        RC_TRACE("hls {}: disposed after {} ms without media", key_, config_.dispose_ms);
        return;
    }
    arm_tick();
}

void HlsStream::on_file_error(HlsFileStep step, std::uint64_t seq, const std::string& path, int error) {
    ++stats_.file_errors;
    RC_WARN("hls {}: {} {} failed: {}", key_, hls_file_step_name(step), path,
            core::Error::from_errno(error, hls_file_step_name(step)).describe());
    const media::HlsOpenSegment* current = segmenter_.current_segment();
    const bool current_segment = (step == HlsFileStep::open_segment || step == HlsFileStep::write_segment) &&
                                 writing_segment() && seq == segment_seq_ && current != nullptr && current->seq == seq;
    if (current_segment) {
        drop_segment(std::string(hls_file_step_name(step)) + " failed", false);
    }
    if (disable_pending_) {
        disable_publish();
    }
}

}  // namespace ringcast::app
