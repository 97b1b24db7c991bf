"""YAML loading that remembers where each value came from.

Profiles and target files are edited by people; when one is wrong the message
must name the file, the line and the field. ``load`` returns the data and a map
from a path of keys/indices to the 1-based line where that value starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError

Loc = tuple[Any, ...]


def load(path: Path) -> tuple[Any, dict[Loc, int]]:
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError("file not found", source=src) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read: {exc}", source=src) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise UsageError(f"invalid YAML: {problem}", source=src,
                         line=mark.line + 1 if mark else None) from None
    if node is None:
        raise UsageError("file is empty", source=src)
    lines: dict[Loc, int] = {}
    constructor = yaml.SafeLoader("")

    def build(n: yaml.Node, loc: Loc) -> Any:
        lines[loc] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for knode, vnode in n.value:
                key = constructor.construct_object(knode, deep=True)
                if key in out:
                    raise UsageError(f"duplicate key {key!r}", source=src,
                                     line=knode.start_mark.line + 1)
                out[key] = build(vnode, loc + (key,))
                lines[loc + (key,)] = knode.start_mark.line + 1
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, loc + (i,)) for i, item in enumerate(n.value)]
        try:
            return constructor.construct_object(n, deep=True)
        except yaml.YAMLError as exc:
            raise UsageError(f"invalid value: {exc}", source=src,
                             line=n.start_mark.line + 1) from None

    return build(node, ()), lines


def line_for(lines: dict[Loc, int], loc: Loc) -> int | None:
    """Line of the deepest known prefix of ``loc``."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def field_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def pydantic_error(exc: Any, source: str, lines: dict[Loc, int], prefix: Loc = ()) -> UsageError:
    """Turn the first pydantic ValidationError entry into a one-line UsageError."""
    err = exc.errors()[0]
    loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    msg = err["msg"]
    if err.get("type") == "extra_forbidden":
        msg = "unknown field (not allowed here)"
    return UsageError(msg, source=source, line=line_for(lines, loc), field=field_name(loc) or None)


def read_as(path: Path, model: Any, what: str, source: str | None = None) -> tuple[Any, dict]:
    """A YAML file validated as ``model`` (a pydantic model): (the instance, its line map);
    a usage error naming file, line and field otherwise. ``what``: "a profile", "a scheme"."""
    from pydantic import ValidationError
    src = source or str(path)
    data, lines = load(path)
    if not isinstance(data, dict):
        raise UsageError(f"{what} must be a mapping", source=src, line=1)
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        raise pydantic_error(exc, src, lines) from None
