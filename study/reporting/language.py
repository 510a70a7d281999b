"""A language of the documents: how it writes numbers, what it calls the study's
architectures and variants, and the words of its tables and variables, read from
`assets/wording/<code>.yml` (the file that also words the findings).

Every number a document prints goes through one of these methods, so that the English
edition writes 99.47% and 1,000 and the French one 99,47 % and 1 000."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from study.package_data import asset

WORDING = asset("wording")
NNBSP = "\u202f"  # narrow no-break space
# French puts a narrow no-break space before ; : ! ? and % after a word or a number (not
# in "(%)"), and inside « guillemets ». A colon only when a space or the end follows it, so
# "12:30" and "https://" stay whole.
_AFTER_TEXT = r"(?<=[^\s(\[«])[ \u00a0\u202f]*"
_FRENCH_SPACING = [
    (re.compile(_AFTER_TEXT + r"([;!?%»])"), NNBSP + r"\1"),
    (re.compile(_AFTER_TEXT + r":(?=\s|$)"), NNBSP + ":"),
    (re.compile(r"«[ \u00a0\u202f]*"), "«" + NNBSP),
]


def french_spacing(text: str) -> str:
    """`text` with French typography's spaces: « Résultat : 99,47 % » gets narrow no-break
    spaces before the colon and the percent sign and inside the guillemets."""
    for pattern, replacement in _FRENCH_SPACING:
        text = pattern.sub(replacement, text)
    return text


TYPOGRAPHY = {"fr": french_spacing}


def load_wording(code: str) -> dict[str, Any]:
    """The wording file of language `code`, as a mapping."""
    path = WORDING / f"{code}.yml"
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in WORDING.glob("*.yml")))
        raise ValueError(f"no wording for language {code!r} (available: {available})")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def languages() -> list[str]:
    """The languages the study can write its documents in."""
    return sorted(p.stem for p in WORDING.glob("*.yml"))


@dataclass(frozen=True)
class Language:
    """How one language writes numbers, names and labels (see the module's docstring)."""

    code: str
    number: dict[str, Any]
    names: dict[str, dict[str, str]]
    labels: dict[str, Any]

    @staticmethod
    def load(code: str) -> Language:
        wording = load_wording(code)
        return Language(code, wording["number"], wording.get("names") or {},
                        wording.get("labels") or {})

    def fixed(self, x: float, digits: int = 2, sign: bool = False) -> str:
        """`x` with `digits` decimals (and its sign when `sign`): 0.50, +1.25."""
        text = f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"
        return text.replace(".", self.number["decimal"]).replace("-", self.number["minus"])

    def percent(self, fraction: float, digits: int = 2) -> str:
        """A fraction as a percentage without its sign: 0.9947 -> 99.47 (a table's cell)."""
        return self.fixed(100 * fraction, digits)

    def pct(self, fraction: float, digits: int = 2) -> str:
        """A fraction as a percentage with its sign: 0.9947 -> 99.47%."""
        return self.typography(self.number["percent"].format(self.percent(fraction, digits)))

    def integer(self, n: float) -> str:
        """A count with its thousands grouped: 1,000."""
        return f"{int(n):,}".replace(",", self.number["thousands"]).replace(
            "-", self.number["minus"])

    def general(self, x: float, digits: int = 2) -> str:
        """`x` with `digits` significant digits, as Python's `g` format: 0.0003, 1e-05."""
        return f"{x:.{digits}g}".replace(".", self.number["decimal"]).replace(
            "-", self.number["minus"])

    def p_value(self, p: float) -> str:
        """A p-value as the tables print it: < 0.0001 or two significant digits."""
        return "< " + self.fixed(1e-4, 4) if p < 1e-4 else self.general(p)

    def count(self, n: int, noun: str) -> str:
        """'1 seed', '2 seeds': the noun's forms from the wording's `number.plurals`."""
        forms = self.number.get("plurals", {}).get(noun, [noun, noun + "s"])
        return f"{self.integer(n)} {forms[0] if n == 1 else forms[1]}"

    def listing(self, items: list[str]) -> str:
        """'a', 'a and b', 'a, b and c' (with the language's 'and')."""
        if len(items) == 1:
            return items[0]
        return ", ".join(items[:-1]) + f" {self.label('and')} " + items[-1]

    def name(self, key: str) -> str:
        """The display name of an architecture or variant key, or of `arch + variant`; a
        key the wording does not name (a variant of the user's own) shows as it is."""
        known = {**self.names.get("architectures", {}), **self.names.get("regularisations", {})}
        return " + ".join(known.get(part, part) for part in str(key).split(" + "))

    def typography(self, text: str) -> str:
        """`text` with the language's typographic spaces (French: before ; : ! ? %)."""
        return TYPOGRAPHY.get(self.code, lambda t: t)(text)

    def label(self, key: str, *args: Any, **values: Any) -> str:
        """The label at dotted `key` of the wording's `labels`, its {fields} filled."""
        node: Any = self.labels
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"no label {key!r} in the {self.code} wording")
            node = node[part]
        return self.typography(str(node).format(*args, **values))
