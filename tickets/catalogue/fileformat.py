"""Reading and writing the catalogue file (YAML, or JSON, which YAML reads too), keeping where in
the file each value was, so an error can name its line."""

import json
from typing import Any

import yaml

Path = tuple[str | int, ...]  # ("desks", 0, "groups", 1, "key")


class CatalogueFileError(ValueError):
    """The file is not YAML or JSON at all; `line` is where the parser gave up (1-based)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def _lines(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _lines(value_node, (*path, key_node.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), lines)


MAX_DEPTH = 20


def catalogue_parse(text: str) -> tuple[object, dict[Path, int]]:
    """The file's data and {path: line}. Raises CatalogueFileError for text that is not YAML/JSON."""
    try:
        # Aliases could make a small file expand into an enormous catalogue: the format has none.
        # Nesting deeper than the format's own (a few levels) would only exhaust the parser's stack.
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent):
                raise CatalogueFileError("YAML aliases (*name) are not allowed", line)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise CatalogueFileError(f"nested deeper than {MAX_DEPTH} levels", line)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        # YAML reads JSON, but not every JSON (tabs): let the JSON parser have a go.
        try:
            return json.loads(text), {}
        except (ValueError, RecursionError):
            raise CatalogueFileError(f"not YAML or JSON: {problem}", line) from None
    lines: dict[Path, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return data, lines


def catalogue_dump(data: dict[str, Any], *, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    header = "# Help desk catalogue: import with `manage.py catalogue_import FILE` or from /configure/.\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
