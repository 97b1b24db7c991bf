"""The pure judges of the NGSI-LD rows (ETSI GS CIM 009): each is a function of recorded
exchanges (and the values the probe sent), without I/O. They are written as rules with
``expect``; a check runs one with ``verdicts.decide`` after its probe, and the unit tests run
them on recordings of a real broker (tests/test_judges_on_recordings.py).

The answer shapes are judged here too: a 200 body is checked to be an Entity (or an array of
them) before any rule reads it, and a FAIL names the JSON pointers that are wrong."""

from __future__ import annotations

import re
from typing import Any, Callable

from oupcheck.evidence import Exchange
from oupcheck.http import BodyUnusable, EvidenceClient, json_type
from oupcheck.ngsild import ERRORS as ERR, GEO, JSON, LD, entities_of, ids_of
from oupcheck.verdicts import CheckFailed, Inconclusive, expect

IRI = "https://oupcheck.example/ns/"  # the suite's own @context (api.CONTEXT)


# -- answer shapes ----------------------------------------------------------------------------
def normalized(params: dict | None) -> bool:
    """Is the asked representation the normalized one, where every attribute is an object?
    (keyValues/simplified and concise ones give attributes as plain values, 4.5.)"""
    asked = " ".join(str(v) for k, v in (params or {}).items() if k in ("options", "format"))
    return not re.search(r"keyValues|simplified|concise", asked)


def entity_problems(doc: Any, at: str, attributes: bool = True) -> list[str]:
    """What keeps ``doc`` from the outline of an NGSI-LD Entity (5.2.4): an object whose id is
    a URI string, whose type is a string or an array of strings, whose @context (if any) is a
    string, an object or an array, and whose other members are attributes (objects, or arrays
    of them for multi-attributes). Each problem names its JSON pointer."""
    if not isinstance(doc, dict):
        return [f"{at or '/'} is {json_type(doc)}, not an entity object"]
    out = []
    if not isinstance(doc.get("id"), str):
        out.append(f"{at}/id is {json_type(doc.get('id'))}, not a URI string")
    typ = doc.get("type")
    if not (isinstance(typ, str) or isinstance(typ, list) and typ
            and all(isinstance(t, str) for t in typ)):
        out.append(f"{at}/type is {json_type(typ)}, not a string or an array of strings")
    if "@context" in doc and not isinstance(doc["@context"], (str, dict, list)):
        out.append(f"{at}/@context is {json_type(doc['@context'])}, not a JSON-LD context")
    for name, attr in doc.items() if attributes else ():
        if name in ("id", "type", "@context", "scope", "createdAt", "modifiedAt",
                    "deletedAt", "observationSpace", "operationSpace"):
            continue
        if not (isinstance(attr, dict) or isinstance(attr, list)
                and all(isinstance(a, dict) for a in attr)):
            out.append(f"{at}/{name} is {json_type(attr)}, not an attribute object")
    return out


def require_shape(problems: list[str], ex: Exchange, what: str) -> None:
    """FAIL, naming the JSON pointers, when a body the check is about to judge is not ``what``
    (the wrong types are the platform's fault, not the judge's)."""
    if problems:
        raise CheckFailed(f"the answer is not {what}: " + "; ".join(problems[:3]),
                          expected=what, actual=problems[:5], evidence=ex)


def entity_doc(ex: Exchange, *, accept: str = JSON, params: dict | None = None) -> Any:
    """The Entity of a 200 answer to a retrieve (None for another status); FAIL when it is not
    an Entity (a GeoJSON answer is not shape-checked here: its row judges it)."""
    doc = EvidenceClient.json(ex) if ex.status == 200 else None
    if doc is not None and accept != GEO:
        require_shape(entity_problems(doc, "", normalized(params)), ex,
                      "an Entity (ETSI GS CIM 009 5.2.4)")
    return doc


def entities_doc(ex: Exchange, *, accept: str = JSON, params: dict | None = None) -> Any:
    """The entities of a 200 answer to a query (None for another status); FAIL when it is not
    an array of Entities (one entity object is the compaction of a one-entity array)."""
    doc = EvidenceClient.json(ex) if ex.status == 200 else None
    if doc is not None and accept != GEO:
        full = normalized(params)
        if isinstance(doc, list):
            problems = [p for n, e in enumerate(doc) for p in entity_problems(e, f"/{n}", full)]
        elif isinstance(doc, dict):
            problems = entity_problems(doc, "", full)
        else:
            problems = [f"/ is {json_type(doc)}, not an array of entities"]
        require_shape(problems, ex, "an array of Entities (ETSI GS CIM 009 5.7.2, 5.2.4)")
    return doc


def read_back(ex: Exchange, what: str) -> dict[str, Any]:
    """The probe entity as read after a write. Retrieval is the row ngsi-ld:5.7.1/retrieve's:
    when it fails the writing row is INCONCLUSIVE."""
    doc = entity_doc(ex)
    expect(ex.status == 200 and isinstance(doc, dict),
           f"the probe entity cannot be retrieved after {what} (HTTP {ex.status}); "
           "retrieval is judged by ngsi-ld:5.7.1/retrieve", evidence=ex, pre=True)
    return doc


def value_of(attr: Any) -> Any:
    a = attr[0] if isinstance(attr, list) and attr else attr
    return a.get("value", a.get("object")) if isinstance(a, dict) else a


def next_link(ex: Exchange) -> str | None:
    m = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', ex.header("link") or "")
    return m.group(1) if m else None


def first_entity(doc: Any) -> dict:
    return next(iter(entities_of(doc)), {})


# -- status and error bodies ------------------------------------------------------------------
def status(ex: Exchange, allowed: int | tuple[int, ...], what: str) -> None:
    allowed = (allowed,) if isinstance(allowed, int) else allowed
    expect(ex.status in allowed, what, expected=" or ".join(map(str, allowed)),
           actual=f"HTTP {ex.status}", evidence=ex)


def problem(ex: Exchange, allowed: int | tuple[int, ...], kinds: tuple[str, ...],
            what: str) -> None:
    """A refusal with the right status and, when the body is ProblemDetails, the right ETSI
    error type (whether errors are ProblemDetails at all is 6.3.2/problem-details' row)."""
    status(ex, allowed, what)
    try:
        doc = EvidenceClient.json(ex)
    except BodyUnusable:
        doc = None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind is None:
        return
    expect(kind in tuple(ERR + k for k in kinds),
           f"{what}: the error body is not the expected ProblemDetails",
           expected=" or ".join(ERR + k for k in kinds), actual=kind or ex.body_excerpt,
           evidence=ex)


# -- consumption (5.7, 4.5, 6.3.10, 6.3.13) ---------------------------------------------------
def ours(tag: str, ids: list[Any]) -> list[str]:
    """The ids of the run's own probe population (tag: the run's), sorted."""
    return sorted(i for i in ids if f"{tag}-pop-" in (i or ""))


def retrieved_as_created(ent: dict[str, Any], ex: Exchange, expand: Callable[..., dict],
                         core: Any) -> None:
    """5.7.1: the entity retrieved is the one created, compared as expanded JSON-LD
    (``expand(doc, context)``: expansion with the run's context documents)."""
    doc = entity_doc(ex)
    status(ex, 200, "retrieve entity is not answered 200")
    sent = expand(ent, core)
    got = expand(doc, doc.get("@context") or core)
    missing = [k for k in sent if k not in ("@id", "@type") and got.get(k) != sent[k]]
    expect(got.get("@id") == sent["@id"] and got.get("@type") == sent["@type"] and not missing,
           "the retrieved entity differs from the created one (compared as expanded JSON-LD)",
           expected=sorted(sent), actual=f"differs in {missing}" if missing else sorted(got),
           evidence=ex)


def unknown_and_invalid_ids(unknown: Exchange, invalid: Exchange) -> None:
    problem(unknown, 404, ("ResourceNotFound",), "an unknown entity is not answered 404")
    problem(invalid, 400, ("BadRequestData", "InvalidRequest"),
            "an entity id that is not a URI is not rejected")


def query_by_type_and_id(tag: str, ids: list[str], by_pattern: Exchange, other_type: Exchange,
                         by_id: Exchange) -> None:
    doc = entities_doc(by_pattern)
    status(by_pattern, 200, "a query by type and idPattern is not answered 200")
    expect(set(ids) <= set(ids_of(doc)), "query by type and idPattern misses entities",
           expected=ids, actual=ours(tag, ids_of(doc)), evidence=by_pattern)
    doc2 = entities_doc(other_type)
    # a type nothing has is a valid query with an empty result (200 []), not an error
    status(other_type, 200, "a query by a type no entity has is not answered 200 (an empty "
           "list)")
    expect(not ids_of(doc2), "query by another type returns the probe entities",
           expected=[], actual=ids_of(doc2)[:3], evidence=other_type)
    doc3 = entities_doc(by_id)
    status(by_id, 200, "a query by id is not answered 200")
    expect(ids_of(doc3) == [ids[0]], "query by id does not return exactly that entity",
           expected=[ids[0]], actual=ids_of(doc3), evidence=by_id)


def projection(picked: Exchange, omitted: Exchange, params: tuple[dict, dict]) -> None:
    doc = entities_doc(picked, params=params[0])
    status(picked, 200, "a query with attrs is not answered 200")
    got = first_entity(doc)
    expect("temperature" in got and "district" not in got,
           "attrs does not restrict the attributes returned",
           expected="temperature only", actual=sorted(got), evidence=picked)
    doc2 = entities_doc(omitted, params=params[1])
    status(omitted, 200, "a query with omit is not answered 200")
    got2 = first_entity(doc2)
    expect("district" not in got2 and "temperature" in got2, "omit does not drop the attribute",
           expected="district omitted", actual=sorted(got2), evidence=omitted)


def selection(tag: str, ex: Exchange, expected: list[str], what: str, failure: str) -> None:
    """A query (q, geo) selects exactly the expected ones of the run's population."""
    doc = entities_doc(ex)
    status(ex, 200, f"a {what} is not answered 200")
    expect(ours(tag, ids_of(doc)) == sorted(expected), failure, expected=sorted(expected),
           actual=ours(tag, ids_of(doc)), evidence=ex)


def needs_filter(ex: Exchange) -> None:
    problem(ex, 400, ("BadRequestData", "InvalidRequest"),
            "a query without type, attrs, q, geoQ or id is not rejected")


def pagination(first: Exchange, second: Exchange) -> None:
    """6.3.10: limit caps the page, a Link rel=next is given while more results exist, and
    offset pages on to other entities."""
    doc = entities_doc(first)
    expect(len(ids_of(doc)) == 2, "limit does not cap the page", expected=2,
           actual=len(ids_of(doc)), evidence=first)
    expect(next_link(first), "no Link header with rel=\"next\" while more results exist",
           expected='Link: <...>; rel="next"', actual=first.header("link"), evidence=first)
    doc2 = entities_doc(second)
    expect(not set(ids_of(doc)) & set(ids_of(doc2)) and ids_of(doc2),
           "offset does not give the next page", expected="other entities",
           actual=ids_of(doc2), evidence=[first, second])


def results_count(ex: Exchange, at_least: int) -> None:
    entities_doc(ex)
    value = ex.header("ngsild-results-count")
    expect(value is not None, "count=true gives no NGSILD-Results-Count header",
           expected="NGSILD-Results-Count", actual=None, evidence=ex)
    expect(value.isdigit() and int(value) >= at_least, "NGSILD-Results-Count is wrong",
           expected=f">= {at_least}", actual=value, evidence=ex)


def simplified(key_values: Exchange, simple: Exchange, params: tuple[dict, dict]) -> None:
    doc = entity_doc(key_values, params=params[0])
    expect(doc and doc.get("temperature") == 12.0, "options=keyValues does not give plain values",
           expected={"temperature": 12.0}, actual={"temperature": (doc or {}).get("temperature")},
           evidence=key_values)
    doc2 = entity_doc(simple, params=params[1])
    expect(doc2 and doc2.get("district") == "Centrum", "format=simplified does not give plain "
           "values", expected={"district": "Centrum"},
           actual={"district": (doc2 or {}).get("district")}, evidence=simple)


def geojson(one: Exchange, many: Exchange) -> None:
    doc = entity_doc(one, accept=GEO)
    status(one, 200, "Accept: application/geo+json is not answered 200")
    expect(one.content_type == GEO, "the GeoJSON representation has another media type",
           expected=GEO, actual=one.content_type, evidence=one)
    expect(isinstance(doc, dict) and doc.get("type") == "Feature" and
           (doc.get("geometry") or {}).get("type") == "Point",
           "the entity is not a GeoJSON Feature with its location as geometry",
           expected="Feature with Point geometry", actual=str(doc)[:200], evidence=one)
    doc2 = entities_doc(many, accept=GEO)
    expect(isinstance(doc2, dict) and doc2.get("type") == "FeatureCollection",
           "a query with Accept: application/geo+json is not a FeatureCollection",
           expected="FeatureCollection", actual=str(doc2)[:200], evidence=many)


def link_context_used(plain: Exchange, compacted: Exchange) -> None:
    """6.3.5: terms of a JSON-LD Link header @context are expanded with it when the entity is
    created, and compacted with it again when it is read with the same Link."""
    doc = entity_doc(plain)
    if plain.status != 200:
        raise Inconclusive(f"the entity created with a Link context cannot be retrieved "
                           f"(HTTP {plain.status})", evidence=plain)
    # without the Link context the type and the two mapped attributes come back as full IRIs
    expect(doc.get("type") == IRI + "OupcheckProbe" and IRI + "temperature" in doc,
           "terms of the Link header @context were not expanded with it",
           expected=f"type {IRI}OupcheckProbe, attribute {IRI}temperature",
           actual={"type": doc.get("type"), "attributes": sorted(k for k in doc if k != "id")},
           evidence=plain)
    doc2 = entity_doc(compacted)
    expect(doc2 and doc2.get("type") == "OupcheckProbe" and "temperature" in doc2,
           "compaction with the same Link @context does not give the short terms back",
           expected="type OupcheckProbe, attribute temperature", actual=doc2, evidence=compacted)


def ld_json_response(ld: Exchange, plain: Exchange) -> None:
    doc = entity_doc(ld, accept=LD)
    status(ld, 200, "Accept: application/ld+json is not answered 200")
    if not (isinstance(doc, dict) and "@context" in doc):
        raise CheckFailed("an application/ld+json answer has no @context",
                          expected="@context in the body", actual=sorted(doc or {}), evidence=ld)
    entity_doc(plain)
    expect("json-ld#context" in (plain.header("link") or ""),
           "an application/json answer has no Link header with its @context",
           expected='Link: <...>; rel="http://www.w3.org/ns/json-ld#context"',
           actual=plain.header("link"), evidence=plain)


# -- provision (5.6) --------------------------------------------------------------------------
def created(ex: Exchange, eid: str) -> None:
    """5.6.1: 201 Created, a Location naming the new entity, and no body."""
    status(ex, 201, "create entity is not answered 201 Created")
    loc = ex.header("location") or ""
    expect(loc.rstrip("/").endswith("/ngsi-ld/v1/entities/" + eid) or
           loc.rstrip("/").endswith("/ngsi-ld/v1/entities/" + eid.replace(":", "%3A")),
           "the Location header does not name the new entity",
           expected=f".../ngsi-ld/v1/entities/{eid}", actual=loc or None, evidence=ex)
    expect(not ex.body, "create entity answers with a body", expected="empty body",
           actual=ex.body_excerpt, evidence=ex)


def deleted(ex: Exchange, after: Exchange) -> None:
    """5.6.6: 204, and a query by the id then finds nothing."""
    status(ex, 204, "delete entity is not answered 204")
    doc = entities_doc(after)
    expect(after.status == 200 and not ids_of(doc), "the deleted entity is still there",
           expected="no entity with that id", actual=ids_of(doc) or f"HTTP {after.status}",
           evidence=[ex, after])


def attributes_updated(ex: Exchange, got: Exchange) -> None:
    """5.6.2: the existing attribute is updated, the missing one is not added but reported
    (207 with notUpdated)."""
    status(ex, (204, 207), "update attributes is not answered 204/207")
    doc = read_back(got, "update attributes")
    expect(value_of(doc.get("temperature")) == 30.0, "an existing attribute was not updated",
           expected=30.0, actual=value_of(doc.get("temperature")), evidence=[ex, got])
    expect("humidity" not in doc, "update attributes created an attribute that did not exist",
           expected="humidity not added (append is a separate operation)", actual="added",
           evidence=[ex, got])
    expect(ex.status == 207, "a not-updated attribute is not reported (207 with notUpdated)",
           expected=207, actual=ex.status, evidence=ex)


def attribute_appended(ex: Exchange, got: Exchange) -> None:
    status(ex, 204, "append attributes is not answered 204")
    doc = read_back(got, "append attributes")
    expect(value_of(doc.get("humidity")) == 55, "the appended attribute is missing",
           expected=55, actual=value_of(doc.get("humidity")), evidence=[ex, got])


def attribute_partly_updated(ex: Exchange, got: Exchange) -> None:
    status(ex, 204, "partial attribute update is not answered 204")
    doc = read_back(got, "a partial attribute update")
    expect(value_of(doc.get("district")) == "Noord", "the attribute value did not change",
           expected="Noord", actual=value_of(doc.get("district")), evidence=[ex, got])


def attribute_deleted(ex: Exchange, got: Exchange) -> None:
    status(ex, 204, "delete attribute is not answered 204")
    doc = read_back(got, "delete attribute")
    expect("district" not in doc, "the deleted attribute is still there", expected="absent",
           actual=doc.get("district"), evidence=[ex, got])


def merged(ex: Exchange, got: Exchange) -> None:
    status(ex, 204, "merge entity is not answered 204")
    doc = read_back(got, "merge entity")
    expect(value_of(doc.get("humidity")) == 40 and "district" in doc,
           "merge did not keep the other attributes and add the new one",
           expected="humidity added, district kept", actual=sorted(doc), evidence=[ex, got])


def replaced(ex: Exchange, got: Exchange) -> None:
    status(ex, 204, "replace entity is not answered 204")
    doc = read_back(got, "replace entity")
    # 5.6.18: the entity becomes the one given, so the given attribute is there ...
    expect(value_of(doc.get("humidity")) == 40,
           "replace lost the attribute it was given (humidity)",
           expected="humidity 40 (and id, type)", actual=sorted(doc), evidence=[ex, got])
    # ... and the ones not given are gone
    expect("district" not in doc, "replace did not drop the attributes that were not given",
           expected="only humidity (and id, type)", actual=sorted(doc), evidence=[ex, got])


def batch(ids: list[str], create: Exchange, listed: Exchange, upsert: Exchange,
          delete: Exchange, left: Exchange) -> None:
    """5.6.7-5.6.10: batch create, upsert and delete act on every entity of the batch."""
    status(create, 201, "batch create of valid entities is not answered 201")
    doc = entities_doc(listed)
    expect(sorted(ids_of(doc)) == sorted(ids), "not every entity of the batch was created",
           expected=sorted(ids), actual=sorted(ids_of(doc)), evidence=[create, listed])
    status(upsert, (201, 204), "batch upsert is not answered 201/204")
    status(delete, 204, "batch delete is not answered 204")
    remaining = ids_of(entities_doc(left))
    if remaining:
        raise CheckFailed("batch delete left entities", expected="none", actual=remaining,
                          evidence=[delete, left])


def ld_json_context_used(ex: Exchange, got: Exchange) -> None:
    # 200 instead of 201 is the create row's finding; here: is the body @context used?
    status(ex, (200, 201), "an application/ld+json entity with @context is not accepted")
    doc = read_back(got, "an ld+json create")  # core context only: own terms come back as IRIs
    expect(doc and doc.get("type") == IRI + "OupcheckProbe", "the @context in the body was not "
           "used to expand the entity's terms", expected=f"type {IRI}OupcheckProbe",
           actual=(doc or {}).get("type"), evidence=[ex, got])


# -- HTTP binding (6.3) -----------------------------------------------------------------------
def media_type_refused(ex: Exchange) -> None:
    """6.3.4 (TP 048_01): a body that is neither JSON nor JSON-LD is answered 415."""
    expect(ex.status == 415, "a Content-Type other than JSON is not answered 415",
           expected=415, actual=ex.status, evidence=ex)


def problem_details(answers: list[Exchange]) -> str:
    """6.3.2: the client-error (4xx) answers to client-error probes are ProblemDetails with an
    ETSI error type, a title and the status. A 5xx answer is the server failing on a client
    error (RFC 9110 clause 15.6), not an error answer to one: it is not judged here."""
    from oupcheck.verdicts import judged
    errors = [ex for ex in answers if ex.status is not None and 400 <= ex.status < 500]
    server = [f"HTTP {ex.status} to {ex.note}" for ex in answers
              if ex.status is not None and ex.status >= 500]
    judged("client-error answers", len(errors))
    if not errors:
        raise Inconclusive("none of the client-error probes was answered with a client error "
                           f"(4xx): {', '.join(f'HTTP {ex.status}' for ex in answers)}"
                           + ("; a 5xx answer is the server failing, not the error answer "
                              "this row judges" if server else ""), evidence=answers)
    for ex in errors:
        try:
            doc = EvidenceClient.json(ex)
        except BodyUnusable:
            doc = None
        ok = isinstance(doc, dict) and str(doc.get("type", "")).startswith(ERR) and \
            doc.get("title") and doc.get("status", ex.status) == ex.status
        expect(ok, f"the HTTP {ex.status} answer is not ProblemDetails with an ETSI error type",
               expected="{type: https://uri.etsi.org/ngsi-ld/errors/..., title, status}",
               actual=ex.body_excerpt[:200] if ex.body_excerpt else None, evidence=ex)
    return (f"{len(errors)} client-error answer(s) are ProblemDetails with an ETSI error type"
            + (f"; not judged (server errors): {', '.join(server)}" if server else ""))


# -- subscriptions and notifications (5.8) ----------------------------------------------------
def subscription_lifecycle(sid: str, create: Exchange, got: Exchange, delete: Exchange) -> None:
    """5.8.1, 5.8.3, 5.8.5: 201 with a Location naming it; retrievable; deleted with 204."""
    status(create, 201, "create subscription is not answered 201")
    expect((create.header("location") or "").endswith(sid), "the Location header does not name "
           "the subscription", expected=f".../subscriptions/{sid}",
           actual=create.header("location"), evidence=create)
    status(got, 200, "the created subscription cannot be retrieved")
    status(delete, 204, "delete subscription is not answered 204")


def notified(subscribed: Exchange, eid: str, found: Any, receipt: Exchange, bound: float,
             delay: float, channel: str, *, typed: bool) -> str:
    """5.8.6: a Notification for the matching new entity arrived within the bound (``found``:
    the receipt's message, None when nothing arrived; ``delay``: seconds from the write to it,
    on the recorded times). ``typed``: the message must be of type Notification (HTTP; the
    MQTT binding wraps it in {metadata, body})."""
    expect(found is not None, f"no {'' if typed else 'MQTT '}notification arrived for a "
           f"matching new entity within the bound of {bound:g} s (notification_timeout_s)",
           expected=f"a Notification for {eid}" if typed else f"a message on {channel}",
           actual="nothing", evidence=[subscribed, receipt])
    if typed:
        expect(found.json.get("type") == "Notification", "the notification is not of type "
               "Notification", expected="Notification", actual=found.json.get("type"),
               evidence=receipt)
        return (f"a Notification for the new entity arrived {delay:.1f} s after its creation "
                f"(bound {bound:g} s)")
    return (f"the notification arrived on {channel} {delay:.1f} s after the entity was created "
            f"(bound {bound:g} s)")


# -- temporal (5.7.3, 5.7.4) ------------------------------------------------------------------
def instance_values(attr: Any) -> list:
    items = attr if isinstance(attr, list) else [attr] if attr else []
    return sorted(i.get("value") for i in items if isinstance(i, dict))


def attribute(doc: Any, name: str) -> Any:
    return doc.get(name) if isinstance(doc, dict) else None


def history_read(got: Any, want: list, unanswered: str, unseen: str, seen: str,
                 eid: str | None = None) -> str:
    """A temporal read polled within its bound (``got``: an api.Polled over recorded reads)
    shows the instances ``want`` of temperature. ``eid``: a query, which must return exactly
    that entity (whose instances are then judged)."""
    status(got.ex, 200, f"{unanswered}: {got.describe()}")
    doc = got.doc
    if eid is not None:
        expect(ids_of(doc) == [eid], "the temporal query does not return the entity: "
               + got.describe(), expected=[eid], actual=ids_of(doc), evidence=got.ex)
        doc = next((e for e in entities_of(doc) if e.get("id") == eid), None)
    expect(got.ready, f"{unseen}: " + got.describe(), expected=want,
           actual=instance_values(attribute(doc, "temperature")), evidence=got.ex)
    return f"{seen}, {got.describe()}"
