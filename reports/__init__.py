"""Views of report.json: HTML for people, JUnit XML for CI. Rendered from the report only
(plus evidence.jsonl for the exchanges behind failures), never from a live run."""

from .html import render_html
from .junit import render_junit

__all__ = ["render_html", "render_junit"]
