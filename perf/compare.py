#!/usr/bin/env python3
"""Side-by-side live density comparison: ringcast vs nginx-rtmp (vs any other server).

For each server, each player protocol (RTMP, and HTTP-FLV or HLS for ringcast with --protocol) and
each player count N it starts the server pinned to one CPU, runs the load client
(ringcast-load: one RTMP publisher looping an FLV in real time + N players) pinned to another,
and records server CPU-seconds per GB delivered, players lagging > 500 ms (HLS: > 7 s), startup and
publish-to-play latency percentiles, and server RSS growth per player. Writes
perf/results/<date>-rtmp-density.md and .json (<date>-rtmp-http-flv-density.* when HTTP-FLV
runs are in, <date>-hls-density.* or <date>-rtmp-http-flv-hls-density.* with HLS). See
perf/README.md.

Python 3 standard library only.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PERF = os.path.join(REPO, "perf")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

DEFAULT_PLAYERS = [500, 1000, 2000, 4000]
QUICK_PLAYERS = [500, 1000]
STREAM_PATH = "live/stream"  # every server must serve RTMP application "live"
PROTOCOLS = ("rtmp", "http-flv", "hls")  # how the players play; the publisher is always RTMP
# --protocol: one protocol, or several (one run each per N). "both" predates HLS and keeps
# meaning RTMP + HTTP-FLV.
PROTOCOL_SETS = {"rtmp": ["rtmp"], "http-flv": ["http-flv"], "hls": ["hls"],
                 "both": ["rtmp", "http-flv"], "all": ["rtmp", "http-flv", "hls"]}
# ringcast's HLS for --protocol hls: 2 s segments (the media's GOP is 2 s), a 10 s window.
HLS_FRAGMENT_S = 2
HLS_WINDOW_S = 10
# HLS latency is seconds by design (a segment is listed only once it is finished, and players
# poll), so "lagging" means over 3 segments + 1 s for HLS players, not 500 ms: a player that
# keeps up sees a frame at most about one segment + one reload interval after it was published.
HLS_LAG_BOUND_MS = (3 * HLS_FRAGMENT_S + 1) * 1000
LAG_BOUND_MS = 500


def lag_bound_ms(protocol):
    return HLS_LAG_BOUND_MS if protocol == "hls" else LAG_BOUND_MS

LOAD_CANDIDATES = [  # bench/CMakeLists.txt puts it at the top of the build directory
    "build-perf/ringcast-load",
    "build/ringcast-load",
    "build-load/ringcast-load",
    "build-bench/ringcast-load",
    "build/bench/load/ringcast-load",
    "build-load/bench/load/ringcast-load",
]
RINGCAST_CANDIDATES = ["build-perf/ringcast", "build/ringcast"]

SERVER_START_TIMEOUT_S = 10.0
SERVER_STOP_TIMEOUT_S = 5.0
SAMPLE_INTERVAL_S = 0.5
CONN_CHECK_S = 5.0


class Fatal(Exception):
    """A problem that stops the whole run (bad arguments, missing binary)."""


# ---------------------------------------------------------------------------------------------
# Process bookkeeping: every child goes in CHILDREN (its own session), and is killed on exit.

CHILDREN = {}  # pid -> (label, Popen)


def log(msg):
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def spawn(label, argv, stdout, stderr, cpu):
    cmd = ["taskset", "-c", str(cpu)] + argv  # taskset execs argv: the pid is the program's
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            start_new_session=True, cwd=REPO)
    CHILDREN[proc.pid] = (label, proc)
    return proc


def reap(proc):
    """Non-blocking: returns (returncode, rusage) once proc exited, else (None, None)."""
    if proc.returncode is not None:
        return proc.returncode, None
    try:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
    except ChildProcessError:
        proc.returncode = proc.returncode if proc.returncode is not None else -1
        return proc.returncode, None
    if pid == 0:
        return None, None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, ru


def stop(proc, timeout=SERVER_STOP_TIMEOUT_S):
    """SIGTERM the child's process group, SIGKILL it after `timeout`. Returns the exit code."""
    if proc.returncode is None:
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)  # its own session: the group id is its pid
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if reap(proc)[0] is not None:
                    break
                time.sleep(0.05)
            if proc.returncode is not None:
                break
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group, if any
        except (ProcessLookupError, PermissionError):
            pass
    CHILDREN.pop(proc.pid, None)
    return proc.returncode


def kill_all_children():
    for pid, (label, proc) in list(CHILDREN.items()):
        log(f"stopping {label} (pid {pid})")
        stop(proc, timeout=2.0)


def on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


# ---------------------------------------------------------------------------------------------
# /proc sampling.

def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    return data[data.rindex(")") + 2:].split()  # fields from 3 (state) on


def tree_pids(root):
    """root and its live descendants (servers that fork are measured whole)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(name)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(root):
    """utime+stime (+ reaped children's) of the process tree, all threads, in seconds."""
    total = 0
    for pid in tree_pids(root):
        try:
            f = _stat_fields(pid)
        except (OSError, ValueError):
            continue
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])  # utime stime cutime cstime
    return total / CLK_TCK


def rss_kib(root):
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def established(*ports):
    """Established TCP connections whose local port is one of `ports` (the server's side)."""
    want = tuple(f":{port:04X}" for port in ports)
    n = 0
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split(None, 4)
                if parts[1].endswith(want) and parts[3] == "01":
                    n += 1
    except OSError:
        return -1
    return n


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            data = f.read().splitlines()
    except OSError:
        return "(no output)"
    return "\n".join("    " + l for l in data[-lines:]) or "    (empty)"


# ---------------------------------------------------------------------------------------------
# Environment: binaries, versions, machine.

def run_text(argv, timeout=20):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        return p.stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"({e})"


def find_exe(explicit, candidates, name, what):
    if explicit:
        path = explicit if os.path.isabs(explicit) or os.sep in explicit else shutil.which(explicit)
        if not path or not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise Fatal(f"{what}: {explicit} is not an executable file")
        return os.path.abspath(path)
    for c in candidates:
        p = os.path.join(REPO, c)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    p = shutil.which(name)
    if p:
        return p
    raise Fatal(f"{what} not found (looked in {', '.join(candidates)} and PATH); "
                f"build it or pass its path")


def rtmp_module_path():
    out = run_text(["dpkg", "-L", "libnginx-mod-rtmp"])
    for line in out.splitlines():
        if line.endswith("ngx_rtmp_module.so") and os.path.isfile(line):
            return line
    for p in ("/usr/lib/nginx/modules/ngx_rtmp_module.so",
              "/usr/share/nginx/modules/ngx_rtmp_module.so"):
        if os.path.isfile(p):
            return p
    raise Fatal("ngx_rtmp_module.so not found: install libnginx-mod-rtmp (scripts/install-deps.sh) "
                "or pass --rtmp-module PATH")


def machine_info():
    lscpu = run_text(["lscpu"])
    model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines()
                  if l.startswith("Model name")), platform.processor() or "unknown")
    mem = "unknown"
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            mem = f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    hypervisor = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines()
                       if l.startswith("Hypervisor vendor")), None)
    with open("/proc/loadavg") as f:
        loadavg = " ".join(f.read().split()[:3])
    return {
        "cpu_model": model,
        "cpus_online": os.cpu_count(),
        "hypervisor": hypervisor,
        "memory": mem,
        "kernel": platform.release(),
        "loadavg_at_start": loadavg,
        "hostname": platform.node(),
    }


def file_id(path):
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        st = os.stat(path)
        return {"path": path, "sha256_12": h.hexdigest()[:12],
                "mtime": datetime.datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds")}
    except OSError as e:
        return {"path": path, "error": str(e)}


def source_revision():
    """The checked-out commit, read from .git's files (no git process)."""
    try:
        git = os.path.join(REPO, ".git")
        if os.path.isfile(git):
            with open(git) as f:
                git = os.path.join(REPO, f.read().split("gitdir:", 1)[1].strip())
        with open(os.path.join(git, "HEAD")) as f:
            head = f.read().strip()
        if not head.startswith("ref:"):
            return head
        ref = head[4:].strip()
        p = os.path.join(git, ref)
        if os.path.isfile(p):
            with open(p) as f:
                return f"{f.read().strip()} ({ref})"
        with open(os.path.join(git, "packed-refs")) as f:
            for line in f:
                if line.rstrip().endswith(" " + ref):
                    return f"{line.split()[0]} ({ref})"
    except (OSError, IndexError):
        pass
    return "unknown"


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(need, 65536)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, max(hard, target)))
    except (ValueError, OSError):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        raise Fatal(f"open-file limit is {soft} (hard {hard}) but {need} are needed; "
                    f"raise it (ulimit -Hn) or use fewer players")
    return soft


# ---------------------------------------------------------------------------------------------
# Media.

def make_media(ffmpeg, seconds):
    name = f"testsrc2-640x360-25fps-x264-2M-g50-aac128k-{seconds}s.flv"
    media_dir = os.path.join(PERF, "runs", "media")
    path = os.path.join(media_dir, name)
    if os.path.isfile(path) and os.path.getsize(path) > 0:
        return path
    os.makedirs(media_dir, exist_ok=True)
    tmp = path + ".part.flv"
    argv = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-b:v", "2M", "-maxrate", "2M", "-bufsize", "2M",
            "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
            "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            "-t", str(seconds), "-f", "flv", tmp]
    log(f"making the sample media once: {path}")
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise Fatal("ffmpeg took more than 300 s to make the sample media")
    if p.returncode != 0 or not os.path.isfile(tmp):
        raise Fatal(f"ffmpeg failed to make the sample media (exit {p.returncode}):\n{p.stdout}")
    os.replace(tmp, path)
    return path


def media_info(path):
    ffprobe = shutil.which("ffprobe")
    info = {"path": os.path.relpath(path, REPO), "bytes": os.path.getsize(path)}
    if ffprobe:
        out = run_text([ffprobe, "-v", "error", "-show_entries", "format=duration,bit_rate",
                        "-of", "json", path])
        try:
            fmt = json.loads(out)["format"]
            info["duration_s"] = round(float(fmt["duration"]), 2)
            info["kbps"] = round(int(fmt["bit_rate"]) / 1000)
        except (ValueError, KeyError, TypeError):
            pass
    return info


# ---------------------------------------------------------------------------------------------
# Servers.

def fill(template, values):
    for k, v in values.items():
        template = template.replace(f"@{k}@", str(v))
    return template


class Server:
    """How to start one server under test, given a port and a run directory."""

    def __init__(self, name, kind, argv_template, conf_template=None, conf_text=None, note="",
                 protocols=("rtmp",)):
        self.name = name
        self.kind = kind  # ringcast | nginx | custom
        self.argv_template = argv_template  # list of strings with @...@ placeholders
        self.conf_template = conf_template  # path (for the record)
        # Template text per player protocol (None: no config file). Only ringcast is set up
        # for HTTP-FLV; every other server is measured with RTMP players only.
        self.conf_texts = {p: conf_text for p in protocols} if not isinstance(conf_text, dict) \
            else conf_text
        self.protocols = list(protocols)
        self.note = note
        self.failed_to_start = None

    def prepare(self, port, rundir, tag, values, protocol="rtmp", http_port=None):
        # HLS: segments and playlists of this run only, served by the same server's http_server.
        hls_dir = os.path.join(rundir, f"hls-{self.name}-{tag}")
        if protocol == "hls":
            os.makedirs(hls_dir, exist_ok=True)
        vals = dict(values, PORT=port, HTTP_PORT=http_port or "", RUNDIR=rundir,
                    NAME=f"{self.name}-{tag}", HLSDIR=hls_dir)
        conf = None
        conf_text = self.conf_texts.get(protocol)
        if conf_text is not None:
            conf = os.path.join(rundir, f"{self.name}-{tag}.conf")
            with open(conf, "w") as f:
                f.write(fill(conf_text, vals))
        vals["CONF"] = conf or ""
        argv = [fill(a, vals) for a in self.argv_template]
        logfile = os.path.join(rundir, f"{self.name}-{tag}.log")
        return argv, conf, logfile


def read_template(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        raise Fatal(f"cannot read config template {path}: {e}")


def ringcast_conf(template, profile, protocol):
    """ringcast.conf.in filled for a profile and a player protocol (@PORT@, @HTTP_PORT@ and
    the others are left for Server.prepare)."""
    vhost_body = []
    if profile == "low-latency":
        vhost_body.append("    min_latency on;\n    play {\n        mw_latency 0;\n    }\n")
    http_server = ""
    if protocol == "http-flv":
        http_server = "http_server {\n    enabled on;\n    listen 127.0.0.1:@HTTP_PORT@;\n}\n"
        vhost_body.append("    http_remux {\n        enabled on;\n"
                          "        mount [vhost]/[app]/[stream].flv;\n    }\n")
    elif protocol == "hls":
        http_server = ("http_server {\n    enabled on;\n    listen 127.0.0.1:@HTTP_PORT@;\n"
                       "    dir @HLSDIR@;\n}\n")
        vhost_body.append(f"    hls {{\n        enabled on;\n        hls_fragment {HLS_FRAGMENT_S};\n"
                          f"        hls_window {HLS_WINDOW_S};\n        hls_path @HLSDIR@;\n"
                          "        hls_cleanup on;\n    }\n")
    vhost = "vhost __defaultVhost__ {\n" + "".join(vhost_body) + "}\n" if vhost_body else ""
    return fill(template, {"VHOST": vhost, "HTTP_SERVER": http_server})


def builtin_servers(args, ringcast, nginx, module):
    servers = []
    if "ringcast" in args.only:
        text = read_template(os.path.join(PERF, "ringcast.conf.in"))
        profiles = {"default": ["default"], "low-latency": ["low-latency"],
                    "both": ["default", "low-latency"]}[args.profile]
        for prof in profiles:
            texts = {p: ringcast_conf(text, prof, p) for p in args.protocols}
            name = "ringcast" if prof == "default" else "ringcast-ll"
            servers.append(Server(name, "ringcast", [ringcast, "-c", "@CONF@"],
                                  "perf/ringcast.conf.in", texts, note=f"profile {prof}",
                                  protocols=args.protocols))
    if "nginx" in args.only:
        text = read_template(os.path.join(PERF, "nginx-rtmp.conf.in"))
        # -p: prefix for nginx's relative paths; -e: its early error log (before the config).
        servers.append(Server("nginx", "nginx",
                              [nginx, "-p", "@RUNDIR@/", "-e", "@RUNDIR@/@NAME@.early.log",
                               "-c", "@CONF@"],
                              "perf/nginx-rtmp.conf.in", text, note="nginx-rtmp, 1 process"))
    for spec in args.server:
        if "=" not in spec:
            raise Fatal(f"--server {spec!r}: expected NAME=CMD")
        name, cmd = spec.split("=", 1)
        name = name.strip()
        if not name or any(s.name == name for s in servers):
            raise Fatal(f"--server {spec!r}: empty or duplicate name")
        conf_path = args.server_conf.get(name)
        text = read_template(conf_path) if conf_path else None
        if "@PORT@" not in cmd and (text is None or "@PORT@" not in text):
            raise Fatal(f"--server {name}: neither its command nor its --server-conf template "
                        f"has @PORT@; the server must listen on the port the script picks")
        if "@CONF@" in cmd and text is None:
            raise Fatal(f"--server {name}: command uses @CONF@ but no --server-conf {name}=FILE")
        servers.append(Server(name, "custom", shlex.split(cmd), conf_path, text, note="custom"))
    for name in args.server_conf:
        if not any(s.name == name for s in servers):
            raise Fatal(f"--server-conf {name}=...: no --server {name}=CMD")
    if not servers:
        raise Fatal("no server to run")
    return servers


def start_server(server, port, rundir, tag, values, cpu, protocol="rtmp", http_port=None):
    argv, conf, logfile = server.prepare(port, rundir, tag, values, protocol, http_port)
    ports = [port] + ([http_port] if http_port else [])
    out = open(logfile + ".stdout", "w")
    try:
        proc = spawn(server.name, argv, out, subprocess.STDOUT, cpu)
    except OSError as e:
        out.close()
        return None, f"cannot start {shlex.join(argv)}: {e}", argv, conf, logfile
    out.close()  # the child holds its own copy
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        rc, _ = reap(proc)
        if rc is not None:
            CHILDREN.pop(proc.pid, None)
            return None, (f"{server.name} exited with status {rc} before listening on "
                          f"127.0.0.1:{port}; its output:\n{tail(logfile + '.stdout')}\n"
                          f"its log ({logfile}):\n{tail(logfile)}"), argv, conf, logfile
        if all(port_accepts(p) for p in ports):
            return proc, None, argv, conf, logfile
        time.sleep(0.1)
    stop(proc)
    return None, (f"{server.name} did not accept connections on 127.0.0.1:"
                  f"{' and '.join(str(p) for p in ports)} within "
                  f"{SERVER_START_TIMEOUT_S:.0f} s; its output:\n{tail(logfile + '.stdout')}"), \
        argv, conf, logfile


# ---------------------------------------------------------------------------------------------
# One measurement: one server, one N.

def measure(args, server, n, load, media, rundir, values, protocol="rtmp"):
    tag = f"n{n}" if protocol == "rtmp" else f"{protocol}-n{n}"
    rec = {"server": server.name, "kind": server.kind, "note": server.note, "protocol": protocol,
           "players": n, "ok": False, "errors": []}
    port = free_port()
    rec["port"] = port
    http_port = None
    if protocol in ("http-flv", "hls"):
        http_port = free_port()
        while http_port == port:
            http_port = free_port()
        rec["http_port"] = http_port
    # The publisher connects to the RTMP port, the players to the HTTP port for HTTP-FLV.
    ports = (port,) if http_port is None else (port, http_port)
    proc, err, argv, conf, logfile = start_server(server, port, rundir, tag, values,
                                                  args.server_cpu, protocol, http_port)
    rec["server_argv"] = argv
    rec["server_conf"] = conf
    rec["server_log"] = logfile
    if proc is None:
        rec["errors"].append(err)
        server.failed_to_start = err
        log(f"{server.name} N={n}: failed to start; its other runs are skipped")
        return rec
    load_proc = None
    try:
        time.sleep(args.settle)
        rec["server_pid"] = proc.pid
        rss_base = rss_kib(proc.pid)
        cpu0 = cpu_seconds(proc.pid)
        url = f"rtmp://127.0.0.1:{port}/{STREAM_PATH}"
        play_url = {"rtmp": url, "http-flv": f"http://127.0.0.1:{http_port}/{STREAM_PATH}.flv",
                    "hls": f"http://127.0.0.1:{http_port}/{STREAM_PATH}.m3u8"}[protocol]
        json_path = os.path.join(rundir, f"load-{server.name}-{tag}.json")
        err_path = os.path.join(rundir, f"load-{server.name}-{tag}.stderr")
        load_argv = [load, "--publish", url, "--flv", media, "--play", play_url,
                     "--players", str(n), "--ramp", str(args.ramp),
                     "--duration", str(args.duration), "--warmup", str(args.warmup),
                     "--lag-ms", str(lag_bound_ms(protocol)), "--json", json_path]
        rec["lag_bound_ms"] = lag_bound_ms(protocol)
        rec["load_argv"] = load_argv
        rec["load_stderr"] = err_path
        if os.path.exists(json_path):
            os.unlink(json_path)
        errf = open(err_path, "w")
        t0 = time.monotonic()
        try:
            load_proc = spawn("load client", load_argv, subprocess.DEVNULL, errf, args.load_cpu)
        except OSError as e:
            errf.close()
            rec["errors"].append(f"cannot start the load client {load}: {e}")
            return rec
        errf.close()
        timeout = n / max(args.ramp, 1) * 2 + args.duration + args.load_timeout_slack
        samples = []  # (t, cpu_s, rss_kib, established)
        t_all = None
        next_print = t0 + 5
        load_ru = None
        killed = False
        last_conns, next_conn_check = 0, t0
        while True:
            now = time.monotonic()
            rc, ru = reap(load_proc)
            if rc is not None:
                load_ru = ru
                break
            srv_rc, _ = reap(proc)
            if srv_rc is not None:
                rec["errors"].append(f"{server.name} exited with status {srv_rc} during the "
                                     f"run; its log ({logfile}):\n{tail(logfile)}\n"
                                     f"{tail(logfile + '.stdout')}")
                stop(load_proc, timeout=2)
                killed = True
                break
            if now - t0 > timeout:
                stop(load_proc, timeout=2)
                killed = True
                rec["errors"].append(f"the load client ran longer than {timeout:.0f} s and was "
                                     f"killed; stderr ({err_path}):\n{tail(err_path)}")
                break
            # /proc/net/tcp costs ~25 ms of CPU 1 per 4000 players: every sample until all are
            # connected, then every CONN_CHECK_S.
            conns = None
            if t_all is None or now >= next_conn_check:
                conns = last_conns = established(*ports)
                next_conn_check = now + CONN_CHECK_S
                if t_all is None and conns >= n + 1:
                    t_all = now - t0
            samples.append((now - t0, cpu_seconds(proc.pid), rss_kib(proc.pid), conns))
            if now >= next_print:
                c = samples[-1]
                log(f"{server.name} {protocol} N={n}: t={c[0]:.0f}s connections {last_conns}/{n + 1} "
                    f"server cpu {c[1] - cpu0:.1f}s rss {c[2] / 1024:.0f} MiB")
                next_print = now + 5
            time.sleep(SAMPLE_INTERVAL_S)
        t_end = time.monotonic() - t0
        cpu1 = cpu_seconds(proc.pid) if reap(proc)[0] is None else None
        CHILDREN.pop(load_proc.pid, None)
        rec["load_exit"] = load_proc.returncode
        rec["wall_s"] = round(t_end, 2)
        if load_ru is not None:
            rec["load_cpu_s"] = round(load_ru.ru_utime + load_ru.ru_stime, 2)
            rec["load_cpu_pct"] = round(100 * rec["load_cpu_s"] / max(t_end, 1e-3), 1)
        rec["rss_base_kib"] = rss_base
        if cpu1 is not None:
            rec["server_cpu_s"] = round(cpu1 - cpu0, 3)
            rec["rss_after_exit_kib"] = rss_kib(proc.pid)
        rec["all_connected_at_s"] = round(t_all, 2) if t_all is not None else None
        rec["samples"] = [[round(a, 2), round(b, 2), c, d] for a, b, c, d in samples]
        if load_proc.returncode not in (0, None) and not killed:
            rec["errors"].append(f"the load client exited with status {load_proc.returncode}; "
                                 f"stderr ({err_path}):\n{tail(err_path)}")
        # The load client's report.
        result = None
        try:
            with open(json_path) as f:
                result = json.load(f)
        except FileNotFoundError:
            rec["errors"].append(f"the load client wrote no JSON ({json_path})")
        except (OSError, ValueError) as e:
            rec["errors"].append(f"the load client's JSON ({json_path}) is unreadable: {e}")
        rec["load"] = result
        if result is not None:
            derive(rec, result, samples, t_all, cpu0, args)
        rec["ok"] = bool(result) and not rec["errors"] and rec.get("lag_free", False)
        return rec
    finally:
        if load_proc is not None:
            stop(load_proc, timeout=2)  # also whatever it left in its process group
        code = stop(proc)
        rec["server_exit"] = code


def derive(rec, result, samples, t_all, cpu0, args):
    n = rec["players"]
    g = lambda *keys: _get(result, *keys)  # noqa: E731
    gb = (g("bytes") or 0) / 1e9
    if rec.get("server_cpu_s") is not None and gb > 0:
        rec["cpu_s_per_gb"] = round(rec["server_cpu_s"] / gb, 3)
    # Steady state: from all connected + warmup to the last sample (CPU share, RSS).
    start = (t_all if t_all is not None else n / max(args.ramp, 1)) + args.warmup
    steady = [s for s in samples if s[0] >= start]
    if len(steady) >= 2:
        dt = steady[-1][0] - steady[0][0]
        if dt > 0:
            rec["server_cpu_pct_steady"] = round(100 * (steady[-1][1] - steady[0][1]) / dt, 1)
        rec["steady_window_s"] = round(dt, 1)
        full = [s for s in steady if s[3] is not None and s[3] >= n + 1] or steady
        rec["rss_warm_kib"] = full[-1][2]
    elif samples:
        rec["rss_warm_kib"] = samples[-1][2]
    if rec.get("rss_warm_kib") is not None and n > 0:
        rec["rss_per_player_kib"] = round((rec["rss_warm_kib"] - rec["rss_base_kib"]) / n, 2)
    rec["peak_rss_kib"] = max((s[2] for s in samples), default=None)
    # The same ratio over the steady state only: the load client's mbps counts the bytes after
    # its warmup; our CPU share covers (all connected + warmup, exit), aligned to ~0.5 s.
    mbps = g("mbps")
    if rec.get("server_cpu_pct_steady") is not None and isinstance(mbps, (int, float)) and mbps > 0:
        rec["cpu_s_per_gb_steady"] = round(rec["server_cpu_pct_steady"] * 80 / mbps, 3)
    # players_lagging counts against --lag-ms (500 but for HLS); older load clients only
    # report players_lagging_500ms.
    lag = g("players_lagging") if g("players_lagging") is not None else g("players_lagging_500ms")
    rec["lag_free"] = (lag == 0 and g("connected") == n and not g("failed")
                       and not rec["errors"])


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


# ---------------------------------------------------------------------------------------------
# Report.

PLAY_URLS = {"rtmp": f"rtmp://127.0.0.1:PORT/{STREAM_PATH}",
             "http-flv": f"http://127.0.0.1:HTTP_PORT/{STREAM_PATH}.flv",
             "hls": f"http://127.0.0.1:HTTP_PORT/{STREAM_PATH}.m3u8"}


def series_label(run):
    """One line of results: a server with one player protocol ("ringcast", "ringcast http-flv")."""
    protocol = run.get("protocol", "rtmp")
    return run["server"] if protocol == "rtmp" else f"{run['server']} {protocol}"


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def write_report(report, md_path, json_path):
    with open(json_path, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    m = report["machine"]
    v = report["versions"]
    s = report["settings"]
    lines = [
        f"# {report.get('title', 'RTMP density')}: {', '.join(report['servers'])}, loopback, "
        f"{report['date']}",
        "",
        "Produced by `perf/compare.py` (method, columns and caveats: `perf/README.md`). "
        f"Raw data: `{os.path.basename(json_path)}`.",
        "",
        "## Command",
        "",
        "```",
        report["command"],
        "```",
        "",
        "## Machine and versions",
        "",
        f"- CPU: {m['cpu_model']}, {m['cpus_online']} CPUs online"
        + (f" ({m['hypervisor']} guest)" if m.get("hypervisor") else "")
        + f", {m['memory']} RAM; load average at start: {m['loadavg_at_start']}",
        f"- kernel: {m['kernel']}",
        f"- ringcast: {v.get('ringcast', '–')} (source {v.get('source', 'unknown')})",
        f"- nginx: {v.get('nginx', '–')}, libnginx-mod-rtmp {v.get('nginx_rtmp', '–')}",
        f"- ffmpeg: {v.get('ffmpeg', '–')}",
        f"- load client: {v.get('load', {}).get('path', '–')} "
        f"(sha256 {v.get('load', {}).get('sha256_12', '–')}, built {v.get('load', {}).get('mtime', '–')})",
    ]
    for name, cmd in report.get("custom_servers", {}).items():
        lines.append(f"- {name}: `{cmd}`")
    lines += [
        "",
        "## Settings",
        "",
        f"- server on CPU {s['server_cpu']}, load client on CPU {s['load_cpu']} (taskset); "
        f"127.0.0.1 only; open-file limit {s['nofile']}; this script (on CPU {s['load_cpu']}) "
        f"used {s.get('script_cpu_s', '?')} CPU-s in all",
        f"- load: 1 RTMP publisher looping `{s['media']['path']}` in real time "
        f"({s['media'].get('kbps', '?')} kb/s) + N players of "
        + " or ".join(f"`{PLAY_URLS[p]}` ({p})" for p in s.get("protocols", ["rtmp"]))
        + f"; ramp {s['ramp']}/s, {s['duration']} s after all connected, first {s['warmup']} s "
        f"excluded from latency",
        f"- each (server, protocol, N) gets a fresh server process; runs are interleaved by N "
        f"(N={s['players'][0]}: every server and protocol, then the next N)",
        "- servers: " + "; ".join(f"{x['name']} ({x['note']}, config `{x['conf']}`)"
                                  for x in report["server_list"]),
    ]
    lines += [f"- {note}" for note in report.get("notes", [])]
    lines += [
        "",
        "## Results",
        "",
        "| server | protocol | N | connected / failed | lagging > bound (500 ms; HLS "
        f"{HLS_LAG_BOUND_MS} ms) | startup p50 / p95 ms | "
        "latency p50 / p99 ms | Mb/s delivered | server CPU-s / GB | CPU-s / GB steady | "
        "server CPU % steady | RSS / player KiB | load CPU % | ok |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["runs"]:
        ld = r.get("load") or {}
        g = lambda *k: _get(ld, *k)  # noqa: E731
        lines.append(
            f"| {r['server']} | {r.get('protocol', 'rtmp')} | {r['players']} | "
            f"{fmt(g('connected'))} / {fmt(g('failed'))} | "
            f"{fmt(g('players_lagging') if g('players_lagging') is not None else g('players_lagging_500ms'))}"
            f"{' (> ' + str(r['lag_bound_ms']) + ')' if r.get('lag_bound_ms', LAG_BOUND_MS) != LAG_BOUND_MS else ''} | "
            f"{fmt(g('startup_ms', 'p50'))} / {fmt(g('startup_ms', 'p95'))} | "
            f"{fmt(g('latency_ms', 'p50'))} / {fmt(g('latency_ms', 'p99'))} | "
            f"{fmt(g('mbps'))} | {fmt(r.get('cpu_s_per_gb'), 2)} | "
            f"{fmt(r.get('cpu_s_per_gb_steady'), 2)} | "
            f"{fmt(r.get('server_cpu_pct_steady'))} | {fmt(r.get('rss_per_player_kib'))} | "
            f"{fmt(r.get('load_cpu_pct'))} | {'yes' if r['ok'] else '**no**'} |")
    lines += ["", "## Summary", ""]
    series = report["series"]
    for label in series:
        best = report["largest_lag_free_n"].get(label)
        bound = HLS_LAG_BOUND_MS if label.endswith(" hls") else LAG_BOUND_MS
        lines.append(f"- {label}: largest N with no player lagging > {bound} ms: "
                     f"**{best if best is not None else 'none'}**")
    for label, sl in report.get("rss_slope", {}).items():
        lines.append(f"- {label}: RSS per added player between N={sl['from']} and N={sl['to']} "
                     f"(fresh processes, so fixed costs cancel): {sl['kib_per_player']:.1f} KiB")
    by = {(series_label(r), r["players"]): r for r in report["runs"]}
    base = series[0] if series else None
    if len(series) > 1:
        ratio_rows = []
        for n in s["players"]:
            b = by.get((base, n), {}).get("cpu_s_per_gb")
            cells = []
            for label in series[1:]:
                o = by.get((label, n), {}).get("cpu_s_per_gb")
                cells.append(f"{o / b:.2f}" if b and o else "–")
            ratio_rows.append(f"| {n} | " + " | ".join(cells) + " |")
        lines += ["", f"CPU-seconds per GB relative to {base} (above 1: {base} uses less CPU "
                      "per byte delivered):", "",
                  "| N | " + " | ".join(series[1:]) + " |",
                  "|---:|" + "---:|" * (len(series) - 1)] + ratio_rows
    # The same server's HTTP-FLV players against its RTMP players, N by N.
    measured = {(r["server"], r.get("protocol", "rtmp")) for r in report["runs"]}
    for other, title in (("http-flv", "HTTP-FLV"), ("hls", "HLS")):
        pairs = [name for name in report["servers"]
                 if (name, "rtmp") in measured and (name, other) in measured]
        if not pairs:
            continue
        lines += ["", f"{title} players against RTMP players of the same server (server CPU-s / GB, "
                      f"whole run and steady state; ratio above 1: {title} costs more per byte):", "",
                  f"| server | N | RTMP | {title} | ratio | RTMP steady | {title} steady | "
                  "ratio steady |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name in pairs:
            for n in s["players"]:
                a = by.get((series_label({"server": name, "protocol": "rtmp"}), n), {})
                h = by.get((series_label({"server": name, "protocol": other}), n), {})
                cells = []
                for key in ("cpu_s_per_gb", "cpu_s_per_gb_steady"):
                    x, y = a.get(key), h.get(key)
                    cells += [fmt(x, 2), fmt(y, 2), f"{y / x:.2f}" if x and y else "–"]
                lines.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    if report.get("interrupted"):
        lines += ["", f"**Interrupted** ({report['interrupted']}): the runs above are the ones "
                      "that finished."]
    errs = [r for r in report["runs"] if r["errors"]]
    if errs:
        lines += ["", "## Errors", ""]
        for r in errs:
            for e in r["errors"]:
                first = e.splitlines()[0]
                lines.append(f"- {series_label(r)} N={r['players']}: {first}")
    lines.append("")
    with open(md_path, "w") as f:
        f.write("\n".join(lines))


def output_paths(args, date):
    out_dir = args.out_dir
    os.makedirs(out_dir, exist_ok=True)
    kind = {"rtmp": "rtmp-density", "http-flv": "rtmp-http-flv-density", "hls": "hls-density",
            "both": "rtmp-http-flv-density", "all": "rtmp-http-flv-hls-density"}[args.protocol]
    base = os.path.join(out_dir, f"{date}-{kind}")
    stem, i = base, 2
    while os.path.exists(stem + ".md") or os.path.exists(stem + ".json"):
        stem = f"{base}-{i}"
        i += 1
    return stem + ".md", stem + ".json"


# ---------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="perf/compare.py",
        description="Live density comparison: ringcast vs nginx-rtmp (vs --server ...), RTMP "
                    "and (ringcast) HTTP-FLV players, "
                    "server pinned to one CPU, load client to another. See perf/README.md.")
    p.add_argument("--players", help="comma-separated player counts (default 500,1000,2000,4000)")
    p.add_argument("--duration", type=int, help="seconds measured after all players connected "
                   "(default 30; 15 with --quick)")
    p.add_argument("--warmup", type=int, default=5,
                   help="first seconds excluded from latency stats (default 5)")
    p.add_argument("--ramp", type=int, default=1000, help="players connected per second "
                   "(default 1000)")
    p.add_argument("--quick", action="store_true", help="N in {500,1000}, 15 s each")
    p.add_argument("--profile", choices=["default", "low-latency", "both"], default="default",
                   help="ringcast profile: default merged writes, or low-latency "
                        "(min_latency on, mw_latency 0), or both as two servers")
    p.add_argument("--protocol", choices=list(PROTOCOL_SETS), default="rtmp",
                   help="how ringcast's players play: RTMP (default), HTTP-FLV (ringcast's "
                        "http_server + http_remux on a second free port, players GET "
                        f"/{STREAM_PATH}.flv), HLS (http_server with dir + hls in the default vhost, "
                        f"players poll /{STREAM_PATH}.m3u8 and fetch its segments), both (RTMP and "
                        "HTTP-FLV) or all three, one run each; the publisher is always RTMP, "
                        "and nginx-rtmp and --server ones are measured with RTMP players only")
    p.add_argument("--only", default="ringcast,nginx",
                   help="built-in servers to run: ringcast, nginx or both (default both); "
                        "'none' runs only --server ones")
    p.add_argument("--server", action="append", default=[], metavar="NAME=CMD",
                   help="another server: CMD with @PORT@, @CONF@, @RUNDIR@ placeholders; it must "
                        "stay in the foreground and serve RTMP app 'live' on 127.0.0.1:@PORT@")
    p.add_argument("--server-conf", action="append", default=[], metavar="NAME=TEMPLATE",
                   help="config template for --server NAME (placeholders @PORT@, @RUNDIR@, "
                        "@NAME@, @MAXCONN@, @NOFILE@), written per run and passed as @CONF@")
    p.add_argument("--load", help="load client binary (default: the first ringcast-load in "
                   "build-perf/, build/, build-load/, build-bench/, then PATH)")
    p.add_argument("--ringcast", help="ringcast binary (default build-perf/ringcast, "
                   "then build/ringcast)")
    p.add_argument("--nginx", default="nginx", help="nginx binary (default: nginx on PATH)")
    p.add_argument("--rtmp-module", help="ngx_rtmp_module.so (default: from dpkg -L "
                   "libnginx-mod-rtmp)")
    p.add_argument("--ffmpeg", default="ffmpeg")
    p.add_argument("--media-seconds", type=int, default=20)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--load-cpu", type=int, default=1)
    p.add_argument("--settle", type=float, default=1.0,
                   help="seconds between the server listening and the load starting (default 1)")
    p.add_argument("--load-timeout-slack", type=float, default=60.0,
                   help="seconds the load client may run past ramp + duration (default 60)")
    p.add_argument("--out-dir", default=os.path.join(PERF, "results"),
                   help="where the .md/.json go (default perf/results)")
    args = p.parse_args(argv)

    if args.players:
        try:
            args.players = [int(x) for x in args.players.split(",") if x.strip()]
        except ValueError:
            p.error("--players: comma-separated integers, e.g. 500,1000")
        if not args.players or min(args.players) < 1:
            p.error("--players: positive integers")
    else:
        args.players = QUICK_PLAYERS if args.quick else DEFAULT_PLAYERS
    if args.duration is None:
        args.duration = 15 if args.quick else 30
    if args.duration <= args.warmup:
        p.error(f"--duration ({args.duration}) must be longer than --warmup ({args.warmup})")
    args.protocols = list(PROTOCOL_SETS[args.protocol])
    args.only = [] if args.only == "none" else [x.strip() for x in args.only.split(",")]
    for x in args.only:
        if x not in ("ringcast", "nginx"):
            p.error(f"--only: unknown built-in server {x!r} (ringcast, nginx, none)")
    confs = {}
    for spec in args.server_conf:
        if "=" not in spec:
            p.error(f"--server-conf {spec!r}: expected NAME=FILE")
        k, val = spec.split("=", 1)
        confs[k.strip()] = val
    args.server_conf = confs
    return args


def main(argv):
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    cpus = os.sched_getaffinity(0)
    for c in (args.server_cpu, args.load_cpu):
        if c not in cpus:
            raise Fatal(f"CPU {c} is not available (allowed: {sorted(cpus)})")
    if args.server_cpu == args.load_cpu:
        raise Fatal("--server-cpu and --load-cpu must differ")
    if not shutil.which("taskset"):
        raise Fatal("taskset not found (util-linux)")

    notes = []
    http_protocols = [p for p in args.protocols if p != "rtmp"]
    if "nginx" in args.only and http_protocols:
        # nginx-rtmp's own HLS (hls on) is not set up here: only ringcast runs HTTP players.
        if "rtmp" in args.protocols:
            notes.append("nginx-rtmp is measured with RTMP players only (HTTP-FLV and HLS are not "
                         "set up for it): its " + " and ".join(http_protocols) + " runs are skipped")
        else:
            args.only.remove("nginx")
            notes.append(f"nginx-rtmp skipped: --protocol {args.protocol} asks for "
                         + " and ".join(http_protocols) + " players only, set up for ringcast only")
        log(notes[-1])
    if args.server and "rtmp" not in args.protocols:
        raise Fatal(f"--server ones are measured with RTMP players only; --protocol {args.protocol} "
                    "leaves them nothing to run (use --protocol both or all)")
    if args.server and http_protocols:
        notes.append("--server ones are measured with RTMP players only")

    # Resolve every binary before starting anything.
    load = find_exe(args.load, LOAD_CANDIDATES, "ringcast-load", "the load client (ringcast-load)")
    ringcast = nginx = module = None
    if "ringcast" in args.only:
        ringcast = find_exe(args.ringcast, RINGCAST_CANDIDATES, "ringcast", "ringcast")
    if "nginx" in args.only:
        nginx = find_exe(args.nginx, [], "nginx", "nginx")
        module = args.rtmp_module or rtmp_module_path()
        if not os.path.isfile(module):
            raise Fatal(f"--rtmp-module {module}: no such file")
    ffmpeg = find_exe(args.ffmpeg, [], "ffmpeg", "ffmpeg")
    for spec in args.server:
        if "=" in spec:
            cmd = shlex.split(spec.split("=", 1)[1])
            if cmd and not shutil.which(cmd[0]) and not os.access(cmd[0], os.X_OK):
                raise Fatal(f"--server {spec}: {cmd[0]} is not executable")
    servers = builtin_servers(args, ringcast, nginx, module)

    max_n = max(args.players)
    maxconn = max(10000, max_n + 100)
    nofile = raise_nofile(max_n + 1000)  # inherited by the servers and the load client

    # Stay off the server's CPU ourselves.
    os.sched_setaffinity(0, {args.load_cpu})

    date = datetime.date.today().isoformat()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    rundir = os.path.join(PERF, "runs", f"density-{stamp}")
    os.makedirs(rundir, exist_ok=True)
    md_path, json_path = output_paths(args, date)

    media = make_media(ffmpeg, args.media_seconds)
    versions = {
        "ffmpeg": run_text([ffmpeg, "-version"]).splitlines()[0],
        "load": file_id(load),
        "source": source_revision(),
    }
    if ringcast:
        versions["ringcast"] = run_text([ringcast, "-v"]).splitlines()[-1]
        versions["ringcast_binary"] = file_id(ringcast)
    if nginx:
        versions["nginx"] = run_text([nginx, "-v"]).splitlines()[-1].replace("nginx version: ", "")
        versions["nginx_rtmp"] = run_text(["dpkg-query", "-W", "-f=${Version}",
                                           "libnginx-mod-rtmp"])
        versions["rtmp_module"] = module
    if module is None:  # for --server templates that load it too
        try:
            module = rtmp_module_path()
        except Fatal:
            module = ""
    values = {"MAXCONN": maxconn, "NOFILE": nofile, "RTMP_MODULE": module, "VHOST": "",
              "HTTP_SERVER": ""}

    command = shlex.join(["python3", os.path.relpath(os.path.abspath(sys.argv[0]), REPO)]
                         + list(argv))
    series = [series_label({"server": s.name, "protocol": p})
              for s in servers for p in args.protocols if p in s.protocols]
    report = {
        "title": {"rtmp": "RTMP density", "http-flv": "HTTP-FLV density",
                  "both": "RTMP and HTTP-FLV density", "hls": "HLS density",
                  "all": "RTMP, HTTP-FLV and HLS density"}[args.protocol],
        "date": date,
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": command,
        "cwd": os.getcwd(),
        "machine": machine_info(),
        "versions": versions,
        "settings": {"players": args.players, "duration": args.duration, "warmup": args.warmup,
                     "ramp": args.ramp, "profile": args.profile, "protocols": args.protocols,
                     "server_cpu": args.server_cpu,
                     "load_cpu": args.load_cpu, "nofile": nofile, "max_connections": maxconn,
                     "settle_s": args.settle, "media": media_info(media),
                     "run_dir": os.path.relpath(rundir, REPO)},
        "servers": [s.name for s in servers],
        "series": series,
        "notes": notes,
        "server_list": [{"name": s.name, "kind": s.kind, "note": s.note, "protocols": s.protocols,
                         "conf": s.conf_template or "(none)", "argv": s.argv_template}
                        for s in servers],
        "custom_servers": {s.name: shlex.join(s.argv_template) for s in servers
                           if s.kind == "custom"},
        "runs": [],
    }
    est = sum(len(series) * (n / args.ramp + args.duration + args.settle + 4)
              for n in args.players)
    log(f"{len(series)} server/protocol series x {len(args.players)} player counts, about "
        f"{est / 60:.1f} min; logs in {os.path.relpath(rundir, REPO)}")

    interrupted = None
    try:
        for n in args.players:
            for server in servers:
                for protocol in [p for p in args.protocols if p in server.protocols]:
                    label = series_label({"server": server.name, "protocol": protocol})
                    if server.failed_to_start:
                        report["runs"].append({"server": server.name, "protocol": protocol,
                                               "players": n, "ok": False,
                                               "errors": [f"skipped: {server.name} failed to "
                                                          f"start earlier"]})
                        continue
                    log(f"{label} N={n}: start")
                    rec = measure(args, server, n, load, media, rundir, values, protocol)
                    report["runs"].append(rec)
                    ld = rec.get("load") or {}
                    log(f"{label} N={n}: {'ok' if rec['ok'] else 'NOT OK'}; "
                        f"cpu/GB {fmt(rec.get('cpu_s_per_gb'), 2)}, lagging "
                        f"{fmt(ld.get('players_lagging', ld.get('players_lagging_500ms')))}, rss/player "
                        f"{fmt(rec.get('rss_per_player_kib'))} KiB")
                    for e in rec["errors"]:
                        log(f"  error: {e}")
                    time.sleep(1.0)
    except KeyboardInterrupt as e:
        interrupted = str(e) or "interrupted"
        log(f"interrupted ({interrupted}); writing what was measured")
    finally:
        kill_all_children()

    report["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    me = resource.getrusage(resource.RUSAGE_SELF)
    report["settings"]["script_cpu_s"] = round(me.ru_utime + me.ru_stime, 2)
    if interrupted:
        report["interrupted"] = interrupted
    report["largest_lag_free_n"] = {
        label: max((r["players"] for r in report["runs"]
                    if series_label(r) == label and r.get("ok")), default=None)
        for label in series}
    report["rss_slope"] = {}
    for label in series:
        pts = sorted((r["players"], r["rss_warm_kib"]) for r in report["runs"]
                     if series_label(r) == label and r.get("rss_warm_kib") is not None
                     and (r.get("load") or {}).get("connected") == r["players"])
        if len(pts) >= 2 and pts[-1][0] > pts[0][0]:
            report["rss_slope"][label] = {
                "from": pts[0][0], "to": pts[-1][0],
                "kib_per_player": round((pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0]), 2)}
    write_report(report, md_path, json_path)
    log(f"wrote {os.path.relpath(md_path, REPO)} and {os.path.relpath(json_path, REPO)}")
    with open(md_path) as f:
        print(f.read())
    failed = [r for r in report["runs"] if r.get("errors")]
    if interrupted:
        return 130
    if failed:
        log(f"{len(failed)} of {len(report['runs'])} runs had errors (see the Errors section)")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Fatal as e:
        kill_all_children()
        print(f"compare.py: {e}", file=sys.stderr)
        sys.exit(2)
    except BaseException:
        kill_all_children()
        raise
