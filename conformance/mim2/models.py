"""Smart Data Models: find the model of an entity type, load its JSON Schema and @context
(a data directory, the cache or the published URL), and validate keyValues entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

SDM_TYPE = re.compile(r"^https://smartdatamodels\.org/(dataModel\.[A-Za-z]+)/([A-Za-z0-9]+)$")
RAW = "https://raw.githubusercontent.com/smart-data-models/"


def model_of(type_iri: str, known: dict[str, str]) -> tuple[str, str] | None:
    """(subject, model) for a type: from its Smart Data Models IRI, else from the profile's
    list of known short names."""
    m = SDM_TYPE.match(type_iri)
    if m:
        return m.group(1), m.group(2)
    short = type_iri.rsplit("/", 1)[-1]
    return (known[short], short) if short in known else None


def known_models(param: str) -> dict[str, str]:
    out = {}
    for item in filter(None, (p.strip() for p in param.split(","))):
        name, _, subject = item.partition("=")
        out[name.strip()] = subject.strip()
    return out


def schema_url(subject: str, model: str) -> str:
    return f"{RAW}{subject}/master/{model}/schema.json"


def context_url(subject: str) -> str:
    return f"{RAW}{subject}/master/context.jsonld"


def validator(data: Any, subject: str, model: str) -> Draft202012Validator:
    schema = data.document(schema_url(subject, model))

    def retrieve(uri: str) -> Resource:
        try:
            return Resource.from_contents(data.document(uri.split("#")[0]))
        except Exception as exc:  # noqa: BLE001 - becomes the registry's own error
            raise NoSuchResource(ref=uri) from exc

    registry = Registry(retrieve=retrieve)
    return Draft202012Validator(schema, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def reverse_terms(*contexts: Any) -> dict[str, str]:
    """IRI -> term of the given @context documents (later ones win)."""
    out: dict[str, str] = {}
    for ctx in contexts:
        c = ctx.get("@context", ctx) if isinstance(ctx, dict) else {}
        for term, v in (c.items() if isinstance(c, dict) else []):
            iri = v if isinstance(v, str) else v.get("@id") if isinstance(v, dict) else None
            if isinstance(iri, str) and not term.startswith("@"):
                out.setdefault(iri, term)
    return out


def plain(value: Any) -> Any:
    """JSON-LD value objects ({"@type": "DateTime", "@value": v}) become their value."""
    if isinstance(value, dict):
        if "@value" in value and set(value) <= {"@value", "@type", "@language"}:
            return value["@value"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def compact_entity(ent: dict[str, Any], terms: dict[str, str]) -> dict[str, Any]:
    out = {}
    for k, v in ent.items():
        key = terms.get(k, k) if k not in ("id", "type") else k
        if k == "type":
            v = terms.get(v, v) if isinstance(v, str) else [terms.get(x, x) for x in v]
        out[key] = plain(v)
    return out


def violations(v: Draft202012Validator, ent: dict[str, Any], limit: int = 3) -> list[str]:
    errs = sorted(v.iter_errors(ent), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:120]}"
            for e in errs[:limit]]


@dataclass
class Judgement:
    """Entities sampled per type, judged against their Smart Data Model."""
    lines: list[str] = field(default_factory=list)   # "<Model>: v/n valid; first: ..."
    bad: list[str] = field(default_factory=list)     # lines of types below the threshold
    evidence: list[Any] = field(default_factory=list)
    judged: int = 0                                  # entities of known models
    valid: int = 0
    unknown: list[str] = field(default_factory=list)  # types that are no known model


def judge(data: Any, sample: Any, types: list[str], known: dict[str, str],
          threshold: float) -> Judgement:
    res = Judgement()
    for t in types:
        m = model_of(t, known)
        if m is None:
            res.unknown.append(t)
            continue
        subject, model = m
        v = validator(data, subject, model)
        terms = reverse_terms(
            data.document(data.url("ngsi-ld-core", "ngsi-ld-core-context-v1.8.jsonld")),
            data.document(context_url(subject)))
        sex, ents = sample.entities(t)
        res.evidence.append(sex)
        valid, first = 0, None
        for e in ents:
            problems = violations(v, compact_entity(e, terms))
            if problems:
                first = first or f"{e.get('id')} {'; '.join(problems)}"
            else:
                valid += 1
        res.judged += len(ents)
        res.valid += valid
        res.lines.append(f"{model}: {valid}/{len(ents)} valid" + (f"; first: {first}" if first else ""))
        if ents and valid / len(ents) < threshold:
            res.bad.append(res.lines[-1])
    return res
