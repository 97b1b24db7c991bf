"""Profiles: requirement sets as data (YAML), validated by pydantic.

A profile lists requirements with their stable ID (the standard's own
identifier), source standard and clause, level, statement, conformance class
and applicability, plus bounded run parameters. ``extends`` pulls in other
profiles; the child's entries override the parent's by ID.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Literal

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from . import yamlsrc
from .errors import UsageError
from .parameters import KNOWN as KNOWN_PARAMETERS
from .parameters import unknown as unknown_parameter
from .resources import root_dir

ID_PATTERN = r"^[a-z0-9][a-z0-9.-]*$"
SEMVER = r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$"


class Level(str, Enum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Standard(Strict):
    id: str = Field(description="Short key used by requirements, e.g. 'OGC 17-069r4'")
    title: str
    version: str
    url: str | None = None


class ConformanceClass(Strict):
    uri: str = Field(description="The class identifier the target declares (e.g. in conformsTo)")
    title: str
    applicability: Literal["mandatory", "if-claimed"] = Field(
        description="mandatory: always judged; if-claimed: judged only when the target declares "
                    "the class (target file claims or its own conformance declaration)")


class Declaration(Strict):
    """Where the target declares the classes it implements (read before any check)."""
    path: str = Field(description="Path relative to the interface base URL, e.g. 'conformance'")
    json_pointer: str = Field(description="JSON pointer to the list of class URIs, e.g. '/conformsTo'")


class Resource(Strict):
    """A published file the checks need (schema, context), loaded from a URL with a cache or a
    data directory the user gives."""
    url: str = Field(description="Base URL of the published files (ends with '/')")
    local: str = Field(description="Same files under a user-given data directory")


class Requirement(Strict):
    id: str = Field(description="The standard's own identifier (e.g. an OGC requirement URI)")
    standard: str = Field(description="Key of an entry in 'standards'")
    clause: str
    level: Level
    statement: str = Field(description="The normative sentence (quoted or closely paraphrased)")
    title: str | None = Field(default=None, max_length=90, description="What the requirement "
                              "asks, in plain words for a city officer (a few words)")
    title_nl: str | None = Field(default=None, max_length=90, description="The title in Dutch")
    next_step: str | None = Field(default=None, description="What a supplier whose platform "
                                  "FAILs this row must change, in plain words")
    next_step_nl: str | None = Field(default=None, description="The next step in Dutch")
    conformance_class: str | None = Field(
        default=None, description="URI of an entry in 'conformance_classes'")
    testable: bool = Field(default=True, description="false: not black-box testable (give reason)")
    reason: str | None = Field(default=None, description="Why the requirement is not testable")
    thresholds: dict[str, int | float | str | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reason_when_untestable(self) -> "Requirement":
        if not self.testable and not self.reason:
            raise ValueError("testable: false needs a 'reason'")
        return self


class ScoreFactor(Strict):
    requirement: str = Field(description="ID of a requirement of this profile")
    weight: float = Field(gt=0, description="Share of the score this factor carries")
    lowers_risk: str = Field(description="What the platform could do to lower this risk")


class Score(Strict):
    """A composite score over requirement rows (e.g. lock-in risk), tuned as data."""
    name: str
    description: str | None = None
    unknown_counts_as: float = Field(default=0.5, ge=0, le=1, description="Share of a factor's "
                                     "weight counted as risk when its row is INCONCLUSIVE or ERROR")
    factors: list[ScoreFactor] = Field(min_length=1)


class LoadSteps(Strict):
    """The step-load capacity search: users rise from ``start_users`` by ``step_users`` until an
    SLO breaks (and the SLO concurrency was measured) or ``max_users`` is reached."""
    start_users: int = Field(default=1, ge=1, le=100_000)
    step_users: int = Field(default=2, ge=1, le=100_000)
    max_users: int = Field(default=32, ge=1, le=100_000)
    step_duration_s: float = Field(default=10, gt=0, le=3600,
                                   description="Measured time of one step (after settling)")
    settle_s: float = Field(default=1, ge=0, le=600,
                            description="Time after the users of a step are running before "
                                        "measuring starts (not counted in the step's figures)")
    spawn_rate: float = Field(default=50, gt=0, description="Users started per second")

    @model_validator(mode="after")
    def _order(self) -> "LoadSteps":
        if self.max_users < self.start_users:
            raise ValueError("max_users must be at least start_users")
        return self


class SLO(Strict):
    """The thresholds of one SLO requirement (its ``thresholds`` mapping)."""
    metric: Literal["p95_ms", "p99_ms", "error_rate", "throughput_rps"] = Field(
        description="p95_ms/p99_ms: response-time percentile of the step (ms); error_rate: "
                    "failed share of requests (0..1); throughput_rps: completed requests/s")
    max: float | None = Field(default=None, ge=0, description="Upper bound (latency, errors)")
    min: float | None = Field(default=None, ge=0, description="Lower bound (throughput)")
    at_users: int = Field(ge=1, description="The concurrency at which the SLO is judged")
    min_requests: int = Field(default=0, ge=0, description="Fewer requests in the judged step "
                              "give INCONCLUSIVE (default: enough for the percentile)")

    @model_validator(mode="after")
    def _bound(self) -> "SLO":
        want = "min" if self.metric == "throughput_rps" else "max"
        if getattr(self, want) is None or getattr(self, "max" if want == "min" else "min") \
                is not None:
            raise ValueError(f"metric {self.metric} takes '{want}' (and only '{want}')")
        return self


class LoadSettings(Strict):
    """A load profile's scenario, steps and bounds; SLO thresholds are requirement rows."""
    scenario: Literal["ogc-api-features", "ngsi-ld", "sensorthings", "mqtt"] = Field(
        description="Which locust scenario (load/<kind>.py) drives the interface")
    tasks: dict[str, float] = Field(min_length=1, description="Task name -> weight (share of "
                                    "the mix); names are the scenario's tasks")
    data: dict[str, object] = Field(default_factory=dict, description="Scenario data: bbox and "
                                    "datetime samples, page limits, entity types...")
    wait_s: tuple[float, float] = Field(default=(0.0, 0.0), description="Think time between "
                                        "tasks of one user, uniform in [min, max] seconds")
    steps: LoadSteps = Field(default_factory=LoadSteps)
    max_duration_s: float = Field(default=300, gt=0, le=86_400, description="Bound on the whole "
                                  "load run (steps that do not fit are not run)")
    max_requests: int = Field(default=2_000_000, gt=0, description="Bound on requests in the run")
    request_timeout_s: float = Field(default=10, gt=0, le=300)
    slos: list[str] = Field(min_length=1, description="Requirement IDs of the SLO rows")
    capacity: str | None = Field(default=None, description="Requirement ID of the capacity row "
                                 "(judged by the knee of the step search)")

    @field_validator("tasks")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, w in v.items() if not w >= 0]
        if bad or not any(w > 0 for w in v.values()):
            raise ValueError("weights must be >= 0 and at least one > 0")
        return v


class ProfileFile(Strict):
    """What one profile YAML file holds (before 'extends' is resolved)."""
    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(pattern=SEMVER, description="Version of the profile itself")
    title: str
    description: str | None = None
    extends: list[str] = Field(default_factory=list)
    interface: str | None = Field(default=None,
                                  description="Interface kind the checks probe, e.g. ogc-api-features")
    declaration: Declaration | None = None
    standards: list[Standard] = Field(default_factory=list)
    conformance_classes: list[ConformanceClass] = Field(default_factory=list)
    resources: dict[str, Resource] = Field(default_factory=dict)
    parameters: dict[str, int | float | str | bool] = Field(
        default_factory=dict, description="Bounds and knobs for the checks (pages, samples...)")
    requirements: list[Requirement] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list, description="Requirement IDs dropped from parents")
    score: Score | None = Field(default=None, description="A composite score over the rows")
    load: LoadSettings | None = Field(default=None, description="Load scenario, step search and "
                                      "bounds (load profiles)")
    load_profile: str | None = Field(default=None, description="The load profile that "
                                     "'oupcheck run --with-load' runs after this one")


class Profile(BaseModel):
    """A resolved profile: its own file merged over everything it extends."""
    id: str
    version: str
    title: str
    description: str | None
    source: str
    lineage: list[str]
    interface: str | None
    declaration: Declaration | None
    standards: dict[str, Standard]
    conformance_classes: dict[str, ConformanceClass]
    resources: dict[str, Resource]
    parameters: dict[str, int | float | str | bool]
    requirements: dict[str, Requirement]
    score: Score | None = None
    load: LoadSettings | None = None
    load_profile: str | None = None

    def slo(self, rid: str) -> SLO:
        """The validated thresholds of an SLO row (checked when the profile was resolved)."""
        return SLO.model_validate(self.requirements[rid].thresholds)

    def param(self, name: str, default: int | float | str | bool) -> int | float | str | bool:
        if name not in KNOWN_PARAMETERS:  # a check reads a name no profile may set
            raise KeyError(f"profile parameter {name!r} is not in oupcheck/parameters.py")
        return self.parameters.get(name, default)

    def requirement(self, rid: str) -> Requirement:
        return self.requirements[rid]


def search_path(extra: list[Path] | None = None) -> list[Path]:
    paths = list(extra or [])
    paths.append(root_dir("profiles"))
    return paths


def find_profile_file(ref: str, paths: list[Path]) -> Path:
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") or "/" in ref:
        return candidate
    for folder in paths:
        for ext in (".yaml", ".yml"):
            p = folder / f"{ref}{ext}"
            if p.is_file():
                return p
    known = sorted({p.stem for folder in paths if folder.is_dir() for p in folder.glob("*.y*ml")})
    raise UsageError(f"unknown profile {ref!r} (known: {', '.join(known) or 'none'})",
                     field="--profile")


def read_profile_file(path: Path) -> tuple[ProfileFile, dict]:
    return yamlsrc.read_as(path, ProfileFile, "a profile")


def load_profile(ref: str, extra_paths: list[Path] | None = None) -> Profile:
    paths = search_path(extra_paths)
    return _resolve(find_profile_file(ref, paths), paths, ())


def _resolve(path: Path, paths: list[Path], chain: tuple[str, ...]) -> Profile:
    pf, lines = read_profile_file(path)
    src = str(path)
    if pf.id in chain:
        raise UsageError(f"'extends' cycle: {' -> '.join(chain + (pf.id,))}", source=src,
                         line=yamlsrc.line_for(lines, ("extends",)), field="extends")
    standards: dict[str, Standard] = {}
    classes: dict[str, ConformanceClass] = {}
    resources: dict[str, Resource] = {}
    params: dict = {}
    reqs: dict[str, Requirement] = {}
    lineage: list[str] = []
    interface = None
    declaration = None
    score = None
    load = None
    load_profile = None
    for i, parent_ref in enumerate(pf.extends):
        try:
            parent_path = find_profile_file(parent_ref, paths)
            parent = _resolve(parent_path, paths, chain + (pf.id,))
        except UsageError as exc:
            if exc.source:
                raise
            raise UsageError(exc.message, source=src, line=yamlsrc.line_for(lines, ("extends", i)),
                             field=f"extends[{i}]") from None
        standards.update(parent.standards)
        classes.update(parent.conformance_classes)
        resources.update(parent.resources)
        params.update(parent.parameters)
        reqs.update(parent.requirements)
        lineage.extend(x for x in parent.lineage if x not in lineage)
        interface = interface or parent.interface
        declaration = declaration or parent.declaration
        score = score or parent.score
        load = load or parent.load
        load_profile = load_profile or parent.load_profile
    lineage.append(f"{pf.id}@{pf.version}")
    standards.update({s.id: s for s in pf.standards})
    classes.update({c.uri: c for c in pf.conformance_classes})
    resources.update(pf.resources)
    for name in pf.parameters:
        if name not in KNOWN_PARAMETERS:
            raise UsageError(unknown_parameter(name), source=src,
                             line=yamlsrc.line_for(lines, ("parameters", name)),
                             field=f"parameters.{name}")
    params.update(pf.parameters)
    for i, rid in enumerate(pf.remove):
        if rid not in reqs:
            raise UsageError(f"removes {rid!r}, which no parent profile defines", source=src,
                             line=yamlsrc.line_for(lines, ("remove", i)), field=f"remove[{i}]")
        del reqs[rid]
    seen: set[str] = set()
    for i, req in enumerate(pf.requirements):
        where = dict(source=src, line=yamlsrc.line_for(lines, ("requirements", i)))
        if req.id in seen:
            raise UsageError(f"duplicate requirement id {req.id!r}", field=f"requirements[{i}].id",
                             **where)
        seen.add(req.id)
        if req.standard not in standards:
            raise UsageError(f"standard {req.standard!r} is not declared in 'standards'",
                             field=f"requirements[{i}].standard", **where)
        if req.conformance_class and req.conformance_class not in classes:
            raise UsageError(f"conformance class {req.conformance_class!r} is not declared",
                             field=f"requirements[{i}].conformance_class", **where)
        reqs[req.id] = req
    score = pf.score or score
    if score is not None:
        for i, f in enumerate(score.factors):
            if f.requirement not in reqs:
                raise UsageError(f"score factor {f.requirement!r} is not a requirement of the "
                                 "profile", source=src, line=yamlsrc.line_for(
                                     lines, ("score", "factors", i)),
                                 field=f"score.factors[{i}].requirement")
    load = pf.load or load
    if load is not None:
        _check_load(load, reqs, src, lines)
    return Profile(
        score=score, load=load, load_profile=pf.load_profile or load_profile,
        id=pf.id, version=pf.version, title=pf.title, description=pf.description, source=src,
        lineage=lineage, interface=pf.interface or interface,
        declaration=pf.declaration or declaration, standards=standards,
        conformance_classes=classes, resources=resources, parameters=params, requirements=reqs)


def _check_load(load: LoadSettings, reqs: dict[str, Requirement], src: str, lines: dict) -> None:
    from .load.scenarios import check_tasks

    try:
        check_tasks(load.scenario, load.tasks)
    except ValueError as exc:
        raise UsageError(str(exc), source=src, line=yamlsrc.line_for(lines, ("load", "tasks")),
                         field="load.tasks") from None
    for i, rid in enumerate(load.slos):
        where = dict(source=src, line=yamlsrc.line_for(lines, ("load", "slos", i)))
        if rid not in reqs:
            raise UsageError(f"SLO {rid!r} is not a requirement of the profile",
                             field=f"load.slos[{i}]", **where)
        try:
            SLO.model_validate(reqs[rid].thresholds)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise UsageError(f"thresholds of {rid}: {loc + ': ' if loc else ''}{first['msg']}",
                             field=f"load.slos[{i}]", **where) from None
    if load.capacity and load.capacity not in reqs:
        raise UsageError(f"capacity row {load.capacity!r} is not a requirement of the profile",
                         source=src, line=yamlsrc.line_for(lines, ("load", "capacity")),
                         field="load.capacity")


def all_profiles(extra_paths: list[Path] | None = None) -> list[Profile]:
    out = []
    for folder in search_path(extra_paths):
        for p in sorted(folder.glob("*.y*ml")):
            out.append(_resolve(p, search_path(extra_paths), ()))
    return out


def short_id(rid: str) -> str:
    """A readable tail of a long requirement URI (for tables); the full ID stays the key."""
    m = re.search(r"/(req|rec|per)/(.+)$", rid)
    return f"/{m.group(1)}/{m.group(2)}" if m else rid
