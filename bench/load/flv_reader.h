#pragma once
// The FLV file a publisher loops over, read whole at startup (a few MB for the sample clips):
// publishing must never wait on disk, and every loop sends the same payload Buffers by
// reference.

#include <cstdint>
#include <string>
#include <vector>

#include "core/buffer.h"

namespace ringcast::load {

struct FlvTag {
    std::uint8_t type = 0;         // RTMP message type: 8 audio, 9 video, 18 data
    std::uint32_t timestamp = 0;   // ms, relative to the file's first tag
    bool config = false;           // metadata or a sequence header: sent on the first loop only
    core::Buffer payload;
};

struct FlvFile {
    std::vector<FlvTag> tags;
    /// Timestamp offset between two loops: the last tag's timestamp plus one frame interval,
    /// so the next loop's first frame follows the last one the way the next frame would.
    std::uint32_t loop_ms = 0;
    /// AVCDecoderConfigurationRecord's NAL length size (4 unless the file says otherwise).
    std::uint8_t nal_length_size = 4;
};

/// Reads and indexes the file. On failure returns false with `error` set.
bool read_flv(const std::string& path, FlvFile& out, std::string& error);

}  // namespace ringcast::load
