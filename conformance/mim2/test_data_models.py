"""OASC MIM2 (shared data models): the entities a platform holds follow Smart Data Models."""

from __future__ import annotations

import re

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, expect, judged

from . import models

UNIT_CODE = re.compile(r"^[A-Z0-9]{2,3}$")  # UN/CEFACT Common Code shape


def _known(run):
    return models.known_models(str(run.param("known_models", "")))


@requirement("mim2:known-models")
def test_types_are_known_data_models(sample, oup_run):
    ex, types = sample.types()
    judged("entity types", len(types))
    unknown = [t for t in types if models.model_of(t, _known(oup_run)) is None]
    expect(not unknown, f"{len(unknown)} of {len(types)} entity types are no known Smart Data "
           "Model", expected="every type a Smart Data Model", actual=unknown[:5], evidence=ex)
    oup_run.observe(f"all {len(types)} entity types are Smart Data Models: "
                    + ", ".join(t.rsplit("/", 1)[-1] for t in types))


@requirement("mim2:valid-entities")
def test_entities_validate_against_their_model(sample, oup_run):
    ex, types = sample.types()
    threshold = float(oup_run.param("min_valid_share", 1.0))
    res = models.judge(oup_run.data, sample, types, _known(oup_run), threshold)
    evidence = [ex, *res.evidence]
    judged("entities", res.judged)
    norm = f"; normalised before validation (JSON-LD equivalences): {res.normalised.describe()}"
    failed = f"; samples that failed: {', '.join(res.unsampled)}" if res.unsampled else ""
    if not res.judged:
        raise Inconclusive("no entity of a known model to validate"
                           + (f" ({len(res.unknown)} type(s) are no known model)"
                              if res.unknown else "") + failed, evidence=evidence,
                           decide="name the platform's models in the profile parameter "
                           "known_models, or sample a platform that holds Smart Data Models")
    expect(not res.bad, "entities do not validate against their Smart Data Model" + norm,
           expected=f">= {threshold:.0%} valid per type", actual=" | ".join(res.bad)[:600],
           evidence=evidence)
    oup_run.observe(" | ".join(res.lines) + norm + failed)


@requirement("mim2:unit-codes")
def test_unit_codes(sample, oup_run):
    ex, types = sample.types()
    wrong, evidence, seen = [], [ex], 0
    for t in types:
        sex, ents = sample.entities(t, key_values=False)
        evidence.append(sex)
        for e in ents:
            for name, attr in e.items():
                for a in attr if isinstance(attr, list) else [attr]:
                    if isinstance(a, dict) and "unitCode" in a:
                        seen += 1
                        if not UNIT_CODE.match(str(a["unitCode"])):
                            wrong.append(f"{e.get('id')} {name}: {a['unitCode']!r}")
    judged("unitCode values", seen)
    if not seen:
        # unitCode is optional: no unit in the sample is nothing to judge, not a violation
        raise Inconclusive(f"no attribute of the entities sampled from {len(types)} type(s) "
                           "carries a unitCode", evidence=evidence)
    expect(not wrong, "unitCode values are not UN/CEFACT common codes",
           expected="two or three upper-case letters or digits (e.g. CEL, GQ, MTR)",
           actual=wrong[:5], evidence=evidence)
    oup_run.observe(f"{seen} unitCode value(s) in the sample, all UN/CEFACT common codes")


@requirement("mim2:type-namespaces")
def test_type_iris_in_recognised_namespaces(sample, oup_run):
    ex, types = sample.types()
    spaces = [s.strip() for s in str(oup_run.param("recognised_namespaces", "")).split(",")
              if s.strip()]
    judged("entity types", len(types))
    # a short name is a term of the NGSI-LD default context (compacted by the core context)
    odd = [t if ":" in t else f"{t} (NGSI-LD default context)" for t in types
           if not any(t.startswith(s) for s in spaces)]
    expect(not odd, "entity types are not IRIs of a recognised vocabulary",
           expected=f"IRIs under {', '.join(spaces)}", actual=odd[:5], evidence=ex)
    oup_run.observe(f"all {len(types)} type IRIs are in recognised vocabularies")
