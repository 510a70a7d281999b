"""The document and the results laid out for either engine: the document's folder copied,
its figures and tables beside it, the variables and the findings' sentences in
_variables.yml, and each part that depends on what the study trained kept or dropped by its
`shows.*` variable (`::: {.content-visible when-var="shows.comparisons"}`), so Quarto and
the pandoc route render the same text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from study.errors import RenderError

# Output format named in the front matter -> file suffix it produces.
FORMATS = {"typst": ".pdf", "revealjs": ".html"}

# The fences of a part kept or left out by a variable, of any other div, of a code block.
CONDITIONAL = re.compile(r'^:{3,}\s*\{\.content-(visible|hidden)\s+when-var="([\w.]+)"\s*\}\s*$')
DIV_OPEN = re.compile(r"^:{3,}\s*\S")
DIV_CLOSE = re.compile(r"^:{3,}\s*$")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})")


def document_format(document: Path) -> tuple[str, dict[str, Any]]:
    """The output format of `document` and its options (front matter over _quarto.yml)."""
    front = front_matter(document.read_text(encoding="utf-8"))
    project_file = document.parent / "_quarto.yml"
    project = yaml.safe_load(project_file.read_text(encoding="utf-8")) if project_file.is_file() \
        else {}
    formats = [_format_map(front.get("format")), _format_map((project or {}).get("format"))]
    names = [name for fmts in formats for name in fmts]
    if not names:
        raise RenderError(f"{document}: no `format:` in the front matter or _quarto.yml")
    fmt = names[0]
    if fmt not in FORMATS:
        raise RenderError(f"{document}: format {fmt!r} is not supported ({', '.join(FORMATS)})")
    options = {**(formats[1].get(fmt) or {}), **(formats[0].get(fmt) or {})}
    return fmt, options


def front_matter(text: str) -> dict[str, Any]:
    """The YAML front matter of a Quarto/pandoc markdown document ({} if none)."""
    match = re.match(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", text, re.DOTALL)
    data = yaml.safe_load(match.group(1)) if match else None
    return data if isinstance(data, dict) else {}


def _format_map(value: Any) -> dict[str, dict[str, Any]]:
    # Quarto accepts `format: typst`, `format: [typst]` and `format: {typst: {...}}`.
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, list):
        return {str(name): {} for name in value}
    if isinstance(value, dict):
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in value.items()}
    return {}


def stage(document: Path, generated: Path, build: Path, variables_yml: Path,
          findings_yml: Path | None) -> Path:
    """Copy the document's folder and the results into `build`, laid out as Quarto expects."""
    shutil.copytree(document.parent, build, ignore=shutil.ignore_patterns(
        "*.pdf", "*.html", "*_files", ".quarto", "_freeze", "__pycache__"))
    for name in ("figures", "tables"):
        if (generated / name).is_dir():
            shutil.copytree(generated / name, build / name, dirs_exist_ok=True)
    # Quarto reads {{< var >}} values from _variables.yml in the project folder: the tables'
    # variables, and the sentences of the findings as `findings.*`.
    variables = yaml.safe_load(Path(variables_yml).read_text(encoding="utf-8")) or {}
    if findings_yml is not None:
        variables["findings"] = (yaml.safe_load(Path(findings_yml).read_text(encoding="utf-8"))
                                 or {}).get("text", {})
    (build / "_variables.yml").write_text(
        yaml.safe_dump(variables, sort_keys=False, allow_unicode=True), encoding="utf-8")
    source = build / document.name
    source.write_text(select_content(source.read_text(encoding="utf-8"), variables),
                      encoding="utf-8")
    return build


def select_content(text: str, variables: dict[str, Any]) -> str:
    """`text` with each `.content-visible when-var=...` part kept only when its variable is
    true and each `.content-hidden` one only when it is false; their own fences removed."""
    out: list[str] = []
    stack: list[tuple[bool, bool]] = []  # per open div: (conditional, shown)
    code_fence = None
    for line in text.splitlines(keepends=True):
        shown = all(keep for _, keep in stack)
        if code_fence is not None or CODE_FENCE.match(line):
            if code_fence is None:
                code_fence = CODE_FENCE.match(line).group(1)
            elif line.startswith(code_fence):
                code_fence = None
            out += [line] if shown else []
            continue
        condition = CONDITIONAL.match(line)
        if condition:
            value = _switch(variables, condition.group(2))
            stack.append((True, value if condition.group(1) == "visible" else not value))
            continue
        if DIV_CLOSE.match(line) and stack:
            conditional, _ = stack.pop()
            if conditional:
                continue
        elif DIV_OPEN.match(line):
            stack.append((False, True))
        out += [line] if shown else []
    if stack:
        raise RenderError(f"{len(stack)} div(s) left open (a ::: missing)")
    return "".join(out)


def _switch(variables: dict[str, Any], key: str) -> bool:
    node: Any = variables
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise RenderError(f'unknown variable "{key}" in when-var (not in variables.yml)')
        node = node[part]
    if not isinstance(node, bool):
        raise RenderError(f'when-var="{key}" is {node!r}, not true or false')
    return node
