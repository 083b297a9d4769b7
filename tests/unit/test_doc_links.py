"""Every relative link in the README and in docs/*.md resolves: the file exists, and an anchor
(`page.md#a-heading`) names one of its headings, as GitHub spells them."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, ...


def _prose(text: str) -> str:
    """The page without fenced code blocks and inline code (a link-like text there is no link)."""
    text = re.sub(r"^(```|~~~).*?^\1\s*$", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(text: str) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to hyphens,
    a repeated heading numbered."""
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _prose(text), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def broken_links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    prose = _prose(text)
    broken = []
    for target in [*LINK.findall(prose), *REFERENCE.findall(prose)]:
        if EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor.lower() not in anchors(dest.read_text(encoding="utf-8")):
            broken.append(f"{target} (no such heading)")
    return broken


def test_every_relative_link_in_the_readme_and_the_docs_resolves():
    broken = {page.relative_to(ROOT).as_posix(): b for page in PAGES if (b := broken_links(page))}
    assert not broken, f"links that lead nowhere: {broken}"


def test_the_readme_stays_short_and_links_every_page_of_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 200
    linked = {target.partition("#")[0] for target in LINK.findall(_prose(readme))}
    pages = {f"docs/{p.name}" for p in PAGES[1:]}
    assert pages <= linked, f"docs pages the README does not lead to: {sorted(pages - linked)}"


def test_the_checker_finds_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "other.md").write_text("# Title\n\n## Delivery guarantees (at least once)\n## Repeat\n## Repeat\n")
    page = tmp_path / "page.md"
    page.write_text("[a](other.md) [b](other.md#delivery-guarantees-at-least-once) [c](other.md#repeat-1)\n"
                    "![d](img.png) [e](https://example.org/x.md) `[f](nowhere.md)`\n"
                    "[g](other.md#nope) [h](#local)\n\n```\n[i](nor-here.md)\n```\n\n## Local\n[j]: gone.md\n")
    assert broken_links(page) == ["img.png (no such file)", "other.md#nope (no such heading)",
                                  "gone.md (no such file)"]
