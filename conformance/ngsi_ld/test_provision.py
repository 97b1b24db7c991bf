"""Context information provision (GS CIM 009 clause 5.6; ETSI test purposes 001-013, 054, 056,
003-006): create, update, append, partial update, delete, merge, replace, batch."""

from __future__ import annotations

from oupcheck.http import BodyUnusable
from oupcheck.marks import requirement
from oupcheck.verdicts import decide

from . import judges
from .api import LD, MERGE, TYPE, ids_of

# Each row: the probe (a write, then what it did read back), then its pure judge in judges.py.


@requirement("ngsi-ld:5.6.1/create")
def test_create_entity(ngsi):
    ent = ngsi.entity()
    decide(judges.created, ngsi.create(ent, expect_created=False), ent["id"])


@requirement("ngsi-ld:5.6.1/already-exists")
def test_create_existing_entity_conflicts(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    again = ngsi.create(dict(ent, district={"type": "Property", "value": "Oost"}),
                        expect_created=False)
    ngsi.problem(again, 409, ("AlreadyExists",), "creating an existing entity is not refused")


@requirement("ngsi-ld:5.6.1/bad-request")
def test_create_invalid_entity_rejected(ngsi):
    ngsi.need_writes()
    bad = {"id": ngsi.new_id(), "temperature": {"type": "Property", "value": 1}}  # no type
    ngsi.entities.add(bad["id"])
    ex = ngsi.create(bad, expect_created=False)
    ngsi.problem(ex, 400, ("BadRequestData", "InvalidRequest"),
                 "an entity without type is not rejected")


@requirement("ngsi-ld:5.6.6/delete-entity")
def test_delete_entity(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.send("DELETE", "/entities/" + ent["id"], accept=None, note="delete entity")
    decide(judges.deleted, ex,
           ngsi.get_entities({"id": ent["id"], "type": TYPE}, note="the deleted entity"))


@requirement("ngsi-ld:5.6.2/update-attrs")
def test_update_attributes(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.send("PATCH", f"/entities/{ent['id']}/attrs",
                   {"temperature": {"type": "Property", "value": 30.0},
                    "humidity": {"type": "Property", "value": 55}}, accept=None,
                   note="update attributes: one existing, one not")
    decide(judges.attributes_updated, ex, ngsi.get_entity(ent["id"]))


@requirement("ngsi-ld:5.6.3/append-attrs")
def test_append_attributes(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.send("POST", f"/entities/{ent['id']}/attrs",
                   {"humidity": {"type": "Property", "value": 55}}, accept=None,
                   note="append an attribute")
    decide(judges.attribute_appended, ex, ngsi.get_entity(ent["id"]))


@requirement("ngsi-ld:5.6.4/partial-attr-update")
def test_partial_attribute_update(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.send("PATCH", f"/entities/{ent['id']}/attrs/district", {"value": "Noord"},
                   accept=None, note="partial update of one attribute")
    decide(judges.attribute_partly_updated, ex, ngsi.get_entity(ent["id"]))


@requirement("ngsi-ld:5.6.5/delete-attr")
def test_delete_attribute(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.send("DELETE", f"/entities/{ent['id']}/attrs/district", accept=None,
                   note="delete one attribute")
    decide(judges.attribute_deleted, ex, ngsi.get_entity(ent["id"]))


@requirement("ngsi-ld:5.6.17/merge-entity")
def test_merge_entity(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.send("PATCH", f"/entities/{ent['id']}",
                   {"humidity": {"type": "Property", "value": 40}}, accept=None,
                   note="merge entity (PATCH)")
    decide(judges.merged, ex, ngsi.get_entity(ent["id"]))


@requirement("ngsi-ld:5.6.18/replace-entity")
def test_replace_entity(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.send("PUT", f"/entities/{ent['id']}",
                   {"type": TYPE, "humidity": {"type": "Property", "value": 40}}, accept=None,
                   note="replace entity (PUT)")
    decide(judges.replaced, ex, ngsi.get_entity(ent["id"]))


@requirement("ngsi-ld:5.6.7/batch-operations")
def test_batch_operations(ngsi):
    ngsi.need_writes()
    batch = [ngsi.entity() for _ in range(3)]
    ngsi.entities.update(e["id"] for e in batch)
    ids = [e["id"] for e in batch]
    create = ngsi.send("POST", "/entityOperations/create", batch, note="batch create of 3")
    listed = ngsi.get_entities({"id": ",".join(ids), "type": TYPE}, note="the created batch")
    upsert = ngsi.send("POST", "/entityOperations/upsert",
                       [dict(batch[0], district={"type": "Property", "value": "West"})],
                       note="batch upsert of an existing entity")
    delete = ngsi.send("POST", "/entityOperations/delete", ids, note="batch delete")
    left = ngsi.get_entities({"id": ",".join(ids), "type": TYPE}, note="after batch delete")
    try:
        gone = left.status == 200 and not ids_of(ngsi.json(left))
    except BodyUnusable:  # the judge says what is wrong with it
        gone = False
    if gone:  # nothing of the batch is left for the clean-up to delete
        ngsi.entities.difference_update(ids)
    decide(judges.batch, ids, create, listed, upsert, delete, left)


@requirement("ngsi-ld:6.3.4/merge-patch")
def test_merge_patch_media_type(ngsi):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.send("PATCH", f"/entities/{ent['id']}/attrs",
                   {"district": {"type": "Property", "value": "Zuid"}}, ctype=MERGE,
                   accept=None, note="PATCH with application/merge-patch+json")
    ngsi.ok(ex, 204, "PATCH with application/merge-patch+json is not accepted")


@requirement("ngsi-ld:6.3.5/ld-json-body")
def test_ld_json_body_with_context(ngsi):
    ent = ngsi.entity(type="OupcheckProbe")
    ex = ngsi.create(ent, ctype=LD, expect_created=False)
    decide(judges.ld_json_context_used, ex, ngsi.get_entity(ent["id"]))
