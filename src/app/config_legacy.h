#pragma once
// Old SRS spellings rewritten to the current ones, as SRS's srs_config_transform_vhost does, so
// the rest of the config code only knows one spelling. Rewritten directives keep the file:line
// they were written at; a block created to hold them takes the line of the first one.

#include <string>
#include <vector>

#include "core/conf_parser.h"

namespace ringcast::app {

/// Rewrites `root` in place. SRS 7 moves SRS 6's top-level `listen`/`chunk_size` into `rtmp {}`,
/// the top-level one overriding the one inside `rtmp {}`; warnings say when that happens or
/// when a top-level one is repeated (the first is used, as in SRS).
void rewrite_legacy_spellings(core::ConfDirective& root, std::vector<std::string>& warnings);

}  // namespace ringcast::app
