"""The CLI fails in bounded time, with one line on stderr and no traceback.

These test the command, not the checks: unreachable or hanging targets end as
"incomplete" (exit 3) with a report; bad profiles, target files and URLs end as
usage errors (exit 2) naming file, line and field, before anything is written.
"""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path
from typing import Iterator

import pytest

from .support.cli import REPO_ROOT, CliResult

PROFILE = "ogc-api-features-1"
PROFILE_FILE = REPO_ROOT / "profiles" / f"{PROFILE}.yaml"
UNDECIDED_VERDICTS = {"ERROR", "INCONCLUSIVE"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never reads or answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in held:
            conn.close()


def undecided_problems(res: CliResult, out: Path, max_seconds: float) -> list[str]:
    """Everything wrong with a run against a target that never answers (all listed at once)."""
    problems = []
    if res.code != 3:
        problems.append(f"exit code {res.code}, expected 3")
    if res.duration >= max_seconds:
        problems.append(f"took {res.duration:.1f} s, bound {max_seconds:g} s")
    if "Traceback" in res.stderr + res.stdout:
        problems.append("a Python traceback was printed")
    if len(res.stderr_lines) != 1:
        problems.append(f"stderr has {len(res.stderr_lines)} lines, expected one error line")
    elif "unreachable" not in res.stderr_lines[0] and "timeout" not in res.stderr_lines[0]:
        problems.append(f"the stderr line does not say why: {res.stderr_lines[0]}")
    if res.report is None:
        problems.append(f"no {out / 'report.json'}")
        return problems
    if res.report["summary"]["outcome"] != "incomplete":
        problems.append(f"outcome {res.report['summary']['outcome']!r}, expected 'incomplete'")
    if not res.report["rows"]:
        problems.append("the report has no rows")
    problems += [f"row {r['requirement']} is {r['verdict']} on a target that never answered: "
                 f"{r['message'][:100]}"
                 for r in res.report["rows"] if r["verdict"] not in UNDECIDED_VERDICTS]
    return problems


def assert_usage_error(res: CliResult, out: Path) -> str:
    """Exit 2, one line on stderr, no traceback, nothing written; returns the line."""
    assert res.code == 2, res.describe()
    assert "Traceback" not in res.stderr + res.stdout, res.describe()
    assert len(res.stderr_lines) == 1, f"stderr must be exactly one line\n{res.describe()}"
    line = res.stderr_lines[0]
    assert line.startswith("oupcheck: error:"), line
    assert not out.exists(), f"{out} was created by a run that was refused"
    return line


def line_of(line: str, source: Path) -> int:
    m = re.search(re.escape(str(source)) + r":(\d+)\b", line)
    assert m, f"the message does not name {source}:<line>: {line}"
    return int(m.group(1))


# -- the target does not answer ------------------------------------------------------------------

def test_unreachable_target(oup, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = oup("run", "--profile", PROFILE, "--target", f"http://127.0.0.1:{free_port()}/",
              "--out", out, "--quiet", timeout=60)
    problems = undecided_problems(res, out, max_seconds=30)
    assert not problems, "\n".join(problems) + "\n" + res.describe()


def test_target_that_never_answers(oup, tmp_path: Path, silent_port: int) -> None:
    target = tmp_path / "target.yaml"
    target.write_text("name: x\ninterfaces:\n  - kind: ogc-api-features\n"
                      f"    url: http://127.0.0.1:{silent_port}/\n"
                      "limits:\n  connect_timeout: 1\n  read_timeout: 2\n", encoding="utf-8")
    out = tmp_path / "out"
    res = oup("run", "--profile", PROFILE, "--target", target, "--out", out, "--quiet",
              timeout=120)
    problems = undecided_problems(res, out, max_seconds=60)
    assert not problems, "\n".join(problems) + "\n" + res.describe()


# -- bad profile ---------------------------------------------------------------------------------

def corrupt_level(text: str, index: int) -> tuple[str, int]:
    """Make requirement ``index``'s ``level: MUST`` into ``MUSTY``; return text and 1-based line."""
    lines = text.splitlines(keepends=True)
    seen = -1
    for i in range(lines.index("requirements:\n"), len(lines)):
        if lines[i].startswith("  - id:"):
            seen += 1
        if seen == index and lines[i].strip() == "level: MUST":
            lines[i] = lines[i].replace("level: MUST", "level: MUSTY")
            return "".join(lines), i + 1
    raise AssertionError(f"requirement {index} of {PROFILE_FILE} has no 'level: MUST' line")


def test_profile_with_bad_level(oup, tmp_path: Path) -> None:
    text, lineno = corrupt_level(PROFILE_FILE.read_text(encoding="utf-8"), 2)
    profile = tmp_path / "bad-level.yaml"
    profile.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    res = oup("run", "--profile", profile, "--target", "http://127.0.0.1:9/", "--out", out,
              timeout=60)
    line = assert_usage_error(res, out)
    assert line_of(line, profile) == lineno, line
    assert "requirements[2].level" in line, line


def test_profile_with_yaml_syntax_error(oup, tmp_path: Path) -> None:
    lines = PROFILE_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = next(i for i, ln in enumerate(lines) if ln.startswith("  max_collections:"))
    lines[bad] = "  max_collections: [5, 6\n"  # unclosed bracket
    profile = tmp_path / "unclosed.yaml"
    profile.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    res = oup("run", "--profile", profile, "--target", "http://127.0.0.1:9/", "--out", out,
              timeout=60)
    line = assert_usage_error(res, out)
    # the parser notices the missing ']' at the next token, on the bracket's line or the next
    assert bad + 1 <= line_of(line, profile) <= bad + 2, line


# -- bad target file or URL ------------------------------------------------------------------------

TARGET_HEAD = "name: x\ninterfaces:\n  - kind: ogc-api-features\n    url: http://127.0.0.1:9/\n"


@pytest.mark.parametrize("extra, field, offset", [
    ("colour: blue\n", "colour", 0),
    ('writes_allowed: "maybe"\n', "writes_allowed", 0),
    ("tls:\n  ca_file: no-such-ca.pem\n", "tls.ca_file", 1),
    ("tls:\n  scan_file: no-such-scan.json\n", "tls.scan_file", 1),
    ("plain_http_url: https://127.0.0.1/\n", "plain_http_url", 0),
], ids=["unknown-field", "writes-allowed-maybe", "missing-ca-file", "missing-scan-file",
        "plain-url-not-http"])
def test_bad_target_file(oup, tmp_path: Path, extra: str, field: str, offset: int) -> None:
    target = tmp_path / "target.yaml"
    target.write_text(TARGET_HEAD + extra, encoding="utf-8")
    out = tmp_path / "out"
    res = oup("run", "--profile", PROFILE, "--target", target, "--out", out, timeout=60)
    line = assert_usage_error(res, out)
    assert line_of(line, target) == TARGET_HEAD.count("\n") + 1 + offset, line
    assert f"{field}:" in line, line


@pytest.mark.parametrize("url", ["htp:/nohost", "htp://nohost/", "http:///collections"])
def test_bad_target_url(oup, tmp_path: Path, url: str) -> None:
    out = tmp_path / "out"
    res = oup("run", "--profile", PROFILE, "--target", url, "--out", out, timeout=60)
    line = assert_usage_error(res, out)
    assert url in line, line


# -- bad options -------------------------------------------------------------------------------

def test_only_with_unknown_requirement(oup, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = oup("run", "--profile", PROFILE, "--target", "http://127.0.0.1:9/", "--out", out,
              "--only", "/req/core/no-such-thing", timeout=60)
    line = assert_usage_error(res, out)
    assert "--only" in line and "/req/core/no-such-thing" in line, line


def test_misspelled_profile_parameter(oup, tmp_path: Path) -> None:
    profile = tmp_path / "tuned.yaml"
    profile.write_text("id: tuned\nversion: 1.0.0\ntitle: tuned\nextends: [ogc-api-features-1]\n"
                       "parameters:\n  max_colections: 2\n", encoding="utf-8")
    out = tmp_path / "out"
    res = oup("run", "--profile", profile, "--target", "http://127.0.0.1:9/", "--out", out,
              timeout=60)
    line = assert_usage_error(res, out)
    assert line_of(line, profile) == 6, line
    assert "parameters.max_colections" in line and "max_collections" in line, line


@pytest.mark.parametrize("option", ["--data-dir", "--profile-path"])
def test_missing_directory_option(oup, tmp_path: Path, option: str) -> None:
    out = tmp_path / "out"
    missing = tmp_path / "no-such-dir"
    res = oup("run", "--profile", PROFILE, "--target", "http://127.0.0.1:9/", "--out", out,
              option, missing, timeout=60)
    line = assert_usage_error(res, out)
    assert option in line and str(missing) in line and "does not exist" in line, line


def test_unreachable_target_prints_one_line(oup, tmp_path: Path) -> None:
    """Without --quiet: no progress line per check, one line that says why."""
    out = tmp_path / "out"
    res = oup("run", "--profile", PROFILE, "--target", f"http://127.0.0.1:{free_port()}/",
              "--out", out, timeout=60)
    assert res.code == 3, res.describe()
    assert len(res.stderr_lines) == 1 and "unreachable" in res.stderr_lines[0], res.describe()
    assert res.report and all(r["verdict"] == "ERROR" for r in res.report["rows"]
                              if r["coverage"] == "checked"), res.describe()


@pytest.mark.parametrize("command", [["run", "--profile", PROFILE],
                                     ["run", "--with-load", "--profile", PROFILE],
                                     ["export"]], ids=["run", "run-with-load", "export"])
def test_out_whose_parent_does_not_exist(oup, tmp_path: Path, command: list[str]) -> None:
    """Old: pytest exit 4 inside the suite, mapped to exit 3 ("the suite stopped")."""
    out = tmp_path / "no-such-parent" / "out"
    res = oup(*command, "--target", "http://127.0.0.1:9/", "--out", out, timeout=60)
    line = assert_usage_error(res, out)
    assert "--out" in line and "parent directory does not exist" in line, line
    assert not (tmp_path / "no-such-parent").exists()


def test_target_without_the_profiles_interface(oup, tmp_path: Path) -> None:
    """Old: exit 3 ("the suite stopped before writing a report (pytest exit 4)")."""
    target = tmp_path / "mqtt-only.yaml"
    target.write_text("name: m\ninterfaces:\n  - kind: mqtt\n    url: mqtt://127.0.0.1:9\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    res = oup("run", "--profile", PROFILE, "--target", target, "--out", out, timeout=60)
    line = assert_usage_error(res, out)
    assert str(target) in line and "interfaces" in line and "ogc-api-features" in line, line
