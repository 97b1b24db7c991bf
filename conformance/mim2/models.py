"""Smart Data Models: find the model of an entity type, load its JSON Schema and @context
(a data directory, the cache or the published URL), and validate keyValues entities.

Before an entity is validated it is normalised, but only where JSON-LD (which NGSI-LD answers
are, GS CIM 009 clause 4.5) says two JSON texts are the same data. Exactly these
transformations are applied, and each one is counted and reported in the row:

1. Attribute names and the entity type given as full IRIs (the suite sends no @context, so a
   broker compacts with the core context only) become the Smart Data Model's terms, by the
   core @context and the model's own @context (IRI -> term).
2. A JSON-LD value object becomes its value:
   ``{"@type": "DateTime", "@value": "2024-01-01T00:00:00Z"}`` -> ``"2024-01-01T00:00:00Z"``,
   also with ``@language`` / ``@direction`` / ``@index`` and without ``@type`` (JSON-LD 1.1
   clause 4.2.1 "typed values"; the NGSI-LD core @context defines the DateTime, Date and Time
   types so written, and keyValues gives a Property value as it is stored). The @value is
   kept as given, so the schema still judges its lexical form (e.g. ``format: date-time``).
3. A single value where the model's schema asks for an array becomes a one-element array,
   when that lowers the number of violations: JSON-LD compaction (``compactArrays``, on by
   default, JSON-LD 1.1 API clause 6) writes a one-element array as its element, so
   ``"category": "onstreet"`` is the same data as ``"category": ["onstreet"]`` unless the
   term is an ``@list`` / ``@set`` container (then compaction keeps the array).

The sampler (sample.py) applies the same compaction rule to two NGSI-LD answers: a typeList
given as one string is a list of that one type, and a query answer that is one entity object
is a list of that entity (the ETSI NGSI-LD test suite accepts the latter too).

Not applied: a one-element array is never turned into a single value (compaction does not
produce an array from a single value, so an array where the schema wants one value is a
violation of the data); no other value is converted (a number in a string stays a string)."""

from __future__ import annotations

import copy
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


VALUE_OBJECT_KEYS = {"@value", "@type", "@language", "@direction", "@index"}


class Normalised(dict):
    """How often each transformation of the module docstring was applied."""

    def add(self, what: str, n: int = 1) -> None:
        if n:
            self[what] = self.get(what, 0) + n

    def merge(self, other: dict[str, int]) -> None:
        for k, n in other.items():
            self.add(k, n)

    def describe(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in self.items()) or "nothing"


VALUE_OBJECTS = "JSON-LD value objects -> their @value"
WRAPPED = "single values -> one-element arrays (schema asks for an array)"
RENAMED = "full IRIs -> model terms"


def container_terms(*contexts: Any) -> set[str]:
    """Terms defined with an @list or @set container: compaction keeps their arrays, so a
    single value there is not a compacted one-element array."""
    out: set[str] = set()
    for ctx in contexts:
        c = ctx.get("@context", ctx) if isinstance(ctx, dict) else {}
        for term, v in (c.items() if isinstance(c, dict) else []):
            if isinstance(v, dict) and v.get("@container") in ("@list", "@set"):
                out.add(term)
    return out


def plain(value: Any, seen: Normalised | None = None) -> Any:
    """JSON-LD value objects ({"@type": "DateTime", "@value": v}) become their value
    (transformation 2 of the module docstring)."""
    if isinstance(value, dict):
        if "@value" in value and set(value) <= VALUE_OBJECT_KEYS:
            if seen is not None:
                seen.add(VALUE_OBJECTS)
            return value["@value"]
        return {k: plain(v, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, seen) for v in value]
    return value


def compact_entity(ent: dict[str, Any], terms: dict[str, str],
                   seen: Normalised | None = None) -> dict[str, Any]:
    """Transformations 1 and 2 of the module docstring."""
    out = {}
    for k, v in ent.items():
        key = terms.get(k, k) if k not in ("id", "type") else k
        if k == "type":
            v = terms.get(v, v) if isinstance(v, str) else [terms.get(x, x) for x in v]
        if seen is not None and key != k:
            seen.add(RENAMED)
        out[key] = plain(v, seen)
    return out


def _wants_array(err: Any) -> bool:
    want = err.validator_value
    return err.validator == "type" and (want == "array" or (
        isinstance(want, list) and "array" in want)) and not isinstance(err.instance, list)


def _errors_with_context(errors: Any):
    for e in errors:
        yield e
        yield from _errors_with_context(e.context or [])


def _set(doc: Any, path: list, value: Any) -> Any:
    if not path:
        return value
    cur = doc
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return doc


def _get(doc: Any, path: list) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def wrap_single_values(v: Draft202012Validator, ent: dict[str, Any],
                       seen: Normalised | None = None, keep_single: set[str] = frozenset(),
                       rounds: int = 10) -> dict[str, Any]:
    """Transformation 3 of the module docstring: where the schema asks for an array and the
    entity has a single value, try the one-element array; keep it when it lowers the number of
    violations (so a value that is wrong either way is reported as it was)."""
    ent = copy.deepcopy(ent)
    count = sum(1 for _ in v.iter_errors(ent))
    tried: set[tuple] = set()
    for _ in range(rounds):
        if not count:
            break
        paths = []
        for e in _errors_with_context(v.iter_errors(ent)):
            p = tuple(e.absolute_path)
            if p and p not in tried and _wants_array(e) and p[-1] not in keep_single:
                tried.add(p)
                paths.append(list(p))
        if not paths:
            break
        for path in paths:
            try:
                old = _get(ent, path)
            except (KeyError, IndexError, TypeError):
                continue
            _set(ent, path, [old])
            n = sum(1 for _ in v.iter_errors(ent))
            if n < count:
                count = n
                if seen is not None:
                    seen.add(WRAPPED)
            else:
                _set(ent, path, old)
    return ent


def normalise(v: Draft202012Validator, ent: dict[str, Any], terms: dict[str, str],
              seen: Normalised | None = None,
              keep_single: set[str] = frozenset()) -> dict[str, Any]:
    """All transformations of the module docstring, in order."""
    return wrap_single_values(v, compact_entity(ent, terms, seen), seen, keep_single)


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
    normalised: Normalised = field(default_factory=Normalised)  # what was normalised, how often
    unsampled: list[str] = field(default_factory=list)  # "<type>: HTTP <status>" of failed samples


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
        contexts = (data.document(data.url("ngsi-ld-core", "ngsi-ld-core-context-v1.8.jsonld")),
                    data.document(context_url(subject)))
        terms = reverse_terms(*contexts)
        lists = container_terms(*contexts)
        sex, ents = sample.entities(t)
        res.evidence.append(sex)
        if sex.status != 200:
            res.unsampled.append(f"{model}: HTTP {sex.status}")
        valid, first = 0, None
        for e in ents:
            problems = violations(v, normalise(v, e, terms, res.normalised, lists))
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
