"""Certification schemes: which profiles certify a platform, as data (issue 14).

A scheme (YAML in ``profiles/schemes/``, validated here and published as
``schemas/scheme.schema.json``) names its **pillars** and its **levels**:

- a pillar is one thing a city asks of a platform (context information, places, security,
  lock-in, capacity ...). It cites its source (standard and clause), names the kind of
  interface it applies to and the profiles that judge it. A pillar whose interface the target
  does not have is not applicable, unless the scheme marks it ``required``: then its absence
  keeps the platform from every level that needs it.
- a level (e.g. *basis*, *volledig*) is reached when each pillar it names is conformant (every
  applicable MUST row of its profiles PASSes) and its thresholds hold: the lock-in risk score
  at most so much, the load knee at least so many users. A level may include a lower one.

Every profile a scheme names must exist and probe the pillar's interface kind; a level names
only pillars of its scheme; the errors name the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from . import yamlsrc
from .errors import UsageError
from .profile import ID_PATTERN, SEMVER, Strict, load_profile
from .resources import root_dir

class Source(Strict):
    id: str = Field(description="Short key the pillars cite, e.g. 'OASC MIMs'")
    title: str
    version: str
    url: str | None = None
    note: str | None = Field(default=None, description="What the source is and is not (e.g. a "
                             "proposed work item), as a city officer should know it")


class Pillar(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    title_nl: str = Field(description="The title in Dutch (reports in --lang nl)")
    source: str = Field(description="The id of one of the scheme's sources")
    clause: str = Field(description="Where in the source the pillar comes from")
    also_cites: list[str] = Field(default_factory=list, description="Further sources (ids) the "
                                  "pillar's profiles implement, e.g. the standard a legal "
                                  "obligation names")
    interface: Literal["ngsi-ld", "ogc-api-features", "sensorthings", "mqtt", "http", "any"] = \
        Field(description="The interface kind (target.py) the pillar applies to; any: every "
                          "HTTP interface of the target")
    profiles: list[str] = Field(min_length=1, description="The profiles that judge the pillar, "
                                "pinned as ID@version (the scheme names the version it was "
                                "agreed on; another version of the profile is an error)")
    kind: Literal["conformance", "lock-in", "load"] = Field(
        default="conformance", description="conformance: every applicable MUST row PASSes; "
        "lock-in: also its risk score against the level's bound; load: run only when the target "
        "allows load, its knee against the level's bound")
    required: bool = Field(default=False, description="A target without this interface cannot "
                           "reach a level that needs the pillar (else: not applicable)")


class Level(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    title_nl: str
    includes: str | None = Field(default=None, description="A lower level whose conditions this "
                                 "one adds to")
    pillars: list[str] = Field(default_factory=list, description="Pillars that must be "
                               "conformant (or not applicable, unless required)")
    max_lockin_risk: float | None = Field(default=None, ge=0, le=100, description="The lock-in "
                                          "risk score (0-100, lower is better) at most this")
    min_load_users: int | None = Field(default=None, ge=1, description="The load knee (users "
                                       "within every SLO) at least this")


class SchemeFile(Strict):
    """What one scheme YAML file holds."""
    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(pattern=SEMVER)
    title: str
    title_nl: str
    description: str
    sources: list[Source] = Field(min_length=1)
    pillars: list[Pillar] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1, description="From the lowest to the highest")


class Scheme(BaseModel):
    """A validated scheme with the profiles it names resolved (their versions pinned here)."""
    id: str
    version: str
    title: str
    title_nl: str
    description: str
    source: str
    sources: dict[str, Source]
    pillars: dict[str, Pillar]
    levels: list[Level]
    profile_versions: dict[str, str]

    def profiles(self, pillar: str) -> list[str]:
        """The profile IDs of a pillar (without their pinned versions)."""
        return [ref.partition("@")[0] for ref in self.pillars[pillar].profiles]

    def level(self, lid: str) -> Level:
        return next(lv for lv in self.levels if lv.id == lid)

    def needs(self, lid: str) -> Level:
        """The level with everything it includes folded in (pillars joined, the strictest
        bounds)."""
        lv = self.level(lid)
        if lv.includes is None:
            return lv
        base = self.needs(lv.includes)
        pillars = list(dict.fromkeys(base.pillars + lv.pillars))
        risk = [b for b in (base.max_lockin_risk, lv.max_lockin_risk) if b is not None]
        users = [u for u in (base.min_load_users, lv.min_load_users) if u is not None]
        return lv.model_copy(update={"pillars": pillars, "includes": None,
                                     "max_lockin_risk": min(risk) if risk else None,
                                     "min_load_users": max(users) if users else None})


def scheme_dir() -> Path:
    return root_dir("profiles") / "schemes"


def find_scheme_file(ref: str) -> Path:
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") or "/" in ref:
        return candidate
    path = scheme_dir() / f"{ref}.yaml"
    if path.is_file():
        return path
    known = sorted(p.stem for p in scheme_dir().glob("*.yaml"))
    raise UsageError(f"unknown scheme {ref!r} (known: {', '.join(known) or 'none'})",
                     field="--scheme")


def load_scheme(ref: str, profile_paths: list[Path] | None = None) -> Scheme:
    path = find_scheme_file(ref)
    src = str(path)
    sf, lines = yamlsrc.read_as(path, SchemeFile, "a scheme")

    def fail(message: str, *loc: object) -> UsageError:
        return UsageError(message, source=src, line=yamlsrc.line_for(lines, tuple(loc)),
                          field=yamlsrc.field_name(tuple(loc)))

    sources = {}
    for i, s in enumerate(sf.sources):
        if s.id in sources:
            raise fail(f"duplicate source id {s.id!r}", "sources", i, "id")
        sources[s.id] = s
    pillars: dict[str, Pillar] = {}
    versions: dict[str, str] = {}
    for i, p in enumerate(sf.pillars):
        if p.id in pillars:
            raise fail(f"duplicate pillar id {p.id!r}", "pillars", i, "id")
        if p.source not in sources:
            raise fail(f"source {p.source!r} is not one of the scheme's sources", "pillars", i,
                       "source")
        for j, sid in enumerate(p.also_cites):
            if sid not in sources:
                raise fail(f"source {sid!r} is not one of the scheme's sources", "pillars", i,
                           "also_cites", j)
        for j, pinned in enumerate(p.profiles):
            ref, _, version = pinned.partition("@")
            if not version:
                raise fail(f"profile {pinned!r} has no version: name it as {ref}@VERSION",
                           "pillars", i, "profiles", j)
            try:
                prof = load_profile(ref, profile_paths)
            except UsageError as exc:
                raise fail(f"profile {ref!r}: {exc.message}", "pillars", i, "profiles", j) \
                    from None
            if prof.version != version:
                raise fail(f"the scheme pins {ref} {version}, but the profile is version "
                           f"{prof.version}", "pillars", i, "profiles", j)
            if (prof.load is not None) != (p.kind == "load"):
                raise fail(f"profile {ref!r} is {'a' if prof.load else 'no'} load profile, and "
                           f"the pillar is of kind {p.kind}", "pillars", i, "profiles", j)
            if p.kind == "lock-in" and prof.score is None:
                raise fail(f"profile {ref!r} has no score, and a lock-in pillar is judged on "
                           "its risk score", "pillars", i, "profiles", j)
            if p.interface not in ("any", "http") and prof.interface not in (None, p.interface):
                raise fail(f"profile {ref!r} probes {prof.interface} interfaces, not the "
                           f"pillar's {p.interface}", "pillars", i, "profiles", j)
            versions[prof.id] = prof.version
        pillars[p.id] = p
    cited = {sid for p in pillars.values() for sid in [p.source, *p.also_cites]}
    for i, s in enumerate(sf.sources):
        if s.id not in cited:
            raise fail(f"source {s.id!r} is cited by no pillar", "sources", i, "id")
    seen: list[str] = []
    for i, lv in enumerate(sf.levels):
        if lv.id in seen:
            raise fail(f"duplicate level id {lv.id!r}", "levels", i, "id")
        if lv.includes is not None and lv.includes not in seen:
            raise fail(f"includes {lv.includes!r}, which is not a level before this one",
                       "levels", i, "includes")
        for j, pid in enumerate(lv.pillars):
            if pid not in pillars:
                raise fail(f"pillar {pid!r} is not one of the scheme's pillars", "levels", i,
                           "pillars", j)
        if lv.max_lockin_risk is not None and not any(
                p.kind == "lock-in" for p in pillars.values()):
            raise fail("a lock-in bound needs a pillar of kind lock-in", "levels", i,
                       "max_lockin_risk")
        if lv.min_load_users is not None and not any(
                p.kind == "load" for p in pillars.values()):
            raise fail("a load bound needs a pillar of kind load", "levels", i,
                       "min_load_users")
        seen.append(lv.id)
    return Scheme(id=sf.id, version=sf.version, title=sf.title, title_nl=sf.title_nl,
                  description=sf.description, source=src, sources=sources, pillars=pillars,
                  levels=sf.levels, profile_versions=versions)


def all_schemes() -> list[Scheme]:
    return [load_scheme(str(p)) for p in sorted(scheme_dir().glob("*.yaml"))]


# -- which level a platform reaches (a pure function of the pillars' outcomes) -------------
PillarOutcome = Literal["conformant", "conformant-with-waivers", "not-conformant",
                        "incomplete", "not-applicable", "not-run"]


class LevelResult(BaseModel):
    level: str
    verdict: Literal["reached", "not-reached", "undecided"]
    reasons: list[str] = Field(default_factory=list, description="Why not (or what is open)")
    with_waivers: list[str] = Field(default_factory=list, description="Pillars that met the "
                                    "level only because failing rows were waived")


class Standing(BaseModel):
    """What a certification concluded: the highest level reached (None: none), and every
    level's result with its reasons."""
    reached: str | None
    levels: list[LevelResult]

    @property
    def reached_with_waivers(self) -> bool:
        return any(lv.with_waivers for lv in self.levels if lv.level == self.reached)


def standing(scheme: Scheme, pillars: dict[str, PillarOutcome], lockin_risk: float | None,
             knee_users: int | None) -> Standing:
    """The level a platform reaches from its pillars' outcomes (``pillars``: id -> outcome;
    a pillar missing from it was not run), its lock-in risk score and its load knee (users
    within every SLO; None when no load ran or none met them). A level is reached when each of
    its pillars is conformant (or not applicable, unless the scheme requires it) and its bounds
    hold; it is undecided when nothing fails it but something is open; levels are reached in
    order (a higher one needs the lower ones)."""
    results: list[LevelResult] = []
    reached = None
    for lv in scheme.levels:
        need = scheme.needs(lv.id)
        fails: list[str] = []
        open_: list[str] = []
        waived: list[str] = []
        for pid in need.pillars:
            p = scheme.pillars[pid]
            got = pillars.get(pid, "not-run")
            if got == "conformant":
                continue
            if got == "conformant-with-waivers":
                waived.append(pid)
                continue
            if got == "not-applicable":
                if p.required:
                    fails.append(f"{p.title}: the target has no {p.interface} interface, and "
                                 "the scheme requires one")
                continue
            if got == "not-conformant":
                fails.append(f"{p.title}: a MUST requirement is not met")
            elif got == "incomplete":
                open_.append(f"{p.title}: not every MUST requirement could be decided")
            else:
                open_.append(f"{p.title}: not run" + (" (the target does not allow load)"
                                                        if p.kind == "load" else ""))
        if need.max_lockin_risk is not None:
            if lockin_risk is None:
                open_.append("the lock-in risk score is not known (the lock-in profile did not "
                             "run)")
            elif lockin_risk > need.max_lockin_risk:
                fails.append(f"lock-in risk {lockin_risk:g} is above {need.max_lockin_risk:g}")
        if need.min_load_users is not None:
            if knee_users is None:
                open_.append("no load knee (no load ran, or no step met every SLO)")
            elif knee_users < need.min_load_users:
                fails.append(f"the load knee is {knee_users} users, below "
                             f"{need.min_load_users}")
        below = results[-1].verdict if results else "reached"
        if below == "not-reached":
            fails.insert(0, f"the level below ({results[-1].level}) is not reached")
        elif below == "undecided":
            open_.insert(0, f"the level below ({results[-1].level}) is undecided")
        verdict = "not-reached" if fails else "undecided" if open_ else "reached"
        results.append(LevelResult(level=lv.id, verdict=verdict, reasons=fails + open_,
                                   with_waivers=waived))
        if verdict == "reached":
            reached = lv.id
    return Standing(reached=reached, levels=results)
