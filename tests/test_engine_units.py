"""Engine units, offline: profiles, targets, redaction, verdict combination, schemas, lint."""

import json
import textwrap
from pathlib import Path

import pytest

from oupcheck.cli import schemas
from oupcheck.errors import UsageError
from oupcheck.evidence import EvidenceStore, Redactor
from oupcheck.http import EvidenceClient
from oupcheck.lint import lint
from oupcheck.profile import load_profile
from oupcheck.target import Limits, load_target
from oupcheck.verdicts import Verdict, combine

ROOT = Path(__file__).resolve().parents[1]
OAF = "http://www.opengis.net/spec/ogcapi-features-1/1.0"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_bundled_profile_loads_with_every_class_and_level():
    p = load_profile("ogc-api-features-1")
    assert len(p.requirements) == 57
    assert p.requirements[OAF + "/req/core/root-op"].clause == "7.2.1"
    assert p.requirements[OAF + "/rec/core/fc-next-1"].level.value == "SHOULD"
    assert set(p.conformance_classes) == {OAF + "/conf/" + c for c in ("core", "geojson", "html", "oas30")}


def test_profile_extends_overrides_and_removes(tmp_path):
    child = write(tmp_path, "city.yaml", f"""\
        id: city-subset
        version: 0.1.0
        title: A city's subset
        extends: [ogc-api-features-1]
        remove: [{OAF}/rec/core/etag]
        parameters: {{max_collections: 2}}
        requirements:
          - id: {OAF}/rec/core/head
            standard: OGC 17-069r4
            clause: "7.5"
            level: MUST
            conformance_class: {OAF}/conf/core
            statement: The city makes HEAD mandatory.
        """)
    p = load_profile(str(child))
    assert OAF + "/rec/core/etag" not in p.requirements
    assert p.requirements[OAF + "/rec/core/head"].level.value == "MUST"
    assert p.parameters["max_collections"] == 2 and p.parameters["page_limit"] == 10
    assert p.lineage == ["ogc-api-features-1@1.0.0", "city-subset@0.1.0"]


def test_profile_error_names_file_line_and_field(tmp_path):
    bad = write(tmp_path, "bad.yaml", """\
        id: bad
        version: 1.0.0
        title: Bad
        standards: [{id: S, title: S, version: "1"}]
        requirements:
          - id: r1
            standard: S
            clause: "1"
            level: MUSTY
            statement: x
        """)
    with pytest.raises(UsageError) as exc:
        load_profile(str(bad))
    assert exc.value.one_line().startswith(f"{bad}:9: requirements[0].level: ")


def test_profile_extends_cycle_and_unknown_standard(tmp_path):
    write(tmp_path, "a.yaml", "id: a\nversion: 1.0.0\ntitle: A\nextends: [b]\n")
    write(tmp_path, "b.yaml", "id: b\nversion: 1.0.0\ntitle: B\nextends: [a]\n")
    with pytest.raises(UsageError, match="cycle"):
        load_profile("a", [tmp_path])
    c = write(tmp_path, "c.yaml", """\
        id: c
        version: 1.0.0
        title: C
        requirements:
          - {id: r, standard: NOPE, clause: "1", level: MUST, statement: s}
        """)
    with pytest.raises(UsageError, match=r"c.yaml:5: requirements\[0\].standard"):
        load_profile(str(c))


def test_target_secret_env_missing_is_a_usage_error(tmp_path, monkeypatch):
    t = write(tmp_path, "t.yaml", """\
        name: t
        interfaces: [{kind: ogc-api-features, url: "http://127.0.0.1:9/"}]
        credentials:
          - {id: k, scheme: bearer, token_env: OUPCHECK_TEST_TOKEN_X}
        """)
    monkeypatch.delenv("OUPCHECK_TEST_TOKEN_X", raising=False)
    with pytest.raises(UsageError, match="OUPCHECK_TEST_TOKEN_X is not set"):
        load_target(str(t))
    monkeypatch.setenv("OUPCHECK_TEST_TOKEN_X", "s3cr3t-token-value")
    assert load_target(str(t)).secrets == {"OUPCHECK_TEST_TOKEN_X": "s3cr3t-token-value"}


def test_redaction_at_record_time_and_curl_uses_env_reference():
    red = Redactor({"TOKEN": "s3cr3t-token-value"})
    assert red.headers({"Authorization": "Bearer x", "X-Other": "a s3cr3t-token-value b"}) == {
        "Authorization": "[REDACTED]", "X-Other": "a [REDACTED:TOKEN] b"}
    from oupcheck.evidence import curl_line
    line = curl_line("GET", "http://h/?key=s3cr3t-token-value", {}, None, red,
                     {"Authorization": "Bearer s3cr3t-token-value"})
    assert "s3cr3t-token-value" not in line
    assert '"Authorization: Bearer ${TOKEN}"' in line and "${TOKEN}" in line.split()[-1]


def test_client_refuses_after_the_target_died():
    store = EvidenceStore()
    client = EvidenceClient(store, Limits(connect_timeout=0.5, read_timeout=0.5),
                            base_url="http://127.0.0.1:9/")
    from oupcheck.errors import TransportError
    for _ in range(3):
        with pytest.raises(TransportError, match="connection failed"):
            client.get("x")
    with pytest.raises(TransportError, match="not sent"):
        client.get("y")
    assert store.count == 4 and all(e.error for e in store.by_id.values())


def test_verdicts_combine_worst_first():
    assert combine([Verdict.PASS, Verdict.FAIL, Verdict.ERROR]) is Verdict.FAIL
    assert combine([Verdict.PASS, Verdict.NOT_APPLICABLE]) is Verdict.PASS
    assert combine([Verdict.NOT_APPLICABLE]) is Verdict.NOT_APPLICABLE
    assert combine([Verdict.PASS, Verdict.INCONCLUSIVE]) is Verdict.INCONCLUSIVE
    assert combine([]) is None


def test_published_schemas_are_current():
    for name, schema in schemas().items():
        published = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
        assert published == schema, f"schemas/{name}.schema.json is stale: oupcheck schema --write schemas"


def test_profiles_validate_against_published_schema():
    import jsonschema
    import yaml
    schema = json.loads((ROOT / "schemas" / "profile.schema.json").read_text())
    for p in (ROOT / "profiles").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(p.read_text()), schema)


def test_suite_lints_clean():
    assert lint() == []


def test_free_port_never_hands_out_one_port_twice(monkeypatch):
    """A front asks for an HTTPS and an HTTP port in a row; the kernel may answer both binds
    with the same ephemeral port (seen in CI: nginx refused 'listen' twice on one port)."""
    from oupcheck.platforms import base

    real_socket = base.socket.socket

    answers = iter([41000, 41000, 41000, 41001])

    class FakeSocket:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def bind(self, addr):
            self.port = next(answers)

        def getsockname(self):
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(base, "_HANDED_OUT", set())
    monkeypatch.setattr(base.socket, "socket", lambda *a, **k: FakeSocket())
    assert [base.free_port(), base.free_port()] == [41000, 41001]
    monkeypatch.setattr(base.socket, "socket", real_socket)
    real = {base.free_port() for _ in range(50)}
    assert len(real) == 50


def test_one_requirement_marker_takes_its_namespace_from_the_folder():
    from oupcheck.marks import resolve
    oaf = "http://www.opengis.net/spec/ogcapi-features-1/1.0"
    assert resolve("conformance.ogcapi_features", ("/req/core/http",)) == [oaf + "/req/core/http"]
    assert resolve("conformance.ogcapi_features", (oaf + "/req/core/http",)) == [oaf + "/req/core/http"]
    assert resolve("conformance.mqtt", ("mqtt-5.0:MQTT-3.1.2-7",)) == ["mqtt-5.0:MQTT-3.1.2-7"]
    with pytest.raises(ValueError, match="outside the folder's namespaces"):
        resolve("conformance.ngsi_ld", ("mqtt-5.0:MQTT-3.1.2-7",))
    with pytest.raises(ValueError, match="outside the folder's namespaces"):
        resolve("conformance.nl_adr", ("/core/no-trailing-slash",))  # no relative form there


def test_marker_ids_in_the_code_are_profile_keys():
    """Outside ogcapi_features (whose IDs are relative to its NAMESPACE), every ID written in a
    marker is literally a key of a bundled profile: grepping the checks for a report's key
    finds the check."""
    import ast

    from oupcheck.profile import all_profiles
    from oupcheck.resources import root_dir
    keys = {rid for prof in all_profiles() for rid in prof.requirements}
    written, unknown = 0, []
    for path in sorted(root_dir("conformance").rglob("test_*.py")):
        if path.parent.name == "ogcapi_features":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "requirement":
                for arg in node.args:
                    assert isinstance(arg, ast.Constant), f"{path.name}: a marker ID is not a literal"
                    written += 1
                    if arg.value not in keys:
                        unknown.append(f"{path.name}: {arg.value}")
    assert written > 100 and not unknown, unknown


def test_the_ngsi_ld_layer_reads_answers_as_brokers_send_them():
    """One reading of NGSI-LD answers for every part of the suite (oupcheck/ngsild.py): the
    inventory used to take a compacted typeList (one string) for no EntityTypeList, and the
    load discovery a one-entity answer (an object) for no entities."""
    from oupcheck.ngsild import entities_of, type_names
    assert type_names({"id": "urn:x", "type": "EntityTypeList", "typeList": ["A", "B"]}) == \
        (["A", "B"], None)
    assert type_names({"typeList": "A"}) == (["A"], None)             # compacted
    assert type_names([{"id": "A", "type": "EntityType", "typeName": "A"}]) == (["A"], None)
    assert type_names({"typeList": 3}) == (None, "/typeList is a number (3), not an array")
    assert type_names([{"hello": 1}])[0] is None                        # no EntityType
    assert type_names("x")[0] is None
    one = {"id": "urn:ngsi-ld:T:1", "type": "T"}
    assert entities_of(one) == [one] and entities_of([one, 3]) == [one]
    assert entities_of({"type": "T"}) == [] and entities_of(None) == []


def test_loopback_only_sends_nothing_beyond_127_0_0_1(monkeypatch):
    """OUPCHECK_LOOPBACK_ONLY=1 (set by the self-tests): a request to another host is recorded
    as not sent, at once, with the reason; a loopback one is sent (here: refused by the OS)."""
    import time

    from oupcheck.errors import TransportError
    monkeypatch.setenv("OUPCHECK_LOOPBACK_ONLY", "1")
    store = EvidenceStore()
    client = EvidenceClient(store, Limits(connect_timeout=5, read_timeout=5),
                            base_url="http://127.0.0.1:9/")
    t0 = time.monotonic()
    with pytest.raises(TransportError, match="192.0.2.1 is not a loopback address"):
        client.get("http://192.0.2.1/openapi.yaml")
    assert time.monotonic() - t0 < 1
    with pytest.raises(TransportError) as local:
        client.get("http://127.0.0.1:9/")
    assert "loopback" not in str(local.value)
    assert [x.error.startswith("not sent") for x in store.by_id.values()] == [True, False]
