"""mkdocs hooks: pages written for GitHub's Markdown render the same on the site, their text unchanged.

GitHub starts a list right after a paragraph line and nests an item indented by two spaces; Python-Markdown
needs a blank line before a list and four spaces to nest. On the way to the site, each page gets the blank
line and the indent (docs/DESIGN.md and docs/STUDY.md are written that way, and DESIGN.md's text is kept
as the shared copy has it).
"""

from __future__ import annotations

import re

ITEM = re.compile(r"^( *)(?:[-*+]|(\d+)\.) ")


def github_lists(markdown: str) -> str:
    """The page with a blank line before each list that follows a paragraph, and two-space nesting doubled."""
    out: list[str] = []
    fenced = in_list = False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            item = ITEM.match(line)
            if not line.strip():
                pass
            elif item and not item[1] and not in_list and out and out[-1].strip() and item[2] in (None, "1"):
                out.append("")  # a list may interrupt a paragraph (an ordered one only from 1, as on GitHub)
                in_list = True
            elif item and not item[1]:
                in_list = True
            elif item and in_list and len(item[1]) < 4:
                line = "    " + line.lstrip()  # a nested item, as GitHub reads two spaces
            elif not line.startswith(" ") and not (out and out[-1].strip()):
                in_list = False  # a paragraph after a blank line ends the list
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, **kwargs) -> str:
    """mkdocs' hook: every page goes through github_lists."""
    return github_lists(markdown)
