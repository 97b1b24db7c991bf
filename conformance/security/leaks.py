"""Recognisers for things an error body or header must not show (pure functions)."""

from __future__ import annotations

import re

STACK_TRACE = [
    (re.compile(r"Traceback \(most recent call last\)"), "Python traceback"),
    (re.compile(r'File "[^"]+", line \d+, in '), "Python stack frame"),
    (re.compile(r"Werkzeug Debugger|The debugger caught an exception"), "Werkzeug debugger page"),
    (re.compile(r"\bat (java|javax|org|com|sun|jdk)\.[\w.$]+\([\w.]+\.java:\d+\)"), "Java stack frame"),
    (re.compile(r"Exception in thread \""), "Java exception"),
    (re.compile(r"Whitelabel Error Page"), "Spring Boot error page"),
    (re.compile(r"\bat [\w.<>$]+ in [^\n]+:line \d+"), ".NET stack frame"),
    (re.compile(r"System\.[A-Za-z.]+Exception:"), ".NET exception"),
    (re.compile(r"\bat (Object\.<anonymous>|Module\._compile|[\w.]+) \((/|[A-Za-z]:\\)[^)]+:\d+:\d+\)"),
     "Node.js stack frame"),
    (re.compile(r"(Fatal error|Warning|Parse error): .+ in /[^ ]+ on line \d+"), "PHP error"),
    (re.compile(r"You're seeing this error because you have <code>DEBUG = True</code>"),
     "Django debug page"),
    (re.compile(r"SQLSTATE\[|ORA-\d{5}|psycopg2?\.errors|sqlalchemy\.exc\.|PG::[A-Z]\w+Error"),
     "database error text"),
    (re.compile(r"goroutine \d+ \[running\]"), "Go panic"),
]

VERSION = re.compile(r"\d+\.\d+")
LEAKY_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version",
                 "x-generator", "x-runtime-version", "x-server-version", "x-version")


def stack_trace(text: str | None) -> str | None:
    """The kind of stack trace or debug output in ``text``, or None."""
    if not text:
        return None
    for pattern, what in STACK_TRACE:
        m = pattern.search(text)
        if m:
            return f"{what}: {m.group(0)[:120]!r}"
    return None


def version_disclosures(headers: dict[str, str]) -> list[str]:
    out = []
    for k, v in headers.items():
        lk = k.lower()
        if lk in ("x-aspnet-version", "x-aspnetmvc-version"):
            out.append(f"{k}: {v}")
        elif lk in LEAKY_HEADERS and VERSION.search(str(v)):
            out.append(f"{k}: {v}")
    return out
