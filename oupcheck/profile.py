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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import yamlsrc
from .errors import UsageError
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

    def param(self, name: str, default: int | float | str | bool) -> int | float | str | bool:
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
    data, lines = yamlsrc.load(path)
    if not isinstance(data, dict):
        raise UsageError("a profile must be a mapping", source=str(path), line=1)
    try:
        return ProfileFile.model_validate(data), lines
    except ValidationError as exc:
        raise yamlsrc.pydantic_error(exc, str(path), lines) from None


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
    lineage.append(f"{pf.id}@{pf.version}")
    standards.update({s.id: s for s in pf.standards})
    classes.update({c.uri: c for c in pf.conformance_classes})
    resources.update(pf.resources)
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
    return Profile(
        score=score,
        id=pf.id, version=pf.version, title=pf.title, description=pf.description, source=src,
        lineage=lineage, interface=pf.interface or interface,
        declaration=pf.declaration or declaration, standards=standards,
        conformance_classes=classes, resources=resources, parameters=params, requirements=reqs)


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
