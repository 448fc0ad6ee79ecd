#pragma once
// HTTP-FLV framing shared by every HTTP-FLV player of a shard (see MediaFrame::http_flv_chunk).

#include "media/frame.h"

namespace ringcast::app {

/// Fills frame.http_flv_chunk (and its tag offset and size); leaves it empty if the frame
/// cannot be an FLV tag (over 16 MiB), so players skip it.
void encode_http_flv_chunk(media::MediaFrame& frame);

}  // namespace ringcast::app
