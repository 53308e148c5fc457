"""Reading YAML documents so that every problem can name its path and line.

PyYAML keeps the last of two equal keys without a word; a scenario author needs to hear about it.
`load_yaml` builds plain Python data from the node graph itself, refusing duplicate keys and
remembering the line of every value by its path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

PathPart = str | int
Path = tuple[PathPart, ...]


def format_path(path: Iterable[PathPart]) -> str:
    """`("issues", 2, "options", 0, "points", "seller")` -> `issues[2].options[0].points.seller`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None

    def describe(self, source: str = "") -> str:
        where = f"{source}: " if source else ""
        line = f" (line {self.line})" if self.line else ""
        return f"{where}{self.path}: {self.message}{line}"


class DocumentError(ValueError):
    """A document was refused; `problems` says every reason, each with its path."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__("\n".join(p.describe(source) for p in problems))


@dataclass
class LoadedYaml:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path) -> int | None:
        # The nearest enclosing value that has a line: a missing key is reported at its parent.
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)


def load_yaml(text: str) -> LoadedYaml:
    """Parse one YAML document; raises DocumentError when it does not parse."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            column = f", column {mark.column + 1}" if mark else ""
            what = exc.problem or exc.context or "invalid YAML"
            raise DocumentError([Problem("(document)", f"the YAML does not parse: {what}{column}", line)]) from exc
        except yaml.YAMLError as exc:
            raise DocumentError([Problem("(document)", f"the YAML does not parse: {exc}")]) from exc
        loaded = LoadedYaml(data=None)
        if node is not None:
            loaded.data = _build(loader, node, (), loaded)
        return loaded
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path, out: LoadedYaml) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                out.problems.append(
                    Problem(format_path(path), f"keys must be text, got {key!r}", key_node.start_mark.line + 1)
                )
                continue
            key = str(key)
            if key in result:
                out.problems.append(
                    Problem(
                        format_path((*path, key)),
                        f"duplicate key '{key}' (the first is on line {out.lines[(*path, key)]})",
                        key_node.start_mark.line + 1,
                    )
                )
                continue
            # A block value starts on the line after its key; the key's line is the one to name.
            out.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, (*path, key), out)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), out) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
