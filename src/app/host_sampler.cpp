#include "app/host_sampler.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace ringcast::app {

namespace {

std::uint64_t steady_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

/// utime + stime of this process, in clock ticks (/proc/self/stat fields 14 and 15).
std::uint64_t process_ticks() {
    std::ifstream in("/proc/self/stat");
    std::string line;
    std::getline(in, line);
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const auto close = line.rfind(')');
    if (close == std::string::npos) {
        return 0;
    }
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14) {
            utime = std::strtoull(field.c_str(), nullptr, 10);
        } else if (index == 15) {
            stime = std::strtoull(field.c_str(), nullptr, 10);
            break;
        }
    }
    return utime + stime;
}

/// The "cpu" line of /proc/stat: busy and total ticks of every CPU together.
void system_ticks(std::uint64_t& busy, std::uint64_t& total) {
    std::ifstream in("/proc/stat");
    std::string cpu;
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    busy = user + nice + system + irq + softirq + steal;
    total = busy + idle + iowait;
}

/// kB values of /proc/meminfo.
void memory(std::uint64_t& total_kb, std::uint64_t& available_kb, std::uint64_t& swap_total_kb, std::uint64_t& swap_free_kb) {
    std::ifstream in("/proc/meminfo");
    std::string name;
    std::uint64_t value = 0;
    std::string unit;
    while (in >> name >> value) {
        std::getline(in, unit);
        if (name == "MemTotal:") {
            total_kb = value;
        } else if (name == "MemAvailable:") {
            available_kb = value;
        } else if (name == "SwapTotal:") {
            swap_total_kb = value;
        } else if (name == "SwapFree:") {
            swap_free_kb = value;
        }
    }
}

}  // namespace

std::shared_ptr<const HostFigures> HostSampler::sample() {
    auto figures = std::make_shared<HostFigures>();
    const std::uint64_t now_ms = steady_ms();
    const std::uint64_t ticks_per_s = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));

    const std::uint64_t ticks = process_ticks();
    if (last_wall_ms_ != 0 && now_ms > last_wall_ms_ && ticks_per_s != 0) {
        const double cpu_s = static_cast<double>(ticks - last_process_ticks_) / static_cast<double>(ticks_per_s);
        figures->self.cpu_ratio = cpu_s / (static_cast<double>(now_ms - last_wall_ms_) / 1000.0);
    }
    last_process_ticks_ = ticks;
    std::uint64_t busy = 0;
    std::uint64_t total = 0;
    system_ticks(busy, total);
    if (total > last_system_total_ticks_) {
        figures->system.cpu_ratio =
            static_cast<double>(busy - last_system_busy_ticks_) / static_cast<double>(total - last_system_total_ticks_);
    }
    last_system_busy_ticks_ = busy;
    last_system_total_ticks_ = total;
    last_wall_ms_ = now_ms;

    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    figures->self.mem_kbyte = static_cast<std::uint64_t>(usage.ru_maxrss);
    {
        std::ifstream statm("/proc/self/statm");
        std::uint64_t size_pages = 0;
        std::uint64_t resident_pages = 0;
        statm >> size_pages >> resident_pages;
        figures->self.rss_kbyte = resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
    }
    std::uint64_t total_kb = 0, available_kb = 0, swap_total_kb = 0, swap_free_kb = 0;
    memory(total_kb, available_kb, swap_total_kb, swap_free_kb);
    figures->system.mem_ram_kbyte = total_kb;
    figures->system.mem_swap_kbyte = swap_total_kb;
    if (total_kb != 0) {
        figures->self.mem_ratio = static_cast<double>(figures->self.mem_kbyte) / static_cast<double>(total_kb);
        figures->system.mem_ram_ratio = static_cast<double>(total_kb - available_kb) / static_cast<double>(total_kb);
    }
    if (swap_total_kb != 0) {
        figures->system.mem_swap_ratio =
            static_cast<double>(swap_total_kb - swap_free_kb) / static_cast<double>(swap_total_kb);
    }
    figures->system.cpus = ::sysconf(_SC_NPROCESSORS_CONF);
    figures->system.cpus_online = ::sysconf(_SC_NPROCESSORS_ONLN);
    {
        std::ifstream uptime("/proc/uptime");
        uptime >> figures->system.uptime_s >> figures->system.idle_time_s;
    }
    {
        std::ifstream loadavg("/proc/loadavg");
        loadavg >> figures->system.load_1m >> figures->system.load_5m >> figures->system.load_15m;
    }
    utsname names{};
    if (::uname(&names) == 0) {
        figures->uname = {names.sysname, names.nodename, names.release, names.version, names.machine};
    }
    figures->ok = total_kb != 0 && total != 0;
    return figures;
}

}  // namespace ringcast::app
