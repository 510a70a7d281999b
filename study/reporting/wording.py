"""The findings in words: each template of `assets/wording/<language>.yml` rendered with the
facts `study.reporting.findings` computed. The wording lives in those files, apart from the
code, and every template words its finding so that it stays true whatever the numbers;
numbers and names are written by the language's own rules (`study.reporting.language`)."""

from __future__ import annotations

import re
from typing import Any

import jinja2

from study.reporting.language import Language, load_wording


def _environment(lang: Language) -> jinja2.Environment:
    def p_value(p: float) -> str:  # "p = 0.23" with the value as the tables print it
        text = lang.p_value(p)
        return f"p {text}" if text.startswith("<") else f"p = {text}"

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update({
        "pct": lang.pct,
        "pts": lambda x, digits=2: lang.fixed(x, digits, sign=True),
        "num": lang.fixed,
        "p": p_value,
        "int": lang.integer,
        "ratio": lambda x: lang.fixed(x, 1),
        "many": lang.count,
        "name": lang.name,
    })
    return env


def word(findings: dict[str, Any], language: str = "en") -> dict[str, Any]:
    """Each template of the wording rendered with the findings: {name: sentence}, nested as
    the wording file nests them. Whitespace is collapsed: every sentence is one line."""
    lang = Language.load(language)
    env = _environment(lang)

    def render(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: render(value) for key, value in node.items()}
        # Collapse the template's line breaks and indents, never the no-break spaces.
        text = lang.typography(re.sub(r"[ \t\r\n]+", " ",
                                      env.from_string(node).render(**findings)).strip())
        if '"' in text or "\\" in text:  # quoted in YAML front matter: keep it plain
            raise ValueError(f"wording {text[:60]!r}... holds a straight double quote or a "
                             "backslash; use typographic quotes")
        return text

    return render(load_wording(language)["text"])
