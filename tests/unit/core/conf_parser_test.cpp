#include "core/conf_parser.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ringcast::core {
namespace {

namespace fs = std::filesystem;

// The message of the ConfigError that parsing `text` as "t.conf" throws, or "" if none.
std::string error_of(std::string_view text, const ConfLimits& limits = {}) {
    try {
        parse_config_text(text, "t.conf", limits);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

/// A scratch directory removed at the end of the test.
class ScratchDir {
public:
    ScratchDir() {
        std::string pattern = (fs::temp_directory_path() / "conf_parser_test.XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    std::string write(const std::string& name, const std::string& text) const {
        fs::path p = fs::path(path_) / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

TEST(ConfParser, DirectivesArgsAndLines) {
    ConfDirective root = parse_config_text("listen 1935 1936;\n\nmax_connections   1000;\n", "a.conf");
    EXPECT_TRUE(root.name.empty());
    EXPECT_TRUE(root.has_block);
    ASSERT_EQ(root.children.size(), 2u);
    const ConfDirective& listen = root.children[0];
    EXPECT_EQ(listen.name, "listen");
    EXPECT_EQ(listen.args, (std::vector<std::string>{"1935", "1936"}));
    EXPECT_FALSE(listen.has_block);
    EXPECT_EQ(listen.file, "a.conf");
    EXPECT_EQ(listen.line, 1);
    EXPECT_EQ(root.children[1].line, 3);
    EXPECT_EQ(root.children[1].where(), "a.conf:3");
    EXPECT_EQ(listen.arg(1), "1936");
    EXPECT_EQ(listen.arg(7), "");
}

TEST(ConfParser, SeveralDirectivesOnOneLineAndTabsAndCrlf) {
    ConfDirective root = parse_config_text("daemon on; srs_log_tank\tfile;\r\npid x.pid;\r\n", "a.conf");
    ASSERT_EQ(root.children.size(), 3u);
    EXPECT_EQ(root.children[1].name, "srs_log_tank");
    EXPECT_EQ(root.children[1].arg(0), "file");
    EXPECT_EQ(root.children[2].line, 2);
    EXPECT_EQ(root.children[2].arg(0), "x.pid");
}

TEST(ConfParser, Quotes) {
    ConfDirective root = parse_config_text(
        "a \"x y\" 'say \"hi\"' \"\" ';{}#';\nvf 'split [main][tmp]; [tmp] crop';\nb \"q\"{ }\n", "q.conf");
    ASSERT_EQ(root.children.size(), 3u);
    EXPECT_EQ(root.children[0].args, (std::vector<std::string>{"x y", "say \"hi\"", "", ";{}#"}));
    EXPECT_EQ(root.children[1].arg(0), "split [main][tmp]; [tmp] crop");
    EXPECT_EQ(root.children[2].arg(0), "q");
    EXPECT_TRUE(root.children[2].has_block);
}

TEST(ConfParser, QuoteOnlyAtTokenStartAndCommentOnlyAtTokenStart) {
    ConfDirective root = parse_config_text("url a\"b#c} ; # trailing\n# whole line\nx y;#z\n", "c.conf");
    ASSERT_EQ(root.children.size(), 2u);
    EXPECT_EQ(root.children[0].arg(0), "a\"b#c}");
    EXPECT_EQ(root.children[1].args, (std::vector<std::string>{"y"}));
}

TEST(ConfParser, BlocksNest) {
    ConfDirective root = parse_config_text(
        "vhost v {\n  hls {enabled on;}\n  play { }\n}\nrtmp{listen 1935;}\n", "b.conf");
    ASSERT_EQ(root.children.size(), 2u);
    const ConfDirective& vhost = root.children[0];
    EXPECT_EQ(vhost.arg(0), "v");
    EXPECT_TRUE(vhost.has_block);
    ASSERT_EQ(vhost.children.size(), 2u);
    ASSERT_NE(vhost.find("hls"), nullptr);
    EXPECT_EQ(vhost.find("hls")->find("enabled")->arg(0), "on");
    EXPECT_EQ(vhost.find("hls")->line, 2);
    EXPECT_TRUE(vhost.find("play")->has_block);
    EXPECT_TRUE(vhost.find("play")->children.empty());
    EXPECT_EQ(vhost.find("nothing"), nullptr);
    EXPECT_EQ(root.children[1].find("listen")->arg(0), "1935");
}

TEST(ConfParser, EmptyAndCommentOnlyTextsAreEmptyTrees) {
    EXPECT_TRUE(parse_config_text("", "e.conf").children.empty());
    EXPECT_TRUE(parse_config_text("# nothing\n\n   \n", "e.conf").children.empty());
}

TEST(ConfParser, SyntaxErrorsNameFileAndLine) {
    EXPECT_EQ(error_of("listen 1935\nmax_connections 1000;\n"),
              "t.conf:1: directive \"listen\" is not terminated by \";\" on its line");
    EXPECT_EQ(error_of("a 1;\nlisten 1935"), "t.conf:2: unexpected end of file, expecting \";\" or \"{\" after \"listen\"");
    EXPECT_EQ(error_of("a 1;\n;\n"), "t.conf:2: unexpected \";\"");
    EXPECT_EQ(error_of("\n{ a; }\n"), "t.conf:2: unexpected \"{\"");
    EXPECT_EQ(error_of("a 1;\n}\n"), "t.conf:2: unexpected \"}\"");
    EXPECT_EQ(error_of("v {\n  a 1 }\n"), "t.conf:2: unexpected \"}\" after \"a\" (missing \";\"?)");
    EXPECT_EQ(error_of("x;\nvhost v {\n  a 1;\n"),
              "t.conf:2: block \"vhost\" is not closed: unexpected end of file, expecting \"}\"");
    EXPECT_EQ(error_of("a \"x y;\n"), "t.conf:1: unterminated quoted string (missing \")");
    EXPECT_EQ(error_of("a 'x\ny';\n"), "t.conf:1: unterminated quoted string (missing ')");
    EXPECT_EQ(error_of("\na \"x\"y;\n"), "t.conf:2: unexpected \"y\" after a quoted string");
    EXPECT_EQ(error_of("\"\" x;\n"), "t.conf:1: empty directive name");
    EXPECT_EQ(error_of(std::string_view("a 1;\nb \0;\n", 9)), "t.conf:2: unexpected NUL byte (not a text file?)");
}

TEST(ConfParser, ErrorCarriesItsParts) {
    try {
        parse_config_text("ok 1;\n\n;", "p.conf");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), "p.conf");
        EXPECT_EQ(e.line(), 3);
        EXPECT_EQ(e.reason(), "unexpected \";\"");
        const std::runtime_error& base = e;  // callers may catch std::runtime_error
        EXPECT_STREQ(base.what(), "p.conf:3: unexpected \";\"");
    }
}

TEST(ConfParser, SizeBounds) {
    ConfLimits limits;
    limits.file_size_max_bytes = 16;
    EXPECT_EQ(error_of("abcdefgh 12345678;", limits), "t.conf: file is 18 bytes, more than the limit of 16");

    limits = {};
    limits.token_length_max_bytes = 4;
    EXPECT_EQ(error_of("a 1234;\nb 12345;", limits), "t.conf:2: token longer than 4 bytes");
    EXPECT_EQ(error_of("a '12345';", limits), "t.conf:1: token longer than 4 bytes");

    limits = {};
    limits.args_max = 2;
    EXPECT_EQ(error_of("a 1 2;\na 1 2 3;", limits), "t.conf:2: directive \"a\" has more than 2 arguments");

    limits = {};
    limits.nesting_depth_max = 2;
    EXPECT_EQ(error_of("a { b { c; } }\na {\n b {\n  c { } } }", limits), "t.conf:4: blocks nested deeper than 2");

    limits = {};
    limits.directive_count_max = 3;
    EXPECT_EQ(error_of("a;\nb { c; }\nd;\n", limits), "t.conf:3: too many directives (more than 3)");
}

TEST(ConfParser, DefaultBoundsAcceptLargeButSaneConfigs) {
    std::string text;
    for (int i = 0; i < 5000; ++i) {
        text += "vhost v" + std::to_string(i) + " { hls { enabled on; } }\n";
    }
    EXPECT_EQ(parse_config_text(text, "big.conf").children.size(), 5000u);
}

TEST(ConfParser, IncludeBesideTheIncludingFile) {
    ScratchDir dir;
    dir.write("sub/vhosts.conf", "vhost a {\n}\n\nvhost b { }\n");
    std::string main = dir.write("main.conf", "listen 1935;\ninclude sub/vhosts.conf;\nmax_connections 9;\n");
    ConfDirective root = parse_config_file(main);
    ASSERT_EQ(root.children.size(), 4u);
    EXPECT_EQ(root.children[0].file, main);
    EXPECT_EQ(root.children[1].name, "vhost");
    EXPECT_EQ(root.children[1].file, dir.path() + "/sub/vhosts.conf");
    EXPECT_EQ(root.children[2].line, 4);
    EXPECT_EQ(root.children[3].name, "max_connections");
    EXPECT_EQ(root.children[3].line, 3);
}

TEST(ConfParser, IncludeInsideABlockAndSeveralFiles) {
    ScratchDir dir;
    dir.write("a.conf", "enabled on;\n");
    dir.write("b.conf", "chunk_size 128;\n");
    std::string main = dir.write("main.conf", "vhost v {\n  include a.conf b.conf;\n}\n");
    ConfDirective root = parse_config_file(main);
    ASSERT_EQ(root.children.size(), 1u);
    ASSERT_EQ(root.children[0].children.size(), 2u);
    EXPECT_EQ(root.children[0].children[1].name, "chunk_size");
}

TEST(ConfParser, IncludeOfSrsStyleConfPathResolvesBesideTheFile) {
    ScratchDir dir;  // SRS writes `include ./conf/x.conf;` meaning "relative to SRS's root"
    dir.write("x.conf", "vhost x { }\n");
    std::string main = dir.write("main.conf", "include ./conf/x.conf;\ninclude conf/x.conf;\n");
    EXPECT_EQ(parse_config_file(main).children.size(), 2u);
}

TEST(ConfParser, IncludeRelativeToTheWorkingDirectoryFirst) {
    ScratchDir dir;
    dir.write("cwd/inc.conf", "from_cwd on;\n");
    dir.write("conf/inc.conf", "beside on;\n");
    std::string main = dir.write("conf/main.conf", "include inc.conf;\n");
    fs::path saved = fs::current_path();
    fs::current_path(dir.path() + "/cwd");
    ConfDirective root = parse_config_file(main);
    fs::current_path(saved);
    ASSERT_EQ(root.children.size(), 1u);
    EXPECT_EQ(root.children[0].name, "from_cwd");
}

TEST(ConfParser, IncludeErrors) {
    ScratchDir dir;
    dir.write("bad.conf", "ok 1;\nbroken\n");
    dir.write("self.conf", "include self.conf;\n");
    dir.write("close.conf", "}\n");
    auto error_in = [&](const std::string& text) {
        std::string main = dir.write("main.conf", text);
        try {
            parse_config_file(main);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    std::string main = dir.path() + "/main.conf";
    EXPECT_EQ(error_in("a;\ninclude missing.conf;\n"), main + ":2: include \"missing.conf\": file not found");
    EXPECT_EQ(error_in("include;\n"), main + ":1: include requires a file name");
    EXPECT_EQ(error_in("include bad.conf { }\n"), main + ":1: include takes file names, not a block");
    EXPECT_EQ(error_in("include bad.conf;\n"),
              dir.path() + "/bad.conf:2: directive \"broken\" is not terminated by \";\" on its line");
    EXPECT_EQ(error_in("include self.conf;\n"),
              dir.path() + "/self.conf:1: includes nested deeper than 8 (an include cycle?)");
    // An included file is a file: it cannot close the block it is included in.
    EXPECT_EQ(error_in("v {\n include close.conf;\n}\n"), dir.path() + "/close.conf:1: unexpected \"}\"");
    EXPECT_EQ(error_in("include .;\n"), main + ":1: include \".\": not a regular file");
}

TEST(ConfParser, UnreadableFileIsAnErrorWithoutLine) {
    try {
        parse_config_file("/nonexistent/ringcast.conf");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 0);
        EXPECT_EQ(std::string(e.what()), "/nonexistent/ringcast.conf: cannot open: No such file or directory");
    }
}

TEST(ConfParser, EverySrsExampleConfigParses) {
    int count = 0;
    for (const auto& entry : fs::directory_iterator(RINGCAST_SRS_CONF_DIR)) {
        if (entry.path().extension() != ".conf") {
            continue;
        }
        SCOPED_TRACE(entry.path().string());
        EXPECT_NO_THROW(parse_config_file(entry.path().string()));
        ++count;
    }
    EXPECT_GT(count, 90);
}

TEST(ConfParser, SrsFullConfHasEveryBlockAndTheInclude) {
    ConfDirective root = parse_config_file(std::string(RINGCAST_SRS_CONF_DIR) + "/full.conf");
    int vhosts = 0;
    bool included = false;
    for (const auto& d : root.children) {
        vhosts += d.name == "vhost" ? 1 : 0;
        included = included || (d.name == "vhost" && d.arg(0) == "include.srs.com");
    }
    EXPECT_GT(vhosts, 40);
    EXPECT_TRUE(included);  // `include ./conf/include.vhost.conf;` resolved beside full.conf
}

}  // namespace
}  // namespace ringcast::core
