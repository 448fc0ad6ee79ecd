#pragma once
// The command line, as SRS's: `-c FILE` runs, `-t -c FILE` tests the config, `-v` prints the
// version, `-h` the usage. Flags may be combined (`-tc FILE`, `-cFILE`), as in SRS.

#include <string>
#include <string_view>

namespace ringcast::app {

/// What the command line asks for.
struct CliOptions {
    enum class Action { run, test, version, help };
    Action action = Action::run;
    std::string config_path = "conf/ringcast.conf";
};

/// False (with `error` set) on an unknown option or a `-c` without a file.
bool parse_cli(int argc, const char* const* argv, CliOptions& out, std::string& error);

std::string usage_text(std::string_view program);

/// Everything main does; returns the process exit code.
int cli_main(int argc, const char* const* argv);

}  // namespace ringcast::app
