"""The certification folder a city files (issue 14): the readable report (HTML looked at in a
real headless Chromium, the PDF looked at as page images), the signed certificate and
`oupcheck verify`, made from the recordings of real platforms (Scorpio, pygeoapi, nginx,
Mosquitto, django-ogc-sensorthings), so it needs none of them running."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .support.readable import browser_problems, pdf_problems
from .support.recorded import certification_folder

OUP_CORE_RUNS = {"context-information": ["scorpio-mim1-ngsi-ld"],
                 "places": ["pygeoapi-ogc-api-features-1"],
                 "security": ["nginx-pygeoapi-security-baseline"],
                 "open-protocols": ["mosquitto-open-protocols"],
                 "lock-in": ["pygeoapi-lock-in"],
                 "capacity": ["sensorthings-load-sensorthings"]}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    from oupcheck.certificate import new_keys
    return new_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def signed(tmp_path_factory, keys) -> Path:
    folder = tmp_path_factory.mktemp("cert") / "recorded"
    folder.mkdir()
    certification_folder(folder, "oup-core", OUP_CORE_RUNS, "recorded platforms",
                         key_file=str(keys[0]))
    return folder


def test_verify_passes_on_the_bundle_and_others_can_check_it_without_oupcheck(oup, signed,
                                                                            keys, tmp_path):
    res = oup("verify", signed, "--key", keys[1])
    assert res.code == 0 and res.stdout.startswith("VERIFIED: oup-core 1.0.0"), res.describe()
    cert = json.loads((signed / "certificate.json").read_text("utf-8"))
    full = json.loads((signed / "certification.json").read_text("utf-8"))
    assert cert["pillars"] == {p["pillar"]: p["outcome"] for p in full["pillars"]}
    assert cert["level"] is None and cert["scheme_version"] == "1.0.0"
    assert set(cert["report"]) == {"certification.json", "certification.html",
                                   "certification.pdf", "badge.svg"}
    assert "scheme:oup-core@1.0.0" in cert["profiles"] and "mim1-ngsi-ld@1.1.0" in cert["profiles"]
    manifest = json.loads((signed / "manifest.json").read_text("utf-8"))
    assert cert["evidence_bundle"]["files"] == len(manifest["files"]) > 12
    # the JWS is standard: its payload is certificate.json's bytes, and openssl checks the
    # Ed25519 signature over the signing input with the public key alone
    header, payload, sig = (signed / "certificate.jws").read_text("ascii").strip().split(".")
    unb64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    assert json.loads(unb64(header))["alg"] == "EdDSA"
    assert unb64(payload) == (signed / "certificate.json").read_bytes()
    (tmp_path / "input").write_text(f"{header}.{payload}", encoding="ascii")
    (tmp_path / "sig").write_bytes(unb64(sig))
    ok = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(keys[1]),
                         "-rawin", "-in", str(tmp_path / "input"), "-sigfile",
                         str(tmp_path / "sig")], capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout, ok.stderr


def _signed_files(folder: Path) -> list[str]:
    names = ["certificate.json", "certificate.jws", "manifest.json", "certification.json",
             "certification.html", "certification.pdf", "badge.svg"]
    return names + sorted(p.relative_to(folder).as_posix()
                          for d in ("runs", "profiles") for p in (folder / d).rglob("*")
                          if p.is_file())


def test_verify_fails_on_a_one_byte_change_to_each_signed_file(oup, signed, keys, tmp_path):
    files = _signed_files(signed)
    assert len(files) > 25
    for n, rel in enumerate(files):
        copy = tmp_path / f"c{n}"
        shutil.copytree(signed, copy)
        path = copy / rel
        data = bytearray(path.read_bytes())
        at = len(data) // 2
        data[at] = (data[at] + 1) % 256 if rel != "certificate.jws" else ord(
            "A" if data[at] != ord("A") else "B")
        path.write_bytes(bytes(data))
        res = oup("verify", copy, "--key", keys[1])
        assert res.code == 1 and "NOT VERIFIED" in res.stdout, (rel, res.stdout)
        named = rel.split("/")[-1] if rel != "certificate.json" else "certificate.json"
        assert named in res.stdout or "signature does not verify" in res.stdout, (rel,
                                                                                 res.stdout)
        shutil.rmtree(copy)


def test_verify_names_added_and_missing_files_and_a_foreign_key(oup, signed, keys, tmp_path):
    from oupcheck.certificate import new_keys
    copy = tmp_path / "c"
    shutil.copytree(signed, copy)
    (copy / "runs" / "extra.txt").write_text("added later")
    victim = sorted((copy / "runs").rglob("evidence.jsonl"))[0]
    victim.unlink()
    res = oup("verify", copy, "--key", keys[1])
    assert res.code == 1
    assert "runs/extra.txt: not in the manifest" in res.stdout
    assert f"{victim.relative_to(copy).as_posix()}: missing" in res.stdout
    _, other = new_keys(tmp_path / "other")
    res = oup("verify", signed, "--key", other)
    assert res.code == 1 and "does not verify with this key" in res.stdout
    (copy / "certificate.jws").unlink()
    assert "not signed" in oup("verify", copy, "--key", keys[1]).stdout
    bad = oup("verify", signed, "--key", signed / "badge.svg")
    assert bad.code == 2 and len(bad.stderr_lines) == 1 and "not a PEM public key" in bad.stderr
    again = oup("keys", "new", "--out", keys[0].parent)
    assert again.code == 2 and "never overwritten" in again.stderr


def test_the_html_in_a_real_browser_shows_what_certification_json_says(signed):
    problems, facts = browser_problems(signed)
    assert problems == []
    cert = json.loads((signed / "certification.json").read_text("utf-8"))
    assert facts["rows"] == sum(len(json.loads((signed / r["report"]).read_text("utf-8"))
                                    ["rows"]) for r in cert["runs"])
    # the summary links each pillar and each fix to its detail, and the detail back
    assert {"summary", "pillar-places", "r1-ngsi-ld-5-6-2-update-attrs"} <= set(
        facts["anchors"])


def test_the_browser_check_finds_a_broken_anchor_a_wide_block_and_a_wrong_outcome(signed,
                                                                                  tmp_path):
    copy = tmp_path / "broken"
    shutil.copytree(signed, copy)
    page = copy / "certification.html"
    html = page.read_text("utf-8")
    html = html.replace('href="#pillar-places"', 'href="#pillar-nowhere"', 1)
    html = html.replace('data-outcome="conformant"', 'data-outcome="not-conformant"', 1)
    html = html.replace("</footer>", '<div style="width:3000px">wide</div></footer>')
    page.write_text(html, "utf-8")
    problems, _ = browser_problems(copy, widths=(1280,))
    text = "\n".join(problems)
    assert "broken anchors: ['pillar-nowhere']" in text
    assert "wider than the page" in text and "the page is" in text
    assert "shows pillars" in text


def test_the_pdf_pages_as_images_show_the_outcome_and_nothing_overflows(signed, tmp_path):
    problems, pages = pdf_problems(signed, ["Overall: No level reached",
                                            "Context information (NGSI-LD)",
                                            "does not meet the requirements"],
                                   save_first=tmp_path / "page1.png")
    assert problems == [] and pages > 3
    # a page with something wider than it is found
    copy = tmp_path / "wide"
    shutil.copytree(signed, copy)
    from oupcheck.reports.certification import write_pdf
    html = (copy / "certification.html").read_text("utf-8").replace(
        "</footer>", '<div style="width:400mm;border-top:3px solid black">wide</div></footer>')
    write_pdf(html, copy / "certification.pdf", copy)
    problems, _ = pdf_problems(copy, [])
    assert any("ink in the right margin" in p for p in problems), problems


def test_the_report_in_dutch(tmp_path):
    folder = tmp_path / "nl"
    folder.mkdir()
    certification_folder(folder, "oup-core", OUP_CORE_RUNS, "opgenomen platforms", lang="nl")
    html = (folder / "certification.html").read_text("utf-8")
    assert '<html lang="nl">' in html and "Geen niveau behaald" in html
    assert "Wat de leverancier als eerste moet verbeteren" in html
    assert "Contextinformatie (NGSI-LD)" in html and "voldoet niet" in html
    from oupcheck.profile import load_profile
    req = load_profile("mim1-ngsi-ld").requirements["ngsi-ld:5.6.2/update-attrs"]
    from markupsafe import escape
    assert req.title_nl and escape(req.title_nl) in html and escape(req.next_step_nl) in html
    problems, _ = pdf_problems(folder, ["In totaal: Geen niveau behaald"])
    assert problems == []
    assert not (folder / "certificate.jws").exists()  # no key: not signed


def test_the_badge(signed):
    svg = ET.fromstring((signed / "badge.svg").read_text("utf-8"))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["oup-core 1.0.0", "no level"]
    from oupcheck.certificate import badge_svg
    ok = ET.fromstring(badge_svg("oup-core", "1.0.0", "basis", True, False))
    assert [t.text for t in ok.iter("{http://www.w3.org/2000/svg}text")][1] == "basis (waivers)"
