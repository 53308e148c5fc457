"""bench/proxy.py: the benchmarks' nginx is the one the docs deploy, and its logs are read back in a few
lines. No nginx runs here (CI has none): the configuration is checked as text, the logs on samples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bench.proxy import DocsChanged, Mark, Proxy, answers, describe, documented_site, refill_seconds
from bench.stack import ROOT


def location(site: str, path: str) -> list[str]:
    block = re.search(rf"location {re.escape(path)} \{{\n(.*?)\n\s*\}}", site, re.DOTALL)
    assert block is not None, site
    return [line.strip() for line in block[1].splitlines()]


def test_the_site_is_the_readmes_with_the_documented_limits_on_websockets_only():
    site = documented_site([8101, 8102], "127.0.0.1:9000")
    readme = (ROOT / "README.md").read_text()
    internet = (ROOT / "docs" / "operations.md").read_text().partition("## On the internet")[2]
    proxy_lines = location(site, "/")
    assert "proxy_pass http://parley;" in proxy_lines
    assert all(line in readme for line in proxy_lines)
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in proxy_lines
    limits = [line for line in location(site, "/ws/") if line.startswith("limit_")]
    assert limits and all(line in internet for line in limits)
    assert location(site, "/ws/") == limits + proxy_lines
    assert "upstream parley { server 127.0.0.1:8101 max_fails=0; server 127.0.0.1:8102 max_fails=0; }" in site
    assert "listen 127.0.0.1:9000;" in site and "443" not in site and "ssl" not in site
    assert [line.strip() for line in site.splitlines() if line.strip().startswith("limit_req_zone")]


def test_the_upstreams_servers_are_the_benchmarks_ports_with_the_readmes_parameters(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "operations.md", tmp_path / "docs" / "operations.md")
    readme = (ROOT / "README.md").read_text()
    upstream = re.search(r"^upstream parley \{.*\}$", readme, re.MULTILINE)
    assert upstream is not None

    def given(first: str, second: str) -> None:
        servers = f"server 127.0.0.1:8001 {first}; server 127.0.0.1:8002 {second};"
        (tmp_path / "README.md").write_text(readme.replace(upstream[0], f"upstream parley {{ {servers} }}"))

    given("max_fails=0 weight=2", "max_fails=0 weight=2")
    site = documented_site([8101, 8102], "127.0.0.1:9000", root=tmp_path)
    servers = "server 127.0.0.1:8101 max_fails=0 weight=2; server 127.0.0.1:8102 max_fails=0 weight=2;"
    assert f"upstream parley {{ {servers} }}" in site

    given("max_fails=0 weight=2", "max_fails=0")
    with pytest.raises(DocsChanged, match=r"README\.md: the upstream's servers differ in their parameters"):
        documented_site([8101, 8102], "127.0.0.1:9000", root=tmp_path)


def test_docs_whose_nginx_blocks_changed_shape_are_named(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "operations.md", tmp_path / "docs" / "operations.md")
    (tmp_path / "README.md").write_text("# Parley\n\nNo proxy here.\n")
    with pytest.raises(DocsChanged, match=r"README\.md: expected one ```nginx block, found 0"):
        documented_site([1, 2], "127.0.0.1:3", root=tmp_path)


def test_the_burst_comes_back_after_burst_over_rate():
    assert refill_seconds("limit_req_zone $a zone=z:1m rate=20r/s;\nlimit_req zone=z burst=300 nodelay;") == 15
    assert refill_seconds("limit_req_zone $a zone=z:1m rate=30r/m;\nlimit_req zone=z burst=10;") == 20
    assert refill_seconds(documented_site([1, 2], "127.0.0.1:3")) > 0


def test_the_logs_are_read_back_by_address_status_and_kind_of_error(tmp_path: Path):
    access, error = tmp_path / "access.log", tmp_path / "error.log"
    access.write_text(
        '1764915601.100 127.0.0.1 101 "GET /ws/negotiations/1/ HTTP/1.1"\n'
        '1764915601.200 127.0.0.2 503 "GET /ws/negotiations/2/ HTTP/1.1"\n'
        '1764915601.300 127.0.0.2 503 "GET /ws/negotiations/2/ HTTP/1.1"\n'
        '1764915601.400 127.0.0.2 200 "GET /login/ HTTP/1.1"\n'
    )
    limited = (
        '2026/12/05 06:20:01 [error] 71#71: *{n} limiting requests, excess: 300.{n}40 by zone "parley_ws", '
        'client: 127.0.0.2, server: parley.example.edu, request: "GET /ws/negotiations/2/ HTTP/1.1"\n'
    )
    error.write_text("".join(limited.format(n=n) for n in range(3)) + "2026/12/05 06:20:02 [alert] 70#70: odd\n")
    proxy = Proxy(0, None, access, error, 15.0)  # type: ignore[arg-type]
    start, end = Mark(0, 0, 1.0), Mark(access.stat().st_size, error.stat().st_size, 1.25)

    assert answers(proxy, start, end) == {"127.0.0.1": {"101": 1}, "127.0.0.2": {"503": 2}}
    lines, _ = describe(proxy, start, end)
    assert lines == [
        "nginx: 0.25 CPU s; handshakes by address and status: {'127.0.0.1': {'101': 1}, '127.0.0.2': {'503': 2}}",
        '  error log: 3 x [error] limiting requests, excess: N by zone "parley_ws" (client 127.0.0.2)',
        "  error log: 1 x [alert] odd",
    ]
    later = Mark(len(access.read_text().splitlines()[0]) + 1, 0, 1.0)
    assert answers(proxy, later, end) == {"127.0.0.2": {"503": 2}}
