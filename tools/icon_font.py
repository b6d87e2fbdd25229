"""Subset Font Awesome to the icons the back office uses (issue 16: light pages).

Flask-AppBuilder's layout loads all of Font Awesome 6.2.1 Free (five style sheets, ~130 KiB,
and a 150 KiB solid font) for about fifty icons. This script finds every `fa-NAME` class in
the templates and views Replan renders (its own and FAB's, including FAB's menu icons in
Python), resolves Font Awesome 4 names through FAB's v4-shims, and writes

    app/static/vendor/fontawesome/icons.woff2   the solid font cut to those glyphs
    app/static/vendor/fontawesome/icons.css     .fa, sizes, and one rule per icon

Run it after adding an icon (tests/unit/test_icon_font.py fails until then):

    .venv/bin/python tools/icon_font.py

It needs fonttools and brotli (requirements-test.txt).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import flask_appbuilder

ROOT = Path(__file__).resolve().parents[1]
FAB = Path(flask_appbuilder.__file__).parent
FA = FAB / "static" / "appbuilder" / "css"
OUT = ROOT / "app" / "static" / "vendor" / "fontawesome"
SOURCES = [(ROOT / "app" / "templates", "*.html"), (ROOT / "cabinet" / "templates", "*.html"),
           (ROOT / "views", "*.py"), (ROOT / "app", "*.py"),
           (FAB / "templates", "*.html"), (FAB, "*.py")]
ICON = re.compile(r"\bfa-([a-z0-9]+(?:-[a-z0-9]+)*)\b")
# modifiers, not icons (sizes, fixed width, animation, lists, stacking)
MODIFIERS = {"fw", "lg", "xs", "sm", "xl", "2xs", "2xl", "li", "ul", "spin", "pulse", "border",
             "inverse", "stack", "stack-1x", "stack-2x", "flip", "rotate-90", "rotate-180",
             "rotate-270", "flip-horizontal", "flip-vertical", "pull-left", "pull-right",
             "solid", "regular", "brands", "classic", "sharp"} | {f"{n}x" for n in range(1, 11)}
RULE = re.compile(r"([^{}]+)\{content:\"\\([0-9a-f]+)\"\}")
HEADER = """/* Font Awesome Free 6.2.1 (https://fontawesome.com, icons CC BY 4.0, font SIL OFL 1.1,
   code MIT; LICENSE.txt beside this file), cut to the icons Replan uses by tools/icon_font.py. */
"""
BASE = """@font-face{font-family:"Replan Icons";font-style:normal;font-weight:900;\
font-display:block;src:url(icons.woff2) format("woff2")}
.fa{font-family:"Replan Icons";font-weight:900;font-style:normal;font-variant:normal;\
display:inline-block;line-height:1;text-rendering:auto;-webkit-font-smoothing:antialiased;\
-moz-osx-font-smoothing:grayscale}
.fa-fw{text-align:center;width:1.25em}.fa-lg{font-size:1.25em;line-height:.05em;\
vertical-align:-.075em}.fa-1x{font-size:1em}.fa-2x{font-size:2em}.fa-3x{font-size:3em}\
.fa-spin{animation:fa-spin 2s linear infinite}@keyframes fa-spin{to{transform:rotate(360deg)}}
"""


def used_icons() -> set[str]:
    """Every fa-NAME (not a modifier) written in the templates and views Replan renders."""
    names = set()
    for folder, pattern in SOURCES:
        for path in folder.rglob(pattern):
            if "static" in path.parts or "tests" in path.parts:
                continue
            names.update(ICON.findall(path.read_text(encoding="utf-8", errors="ignore")))
    return names - MODIFIERS


def codepoints() -> dict[str, int]:
    """Icon name -> code point from FAB's Font Awesome CSS (v4 shim names included)."""
    known: dict[str, int] = {}
    for sheet in ("fontawesome.min.css", "v4-shims.min.css"):
        css = (FA / "fontawesome" / sheet).read_text(encoding="utf-8")
        for selectors, code in RULE.findall(css):
            for selector in selectors.split(","):
                match = re.fullmatch(r"\s*(?:\.fa)?\.fa-([a-z0-9-]+):before\s*", selector)
                if match:
                    known.setdefault(match.group(1), int(code, 16))
    return known


def main() -> int:
    from fontTools import subset  # deferred: only this script needs fonttools
    from fontTools.ttLib import TTFont

    font_path = FA / "webfonts" / "fa-solid-900.woff2"
    cmap = TTFont(str(font_path)).getBestCmap()
    known = codepoints()
    icons = {name: known[name] for name in sorted(used_icons())
             if name in known and known[name] in cmap}
    missing = sorted(used_icons() - set(icons))
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    options.name_IDs = [0, 1, 2, 13, 14]  # keep the copyright and licence entries
    font = subset.load_font(str(font_path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(set(icons.values())))
    subsetter.subset(font)
    OUT.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(OUT / "icons.woff2"), options)
    rules = "".join(f'.fa-{name}:before{{content:"\\{code:x}"}}\n' for name, code in icons.items())
    (OUT / "icons.css").write_text(HEADER + BASE + rules, encoding="utf-8")
    print(f"{len(icons)} icons, font {(OUT / 'icons.woff2').stat().st_size} bytes; "
          f"not in Font Awesome (ignored): {', '.join(missing) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
