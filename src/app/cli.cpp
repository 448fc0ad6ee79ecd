#include "app/cli.h"

#include <cstdio>
#include <exception>

#include "app/config.h"
#include "app/daemon.h"
#include "app/server.h"
#include "core/log.h"

namespace ringcast::app {

namespace {

// Returns false when this argument ends the parse (help/version) or is invalid.
bool parse_flags(const char* arg, int& i, int argc, const char* const* argv, CliOptions& out, std::string& error) {
    for (const char* p = arg + 1; *p != '\0'; ++p) {
        switch (*p) {
            case 'h':
            case '?':
                out.action = CliOptions::Action::help;
                return false;
            case 'v':
            case 'V':
                out.action = CliOptions::Action::version;
                return false;
            case 't':
                out.action = CliOptions::Action::test;
                break;
            case '-':
                break;  // SRS accepts --help, --version the same way
            case 'c':
                if (p[1] != '\0') {
                    out.config_path = p + 1;
                } else if (i + 1 < argc) {
                    out.config_path = argv[++i];
                } else {
                    error = "-c requires a file name";
                    return false;
                }
                return true;
            default:
                error = std::string("invalid option: \"") + *p + "\"";
                return false;
        }
    }
    return true;
}

int test_config(const LoadedConfig& loaded, const std::string& path) {
    for (const auto& warning : loaded.warnings) {
        std::fprintf(stderr, "ringcast: [warn] %s\n", warning.c_str());
    }
    std::printf("ringcast: the configuration file %s syntax is ok\n", path.c_str());
    std::printf("ringcast: configuration file %s test is successful\n", path.c_str());
    return 0;
}

void setup_logging(const Config& config) {
    core::log::set_level(config.srs_log_level);
    if (config.srs_log_tank != LogTank::file) {
        return;
    }
    std::string error;
    if (!make_parent_dirs(config.srs_log_file, error)) {
        RC_ERROR("{}, logging to stderr", error);
    } else if (!core::log::open_file(config.srs_log_file)) {
        RC_ERROR("cannot open log file {}, logging to stderr", config.srs_log_file);
    }
}

// SRS's run_master order: daemon first (before any thread), then logs, pid file, server.
int run(const LoadedConfig& loaded) {
    const Config& config = loaded.config;
    std::string error;
    if (config.daemon && !daemonize(error)) {
        std::fprintf(stderr, "ringcast: %s\n", error.c_str());
        return 1;
    }
    setup_logging(config);
    RC_TRACE("ringcast {} starting, config {}", RINGCAST_VERSION, config.file);
    for (const auto& warning : loaded.warnings) {
        RC_WARN("{}", warning);
    }
    if (!raise_fd_limit(config.max_connections, error)) {
        RC_WARN("{}", error);
    }
    if (!acquire_pid_file(config.pid, error)) {
        RC_ERROR("{}", error);
        return 1;
    }
    return run_server(config);
}

}  // namespace

bool parse_cli(int argc, const char* const* argv, CliOptions& out, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        if (arg[0] != '-') {
            error = std::string("unexpected argument \"") + arg + "\"";
            return false;
        }
        if (!parse_flags(arg, i, argc, argv, out, error)) {
            return error.empty();
        }
    }
    return true;
}

std::string usage_text(std::string_view program) {
    std::string p(program);
    return "ringcast " RINGCAST_VERSION ", an io_uring live-streaming server that reads SRS configs\n\n"
           "Usage: " + p + " <-h?vV> | <[-t] -c filename>\n"
           "Options:\n"
           "   -?, -h, --help      : show this help and exit 0\n"
           "   -v, -V, --version   : show the version and exit 0\n"
           "   -t                  : test the config file, exit 0 if it is valid, else 1\n"
           "   -c filename         : use this config file (default: conf/ringcast.conf)\n"
           "For example:\n"
           "   " + p + " -v\n"
           "   " + p + " -t -c conf/ringcast.conf\n"
           "   " + p + " -c conf/ringcast.conf\n";
}

int cli_main(int argc, const char* const* argv) {
    const char* program = argc > 0 ? argv[0] : "ringcast";
    CliOptions options;
    std::string error;
    if (!parse_cli(argc, argv, options, error)) {
        std::fprintf(stderr, "ringcast: %s\n%s", error.c_str(), usage_text(program).c_str());
        return 1;
    }
    if (options.action == CliOptions::Action::help) {
        std::printf("%s", usage_text(program).c_str());
        return 0;
    }
    if (options.action == CliOptions::Action::version) {
        std::printf("%s\n", RINGCAST_VERSION);
        return 0;
    }
    LoadedConfig loaded;
    try {
        loaded = load_config(options.config_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        if (options.action == CliOptions::Action::test) {
            std::fprintf(stderr, "ringcast: configuration file %s test failed\n", options.config_path.c_str());
        }
        return 1;
    }
    if (options.action == CliOptions::Action::test) {
        return test_config(loaded, options.config_path);
    }
    return run(loaded);
}

}  // namespace ringcast::app
