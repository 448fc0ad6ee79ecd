#include "core/conf_parser.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

namespace ringcast::core {

namespace {

std::string format_what(const std::string& file, int line, const std::string& reason) {
    if (line > 0) {
        return file + ":" + std::to_string(line) + ": " + reason;
    }
    return file + ": " + reason;
}

const std::string& empty_string() {
    static const std::string empty;
    return empty;
}

// Reads a whole file, refusing anything but a regular file within the size bound. Returns an
// empty reason on success.
std::string read_text(const std::string& path, std::size_t size_max, std::string& out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::string("cannot open: ") + std::strerror(errno);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return "not a regular file";
    }
    if (static_cast<std::size_t>(st.st_size) > size_max) {
        ::close(fd);
        return "file is " + std::to_string(st.st_size) + " bytes, more than the limit of " +
               std::to_string(size_max);
    }
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::read(fd, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            ::close(fd);
            return std::string("cannot read: ") + std::strerror(err);
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return {};
}

bool path_exists(const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::exists(p, ec);
}

// See conf_parser.h for the order; empty when nothing matches.
std::string resolve_include(const std::string& name, const std::string& including_file) {
    namespace fs = std::filesystem;
    fs::path wanted(name);
    if (wanted.is_absolute() || path_exists(wanted)) {
        return name;
    }
    fs::path dir = fs::path(including_file).parent_path();
    if (path_exists(dir / wanted)) {
        return (dir / wanted).string();
    }
    for (std::string_view prefix : {"./conf/", "conf/"}) {
        if (name.compare(0, prefix.size(), prefix) == 0) {
            fs::path beside = dir / name.substr(prefix.size());
            if (path_exists(beside)) {
                return beside.string();
            }
        }
    }
    return {};
}

struct LoadState {
    const ConfLimits& limits;
    std::size_t directive_count = 0;
};

/// Parses one file's text into a parent directive; an include starts a nested FileParser.
class FileParser {
public:
    FileParser(std::string_view text, const std::string& file, LoadState& state, int include_depth,
               int base_depth)
        : text_(text), file_(file), state_(state), include_depth_(include_depth), base_depth_(base_depth) {
        reject_nul();
    }

    void parse_into(ConfDirective& parent) { parse_block(parent, base_depth_); }

private:
    enum class End { semicolon, block_start, block_end, eof };

    [[noreturn]] void fail_at(int line, const std::string& reason) const {
        throw ConfigError(file_, line, reason);
    }

    // A NUL byte means a binary file; refusing it early keeps every later message sane.
    void reject_nul() const {
        std::size_t nul = text_.find('\0');
        if (nul == std::string_view::npos) {
            return;
        }
        int line = 1;
        for (std::size_t i = 0; i < nul; ++i) {
            line += text_[i] == '\n' ? 1 : 0;
        }
        fail_at(line, "unexpected NUL byte (not a text file?)");
    }

    static bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

    void parse_block(ConfDirective& parent, int depth) {
        std::vector<std::string> words;
        while (true) {
            int line_start = 0;
            End end = read_directive(words, line_start);
            if (end == End::eof) {
                if (depth > base_depth_) {
                    fail_at(parent.line, "block \"" + parent.name + "\" is not closed: unexpected end of file, expecting \"}\"");
                }
                return;
            }
            if (end == End::block_end) {
                if (depth == base_depth_) {
                    fail_at(line_, "unexpected \"}\"");
                }
                return;
            }
            if (words[0] == "include") {
                include(parent, words, line_start, end, depth);
                continue;
            }
            add_directive(parent, words, line_start, end, depth);
        }
    }

    void add_directive(ConfDirective& parent, std::vector<std::string>& words, int line_start, End end, int depth) {
        if (++state_.directive_count > state_.limits.directive_count_max) {
            fail_at(line_start, "too many directives (more than " + std::to_string(state_.limits.directive_count_max) + ")");
        }
        ConfDirective d;
        d.name = std::move(words[0]);
        d.args.assign(std::make_move_iterator(words.begin() + 1), std::make_move_iterator(words.end()));
        d.has_block = end == End::block_start;
        d.file = file_;
        d.line = line_start;
        parent.children.push_back(std::move(d));
        if (end == End::block_start) {
            if (depth + 1 > state_.limits.nesting_depth_max) {
                fail_at(line_start, "blocks nested deeper than " + std::to_string(state_.limits.nesting_depth_max));
            }
            parse_block(parent.children.back(), depth + 1);
        }
    }

    void include(ConfDirective& parent, const std::vector<std::string>& words, int line, End end, int depth) {
        if (end == End::block_start) {
            fail_at(line, "include takes file names, not a block");
        }
        if (words.size() < 2) {
            fail_at(line, "include requires a file name");
        }
        if (include_depth_ + 1 > state_.limits.include_depth_max) {
            fail_at(line, "includes nested deeper than " + std::to_string(state_.limits.include_depth_max) +
                              " (an include cycle?)");
        }
        for (std::size_t i = 1; i < words.size(); ++i) {
            std::string path = resolve_include(words[i], file_);
            if (path.empty()) {
                fail_at(line, "include \"" + words[i] + "\": file not found");
            }
            std::string text;
            std::string reason = read_text(path, state_.limits.file_size_max_bytes, text);
            if (!reason.empty()) {
                fail_at(line, "include \"" + path + "\": " + reason);
            }
            FileParser nested(text, path, state_, include_depth_ + 1, depth);
            nested.parse_into(parent);
        }
    }

    // Reads the words of one directive up to its `;` or `{`, or a `}` / the end of the text.
    End read_directive(std::vector<std::string>& words, int& line_start) {
        words.clear();
        while (true) {
            if (pos_ >= text_.size()) {
                if (!words.empty()) {
                    fail_at(line_start, "unexpected end of file, expecting \";\" or \"{\" after \"" + words[0] + "\"");
                }
                return End::eof;
            }
            char ch = text_[pos_];
            if (ch == '\n') {
                if (!words.empty()) {
                    fail_at(line_start, "directive \"" + words[0] + "\" is not terminated by \";\" on its line");
                }
                ++line_;
                ++pos_;
            } else if (is_blank(ch)) {
                ++pos_;
            } else if (ch == '#') {
                std::size_t eol = text_.find('\n', pos_);
                pos_ = eol == std::string_view::npos ? text_.size() : eol;
            } else if (ch == ';' || ch == '{') {
                ++pos_;
                if (words.empty()) {
                    fail_at(line_, std::string("unexpected \"") + ch + "\"");
                }
                if (words[0].empty()) {
                    fail_at(line_start, "empty directive name");
                }
                return ch == ';' ? End::semicolon : End::block_start;
            } else if (ch == '}') {
                ++pos_;
                if (!words.empty()) {
                    fail_at(line_, "unexpected \"}\" after \"" + words[0] + "\" (missing \";\"?)");
                }
                return End::block_end;
            } else {
                if (words.empty()) {
                    line_start = line_;
                }
                words.push_back(ch == '"' || ch == '\'' ? read_quoted(ch) : read_word());
                if (words.size() > state_.limits.args_max + 1) {
                    fail_at(line_start, "directive \"" + words[0] + "\" has more than " +
                                            std::to_string(state_.limits.args_max) + " arguments");
                }
            }
        }
    }

    std::string read_word() {
        std::size_t start = pos_;
        while (pos_ < text_.size()) {
            char ch = text_[pos_];
            if (is_blank(ch) || ch == '\n' || ch == ';' || ch == '{') {
                break;
            }
            ++pos_;
        }
        return take_token(start, pos_);
    }

    // No escapes inside quotes (SRS has none); the string must close on its own line.
    std::string read_quoted(char quote) {
        std::size_t start = ++pos_;
        std::size_t close = start;
        while (close < text_.size() && text_[close] != quote && text_[close] != '\n') {
            ++close;
        }
        if (close >= text_.size() || text_[close] != quote) {
            fail_at(line_, std::string("unterminated quoted string (missing ") + quote + ")");
        }
        pos_ = close + 1;
        if (pos_ < text_.size()) {
            char next = text_[pos_];
            if (!is_blank(next) && next != '\n' && next != ';' && next != '{') {
                fail_at(line_, std::string("unexpected \"") + next + "\" after a quoted string");
            }
        }
        return take_token(start, close);
    }

    std::string take_token(std::size_t start, std::size_t end) const {
        if (end - start > state_.limits.token_length_max_bytes) {
            fail_at(line_, "token longer than " + std::to_string(state_.limits.token_length_max_bytes) + " bytes");
        }
        return std::string(text_.substr(start, end - start));
    }

    std::string_view text_;
    const std::string& file_;
    LoadState& state_;
    int include_depth_;
    int base_depth_;
    std::size_t pos_ = 0;
    int line_ = 1;
};

ConfDirective make_root(const std::string& file) {
    ConfDirective root;
    root.has_block = true;
    root.file = file;
    return root;
}

}  // namespace

ConfigError::ConfigError(const std::string& file, int line, const std::string& reason)
    : std::runtime_error(format_what(file, line, reason)), file_(file), line_(line), reason_(reason) {}

const std::string& ConfDirective::arg(std::size_t i) const { return i < args.size() ? args[i] : empty_string(); }

const ConfDirective* ConfDirective::find(std::string_view child_name) const {
    for (const auto& child : children) {
        if (child.name == child_name) {
            return &child;
        }
    }
    return nullptr;
}

ConfDirective* ConfDirective::find(std::string_view child_name) {
    return const_cast<ConfDirective*>(std::as_const(*this).find(child_name));
}

std::string ConfDirective::where() const { return file + ":" + std::to_string(line); }

ConfDirective parse_config_text(std::string_view text, const std::string& virtual_file_name, const ConfLimits& limits) {
    if (text.size() > limits.file_size_max_bytes) {
        throw ConfigError(virtual_file_name, 0,
                          "file is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                              std::to_string(limits.file_size_max_bytes));
    }
    LoadState state{limits};
    ConfDirective root = make_root(virtual_file_name);
    FileParser parser(text, virtual_file_name, state, 0, 0);
    parser.parse_into(root);
    return root;
}

ConfDirective parse_config_file(const std::string& path, const ConfLimits& limits) {
    std::string text;
    std::string reason = read_text(path, limits.file_size_max_bytes, text);
    if (!reason.empty()) {
        throw ConfigError(path, 0, reason);
    }
    return parse_config_text(text, path, limits);
}

}  // namespace ringcast::core
