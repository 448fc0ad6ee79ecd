#pragma once
// The config *syntax*: SRS's dialect of the nginx format, parsed into a directive tree. What the
// directives mean is the app's business (app/config.h); this file knows only tokens and blocks.
//
//   name arg1 "arg 2" 'arg3';      a directive; quotes keep spaces, there are no escapes
//   name args { children }         a block
//   # comment                      to the end of the line, only where a token may start
//   include a.conf b.conf;         SRS's include: the files' directives are inserted in place
//
// Like SRS 7 (SrsConfDirective::read_token) a directive must end (`;` or `{`) on the line where it
// starts, so a missing `;` is reported at its own line instead of silently swallowing the next
// line. Unlike SRS, an empty quoted argument ("") is kept rather than dropped, and an empty
// directive name is an error. SRS does not expand `$VAR` in the parser (only a few getters read
// the environment), so neither do we.
//
// Errors are thrown as ConfigError (exceptions are allowed during config load only).

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::core {

/// A config error at a place in a file; what() is exactly "FILE:LINE: reason" ("FILE: reason"
/// when the error is about the file as a whole, e.g. it cannot be opened).
class ConfigError : public std::runtime_error {
public:
    ConfigError(const std::string& file, int line, const std::string& reason);

    [[nodiscard]] const std::string& file() const { return file_; }
    [[nodiscard]] int line() const { return line_; }
    [[nodiscard]] const std::string& reason() const { return reason_; }

private:
    std::string file_;
    int line_;
    std::string reason_;
};

/// One node of the directive tree. The root is synthetic: empty name, no args, has_block, line 0,
/// and the top-level directives as children. Directives from an included file carry that file's
/// name and line numbers.
struct ConfDirective {
    std::string name;
    std::vector<std::string> args;
    std::vector<ConfDirective> children;
    bool has_block = false;
    std::string file;
    int line = 0;

    /// The i-th argument, or "" when there are fewer.
    [[nodiscard]] const std::string& arg(std::size_t i) const;
    /// The first child with this name (SRS's `get`), or nullptr.
    [[nodiscard]] const ConfDirective* find(std::string_view child_name) const;
    [[nodiscard]] ConfDirective* find(std::string_view child_name);
    /// "FILE:LINE" for messages.
    [[nodiscard]] std::string where() const;
};

/// Bounds on what one load may read; a config beyond them is refused with a clear error.
struct ConfLimits {
    std::size_t file_size_max_bytes = 4u << 20;  // per file; SRS's full.conf is ~120 KiB
    std::size_t token_length_max_bytes = 4096;
    std::size_t args_max = 1024;  // per directive
    int nesting_depth_max = 16;   // blocks inside blocks; full.conf needs 4
    std::size_t directive_count_max = 100000;  // whole tree, includes counted
    int include_depth_max = 8;                 // stops include cycles
};

/// Parses a config file (and what it includes). `include` paths resolve, in order: absolute as
/// is; relative to the working directory if that exists (SRS runs from its root); relative to
/// the including file's directory; and for `./conf/x` or `conf/x`, `x` beside the including file
/// (so SRS's `include ./conf/include.vhost.conf;` works from anywhere).
ConfDirective parse_config_file(const std::string& path, const ConfLimits& limits = {});

/// Parses text as if it were the file `virtual_file_name` (used in messages and to resolve
/// includes). For tests and for configs that do not come from a file.
ConfDirective parse_config_text(std::string_view text, const std::string& virtual_file_name,
                                const ConfLimits& limits = {});

}  // namespace ringcast::core
