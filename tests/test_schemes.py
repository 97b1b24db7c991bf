"""Certification schemes as data (issue 14): the bundled schemes validate against their model
and pin the profiles' versions; a malformed scheme gets one line naming file, line and field;
the level a platform reaches is a pure function of its pillars' outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oupcheck.errors import UsageError
from oupcheck.scheme import all_schemes, load_scheme, scheme_dir, standing

ROOT = Path(__file__).resolve().parents[1]


def test_the_bundled_schemes_validate_and_pin_their_profiles():
    schemes = {s.id: s for s in all_schemes()}
    assert set(schemes) == {"oup-core", "nl-gemeente"}
    core = schemes["oup-core"]
    assert [lv.id for lv in core.levels] == ["basis", "volledig"]
    # keyed to OASC MIM1, MIM2, MIM7 and the security pillar, each citing its clause
    clauses = {p.id: p.clause for p in core.pillars.values()}
    assert clauses["context-information"].startswith("MIM1")
    assert clauses["data-models"].startswith("MIM2")
    assert clauses["places"].startswith("MIM7")
    assert "MIM6" in clauses["security"]
    assert core.profile_versions["mim1-ngsi-ld"] == "1.1.0"
    full = core.needs("volledig")
    assert set(full.pillars) == set(core.pillars) and full.max_lockin_risk == 25
    nl = schemes["nl-gemeente"]
    assert nl.profiles("api-design") == ["nl-api-design-rules-2.1.0"]
    assert {p.source for p in nl.pillars.values()} | {s for p in nl.pillars.values()
                                                       for s in p.also_cites} == set(nl.sources)


def test_the_bundled_schemes_validate_against_the_published_schema():
    # (that the published schema is the model's: test_engine_units' published-schemas test)
    published = json.loads((ROOT / "schemas" / "scheme.schema.json").read_text("utf-8"))
    import jsonschema
    import yaml
    for path in scheme_dir().glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text("utf-8")), published)


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (scheme_dir() / "oup-core.yaml").read_text("utf-8")
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old,new,field,phrase", [
    ("[mim1-ngsi-ld@1.1.0]", "[mim1-ngsi-ld@0.9.0]", "pillars[0].profiles[0]",
     "pins mim1-ngsi-ld 0.9.0, but the profile is version 1.1.0"),
    ("[mim1-ngsi-ld@1.1.0]", "[mim1-ngsi-ld]", "pillars[0].profiles[0]", "has no version"),
    ("[mim1-ngsi-ld@1.1.0]", "[no-such-profile@1.0.0]", "pillars[0].profiles[0]",
     "unknown profile"),
    ("[mim2-data-models@1.0.0]", "[load-ngsi-ld@1.0.0]", "pillars[1].profiles[0]",
     "is a load profile"),
    ("[ogc-api-features-1@1.0.0]", "[mim1-ngsi-ld@1.1.0]", "pillars[2].profiles[0]",
     "probes ngsi-ld interfaces"),
    ("pillars: [context-information, data-models, places, security]",
     "pillars: [context-information, data-models, plaatsen, security]", "levels[0].pillars[2]",
     "'plaatsen' is not one of the scheme's pillars"),
    ("includes: basis", "includes: brons", "levels[1].includes", "not a level before"),
    ("    source: EIP-SCC RS\n    clause: ARCH-4", "    source: EIPSCC\n    clause: ARCH-4",
     "pillars[6].source", "'EIPSCC' is not one of the scheme's sources"),
    ("max_lockin_risk: 50", "max_lockin_risk: 150", "levels[0].max_lockin_risk",
     "less than or equal to 100"),
])
def test_a_malformed_scheme_names_file_line_and_field(tmp_path, old, new, field, phrase):
    path = _broken(tmp_path, old, new)
    with pytest.raises(UsageError) as err:
        load_scheme(str(path))
    line = str(err.value)
    assert str(path) in line and field in line and phrase in line, line
    assert err.value.line and err.value.line > 1


def test_an_unknown_scheme_lists_the_known_ones():
    with pytest.raises(UsageError, match="unknown scheme 'oup-gold'.*nl-gemeente, oup-core"):
        load_scheme("oup-gold")


CORE = ["context-information", "data-models", "places", "security"]


def test_the_level_reached_follows_the_pillars_and_the_bounds():
    core = load_scheme("oup-core")
    every = {p: "conformant" for p in core.pillars}
    s = standing(core, every, lockin_risk=10, knee_users=32)
    assert s.reached == "volledig" and all(r.verdict == "reached" for r in s.levels)
    # the lock-in bound of volledig (25) fails it; basis (50) still holds
    s = standing(core, every, lockin_risk=40, knee_users=32)
    assert s.reached == "basis"
    assert s.levels[1].reasons == ["lock-in risk 40 is above 25"]
    # a MUST failing in a basis pillar: no level at all, and volledig says why too
    s = standing(core, dict(every, places="not-conformant"), lockin_risk=10, knee_users=32)
    assert s.reached is None and [r.verdict for r in s.levels] == ["not-reached"] * 2
    assert "the level below (basis) is not reached" in s.levels[1].reasons
    # load not allowed: volledig is undecided, not failed
    s = standing(core, {p: every[p] for p in every if p != "capacity"}, 10, None)
    assert s.reached == "basis" and s.levels[1].verdict == "undecided"
    assert any("not run (the target does not allow load)" in r for r in s.levels[1].reasons)
    # an optional pillar the target lacks is not applicable; a required one keeps the level
    s = standing(core, dict(every, **{"open-protocols": "not-applicable"}), 10, 32)
    assert s.reached == "volledig"
    s = standing(core, dict(every, **{"context-information": "not-applicable"}), 10, 32)
    assert s.reached is None
    assert "no ngsi-ld interface" in s.levels[0].reasons[0]
    # an undecided basis leaves volledig undecided (never reached above an open level)
    s = standing(core, dict(every, security="incomplete"), 10, 32)
    assert s.reached is None and [r.verdict for r in s.levels] == ["undecided"] * 2


def test_validate_and_schemes_commands(oup, tmp_path):
    ok = oup("validate", scheme_dir() / "oup-core.yaml")
    assert ok.code == 0 and "scheme oup-core@1.0.0, 7 pillars, levels basis, volledig" in ok.stdout
    listed = oup("schemes")
    assert listed.code == 0 and "level volledig: 7 pillars conformant; lock-in risk <= 25; " \
        "load knee >= 16 users" in listed.stdout
    bad = oup("validate", _broken(tmp_path, "includes: basis", "includes: brons"))
    lines = [ln for ln in bad.stderr.splitlines() if ln.strip()]
    assert bad.code == 2 and len(lines) == 1 and "levels[1].includes" in lines[0], bad.stderr
