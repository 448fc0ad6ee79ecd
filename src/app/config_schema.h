#pragma once
// The table of every directive name SRS accepts (SRS 7's check_normal_config, plus `threads` of
// SRS 5/6 that full.conf still documents, plus ringcast's own `workers`), and which of them
// ringcast implements. Legacy spellings are not here: config.cpp rewrites them first.

#include <cstdint>
#include <span>
#include <string_view>

namespace ringcast::app {

enum class Support : std::uint8_t { implemented, unimplemented };

/// One directive name and what may appear inside it.
struct DirectiveSpec {
    std::string_view name;
    Support support = Support::unimplemented;
    std::span<const DirectiveSpec> children{};
    // SRS does not check the names inside this block (e.g. ffmpeg's free-form vparams), so
    // neither do we.
    bool any_children = false;
};

/// The directives allowed at the top level of a config.
std::span<const DirectiveSpec> root_directive_specs();

}  // namespace ringcast::app
