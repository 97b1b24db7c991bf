"""Looks at a certification report the way its readers do (issue 14): the HTML in a real
headless browser (Debian's Chromium driven by Playwright) and the PDF as page images
(pypdfium2), and says what is wrong with them: an outcome shown that differs from
certification.json, a broken anchor, something wider than the page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]

# run in the page: what it shows, its anchors, and whatever sticks out on the right
PAGE_FACTS = """() => {
  const q = (s) => Array.from(document.querySelectorAll(s));
  const vw = document.documentElement.clientWidth;
  const wide = q('body *').filter(e => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.right > vw + 0.5 && !e.closest('details:not([open]) > :not(summary)');
  }).slice(0, 10).map(e => e.tagName + (e.id ? '#' + e.id : '') + ' right=' + Math.round(e.getBoundingClientRect().right));
  return {
    viewport: vw, scroll_width: document.documentElement.scrollWidth,
    overall: document.querySelector('#overall').dataset.level,
    state: document.querySelector('#overall').dataset.state,
    pillars: Object.fromEntries(q('#pillar-table tr[data-pillar]').map(
        r => [r.dataset.pillar, r.dataset.outcome])),
    levels: Object.fromEntries(q('tr[data-level]').map(r => [r.dataset.level, r.dataset.verdict])),
    fixes: q('ol.fixes li').map(li => li.dataset.requirement),
    anchors: q('a[href^="#"]').map(a => a.getAttribute('href').slice(1)),
    broken: q('a[href^="#"]').map(a => a.getAttribute('href').slice(1)).filter(
        id => !document.getElementById(id)),
    wide: wide,
    rows: q('table.rows tr[data-verdict]').length,
  };
}"""


def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), "Debian's chromium is not installed (scripts/bootstrap does it)"
    return path


def browser_problems(folder: Path, widths=(1280, 390)) -> tuple[list[str], dict]:
    """Open certification.html at each width; the problems found and the page's facts."""
    from playwright.sync_api import sync_playwright
    cert = json.loads((folder / "certification.json").read_text("utf-8"))
    problems: list[str] = []
    facts: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            for width in widths:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto((folder / "certification.html").resolve().as_uri())
                # every row's evidence opened, as a reader would, before measuring
                page.evaluate("() => document.querySelectorAll('details').forEach("
                              "d => d.open = true)")
                facts = page.evaluate(PAGE_FACTS)
                page.close()
                where = f"at {width} px"
                if facts["scroll_width"] > facts["viewport"]:
                    problems.append(f"{where}: the page is {facts['scroll_width']} px wide")
                if facts["wide"]:
                    problems.append(f"{where}: wider than the page: {facts['wide']}")
                if facts["broken"]:
                    problems.append(f"{where}: broken anchors: {facts['broken'][:10]}")
        finally:
            browser.close()
    if facts.get("overall") != (cert["standing"]["reached"] or ""):
        problems.append(f"shows level {facts.get('overall')!r}, certification.json says "
                        f"{cert['standing']['reached']!r}")
    want = {p["pillar"]: p["outcome"] for p in cert["pillars"]}
    if facts.get("pillars") != want:
        problems.append(f"shows pillars {facts.get('pillars')}, certification.json says {want}")
    lv = {x["level"]: x["verdict"] for x in cert["standing"]["levels"]}
    if facts.get("levels") != lv:
        problems.append(f"shows levels {facts.get('levels')}, certification.json says {lv}")
    if facts.get("fixes") != [f["requirement"] for f in cert["fixes"]]:
        problems.append(f"shows fixes {facts.get('fixes')}, certification.json has "
                        f"{[f['requirement'] for f in cert['fixes']]}")
    return problems, facts


def pdf_problems(folder: Path, expect_text: list[str], scale: float = 1.0,
                 save_first: Path | None = None) -> tuple[list[str], int]:
    """Render every page of certification.pdf; ink in the right or left page margin means
    something overflows the page width. ``expect_text``: words the first page must show."""
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(folder / "certification.pdf"))
    problems: list[str] = []
    try:
        first_text = pdf[0].get_textpage().get_text_range()
        for word in expect_text:
            if word not in " ".join(first_text.split()):
                problems.append(f"page 1 does not show {word!r}")
        for n in range(len(pdf)):
            img = pdf[n].render(scale=scale).to_pil().convert("L")
            if n == 0 and save_first:
                img.save(save_first)
            w, h = img.size
            margin = int(w * 10 / 210)  # the outer 10 mm of the 14 mm margins stay blank
            for side, box in (("right", (w - margin, 0, w, h - int(h * 20 / 297))),
                              ("left", (0, 0, margin, h - int(h * 20 / 297)))):
                lo, _ = img.crop(box).getextrema()
                if lo < 200:
                    problems.append(f"page {n + 1}: ink in the {side} margin (something is "
                                    f"wider than the page)")
        return problems, len(pdf)
    finally:
        pdf.close()
