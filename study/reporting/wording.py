"""The findings in words: each template of `assets/wording/<language>.yml` rendered with the
facts `study.reporting.findings` computed. The wording lives in those files, apart from the
code, and every template words its finding so that it stays true whatever the numbers.

A wording file also gives its language's numbers (decimal mark, thousands, percent) and the
display names of the architectures and variants, whose config keys stay as they are."""

from __future__ import annotations

import re
from typing import Any

import jinja2
import yaml

from study.package_data import asset

WORDING = asset("wording")


def load_wording(language: str = "en") -> dict[str, Any]:
    path = WORDING / f"{language}.yml"
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in WORDING.glob("*.yml")))
        raise ValueError(f"no wording for language {language!r} (available: {available})")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# French puts a narrow no-break space before ; : ! ? and %, and inside « guillemets ».
# A colon only when a space or the end follows it, so "12:30" and "https://" stay whole.
_NNBSP = "\u202f"
_FRENCH_SPACING = [
    (re.compile(r"[ \u00a0\u202f]*([;!?%»])"), _NNBSP + r"\1"),
    (re.compile(r"[ \u00a0\u202f]*:(?=\s|$)"), _NNBSP + ":"),
    (re.compile(r"«[ \u00a0\u202f]*"), "«" + _NNBSP),
]


def french_spacing(text: str) -> str:
    """`text` with French typography's spaces: « Résultat : 99,47 % » → narrow no-break
    spaces before the colon and the percent sign and inside the guillemets."""
    for pattern, replacement in _FRENCH_SPACING:
        text = pattern.sub(replacement, text)
    return text


TYPOGRAPHY = {"fr": french_spacing}


def display_name(names: dict[str, dict[str, str]], key: str) -> str:
    """The display name of an architecture or variant key, or of `arch + variant`; a key the
    wording does not name (a variant of the user's own) shows as it is."""
    known = {**names.get("architectures", {}), **names.get("regularisations", {})}
    return " + ".join(known.get(part, part) for part in str(key).split(" + "))


def _environment(number: dict[str, str], names: dict[str, dict[str, str]]
                 ) -> jinja2.Environment:
    decimal, minus = number.get("decimal", "."), number.get("minus", "−")

    def fixed(x: float, digits: int = 2, sign: bool = False) -> str:
        text = f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"
        return text.replace(".", decimal).replace("-", minus)

    def p_value(p: float) -> str:  # "p = 0.23" with the value as the tables print it
        text = "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"
        return text.replace(".", decimal)

    def many(n: int, noun: str) -> str:  # 1 seed, 2 seeds
        forms = number.get("plurals", {}).get(noun, [noun, noun + "s"])
        return f"{n} {forms[0] if n == 1 else forms[1]}"

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update({
        "pct": lambda x, digits=2: number["percent"].format(fixed(100 * x, digits)),
        "pts": lambda x, digits=2: fixed(x, digits, sign=True),
        "num": fixed,
        "p": p_value,
        "int": lambda n: f"{int(n):,}".replace(",", number.get("thousands", ",")),
        "ratio": lambda x: fixed(x, 1),
        "many": many,
        "name": lambda key: display_name(names, key),
    })
    return env


def word(findings: dict[str, Any], language: str = "en") -> dict[str, Any]:
    """Each template of the wording rendered with the findings: {name: sentence}, nested as
    the wording file nests them. Whitespace is collapsed: every sentence is one line."""
    wording = load_wording(language)
    env = _environment(wording["number"], wording.get("names", {}))
    typography = TYPOGRAPHY.get(language, lambda text: text)

    def render(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: render(value) for key, value in node.items()}
        text = typography(" ".join(env.from_string(node).render(**findings).split()))
        if '"' in text or "\\" in text:  # quoted in YAML front matter: keep it plain
            raise ValueError(f"wording {text[:60]!r}... holds a straight double quote or a "
                             "backslash; use typographic quotes")
        return text

    return render(wording["text"])
