"""README.md's "Layout" names every module of the packages it describes one by one, and every package."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("config", "api", "students", "lti", "reports", "surveys", "negotiations", "classrooms", "scenarios", "core")
DESCRIBED_MODULE_BY_MODULE = ("negotiations", "core", "core/metrics", "reports", "config", "lti")
WIRING = {"__init__.py", "apps.py", "admin.py", "urls.py", "asgi.py", "wsgi.py", "settings.py"}


def layout() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Layout") :].split("\n## ", 1)[0]


def test_the_layout_names_every_package():
    assert [p for p in PACKAGES if f"{p}/" not in layout()] == []


def test_the_layout_names_every_module_of_the_packages_it_describes_module_by_module():
    missing = [
        f"{package}/{path.name}"
        for package in DESCRIBED_MODULE_BY_MODULE
        for path in sorted((ROOT / package).glob("*.py"))
        if path.name not in WIRING and path.name not in layout() and path.stem not in layout()
    ]
    assert missing == []
