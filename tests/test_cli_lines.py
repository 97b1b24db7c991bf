"""What the command prints: progress lines name the requirement, never cut a word; the profile
list is aligned in columns."""

from __future__ import annotations

import re

import pytest

from oupcheck.cli import clip

OAF = "http://www.opengis.net/spec/ogcapi-features-1/1.0"


@pytest.mark.parametrize("text, limit", [
    ("short", 20), ("a message that is much longer than the limit allows here", 20),
    ("averyveryverylongwordwithoutanyspaceatallinside and more", 15),
])
def test_clip_never_cuts_inside_a_word_when_there_is_a_space(text, limit):
    out = clip(text, limit)
    assert len(out) <= limit
    if out != text:
        assert out.endswith("…")
        body = out[:-1]
        if " " in text[:limit]:
            assert text.startswith(body) and text[len(body)] in " ,;:"


@pytest.mark.slow
def test_progress_lines_name_requirement_ids(oup, pygeoapi_url, tmp_path):
    only = [OAF + "/req/core/root-success", OAF + "/req/core/fc-md-items"]
    args = ["run", "--profile", "ogc-api-features-1", "--target", pygeoapi_url,
            "--out", tmp_path / "out"]
    for rid in only:
        args += ["--only", rid]
    res = oup(*args, timeout=120)
    progress = [ln for ln in res.stderr_lines if ln.startswith("[")]
    assert len(progress) >= 2, res.describe()
    named = {rid for rid in only for ln in progress if rid in ln}
    assert named == set(only), res.describe()
    for ln in progress:
        assert re.match(r"^\[\s*\d+/\d+\] \w+\s+\S", ln), ln
        assert "test_" not in ln.split(": ", 1)[0], f"a test function name instead of the ID: {ln}"


def test_profiles_are_aligned(oup):
    res = oup("profiles", timeout=60)
    lines = res.stdout.strip().splitlines()
    assert res.code == 0 and len(lines) > 5
    # the version column starts, and the two count columns end, at one offset on every line
    assert len({ln.index(" " + ln.split()[1] + " ") for ln in lines}) == 1, res.stdout
    for col in (2, 3):
        ends = {m.end() for ln in lines for m in [list(re.finditer(r"\S+", ln))[col]]}
        assert len(ends) == 1, res.stdout
