"""The benchmarks' nginx in front of the Daphne processes, configured as the docs deploy it.

Tooling, not application code: bench/hostile.py and bench/live_load.py, with `--proxy`, put every
client behind a real nginx whose site is read from the docs themselves, so that what they measure is
what a deployment that follows them gets: the README's nginx block (the upstream, `location /` and its
proxy lines) with the per-address limits on new websocket connections of docs/operations.md ("On the
internet") in `location /ws/`. Only what loopback needs changes: the upstream's servers are the
benchmark's Daphne ports (with the README's parameters, `max_fails=0`), and the server listens on a
free port of 127.0.0.1 in plain HTTP (no TLS).
The main context is Debian's nginx.conf (a worker per core) with more connections a worker: a proxied
socket takes two (see `MAIN`).

nginx runs in the foreground from a directory of its own (`-p DIR -c FILE`), never as the system's
service, and is stopped on leaving. Its access log (one line per request, written when it ends: for a
websocket, when it closes) and its error log go to the benchmark's logs; `answers` and `errors` read
them back in a few lines, by client address.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.stack import ROOT, cpu_seconds, stop

NGINX_BLOCK = re.compile(r"```nginx\n(.*?)```", re.DOTALL)
# Debian's nginx.conf, but for the connections: nginx counts both sides of a proxied socket, so a class
# of 600 behind one address (the docs' limit_conn) needs 1,200 on one worker; Debian's 768 would refuse.
MAIN = """\
worker_processes auto;
worker_rlimit_nofile 20000;
pid {dir}/nginx.pid;
error_log {error_log} warn;
daemon off;
events {{ worker_connections 8192; }}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    log_format parley '$msec $remote_addr $status "$request"';
    access_log {access_log} parley;
{site}
}}
"""


class DocsChanged(RuntimeError):
    """The docs' nginx blocks no longer have the shape this module reads."""


def _block(text: str, where: str) -> str:
    blocks = NGINX_BLOCK.findall(text)
    if len(blocks) != 1:
        raise DocsChanged(f"{where}: expected one ```nginx block, found {len(blocks)}")
    return str(blocks[0])


def _braced(text: str, opening: str, where: str) -> str:
    """The lines inside the block that starts with `opening` (one level of braces), unindented."""
    match = re.search(rf"^\s*{re.escape(opening)}\s*\{{\n(.*?)^\s*\}}", text, re.DOTALL | re.MULTILINE)
    if match is None:
        raise DocsChanged(f"{where}: no `{opening} {{ ... }}` block")
    return "\n".join(line.strip() for line in match.group(1).splitlines() if line.strip())


def _directives(lines: str) -> list[str]:
    """Each directive of a block on one line, comments dropped."""
    return [line.split("#")[0].strip() for line in lines.splitlines() if line.split("#")[0].strip()]


def documented_site(ports: list[int], listen: str, root: Path = ROOT) -> str:
    """The http-context part of nginx's configuration as the docs deploy Parley, with `ports` as the
    upstream's servers (each with the parameters the README gives its servers) and `listen`
    (address:port) instead of the README's `listen 443 ssl`.

    Raises DocsChanged, saying what is missing, when a block is not where or what it was."""
    readme = _block((root / "README.md").read_text(), "README.md")
    operations = (root / "docs" / "operations.md").read_text()
    section = operations.partition("\n## On the internet\n")[2].partition("\n## ")[0]
    internet = _block(section, 'docs/operations.md, "On the internet"')

    upstream = re.search(r"^upstream parley \{([^}]*)\}", readme, re.MULTILINE)
    if upstream is None:
        raise DocsChanged("README.md: no `upstream parley { ... }` line in its nginx block")
    parameters = set(re.findall(r"\bserver\s+\S+?((?:\s+[^\s;]+)*)\s*;", upstream[1]))
    if len(parameters) > 1:
        raise DocsChanged("README.md: the upstream's servers differ in their parameters")
    given = parameters.pop() if parameters else ""
    servers = " ".join(f"server 127.0.0.1:{port}{given};" for port in ports)
    proxy_lines = _directives(_braced(readme, "location /", "README.md"))
    if not any(line.startswith("proxy_pass http://parley;") for line in proxy_lines):
        raise DocsChanged("README.md: its `location /` does not proxy_pass to http://parley")
    zones = [line for line in _directives(internet.partition("server {")[0]) if line.startswith("limit_")]
    ws = _braced(internet, "location /ws/", 'docs/operations.md, "On the internet"')
    limits = [line for line in _directives(ws) if line.startswith("limit_")]
    if not zones or not limits:
        raise DocsChanged('docs/operations.md, "On the internet": no limit_req/limit_conn lines to read')
    server_lines = _directives(readme.partition("server {")[2].partition("location /")[0])
    if "listen 443 ssl;" not in server_lines:
        raise DocsChanged("README.md: its server block no longer says `listen 443 ssl;`")
    server_lines = [f"listen {listen};" if line == "listen 443 ssl;" else line for line in server_lines]

    def location(path: str, lines: list[str]) -> list[str]:
        return [f"    location {path} {{", *(f"        {line}" for line in lines), "    }"]

    site = [
        *zones,
        f"upstream parley {{ {servers} }}",
        "server {",
        *(f"    {line}" for line in server_lines),
        *location("/", proxy_lines),
        *location("/ws/", limits + proxy_lines),
        "}",
    ]
    return "\n".join(f"    {line}" for line in site)


def refill_seconds(site: str) -> float:
    """How long the per-address budget of new websocket connections of `site` (limit_req's burst) takes to
    fill again once spent: burst / rate (15 s for a burst of 300 at 20 a second)."""
    rate = re.search(r"limit_req_zone .*\brate=(\d+)r/([sm])", site)
    burst = re.search(r"limit_req .*\bburst=(\d+)", site)
    if rate is None:
        raise DocsChanged("the docs' nginx site has no limit_req_zone with a rate")
    per_second = int(rate[1]) / (60 if rate[2] == "m" else 1)
    return (int(burst[1]) if burst else 0) / per_second


def proxy_option(parser: argparse.ArgumentParser, sources: str) -> None:
    parser.add_argument(
        "--proxy", action="store_true",
        help=f"every client through nginx configured as the docs deploy it (bench/proxy.py), {sources}",
    )  # fmt: skip


def proxied(env: dict[str, str], proxy: bool) -> dict[str, str]:
    """The Daphne processes' environment: behind the README's nginx, TRUSTED_PROXY_COUNT=1 (as it says)."""
    return {**env, "TRUSTED_PROXY_COUNT": "1"} if proxy else env


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise SystemExit("--proxy needs nginx (Debian: apt-get install -y nginx; its service need not run)")
    return found


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


@dataclass
class Proxy:
    port: int
    process: subprocess.Popen[bytes]
    access_log: Path
    error_log: Path
    refill_s: float  # how long an address's spent burst of new websocket connections takes to come back

    def pids(self) -> list[int]:
        """The master process and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [self.process.pid, *(int(pid) for pid in children.read_text().split())]
        return [self.process.pid]

    def mark(self) -> Mark:
        """Where both logs end now, and nginx's CPU so far: what comes after is what happens next."""
        cpu = sum(cpu_seconds(pid) for pid in self.pids())
        return Mark(self.access_log.stat().st_size, self.error_log.stat().st_size, cpu)


@dataclass(frozen=True)
class Mark:
    access: int
    error: int
    cpu_s: float


@contextlib.contextmanager
def nginx(ports: list[int], logs: Path, name: str = "nginx", timeout: float = 30) -> Iterator[Proxy]:
    """nginx in front of the Daphne processes on `ports`, as the docs configure it, on a free port of
    127.0.0.1; yields once it accepts connections, stops it on leaving. Its logs are `logs`/NAME-*.log."""
    binary = nginx_binary()
    logs.mkdir(parents=True, exist_ok=True)
    access_log, error_log = logs / f"{name}-access.log", logs / f"{name}-error.log"
    for log in (access_log, error_log):
        log.write_text("")
    with tempfile.TemporaryDirectory(prefix="parley-nginx-") as directory:
        Path(directory).chmod(0o755)  # run as root, nginx's workers are another user: they make temp files here
        port = free_port()
        config = Path(directory) / "nginx.conf"
        site = documented_site(ports, f"127.0.0.1:{port}")
        config.write_text(MAIN.format(dir=directory, error_log=error_log, access_log=access_log, site=site))
        command = [binary, "-p", directory, "-c", str(config), "-e", str(error_log)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + timeout
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if process.poll() is not None:
                    said = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"nginx exited with {process.returncode}:\n{said}{error_log.read_text()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"nginx did not accept connections within {timeout:.0f} s")
                time.sleep(0.05)
            yield Proxy(port, process, access_log, error_log, refill_seconds(site))
        finally:
            stop(process)


# Reading the logs back


def _since(log: Path, start: int, end: int | None) -> list[str]:
    with log.open("rb") as f:
        f.seek(start)
        data = f.read() if end is None else f.read(max(0, end - start))
    return data.decode(errors="replace").splitlines()


def answers(proxy: Proxy, start: Mark, end: Mark) -> dict[str, dict[str, int]]:
    """How nginx answered websocket handshakes between two marks, by client address then status (101
    upgraded, 503 refused by a limit, 403 refused by Parley, 502 no upstream...)."""
    found: dict[str, Counter[str]] = {}
    for line in _since(proxy.access_log, start.access, end.access):
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[3].startswith('"GET /ws/'):
            found.setdefault(parts[1], Counter())[parts[2]] += 1
    return {address: dict(counts.most_common()) for address, counts in sorted(found.items())}


# 2026/12/05 06:20:01 [error] 123#123: *45 limiting requests, excess: 300.040 by zone "parley_ws", client: ...
ERROR_LINE = re.compile(
    r"^\S+ \S+ \[(?P<level>\w+)\] \d+#\d+: (?:\*\d+ )?(?P<message>.*?)(?:, client: (?P<client>[^,]+).*)?$"
)


def errors(proxy: Proxy, start: Mark, end: Mark, top: int = 6) -> list[str]:
    """The error log between two marks in a few lines: each kind of message (numbers taken out) with its
    level, client address and count, the most frequent first."""
    kinds: Counter[str] = Counter()
    for line in _since(proxy.error_log, start.error, end.error):
        match = ERROR_LINE.match(line)
        if match is None:
            kinds[line[:120]] += 1
            continue
        message = re.sub(r"\d+(\.\d+)?", "N", match["message"])
        client = f" (client {match['client']})" if match["client"] else ""
        kinds[f"[{match['level']}] {message}{client}"] += 1
    shown = [f"{count} x {kind}" for kind, count in kinds.most_common(top)]
    if len(kinds) > top:
        shown.append(f"{sum(kinds.values()) - sum(c for _, c in kinds.most_common(top))} more of other kinds")
    return shown


def describe(proxy: Proxy, start: Mark, end: Mark) -> tuple[list[str], dict[str, dict[str, int]]]:
    """What nginx did between two marks, in a few lines to print (its CPU, its answers to handshakes by
    address and status, its error log summed up), and its answers."""
    found = answers(proxy, start, end)
    lines = [f"nginx: {end.cpu_s - start.cpu_s:.2f} CPU s; handshakes by address and status: {found or 'none'}"]
    lines += [f"  error log: {line}" for line in errors(proxy, start, end)]
    return lines, found
