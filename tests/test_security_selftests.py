"""security-baseline against real TLS fronts: nginx (Debian) before real pygeoapi, with
certificates made at test time. Every check FAILs on a target that breaks its requirement and
PASSes on the good front; the weak front's planted weaknesses FAIL on their own rows only.

Targets, by kind:
- nginx fronts (``FRONTS``): real TLS and header behaviour;
- the fault proxy (tests/support/security_faults.py) for behaviour neither nginx nor pygeoapi
  can be set up to show (accepting writes, TRACE echo, stack traces, exposed .env, a crash);
- ``replay-*``: the good front's own recorded TLS scan with one setting changed, judged through
  ``tls.scan_file``, for TLS settings modern OpenSSL cannot offer any more (compression,
  insecure renegotiation, SHA-1 signatures, secp224r1, no EMS). Labelled test fixtures.
"""

from __future__ import annotations

import copy
import json
import socket
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from oupcheck.platforms import certs, nginx
from oupcheck.profile import load_profile

from .support import security_faults  # noqa: F401  (registers the faults)
from .support.cli import CliResult
from .support.split import late, trace_env

PROFILE = "security-baseline"
TOKEN = "oupcheck-secret-token-7c1e0b"  # planted: must never reach an output file

G = nginx.GOOD
FRONTS = {
    "good": G,
    "weak": nginx.WEAK,
    "early-data": G.replace(name="early-data", early_data=True, session_tickets=True),
    "other-name": G.replace(name="other-name", cert_hosts=("other.example",)),
    "rsa-2048": G.replace(name="rsa-2048", key_kind="rsa-2048"),
    "no-redirect": G.replace(name="no-redirect", redirect_http=False),
    "bare-headers": G.replace(name="bare-headers", headers={}),
    "csp-unsafe": G.replace(name="csp-unsafe", headers={
        **nginx.SECURITY_HEADERS, "Content-Security-Policy": "default-src 'self' 'unsafe-inline'"}),
    "cors-credentials": G.replace(name="cors-credentials", headers={
        **nginx.SECURITY_HEADERS, "Access-Control-Allow-Credentials": "true"}),
    "v2-with-v1": G.replace(name="v2-with-v1", prefix="/v2/", old_prefix="/v1/"),
    "v2-only": G.replace(name="v2-only", prefix="/v2/"),
    # TLS 1.2 without the Extended Master Secret, next to TLS 1.3 (OpenSSL 3 option)
    "no-ems": G.replace(name="no-ems", conf_commands=("Options -ExtendedMasterSecret",)),
    # TLS 1.3 only: no compression, renegotiation or EMS exist to judge
    "tls13-only": G.replace(name="tls13-only", protocols="TLSv1.3"),
    # two users, each owning one collection's items; nobody may write
    "auth-owners": G.replace(name="auth-owners", users=(("alice", "alice-pw"), ("bob", "bob-pw")),
                             owned=(("collections/utrecht-luchtkwaliteit/items", "alice"),
                                    ("collections/amsterdam-parken/items", "bob")),
                             read_only=True),
}
FRONTS["auth-open"] = FRONTS["auth-owners"].replace(name="auth-open", enforce_owners=False)
USERS_ENV = {"OUPCHECK_ALICE_PW": "alice-pw", "OUPCHECK_BOB_PW": "bob-pw",
             "OUPCHECK_ALICE": "alice", "OUPCHECK_BOB": "bob"}
IDENTITIES = {
    "credentials": [{"id": "alice", "scheme": "basic", "username_env": "OUPCHECK_ALICE",
                     "password_env": "OUPCHECK_ALICE_PW"},
                    {"id": "bob", "scheme": "basic", "username_env": "OUPCHECK_BOB",
                     "password_env": "OUPCHECK_BOB_PW"}],
    "identities": [{"credential": "alice", "owns": ["collections/utrecht-luchtkwaliteit/items"]},
                   {"credential": "bob", "owns": ["collections/amsterdam-parken/items"]}],
}


def _replay(mutate: Callable[[dict], None]) -> Callable[[dict], dict]:
    def apply(scan: dict) -> dict:
        scan = copy.deepcopy(scan)
        mutate(scan["scan_result"])
        return scan
    return apply


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def mutate(sr: dict) -> None:
        cmd, *keys = path.split(".")
        node = sr[cmd]["result"]
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return mutate


def _leaf_sha1(sr: dict) -> None:
    dep = sr["certificate_info"]["result"]["certificate_deployments"][0]
    dep["received_certificate_chain"][0]["signature_hash_algorithm"] = {"name": "sha1",
                                                                        "digest_size": 20}


REPLAYS = {
    "replay-good": _replay(lambda sr: None),
    "replay-secp224r1": _replay(lambda sr: sr["elliptic_curves"]["result"]["supported_curves"]
                                .append({"name": "secp224r1", "openssl_nid": 713})),
    "replay-compression": _replay(_set("tls_compression.supports_compression", True)),
    "replay-insecure-reneg": _replay(_set(
        "session_renegotiation.supports_secure_renegotiation", False)),
    # a scan made with eleven renegotiation attempts (as internet.nl makes them): all honoured
    "replay-client-reneg": _replay(lambda sr: sr["session_renegotiation"]["result"].update(
        is_vulnerable_to_client_renegotiation_dos=True, client_renegotiations_success_count=11)),
    # sslyze's own ten attempts all honoured: "limited to ten" and "unlimited" look the same
    "replay-client-reneg-10": _replay(lambda sr: sr["session_renegotiation"]["result"].update(
        is_vulnerable_to_client_renegotiation_dos=True, client_renegotiations_success_count=10)),
    "replay-no-ems": _replay(_set("tls_extended_master_secret.supports_ems_extension", False)),
    "replay-sha1": _replay(_leaf_sha1),
}

# requirement -> (target that breaks it, target that keeps it)
CASES = {
    "ncsc-tls:versions": ("weak", "good"),
    "ncsc-tls:cipher-suites": ("weak", "good"),
    "ncsc-tls:key-exchange": ("replay-secp224r1", "replay-good"),
    "ncsc-tls:compression": ("replay-compression", "replay-good"),
    "ncsc-tls:secure-renegotiation": ("replay-insecure-reneg", "replay-good"),
    "ncsc-tls:client-renegotiation": ("replay-client-reneg", "replay-good"),
    "ncsc-tls:zero-rtt": ("early-data", "good"),
    # a real TLS 1.2 handshake without EMS (sslyze reports "supported" there, untested)
    "ncsc-tls:extended-master-secret": ("no-ems", "good"),
    "ncsc-tls:cert-trust": ("weak", "good"),
    "ncsc-tls:cert-validity": ("weak", "good"),
    "ncsc-tls:cert-name": ("other-name", "good"),
    "ncsc-tls:cert-key": ("rsa-2048", "good"),
    "ncsc-tls:cert-signature": ("replay-sha1", "replay-good"),
    "forum-std:https-redirect": ("no-redirect", "good"),
    "forum-std:hsts": ("weak", "good"),
    "oshp:x-content-type-options": ("bare-headers", "good"),
    "oshp:frame-ancestors": ("bare-headers", "good"),
    "oshp:referrer-policy": ("bare-headers", "good"),
    "oshp:content-security-policy": ("csp-unsafe", "good"),
    "oshp:no-version-disclosure": ("weak", "good"),
    "owasp-api:API8-no-stack-traces": ("fault:stack-trace-404", "good"),
    "owasp-api:API8-cors-credentials": ("cors-credentials", "good"),
    "owasp-api:API8-trace-disabled": ("fault:trace-echo", "good"),
    "owasp-api:API8-malformed-input-no-5xx": ("fault:crash-on-malformed-bbox", "good"),
    # pygeoapi itself accepts some malformed values (e.g. latitude 91): a real deviation
    "owasp-api:API8-malformed-input-rejected": ("good", "fault:strict-params"),
    "owasp-api:API2-unauthenticated-writes": ("fault:accept-writes", "good+writes"),
    "owasp-api:API4-page-size": ("good@security-tight", "good"),
    "owasp-api:API4-body-size": ("fault:accept-writes", "good"),
    "owasp-api:API9-undocumented-paths": ("fault:dotenv-exposed", "good"),
    "owasp-api:API9-old-versions": ("v2-with-v1", "v2-only"),
    "owasp-api:API1-object-level-authorisation": ("auth-open+ids", "auth-owners+ids"),
    "owasp-api:API5-function-level-authorisation": ("fault:accept-writes+ids", "auth-owners+ids"),
}
# what the weak front plants, as requirement rows (nginx.WEAK_PLANTED in words)
PLANTED = {"ncsc-tls:versions", "ncsc-tls:cipher-suites", "ncsc-tls:cert-trust",
           "ncsc-tls:cert-validity", "forum-std:hsts", "oshp:no-version-disclosure"}


class Lab:
    """Starts fronts on demand, writes target files, runs oupcheck once per target."""

    def __init__(self, workdir: Path, upstream: str, proxy, oup):
        self.dir, self.upstream, self.proxy, self.oup = workdir, upstream, proxy, oup
        self.ca = certs.make_ca(workdir)
        self.fronts: dict[str, nginx.NginxFront] = {}
        self.runs: dict[tuple, CliResult] = {}
        self._scan: dict | None = None

    def front(self, name: str) -> nginx.NginxFront:
        if name not in self.fronts:
            self.fronts[name] = nginx.NginxFront(FRONTS[name], self.dir, self.upstream,
                                                 ca=self.ca).start()
        return self.fronts[name]

    def stop(self) -> None:
        for f in self.fronts.values():
            f.stop()

    def target_file(self, key: str, **extra: Any) -> Path:
        base, _, _ = key.partition("@")
        writes = base.endswith("+writes")
        ids = base.endswith("+ids")
        base = base.removesuffix("+writes").removesuffix("+ids")
        spec: dict[str, Any] = {"name": f"self-test target {key}"}
        if base.startswith("fault:"):
            spec["interfaces"] = [{"kind": "ogc-api-features", "url": self.proxy.url(base[6:])}]
            spec["plain_http_url"] = self.proxy.url(base[6:])
        else:
            front = self.front("good" if base.startswith("replay-") else base)
            spec["interfaces"] = [{"kind": "ogc-api-features", "url": front.url}]
            spec["plain_http_url"] = front.http_url
            # a certificate that is broken (self-signed, or not for 127.0.0.1) is probed with
            # tls.verify: false; the TLS rows still judge it
            spec["tls"] = {"ca_file": str(self.ca[0]),
                           "verify": front.front.cert == "ca-issued"
                           and "127.0.0.1" in front.front.cert_hosts}
            if base.startswith("replay-"):
                scan = REPLAYS[base](self.recorded_scan())
                path = self.dir / f"{base}.json"
                path.write_text(json.dumps({"server_scan_results": [scan]}), encoding="utf-8")
                spec["tls"]["scan_file"] = str(path)
        spec["writes_allowed"] = writes
        if ids:
            spec.update(IDENTITIES)
            spec["interfaces"][0]["credential"] = "alice"
        spec.update(extra)
        path = self.dir / f"target-{key.replace(':', '_').replace('@', '_')}.yaml"
        path.write_text(json.dumps(spec), encoding="utf-8")  # JSON is YAML
        return path

    def run(self, key: str, only: str | None = None) -> CliResult:
        cache_key = (key, None if key in ("good", "weak") else only)
        if cache_key not in self.runs:
            profile = PROFILE
            args: list[Any] = []
            if "@" in key:
                profile = key.split("@")[1]
                args = ["--profile-path", Path(__file__).parent / "profiles"]
            target = self.target_file(key)  # may run "good" first (for its recorded scan)
            out = self.dir / f"out-{len(self.runs)}-{key.replace(':', '_')}"
            argv = ["run", "--profile", profile, "--target", target, "--out", out,
                    "--quiet", *args]
            if cache_key[1]:
                argv += ["--only", cache_key[1]]
            trace = self.dir / f"after-judgement-{len(self.runs)}.tsv"
            res = self.oup(*argv, env={**USERS_ENV, **trace_env(trace)})
            assert res.report is not None, res.describe()
            found = late(trace)  # probe, then judge: on the FAIL paths too
            assert not found, "\n".join(found[:10])
            self.runs[cache_key] = res
        return self.runs[cache_key]

    def recorded_scan(self) -> dict:
        if self._scan is None:
            res = self.run("good")
            out = Path(res.args[res.args.index("--out") + 1])
            for line in (out / "evidence.jsonl").read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                if rec.get("kind") == "tls-scan":
                    self._scan = rec["data"]
                    break
            else:
                raise AssertionError("the good front's run recorded no TLS scan")
        return copy.deepcopy(self._scan)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, pygeoapi_url, fault_proxy, oup) -> Iterator[Lab]:
    lab = Lab(tmp_path_factory.mktemp("security"), pygeoapi_url, fault_proxy, oup)
    try:
        yield lab
    finally:
        lab.stop()


def test_every_requirement_has_a_self_test():
    profile = load_profile(PROFILE)
    assert set(CASES) == set(profile.requirements)


@pytest.mark.slow
@pytest.mark.parametrize("rid", sorted(CASES))
def test_check_fails_on_broken_target_and_passes_on_good_one(rid, lab):
    broken, good = CASES[rid]
    row = lab.run(broken, rid).row(rid)
    assert row["verdict"] == "FAIL", f"{broken}: {row['verdict']}: {row['message']}"
    assert row["evidence"] and row["evidence_summary"], "a FAIL must cite its evidence"
    assert row["clause"] and row["statement"]
    row = lab.run(good, rid).row(rid)
    assert row["verdict"] == "PASS", f"{good}: {row['verdict']}: {row['message']}"


def _fails(res: CliResult, level: str | None = None) -> set[str]:
    return {r["requirement"] for r in res.report["rows"]
            if r["verdict"] == "FAIL" and (level is None or r["level"] == level)}


@pytest.mark.slow
def test_good_front_has_no_must_failure_and_weak_front_fails_exactly_its_planted_rows(lab):
    good, weak = lab.run("good"), lab.run("weak")
    assert not _fails(good, "MUST"), good.describe()
    assert {r["verdict"] for r in good.report["rows"]} <= {"PASS", "FAIL", "INCONCLUSIVE",
                                                           "NOT_APPLICABLE"}
    assert _fails(weak) - _fails(good) == PLANTED
    for rid in PLANTED:
        row = weak.row(rid)
        assert row["clause"] and row["evidence_summary"], row
    # the good front leaves exactly the rows undecided that need the target file's identities
    # and writes_allowed (certification rule: undecided MUST rows make the run incomplete)
    undecided = {u["requirement"] for u in good.report["summary"]["undecided_must"]}
    assert undecided == {"owasp-api:API1-object-level-authorisation",
                         "owasp-api:API2-unauthenticated-writes",
                         "owasp-api:API5-function-level-authorisation"}, undecided
    assert good.code == 3 and weak.code == 1


@pytest.mark.slow
def test_compare_the_good_and_the_weak_front_side_by_side(lab, oup, tmp_path):
    """issue 14: the bundled pygeoapi behind the good and behind the weak nginx front, in one
    table: the rows judged differently are exactly those the weak front fails that the good
    one does not (its planted defects), highlighted, with both outcomes."""
    good, weak = lab.run("good"), lab.run("weak")
    runs = [Path(r.args[r.args.index("--out") + 1]) for r in (good, weak)]
    res = oup("compare", *runs, "--out", tmp_path / "cmp")
    assert res.code == 0, res.stderr
    doc = json.loads((tmp_path / "cmp" / "compare.json").read_text("utf-8"))
    assert [s["outcome"] for s in doc["suppliers"]] == ["incomplete", "not-conformant"]
    differs = {r["requirement"]: r["verdicts"] for r in doc["rows"] if r["differs"]}
    assert {rid for rid, (g, w) in differs.items() if w == "FAIL"} == PLANTED, differs
    assert doc["differing_rows"] == len(differs) and f"{len(differs)} of" in res.stdout
    html = (tmp_path / "cmp" / "compare.html").read_text("utf-8")
    assert html.count('class="differs"') == len(differs)
    for rid in PLANTED:
        assert f'id="{rid}"' in html
    # unlike things are not compared
    other = oup("compare", runs[0], Path(__file__).parent / "recordings" /
                "pygeoapi-ogc-api-features-1", "--out", tmp_path / "cmp2")
    assert other.code == 2 and "compare like with like" in other.stderr


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("where", ["dead port", "plain-HTTP port"])
def test_tls_scan_of_a_port_without_tls_ends_in_error_with_a_reason(where, oup, pygeoapi_url,
                                                                      tmp_path):
    port = _closed_port() if where == "dead port" else int(pygeoapi_url.rsplit(":", 1)[1].strip("/"))
    t0 = time.monotonic()
    res = oup("run", "--profile", PROFILE, "--target", f"https://127.0.0.1:{port}/",
              "--out", tmp_path / "out", "--only", "ncsc-tls:versions", "--quiet", timeout=120)
    took = time.monotonic() - t0
    assert res.code == 3, res.describe()
    row = res.row("ncsc-tls:versions")
    assert row["verdict"] == "ERROR" and row["message"], row
    assert took < 60, f"took {took:.0f} s"
    assert "Traceback" not in res.stderr


def test_secrets_never_reach_any_output_file(lab):
    path = lab.target_file("good", credentials=[{"id": "tok", "scheme": "bearer",
                                                 "token_env": "OUPCHECK_SEC_TOKEN"}])
    spec = json.loads(path.read_text())
    spec["interfaces"][0]["credential"] = "tok"
    path.write_text(json.dumps(spec))
    out = lab.dir / "out-secret"
    res = lab.oup("run", "--profile", PROFILE, "--target", path, "--out", out, "--quiet",
                  "--only", "oshp:x-content-type-options", "--only", "forum-std:hsts",
                  "--only", "owasp-api:API8-cors-credentials",
                  "--only", "owasp-api:API8-malformed-input-no-5xx",
                  env={"OUPCHECK_SEC_TOKEN": TOKEN})
    assert res.report is not None, res.describe()
    files = sorted(out.iterdir())
    assert {f.name for f in files} >= {"report.json", "evidence.jsonl", "junit.xml", "report.html"}
    sent = [json.loads(x) for x in (out / "evidence.jsonl").read_text().splitlines()]
    assert any(e["request"]["headers"].get("Authorization") for e in sent if e["kind"] == "http")
    for f in files:
        assert TOKEN not in f.read_text(encoding="utf-8"), f"the token leaked into {f.name}"
    assert TOKEN not in res.stdout + res.stderr


def test_untrusted_certificate_at_preflight_says_how_to_probe_anyway(lab, tmp_path):
    front = lab.front("weak")
    res = lab.oup("run", "--profile", PROFILE, "--target", front.url, "--out", tmp_path / "o",
                  "--quiet", "--only", "forum-std:hsts")
    assert res.code == 3, res.describe()
    assert "CERTIFICATE_VERIFY_FAILED" in res.stderr and "tls.verify: false" in res.stderr
    assert "Traceback" not in res.stderr


# -- judgements that changed (issue 11): each test fails on the old judgement -----------------

def _verdict(res: CliResult, rid: str) -> tuple[str, str]:
    row = res.row(rid)
    return row["verdict"], row["message"]


@pytest.mark.slow
def test_tls13_only_server_has_no_compression_renegotiation_or_ems_to_judge(lab):
    """Old: PASS (sslyze reports these features absent on a TLS 1.3-only server without
    trying them; secure renegotiation returned without a judgement). New: NOT_APPLICABLE
    with the reason; the rows that do apply to TLS 1.3 still PASS."""
    res = lab.run("tls13-only")
    for rid in ("ncsc-tls:compression", "ncsc-tls:secure-renegotiation",
                "ncsc-tls:client-renegotiation", "ncsc-tls:extended-master-secret"):
        verdict, message = _verdict(res, rid)
        assert verdict == "NOT_APPLICABLE" and "TLS 1.3" in message, (rid, verdict, message)
    for rid in ("ncsc-tls:versions", "ncsc-tls:cipher-suites", "ncsc-tls:key-exchange",
                "ncsc-tls:zero-rtt", "ncsc-tls:cert-trust"):
        assert _verdict(res, rid)[0] == "PASS", (rid, _verdict(res, rid))


@pytest.mark.slow
def test_ems_is_judged_from_a_real_tls12_handshake(lab):
    """sslyze answers "EMS supported" for every server that also offers TLS 1.3, without a
    TLS 1.2 handshake (old: PASS on the no-ems front, which really lacks EMS on TLS 1.2). The
    check makes its own TLS 1.2 handshake: FAIL there, PASS on the good front, both citing a
    tls-probe exchange; a recorded scan's untested "supported" is INCONCLUSIVE, its tested
    "not supported" still FAILs."""
    rid = "ncsc-tls:extended-master-secret"
    bad, good = lab.run("no-ems", rid), lab.run("good")
    assert _verdict(bad, rid)[0] == "FAIL", _verdict(bad, rid)
    assert _verdict(good, rid)[0] == "PASS", _verdict(good, rid)
    for res in (bad, good):
        out = Path(res.args[res.args.index("--out") + 1])
        kinds = {json.loads(x)["kind"] for x in (out / "evidence.jsonl").read_text().splitlines()
                 if json.loads(x)["test"] and "extended_master" in json.loads(x)["test"]}
        assert "tls-probe" in kinds, kinds
    assert _verdict(lab.run("replay-good", rid), rid)[0] == "INCONCLUSIVE"
    assert _verdict(lab.run("replay-no-ems", rid), rid)[0] == "FAIL"


@pytest.mark.slow
def test_client_renegotiation_by_the_edition_and_beyond_ten(lab):
    """2025-05 3.4.2: at most ten renegotiations is "limited" (sufficient), more is phase-out;
    v2.1 table 13: client-initiated renegotiation "on" is sufficient. Old: FAIL for ten
    honoured (sslyze's whole series, which does not tell ten from unlimited) and FAIL under
    v2.1. New: eleven honoured FAILs (2025-05); ten from a recorded scan is INCONCLUSIVE (no
    live server to ask for an eleventh); under v2.1 eleven PASS."""
    rid = "ncsc-tls:client-renegotiation"
    assert _verdict(lab.run("replay-client-reneg", rid), rid)[0] == "FAIL"
    verdict, message = _verdict(lab.run("replay-client-reneg-10", rid), rid)
    assert verdict == "INCONCLUSIVE" and "recorded scan" in message, message
    verdict, message = _verdict(lab.run("replay-client-reneg@security-ncsc21", rid), rid)
    assert verdict == "PASS" and "sufficient" in message, message


@pytest.mark.slow
def test_body_size_limit_needs_a_control_request(lab):
    """pygeoapi without a front answers a small and a 12 MiB POST alike (400 "Collection is
    not editable"): old PASS (a 4xx), new INCONCLUSIVE (the answer is not about the size).
    Behind nginx (client_max_body_size 1m) the big one gets 413 while the small one gets 400:
    PASS, citing both."""
    rid = "owasp-api:API4-body-size"
    verdict, message = _verdict(lab.run("fault:none", rid), rid)
    assert verdict == "INCONCLUSIVE" and "small body" in message, message
    row = lab.run("good").row(rid)
    assert row["verdict"] == "PASS" and "413" in row["message"], row
    assert len(row["evidence"]) >= 2, row


@pytest.mark.slow
def test_page_size_cap_is_not_shown_by_a_collection_smaller_than_the_cap(lab):
    """A collection of nine features answers limit=10000000 with all nine: old PASS (9 <=
    10000), new INCONCLUSIVE (no cap is shown). pygeoapi's real cap (50 of 57, next link)
    PASSes."""
    rid = "owasp-api:API4-page-size"
    verdict, message = _verdict(lab.run("fault:tiny-collection", rid), rid)
    assert verdict == "INCONCLUSIVE" and "9 items" in message, message
    verdict, message = _verdict(lab.run("fault:none", rid), rid)
    assert verdict == "PASS" and "50 items" in message, message


@pytest.mark.slow
def test_server_error_to_a_client_error_does_not_pass_the_stack_trace_row(lab):
    """An unknown resource answered 500 (a generic problem document, no trace): old PASS,
    new INCONCLUSIVE (a 5xx is not the answer to a client error)."""
    rid = "owasp-api:API8-no-stack-traces"
    verdict, message = _verdict(lab.run("fault:problem-500-on-unknown", rid), rid)
    assert verdict == "INCONCLUSIVE" and "HTTP 500" in message, message


@pytest.mark.slow
def test_fuzz_budget_that_runs_out_names_the_untried_parameters(lab):
    """fuzz_seconds: 0 sends no generated request: old PASS (nothing failed), new
    INCONCLUSIVE naming every parameter, with 'raise fuzz_seconds'. A campaign that ran
    reports what it sent per parameter."""
    res = lab.run("good@security-no-fuzz-time")
    for rid in ("owasp-api:API8-malformed-input-no-5xx", "owasp-api:API8-malformed-input-rejected"):
        row = res.row(rid)
        assert row["verdict"] == "INCONCLUSIVE", row
        assert all(p in row["message"] for p in ("bbox", "datetime", "limit")), row["message"]
        assert "fuzz_seconds" in row["decide"], row
    row = lab.run("good").row("owasp-api:API8-malformed-input-no-5xx")
    assert row["verdict"] == "PASS" and "generated bbox= requests" in row["judged"], row


def test_refused_plain_http_port_is_an_observation(lab, tmp_path):
    """No plain-HTTP service at all meets the redirect row; the refused connection is the
    observation (judged), not a PASS on nothing."""
    path = lab.target_file("good", plain_http_url=f"http://127.0.0.1:{_closed_port()}/")
    res = lab.oup("run", "--profile", PROFILE, "--target", path, "--out", tmp_path / "o",
                  "--quiet", "--only", "forum-std:https-redirect")
    row = res.row("forum-std:https-redirect")
    assert row["verdict"] == "PASS" and "refuses the connection" in row["message"], row
    assert "plain-HTTP connections refused" in row["judged"], row


@pytest.mark.slow
def test_identity_and_write_rows_say_what_would_decide_them(lab):
    good = lab.run("good")
    decide = {u["requirement"]: u["decide"] for u in good.report["summary"]["undecided_must"]}
    assert decide["owasp-api:API2-unauthenticated-writes"] == \
        "set writes_allowed: true in the target file"
    for rid in ("owasp-api:API1-object-level-authorisation",
                "owasp-api:API5-function-level-authorisation"):
        assert decide[rid].startswith("add two identities (credentials and the objects each "
                                      "owns) to the target file"), decide


@pytest.fixture(scope="module")
def ngsi_broker(shared_data):
    from .support.ngsi_fixture import ReferenceServer
    srv = ReferenceServer(shared_data)
    try:
        yield srv
    finally:
        srv.stop()


def test_unauthenticated_write_to_ngsi_ld_sends_an_entity(ngsi_broker, oup, tmp_path):
    """The NGSI-LD test fixture checks no credentials. Old: the probe sent a GeoJSON feature
    (application/geo+json), the broker refused it as a media type (415) and the row PASSed.
    New: with writes_allowed a valid NGSI-LD entity (application/ld+json with its @context)
    is sent, accepted without credentials (FAIL) and deleted again; without writes_allowed
    the row is INCONCLUSIVE and says to set it."""
    rid = "owasp-api:API2-unauthenticated-writes"
    runs = {}
    for writes in (True, False):
        target = tmp_path / f"ngsi-{writes}.yaml"
        target.write_text(json.dumps({
            "name": "NGSI-LD test fixture", "writes_allowed": writes,
            "interfaces": [{"kind": "ngsi-ld", "url": ngsi_broker.url + "sound/"}]}))
        runs[writes] = oup("run", "--profile", PROFILE, "--target", target, "--out",
                           tmp_path / f"out-{writes}", "--quiet", "--only", rid)
    row = runs[True].row(rid)
    assert row["verdict"] == "FAIL" and "POST was accepted" in row["message"], row
    out = tmp_path / "out-True"
    sent = [json.loads(x) for x in (out / "evidence.jsonl").read_text().splitlines()]
    post = next(e for e in sent if e["request"]["method"] == "POST")
    assert post["request"]["headers"]["Content-Type"] == "application/ld+json"
    body = json.loads(post["request"]["body"])
    assert body["type"] == "OupcheckProbe" and body["id"].startswith("urn:ngsi-ld:") \
        and "@context" in body, body
    tenant = ngsi_broker.tenant("sound")
    assert tenant is None or body["id"] not in tenant.entities, "the probe entity was left"
    row = runs[False].row(rid)
    assert row["verdict"] == "INCONCLUSIVE" and row["decide"] == \
        "set writes_allowed: true in the target file", row
