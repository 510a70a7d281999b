"""Look at the rendered deck as a browser shows it: headless Chromium lays out every slide at
the deck's size, and the measures say whether any content runs off a slide, how many lines of
text a slide holds, and which slides have speaker notes. Also prints the deck to PDF the way
a browser does (reveal.js `?print-pdf`).

Chromium is not a Python package: Debian's `chromium` (or any Chrome) on the PATH, or the
path in $CHROMIUM. Without it, `find_chromium` returns None and the checks cannot run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from study.documents.live_demo import PAYLOAD_TYPE
from study.errors import RenderError

# At most this many lines of text on a main slide, to be read from the back of a room.
MAX_TEXT_LINES = 6
# Content may run this many pixels past the slide's edge (anti-aliasing, borders).
TOLERANCE_PX = 2
WINDOW = (1280, 720)

# Run in the page once reveal.js is ready: visit every slide, measure it, and write the
# measures as JSON into <pre id="deck-check"> for --dump-dom to print.
_MEASURE = """
<script>
(function () {
  function measure(slide, i) {
    var frame = document.querySelector('.reveal .slides').getBoundingClientRect();
    var scale = Reveal.getScale();
    var idx = Reveal.getIndices(slide);
    var bottom = frame.top, right = frame.left;
    slide.querySelectorAll('*').forEach(function (el) {
      if (el.closest('aside.notes')) return;
      var r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return;
      bottom = Math.max(bottom, r.bottom);
      right = Math.max(right, r.right);
    });
    var tops = {};
    slide.querySelectorAll('p, li').forEach(function (el) {
      if (el.closest('aside.notes, figure, table, .small, h1, h2')) return;
      el.childNodes.forEach(function (node) {
        if (node.nodeType !== Node.TEXT_NODE && !(node.nodeType === 1 &&
            /^(STRONG|EM|CODE|SPAN|A)$/.test(node.tagName))) return;
        var range = document.createRange();
        range.selectNodeContents(node);
        Array.prototype.forEach.call(range.getClientRects(), function (r) {
          if (r.width > 1) tops[Math.round(r.top / 4)] = true;
        });
      });
    });
    var title = slide.querySelector('h1, h2');
    var notes = slide.querySelector('aside.notes');
    return {index: i, h: idx.h, v: idx.v, id: slide.id || '',
            title: title ? title.textContent.trim() : '',
            section: slide.classList.contains('level1'),
            overflow_bottom: (bottom - frame.bottom) / scale,
            overflow_right: (right - frame.right) / scale,
            text_lines: Object.keys(tops).length,
            notes: notes ? notes.textContent.trim() : ''};
  }
  // Show each slide in turn, and measure it once its images are decoded and laid out.
  function visit(slides, i, out) {
    if (i === slides.length) {
      var pre = document.createElement('pre');
      pre.id = 'deck-check';
      pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);
      return;
    }
    var idx = Reveal.getIndices(slides[i]);
    Reveal.slide(idx.h, idx.v);
    var images = Array.prototype.slice.call(slides[i].querySelectorAll('img'));
    var decoded = Promise.all(images.map(function (img) {
      return img.decode().catch(function () {});
    }));
    var late = new Promise(function (resolve) { setTimeout(resolve, 1000); });
    Promise.race([decoded, late]).then(function () {
      setTimeout(function () {
        out.push(measure(slides[i], i));
        visit(slides, i + 1, out);
      }, 20);
    });
  }
  function start() {  // no transition: each slide is measured where it comes to rest
    Reveal.configure({transition: 'none', backgroundTransition: 'none'});
    visit(Reveal.getSlides(), 0, []);
  }
  window.addEventListener('load', function () {
    if (Reveal.isReady()) start(); else Reveal.on('ready', start);
  });
})();
</script>
"""


_PAYLOAD = re.compile(rf'(<script type="{re.escape(PAYLOAD_TYPE)}"[^>]*>)[^<]*(</script>)')


@dataclass(frozen=True)
class Slide:
    index: int
    title: str
    main: bool  # before the backup section (the title slide is not a main slide)
    overflow_bottom: float
    overflow_right: float
    text_lines: int
    notes: str


def find_chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _chromium(chromium: str, *args: str, timeout: float = 120) -> str:
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--window-size={WINDOW[0]},{WINDOW[1]}", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise RenderError(f"chromium did not finish within {timeout} s: {' '.join(cmd)}") \
            from err
    if proc.returncode != 0:
        raise RenderError(f"chromium failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def measure(html: Path, chromium: str, backup_id: str = "backup-slides") -> list[Slide]:
    """Every slide of the deck `html`, as Chromium lays it out at 1280 × 720; the slides
    after the section `#backup-slides` (in every edition, whatever its title) are backups."""
    # Data embedded for scripts (the live demo's model and runtime, megabytes of base64)
    # takes no room on a slide: left out of the copy measured, and of the DOM dumped.
    text = _PAYLOAD.sub(r"\1\2", Path(html).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="deck-check-") as tmp:
        probe = Path(tmp) / "deck.html"
        head, body_end, tail = text.rpartition("</body>")
        probe.write_text(head + _MEASURE + body_end + tail if body_end else text + _MEASURE,
                         encoding="utf-8")
        dom = _chromium(chromium, "--virtual-time-budget=60000", "--dump-dom", probe.as_uri())
    match = re.search(r'<pre id="deck-check">(.*?)</pre>', dom, re.DOTALL)
    if not match:
        raise RenderError(f"{html}: reveal.js did not start in Chromium (no slide measured)")
    raw = json.loads(unescape(match.group(1)))
    backup = next((s["index"] for s in raw if s["section"] and s["id"] == backup_id),
                  len(raw))
    return [Slide(index=s["index"], title=s["title"],
                  main=s["index"] < backup and s["id"] != "title-slide",
                  overflow_bottom=s["overflow_bottom"], overflow_right=s["overflow_right"],
                  text_lines=s["text_lines"], notes=s["notes"]) for s in raw]


def problems(slides: list[Slide]) -> list[str]:
    """What a presenter would have to fix: overflow anywhere; on main slides, missing
    speaker notes or more than MAX_TEXT_LINES lines of text."""
    found = []
    for s in slides:
        name = f"slide {s.index + 1} ({s.title or 'untitled'})"
        if s.overflow_bottom > TOLERANCE_PX or s.overflow_right > TOLERANCE_PX:
            found.append(f"{name}: content runs {max(s.overflow_bottom, 0):.0f} px past the "
                         f"bottom, {max(s.overflow_right, 0):.0f} px past the right edge")
        if s.main and not s.notes:
            found.append(f"{name}: no speaker notes")
        if s.main and s.text_lines > MAX_TEXT_LINES:
            found.append(f"{name}: {s.text_lines} lines of text (at most {MAX_TEXT_LINES})")
    return found


# Headless Chromium draws no frames, so requestAnimationFrame never calls back, and reveal.js
# waits for one before laying out its print view. A browser with a screen has a frame clock;
# this stands in for it (in the copy printed here, never in the deck itself).
_FRAME_CLOCK = """<script>(function () {
  var raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = function (callback) {
    var done = false;
    var id = raf(function (t) { if (!done) { done = true; callback(t); } });
    setTimeout(function () { if (!done) { done = true; callback(performance.now()); } }, 50);
    return id;
  };
})();</script>"""


def print_pdf(html: Path, pdf: Path, chromium: str) -> None:
    """The deck printed by Chromium with reveal.js's print stylesheet (?print-pdf): one page
    per slide."""
    text = Path(html).read_text(encoding="utf-8")
    head = text.find("<head>")
    if head < 0:
        raise RenderError(f"{html} has no <head>: not a reveal.js deck")
    head += len("<head>")
    with tempfile.TemporaryDirectory(prefix="deck-print-") as tmp:
        probe = Path(tmp) / "deck.html"
        probe.write_text(text[:head] + _FRAME_CLOCK + text[head:], encoding="utf-8")
        _chromium(chromium, "--virtual-time-budget=20000", "--no-pdf-header-footer",
                  f"--print-to-pdf={Path(pdf).resolve()}", probe.as_uri() + "?print-pdf")
    if not Path(pdf).is_file():
        raise RenderError(f"chromium printed no PDF from {html}")
