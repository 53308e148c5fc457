"""Reading YAML documents so that every problem can name its path and line.

PyYAML keeps the last of two equal keys without a word; a scenario author needs to hear about it.
`load_yaml` builds plain Python data from the node graph itself, refusing duplicate keys and
remembering the line of every value by its path.

A document may come from anyone with the admin or a command line, so it is bounded before anything
is built: at most MAX_DOCUMENT characters, MAX_NODES values and MAX_DEPTH levels of nesting, and no
aliases (`*name`), which let a few hundred bytes stand for billions of values. Only plain text,
numbers, booleans, lists and mappings are built; any other tag is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import yaml

from core.messages import Message, Number, msg

PathPart = str | int
Path = tuple[PathPart, ...]

MAX_DOCUMENT = 500_000  # characters: a scenario is about 20,000, its texts at most 50,000 each
MAX_NODES = 10_000  # values (keys included): a scenario has a few hundred
MAX_DEPTH = 20  # levels of nesting: a scenario has six
_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "timestamp")}


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


def read_document(path: str | PathLike[str]) -> str:
    """A document file's text, reading no more than MAX_DOCUMENT characters and one past them: a larger
    file raises DocumentError. OSError and UnicodeDecodeError say that it cannot be read."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read(MAX_DOCUMENT + 1)
    if len(text) > MAX_DOCUMENT:
        problem = Problem("(document)", msg("the file is larger than %(limit)s characters", limit=Number(MAX_DOCUMENT)))
        raise DocumentError([problem], str(path))
    return text


def _refuse(path: Iterable[PathPart], message: Message, mark: Any) -> DocumentError:
    if mark is None:
        return DocumentError([Problem(format_path(path), message)])
    return DocumentError(
        [
            Problem(
                format_path(path),
                msg("%(problem)s, column %(column)s", problem=message, column=str(mark.column + 1)),
                mark.line + 1,
            )
        ]
    )


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, composing the node graph under the bounds above, knowing each node's path."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.path: Path = ()
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # `index` is an item's position in a list, a value's key node in a mapping, None for a key.
        path = self.path
        if isinstance(index, int):
            path = (*path, index)
        elif isinstance(index, yaml.ScalarNode):
            path = (*path, str(index.value))
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _refuse(
                path,
                msg("aliases (*%(anchor)s) are not allowed: write the value out in full", anchor=str(event.anchor)),
                event.start_mark,
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _refuse(path, too_many_values(), event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise _refuse(path, too_deep(), event.start_mark)
        saved, self.path = self.path, path
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.path = saved
            self.depth -= 1


def load_yaml(text: str) -> LoadedYaml:
    """Parse one YAML document; raises DocumentError when it does not parse or is past a bound."""
    if len(text) > MAX_DOCUMENT:
        message = msg(
            "the document has %(count)s characters; at most %(limit)s are allowed",
            count=Number(len(text)),
            limit=Number(MAX_DOCUMENT),
        )
        raise DocumentError([Problem("(document)", message)])
    try:
        loader = _BoundedLoader(text)  # reads the whole text first: a character YAML refuses is refused here
    except yaml.YAMLError as exc:
        raise DocumentError([Problem("(document)", _does_not_parse(_unreadable(exc)))]) from exc
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = exc.problem or exc.context or msg("invalid YAML")
            message = (
                msg("the YAML does not parse: %(reason)s, column %(column)s", reason=what, column=str(mark.column + 1))
                if mark
                else _does_not_parse(what)
            )
            raise DocumentError([Problem("(document)", message, line)]) from exc
        except yaml.YAMLError as exc:
            raise DocumentError([Problem("(document)", _does_not_parse(str(exc)))]) from exc
        loaded = LoadedYaml(data=None)
        if node is not None:
            loaded.data = _build(loader, node, (), loaded)
        return loaded
    finally:
        loader.dispose()


def too_many_values() -> Message:
    return msg("the document has more than %(limit)s values; a scenario needs a few hundred", limit=Number(MAX_NODES))


def too_deep() -> Message:
    return msg("nested deeper than %(limit)s levels", limit=MAX_DEPTH)


def _does_not_parse(reason: str) -> Message:
    return msg("the YAML does not parse: %(reason)s", reason=reason)


def _unreadable(exc: yaml.YAMLError) -> str:
    """A reader's refusal in words: the character it cannot read, and where (`#x0000` is a NUL)."""
    if isinstance(exc, yaml.reader.ReaderError):
        return msg(
            "the character #x%(code)s is not allowed in a document, position %(position)s",
            code=f"{exc.character:04x}",
            position=str(exc.position + 1),
        )
    return str(exc)


def _not_plain(tag: str) -> Message:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return msg("the tag %(tag)s is not allowed: only text, numbers, true/false, lists and mappings", tag=shown)


_REFUSED = object()


def _construct(loader: yaml.SafeLoader, node: yaml.ScalarNode, path: Path, out: LoadedYaml) -> Any:
    """A scalar's value, or _REFUSED with a problem when its tag is not plain data or it cannot be built."""
    line = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        out.problems.append(Problem(format_path(path), _not_plain(node.tag), line))
        return _REFUSED
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
        out.problems.append(
            Problem(format_path(path), msg("the value cannot be read: %(reason)s", reason=str(reason)), line)
        )
        return _REFUSED


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path, out: LoadedYaml) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode) and node.tag == "tag:yaml.org,2002:map":
        try:
            loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            line = node.start_mark.line + 1
            problem = msg("the mapping cannot be read: %(reason)s", reason=str(exc.problem))
            out.problems.append(Problem(format_path(path), problem, line))
            return None
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                got = msg("a list") if isinstance(key_node, yaml.SequenceNode) else msg("a mapping")
                problem = msg("keys must be text, got %(kind)s", kind=got)
                out.problems.append(Problem(format_path(path), problem, key_node.start_mark.line + 1))
                continue
            key = _construct(loader, key_node, path, out)
            if key is _REFUSED:
                continue
            if not isinstance(key, str | int):
                problem = msg("keys must be text, got %(kind)s", kind=repr(key))
                out.problems.append(Problem(format_path(path), problem, key_node.start_mark.line + 1))
                continue
            key = str(key)
            if key in result:
                out.problems.append(
                    Problem(
                        format_path((*path, key)),
                        msg(
                            "duplicate key '%(key)s' (the first is on line %(line)s)",
                            key=key,
                            line=out.lines[(*path, key)],
                        ),
                        key_node.start_mark.line + 1,
                    )
                )
                continue
            # A block value starts on the line after its key; the key's line is the one to name.
            out.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, (*path, key), out)
        return result
    if isinstance(node, yaml.SequenceNode) and node.tag == "tag:yaml.org,2002:seq":
        return [_build(loader, item, (*path, i), out) for i, item in enumerate(node.value)]
    if not isinstance(node, yaml.ScalarNode):  # a list or mapping with another tag (!!set, !!omap, ...)
        out.problems.append(Problem(format_path(path), _not_plain(node.tag), node.start_mark.line + 1))
        return None
    value = _construct(loader, node, path, out)
    return None if value is _REFUSED else value
