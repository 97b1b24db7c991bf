"""The ``oupcheck`` command.

  oupcheck run --profile ID --target URL|FILE --out DIR   certify a target
  oupcheck demo                                            certify the bundled pygeoapi
  oupcheck load --profile ID --target URL|FILE --out DIR  step-load capacity search, SLO rows
  oupcheck discover URL [--out FILE]                       write a target file
  oupcheck certify --scheme ID --target FILE --out DIR     certify a platform against a scheme
      [--lang en|nl] [--waivers FILE] [--sign-key KEY]     (report, evidence bundle, certificate)
  oupcheck keys new [--out DIR] | verify DIR --key PUB     sign and check certificates
  oupcheck compare DIR DIR... --out DIR | earl RUN_DIR     suppliers side by side; W3C EARL
  oupcheck profiles | validate FILE... | lint | schema | render DIR

Exit codes: 0 conformant (every applicable MUST row PASSes), 1 not conformant (a MUST row
FAILs), 2 usage/configuration error, 3 incomplete (a MUST row undecided, target unreachable).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .errors import UsageError, printable
from .report import EXIT_UNDECIDED, EXIT_USAGE, check_out_dir

SCHEMAS = ("profile", "target", "scheme", "report")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(EXIT_USAGE, f"oupcheck: error: {message} (see oupcheck {self.prog.split()[-1]} "
                              "--help)\n" if " " in self.prog else f"oupcheck: error: {message}\n")


def _parser() -> Parser:
    p = Parser(prog="oupcheck", description="Conformance suite for open urban platforms")
    p.add_argument("--version", action="version", version=f"oupcheck {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)

    r = sub.add_parser("run", help="certify a target against a profile")
    r.add_argument("--profile", required=True, help="profile ID (see 'oupcheck profiles') or file")
    r.add_argument("--target", required=True, help="base URL or target YAML file")
    r.add_argument("--out", required=True, help="directory for report.json, report.html, ...")
    r.add_argument("--only", action="append", default=[], metavar="REQ_ID",
                   help="check only this requirement (repeatable)")
    r.add_argument("--data-dir", action="append", default=[],
                   help="local copy of published schemas (else OUPCHECK_DATA_DIR, cache, URL)")
    r.add_argument("--profile-path", action="append", default=[],
                   help="extra directory with profile YAML files")
    r.add_argument("--quiet", action="store_true", help="no per-check progress lines")
    r.add_argument("--budget", type=float, default=None, metavar="S",
                   help="bound on the whole run in seconds (default: the profile's "
                        "run_budget_s, else 600); rows undecided when it is spent are "
                        "INCONCLUSIVE")
    _pace_options(r)
    r.add_argument("--with-load", action="store_true",
                   help="after the checks, run the load profile the profile links "
                        "('load_profile') or --load-profile, into the same report")
    r.add_argument("--load-profile", help="load profile for --with-load")
    _load_options(r, prefix="load-")

    ld = sub.add_parser("load", help="step-load capacity search with the SLO rows of a load "
                                     "profile (locust, headless)")
    ld.add_argument("--profile", required=True, help="load profile ID or file")
    ld.add_argument("--target", required=True, help="base URL or target YAML file")
    ld.add_argument("--out", required=True, help="directory for report.json, report.html, ...")
    ld.add_argument("--profile-path", action="append", default=[])
    ld.add_argument("--quiet", action="store_true", help="no per-step progress lines")
    _load_options(ld)

    lw = sub.add_parser("load-worker", help="a locust worker for a distributed 'oupcheck load' "
                                            "(on another machine); gets its plan from the master")
    lw.add_argument("--master", required=True, metavar="HOST:PORT")

    d = sub.add_parser("demo", help="start the bundled pygeoapi on 127.0.0.1 and certify it")
    d.add_argument("--out", default="oupcheck-demo", help="working and report directory (the "
                   "report goes to OUT/PROFILE/report)")
    d.add_argument("--port", type=int, default=0)
    d.add_argument("--data-dir", action="append", default=[])
    d.add_argument("--profile", default="ogc-api-features-1",
                   choices=["ogc-api-features-1", "security-baseline",
                            "nl-api-design-rules-2.0.2", "nl-api-design-rules-2.1.0",
                            "open-protocols"],
                   help="what to certify; the security and API-design profiles put nginx "
                        "(Debian package) before pygeoapi as a TLS front; open-protocols adds "
                        "Mosquitto (Debian package) as the MQTT event channel, described by "
                        "the bundled AsyncAPI document")
    d.add_argument("--scheme", default=None, choices=["oup-core"],
                   help="certify every bundled platform against a certification scheme "
                        "instead: pygeoapi behind nginx, Mosquitto with its AsyncAPI document "
                        "and the labelled NGSI-LD reference fixture, in one target file; the "
                        "signed certification goes to OUT/SCHEME/certification")
    d.add_argument("--lang", choices=("en", "nl"), default="en",
                   help="with --scheme: language of the readable report")
    d.add_argument("--waivers", default=None, metavar="FILE", help="with --scheme: waivers")

    _pace_options(d)

    disc = sub.add_parser("discover", help="probe well-known entry points, write a target file")
    disc.add_argument("url")
    disc.add_argument("--out", default="target.yaml")

    ex = sub.add_parser("export", help="harvest every item over the standard API into open "
                                       "formats with a manifest (can the city leave?)")
    ex.add_argument("--target", required=True, help="URL or target YAML file")
    ex.add_argument("--out", required=True, help="directory for the files and manifest.json")
    ex.add_argument("--page-size", type=int, default=1000)
    ex.add_argument("--max-items", type=int, default=10_000_000,
                    help="stop a collection (and report a runaway) after this many items")
    ex.add_argument("--max-bytes", default="20G", metavar="SIZE",
                    help="stop after writing this much (bytes, or with K, M, G, T; default 20G)")
    ex.add_argument("--formats", default="ndjson,geojson,csv",
                    help="comma list of ndjson, geojson, csv")

    rt = sub.add_parser("roundtrip", help="load an export into a second, independent pygeoapi "
                                          "and compare item by item")
    rt.add_argument("--export", required=True, help="directory written by 'oupcheck export'")
    rt.add_argument("--work", default=None, help="working directory (default: EXPORT.roundtrip)")

    ce = sub.add_parser("certify", help="run every profile of a certification scheme that "
                                        "applies to the target, and judge the level reached")
    ce.add_argument("--scheme", required=True, help="scheme ID (see 'oupcheck schemes') or file")
    ce.add_argument("--target", required=True, help="target YAML file (all the platform's "
                                                     "interfaces) or a base URL")
    ce.add_argument("--out", required=True, help="directory for certification.json and runs/")
    ce.add_argument("--profile-path", action="append", default=None)
    ce.add_argument("--data-dir", action="append", default=None)
    ce.add_argument("--quiet", action="store_true", help="no line per run")
    ce.add_argument("--waivers", default=None, metavar="FILE", help="the platform's waivers "
                    "(accepted FAILs with reason, who accepted them and an expiry date)")
    ce.add_argument("--lang", choices=("en", "nl"), default="en", help="language of the "
                    "readable report (certification.html and .pdf)")
    ce.add_argument("--sign-key", default=None, metavar="KEY", help="Ed25519 private key "
                    "('oupcheck keys new'): certificate.json is signed into certificate.jws")

    ks = sub.add_parser("keys", help="signing keys for certificates")
    ksub = ks.add_subparsers(dest="keys_command", required=True)
    kn = ksub.add_parser("new", help="write a new Ed25519 key pair (NAME.key, NAME.pub)")
    kn.add_argument("--out", default=".", help="folder for the key pair (default: here)")
    kn.add_argument("--name", default="oupcheck-signing", help="file name of the pair")

    vf = sub.add_parser("verify", help="check a certification folder: the signature of its "
                                       "certificate and every byte of its report and evidence")
    vf.add_argument("dir", help="the --out folder of 'oupcheck certify'")
    vf.add_argument("--key", required=True, help="the signer's public key (PEM)")

    ea = sub.add_parser("earl", help="write a run's report as W3C EARL (Turtle), for other "
                                     "conformance tooling")
    ea.add_argument("run_dir", help="the --out folder of a run (its report.json)")
    ea.add_argument("--out", default=None, help="the Turtle file (default: "
                                                "RUN_DIR/report.earl.ttl)")

    co = sub.add_parser("compare", help="suppliers side by side: finished runs or "
                                        "certifications of one profile or scheme, in one table")
    co.add_argument("runs", nargs="+", metavar="RUN", help="--out folders of 'oupcheck run' or "
                                                           "'oupcheck certify'")
    co.add_argument("--out", required=True, help="directory for compare.json and compare.html")

    sub.add_parser("profiles", help="list the bundled profiles")
    sub.add_parser("schemes", help="list the bundled certification schemes, their pillars and "
                                   "levels")
    v = sub.add_parser("validate", help="validate profile, scheme or target files")
    v.add_argument("files", nargs="+")
    sub.add_parser("lint", help="check that checks and profiles agree (IDs, coverage)")
    s = sub.add_parser("schema", help="print or write the JSON Schemas")
    s.add_argument("--write", metavar="DIR",
                   help="write profile/target/scheme/report schemas to DIR")
    s.add_argument("which", nargs="?", choices=SCHEMAS)
    rd = sub.add_parser("render", help="re-render report.html and junit.xml from DIR/report.json")
    rd.add_argument("dir")
    rj = sub.add_parser("rejudge", help="judge a finished run again from its evidence, without "
                                        "the network (the same profile, or another version)")
    rj.add_argument("run_dir", help="the --out folder of an oupcheck run")
    rj.add_argument("--profile", default=None, help="profile ID or file (default: the run's)")
    rj.add_argument("--out", required=True, help="folder for the new report and changes.json")
    rj.add_argument("--data-dir", action="append", default=[])
    rj.add_argument("--profile-path", action="append", default=[])
    im = sub.add_parser("impact", help="how stored runs would be graded under a new profile "
                                       "version (impact.json, impact.html)")
    im.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    im.add_argument("--profile", required=True, help="the new profile: ID or file")
    im.add_argument("--out", default="oupcheck-impact", help="folder for impact.json/.html")
    im.add_argument("--data-dir", action="append", default=[])
    im.add_argument("--profile-path", action="append", default=[])
    return p


def _load_options(p: argparse.ArgumentParser, prefix: str = "") -> None:
    dur = "--load-duration" if prefix else "--duration"
    p.add_argument(dur, dest="duration", type=float, default=None, metavar="S",
                   help="bound on the load run in seconds (steps are shortened to fit)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="local locust worker processes (0: one process, no master)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow loading a target that is not on a loopback address")
    p.add_argument("--master-bind", default="127.0.0.1", metavar="ADDR",
                   help="where the master listens for workers (another machine's workers: "
                        "an address they reach)")
    p.add_argument("--master-port", type=int, default=None, metavar="PORT")
    p.add_argument("--remote-workers", type=int, default=0, metavar="M",
                   help="also wait for M workers started elsewhere with 'oupcheck load-worker'")


def _load_job(args: argparse.Namespace, profile: str, target: str) -> Any:
    from .load.runner import prepare
    return prepare(profile, target, profile_paths=args.profile_path, workers=args.workers,
                   duration=args.duration, allow_remote=args.allow_remote,
                   master_bind=args.master_bind, master_port=args.master_port,
                   remote_workers=args.remote_workers)


def _terminated(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt  # a SIGTERM cleans up as Ctrl-C does: no half-written output


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if argv is None:  # the command line, not a caller inside Python
        signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(COMMANDS[args.cmd](args) or 0)
    except UsageError as exc:
        print(f"oupcheck: error: {exc.one_line()}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("oupcheck: interrupted", file=sys.stderr)
        return 130


# -- run ---------------------------------------------------------------------------------------

def _pace_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--in-flight", type=int, default=None, metavar="N",
                   help="independent probes send up to N requests at once (default: the "
                        "profile's max_in_flight, else 4; 1 to 16); verdicts do not depend on it")
    g.add_argument("--polite", action="store_const", const=1, dest="in_flight",
                   help="one request at a time (the same as --in-flight 1)")


def cmd_run(args: argparse.Namespace) -> int:
    if not args.with_load:
        if args.load_profile:
            raise UsageError("needs --with-load", field="--load-profile")
        return run(profile=args.profile, target=args.target, out=Path(args.out),
                   only=args.only, data_dirs=args.data_dir, profile_paths=args.profile_path,
                   quiet=args.quiet, budget=args.budget, in_flight=args.in_flight)
    return run_with_load(args)


def run_with_load(args: argparse.Namespace) -> int:
    """Conformance into a staging directory, then the load profile, one report in --out."""
    import shutil

    from .load.runner import load_phase, merge_into, print_result
    from .profile import load_profile
    from .report import staging_dir, write_outputs

    prof = load_profile(args.profile, [Path(p) for p in args.profile_path])
    load_ref = args.load_profile or prof.load_profile
    if not load_ref:
        raise UsageError(f"profile {prof.id} links no load profile ('load_profile'); name one "
                         "with --load-profile", field="--with-load")
    job = _load_job(args, load_ref, args.target)   # every load input checked before the run
    out = Path(args.out)
    staging = staging_dir(out)
    try:
        code = run(profile=args.profile, target=args.target, out=staging / "conformance",
                   only=args.only, data_dirs=args.data_dir, profile_paths=args.profile_path,
                   quiet=args.quiet, budget=args.budget, in_flight=args.in_flight)
        conf = staging / "conformance"
        if not (conf / "report.json").is_file():
            return code
        print(f"oupcheck: conformance done; load profile {job.profile.id} next", file=sys.stderr)
        doc = json.loads((conf / "report.json").read_text("utf-8"))
        with (conf / "evidence.jsonl").open("a", encoding="utf-8") as sink:
            outcome = load_phase(job, sink, quiet=args.quiet)
        doc = merge_into(doc, outcome)
        doc = write_outputs(doc, conf, out, redactor=job.redactor)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print_result(doc, out)
    return int(doc["summary"]["exit_code"])


def cmd_load(args: argparse.Namespace) -> int:
    from .load.runner import run_load
    job = _load_job(args, args.profile, args.target)
    return run_load(job, Path(args.out), quiet=args.quiet)


def cmd_load_worker(args: argparse.Namespace) -> int:
    host, _, port = args.master.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{args.master!r} is not HOST:PORT", field="--master")
    os.execv(sys.executable, [sys.executable, "-m", "oupcheck.load.engine", "worker",
                              "--master-host", host, "--master-port", port])


def run(*, profile: str, target: str, out: Path, only: list[str] | None = None,
        data_dirs: list[str] | None = None, profile_paths: list[str] | None = None,
        quiet: bool = False, budget: float | None = None,
        replay: Path | None = None, in_flight: int | None = None) -> int:
    import pytest

    from .profile import load_profile
    from .resources import root_dir
    from .target import load_target

    # validate every input before anything is sent or written
    check_dirs(profile_paths, "--profile-path")
    check_dirs(data_dirs, "--data-dir")
    prof = load_profile(profile, [Path(p) for p in profile_paths or []])
    unknown = [rid for rid in only or [] if rid not in prof.requirements]
    if unknown:
        raise UsageError(f"{unknown[0]!r} is not a requirement of profile {prof.id} "
                         f"({len(prof.requirements)} requirements; see 'oupcheck profiles' and "
                         f"{prof.source})", field="--only")
    from .plugin import pick_interface
    if replay is not None:
        from .replay import replay_target
        pick_interface(prof, replay_target(replay))  # the evidence is read once, by the plugin
    else:
        pick_interface(prof, load_target(target, prof.interface))
    check_out_dir(out)
    if budget is not None and not budget > 0:
        raise UsageError(f"must be a positive number of seconds, not {budget:g}",
                         field="--budget")
    checks = root_dir("conformance")
    pargs = [str(checks), "-c", str(checks / "pytest.ini"), "--rootdir", str(checks),
             "-p", "no:cacheprovider", "-p", "no:terminal",
             "--oup-profile", profile, "--oup-target", target, "--oup-out", str(out)]
    if in_flight is not None and not 1 <= in_flight <= 16:
        raise UsageError(f"must be a whole number from 1 to 16, not {in_flight}",
                         field="--in-flight")
    if budget is not None:
        pargs += ["--oup-budget", str(budget)]
    if in_flight is not None:
        pargs += ["--oup-in-flight", str(in_flight)]
    if replay is not None:
        pargs += ["--oup-replay", str(replay)]
    for rid in only or []:
        pargs += ["--oup-only", rid]
    for d in data_dirs or []:
        pargs += ["--oup-data-dir", d]
    for d in profile_paths or []:
        pargs += ["--oup-profile-path", d]
    progress = Progress(quiet)
    code = pytest.main(pargs, plugins=[progress])
    if progress.report is None:
        msg = progress.usage_error or f"the suite stopped before writing a report (pytest exit {code})"
        print(f"oupcheck: error: {msg}", file=sys.stderr)
        return EXIT_USAGE if progress.usage_error else EXIT_UNDECIDED
    print_outcome(progress.report, out)
    return int(progress.report["summary"]["exit_code"])


def check_dirs(paths: list[str] | None, option: str) -> None:
    for d in paths or []:
        if not Path(d).is_dir():
            raise UsageError("directory does not exist" if not Path(d).exists() else
                             "is not a directory", source=d, field=option)


def print_outcome(report: dict[str, Any], out: Path) -> None:
    from .report import outcome_lines
    lines = outcome_lines(report)
    if report["run"].get("unreachable"):
        print(f"oupcheck: {lines[0]}", file=sys.stderr)  # one line, not one per check
    for extra in lines[1:]:
        print(extra, file=sys.stderr)
    print(f"{lines[0]} Report: {out / 'report.html'} ({out / 'report.json'}, evidence.jsonl, "
          "junit.xml)")


def clip(text: str, limit: int) -> str:
    """Shorten at a word boundary (never inside a word), marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


class Progress:
    """Prints one line per check as it finishes (its requirement IDs, verdict and message);
    keeps the report for the caller."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.report: dict[str, Any] | None = None
        self.usage_error: str | None = None
        self.count = 0
        self.total = 0

    def pytest_collection_finish(self, session: Any) -> None:
        self.total = len(session.items)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        from .plugin import get_run
        run = get_run(self.config)
        if self.quiet or run is None or not run.results or run.results[-1]["test"] != nodeid:
            return
        res = run.results[-1]
        self.count += 1
        ids = ", ".join(res["requirements"])
        line = f"[{self.count:3d}/{self.total}] {res['verdict']:<14} {ids}: " \
               f"{clip(res['message'], 100)}"
        print(printable(run.client.redactor.text(line)), file=sys.stderr, flush=True)

    def pytest_configure(self, config: Any) -> None:
        self.config = config

    def pytest_sessionfinish(self, session: Any) -> None:
        from .plugin import get_run
        run = get_run(session.config)
        if run is not None:
            self.report = run.report


# -- demo --------------------------------------------------------------------------------------

def start_bundled(work: Path, started: list[Any], *, tls: bool, mqtt: bool,
                  port: int | None = None, ngsi_data: Path | None = None) -> dict[str, Any]:
    """Start the bundled platforms on 127.0.0.1: pygeoapi (behind the good nginx TLS front
    with ``tls``), Mosquitto with the AsyncAPI document (``mqtt``), and the labelled NGSI-LD
    reference fixture seeded with the Smart Data Models examples (with ``ngsi_data``, the
    folder holding them). Each is appended to ``started`` as it comes up, so the caller stops
    them whatever fails. Returns the TargetFile fields that name them."""
    from .platforms import nginx, pygeoapi
    from .platforms.base import free_port
    from .target import Interface, TLSSettings
    fields: dict[str, Any] = {"interfaces": []}
    https_port = free_port() if tls else None
    proc, url = pygeoapi.server(work, port,
                                public_url=f"https://127.0.0.1:{https_port}" if tls else None)
    started.append(proc.start())
    if tls:
        front = nginx.NginxFront(nginx.GOOD, work, url, https_port=https_port)
        started.append(front.start())
        url = front.url
        fields.update(tls=TLSSettings(ca_file=str(front.ca_file)),
                      plain_http_url=front.http_url)
    fields["interfaces"].append(Interface(kind="ogc-api-features", url=url))
    if mqtt:
        from .platforms import mosquitto
        from .platforms.static import StaticFiles
        from .resources import root_dir
        broker, mqtt_url = mosquitto.server(work / "mosquitto")
        started.append(broker.start())
        docs = StaticFiles(root_dir("fixtures") / "asyncapi")
        started.append(docs.start())
        fields["interfaces"].append(Interface(kind="mqtt", url=mqtt_url,
                                              description=docs.url + "demo-events.yaml"))
    if ngsi_data is not None:
        from .platforms import ngsild_fixture as fx
        ref = fx.ReferenceServer(ngsi_data)
        started.append(ref)
        fx.seed(ref.url + "sound", [fx.example(ngsi_data, m) for m in fx.MODELS
                                    if m not in fx.UPSTREAM_MISMATCH])
        fields["interfaces"].append(Interface(kind="ngsi-ld", url=ref.url + "sound/"))
    return fields


def _start_or_report(work: Path, started: list[Any], **kw: Any) -> dict[str, Any] | None:
    """start_bundled, or None after one error line with everything started stopped again."""
    import requests
    try:
        return start_bundled(work, started, **kw)
    except (RuntimeError, OSError, requests.RequestException) as exc:
        print(f"oupcheck: error: cannot start the demo platform: {exc}", file=sys.stderr)
        for p in reversed(started):
            p.stop()
        return None


def cmd_demo(args: argparse.Namespace) -> int:
    if args.scheme:
        return demo_scheme(args)
    from .target import TargetFile, dump_target

    out = Path(args.out).resolve() / args.profile  # each demo profile has its own folder
    work = out / "platform"
    tls = args.profile not in ("ogc-api-features-1", "open-protocols")
    mqtt = args.profile == "open-protocols"
    print(f"oupcheck demo: starting pygeoapi with the bundled Dutch city datasets in {work}"
          + (" behind an nginx TLS front" if tls else ""), file=sys.stderr)
    started: list[Any] = []
    fields = _start_or_report(work, started, tls=tls, mqtt=mqtt, port=args.port or None)
    if fields is None:
        return EXIT_UNDECIDED
    name = ("bundled pygeoapi and Mosquitto (demo)" if mqtt else
            "bundled pygeoapi behind nginx (demo)" if tls else "bundled pygeoapi (demo)")
    spec = TargetFile(name=name, **fields)
    try:
        target_file = out / "target.yaml"
        target_file.write_text(dump_target(spec), encoding="utf-8")
        print(f"oupcheck demo: platform is up at {spec.interfaces[0].url}; certifying against "
              f"{args.profile}", file=sys.stderr)
        return run(profile=args.profile, target=str(target_file), out=out / "report",
                   data_dirs=args.data_dir, in_flight=args.in_flight)
    finally:
        for p in reversed(started):
            p.stop()


def demo_scheme(args: argparse.Namespace) -> int:
    """oupcheck demo --scheme: every bundled platform started on 127.0.0.1, one target file
    naming them all, and oupcheck certify with a signing key (made in OUT/keys when absent)."""
    from .certificate import new_keys
    from .certification import certify
    from .platforms.ngsild_fixture import find_data_dir
    from .target import TargetFile, dump_target

    env = os.environ.get("OUPCHECK_DATA_DIR")
    data = find_data_dir([Path(d) for d in args.data_dir] + ([Path(env)] if env else []))
    if data is None:
        raise UsageError("the NGSI-LD fixture needs the NGSI-LD core @context and the Smart "
                         "Data Models examples: give the folder holding ngsi-ld/ and "
                         "smart-data-models/ (../shared/data)", field="--data-dir")
    base = Path(args.out).resolve() / args.scheme
    work = base / "platform"
    work.mkdir(parents=True, exist_ok=True)
    print(f"oupcheck demo: starting pygeoapi behind nginx, Mosquitto with its AsyncAPI "
          f"document and the NGSI-LD reference fixture (in-repo, labelled) in {work}",
          file=sys.stderr)
    started: list[Any] = []
    fields = _start_or_report(work, started, tls=True, mqtt=True, ngsi_data=data)
    if fields is None:
        return EXIT_UNDECIDED
    try:
        spec = TargetFile(name="bundled platforms (pygeoapi behind nginx, Mosquitto, NGSI-LD "
                               "reference fixture)", writes_allowed=True, **fields)
        target_file = base / "platforms.yaml"
        target_file.write_text(dump_target(spec), encoding="utf-8")
        key = base / "keys" / "oupcheck-signing.key"
        if not key.is_file():
            new_keys(key.parent)
        print(f"oupcheck demo: platforms are up; certifying against {args.scheme} "
              f"(target file {target_file})", file=sys.stderr)
        code = certify(args.scheme, str(target_file), base / "certification",
                       data_dirs=args.data_dir, waivers_file=args.waivers, lang=args.lang,
                       key_file=str(key))
        print(f"Verify: oupcheck verify {base / 'certification'} --key "
              f"{key.with_suffix('.pub')}")
        return code
    finally:
        for p in reversed(started):
            p.stop()


# -- discover ----------------------------------------------------------------------------------

def cmd_discover(args: argparse.Namespace) -> int:
    from .discover import discover
    from .target import dump_target

    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError("is a folder, not a file" if out.is_dir() else
                         f"the folder {out.parent} does not exist", source=args.out,
                         field="--out")
    spec, notes = discover(args.url)
    for n in notes:
        print(f"  {n}", file=sys.stderr)
    if spec is None:
        print(f"oupcheck: no standard interface found at {printable(args.url, 200)}"
              + (f" ({notes[0]})" if notes else ""), file=sys.stderr)
        return EXIT_UNDECIDED
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(dump_target(spec), encoding="utf-8")
    os.replace(tmp, out)
    print(f"wrote {out}: {', '.join(i.kind for i in spec.interfaces)}")
    return 0


# -- small commands ----------------------------------------------------------------------------

def cmd_export(args: argparse.Namespace) -> int:
    from .export import FORMATS, export
    from .target import load_target

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"unknown format(s) {', '.join(bad) or '(none)'}; use "
                         f"{', '.join(FORMATS)}", field="--formats")
    if args.page_size < 1 or args.max_items < 1:
        raise UsageError("must be at least 1", field="--page-size/--max-items")
    max_bytes = parse_size(args.max_bytes, "--max-bytes")
    target = load_target(args.target, "ogc-api-features")
    code, _, summary = export(target, Path(args.out), page_size=args.page_size,
                              max_items=args.max_items, max_bytes=max_bytes, formats=formats)
    print(f"{summary}. Manifest: {Path(args.out) / 'manifest.json'}" if code != 3 else summary)
    return code


def parse_size(text: str, option: str) -> int:
    """'500M' -> 500 000 000 (decimal units, as disks are sold); a usage error otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*", text, re.I)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"{text!r} is not a size (e.g. 500M, 20G)", field=option)
    return int(float(m.group(1)) * 1000 ** " KMGT".index(m.group(2).upper() or " "))


def cmd_roundtrip(args: argparse.Namespace) -> int:
    from .roundtrip import round_trip

    export_dir = Path(args.export)
    if not (export_dir / "manifest.json").is_file():
        raise UsageError("no manifest.json: not a directory written by 'oupcheck export'",
                         source=str(export_dir), field="--export")
    work = Path(args.work) if args.work else export_dir.with_name(export_dir.name + ".roundtrip")
    try:
        rt = round_trip(export_dir, work)
    except (RuntimeError, OSError) as exc:
        print(f"oupcheck: error: round trip could not run: {exc}", file=sys.stderr)
        return EXIT_UNDECIDED
    for d in rt.differences[:20]:
        print(f"  {d.collection} {d.id}: {d.what}")
    print(f"round trip through pygeoapi: {rt.compared} items of {rt.collections} collections "
          f"compared, {len(rt.differences)} difference(s)")
    return 0 if not rt.differences else 1


def cmd_profiles(args: argparse.Namespace) -> int:
    from .profile import all_profiles
    rows = [("PROFILE", "VERSION", "ROWS", "TESTABLE", "TITLE")]
    for p in all_profiles():
        testable = sum(1 for r in p.requirements.values() if r.testable)
        rows.append((p.id, p.version, str(len(p.requirements)), str(testable), p.title))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  "
              f"{r[3]:>{widths[3]}}  {r[4]}")
    return 0


def cmd_certify(args: argparse.Namespace) -> int:
    from .certification import certify
    try:
        return certify(args.scheme, args.target, Path(args.out), quiet=args.quiet,
                       profile_paths=args.profile_path, data_dirs=args.data_dir,
                       waivers_file=args.waivers, lang=args.lang,
                       key_file=args.sign_key)
    except RuntimeError as exc:  # a run of the certification broke: nothing was written
        print(f"oupcheck: error: certification stopped: {exc}", file=sys.stderr)
        return EXIT_UNDECIDED


def cmd_keys(args: argparse.Namespace) -> int:
    from .certificate import key_id, new_keys
    key, pub = new_keys(Path(args.out), args.name)
    from cryptography.hazmat.primitives import serialization
    kid = key_id(serialization.load_pem_public_key(pub.read_bytes()))
    print(f"private key: {key} (keep it secret); public key: {pub} (give it to whoever "
          f"verifies); key id {kid}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .certificate import verify
    problems = verify(Path(args.dir), args.key)
    for p in problems:
        print(f"oupcheck verify: {p}")
    if problems:
        print(f"NOT VERIFIED: {len(problems)} problem(s) in {args.dir}")
        return 1
    doc = json.loads((Path(args.dir) / "certificate.json").read_text("utf-8"))
    print(f"VERIFIED: {doc['scheme']} {doc['scheme_version']}, {doc['target']}, level "
          f"{doc['level'] or 'none'}; signature, report, {len(doc['profiles'])} profile files "
          f"and {doc['evidence_bundle']['files']} evidence files unchanged")
    return 0


def cmd_earl(args: argparse.Namespace) -> int:
    from .earl import turtle
    doc = Path(args.run_dir) / "report.json"
    if not doc.is_file():
        raise UsageError("no report.json in it (is it the --out folder of an oupcheck run?)",
                         source=args.run_dir)
    try:
        report = json.loads(doc.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"not JSON: {exc.msg}", source=str(doc), line=exc.lineno) from None
    out = Path(args.out) if args.out else Path(args.run_dir) / "report.earl.ttl"
    if out.is_dir() or not out.resolve().parent.is_dir():
        raise UsageError("is a folder, not a file" if out.is_dir() else "its folder does not "
                         "exist", source=str(out), field="--out")
    text = turtle(report)
    tmp = out.with_name(f".{out.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"EARL: {len(report['rows'])} assertions in {out}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, write
    doc = compare([Path(r) for r in args.runs])
    out = Path(args.out)
    write(doc, out)
    print(f"{len(doc['suppliers'])} suppliers, {doc['differing_rows']} of {len(doc['rows'])} "
          f"requirements judged differently. Table: {out / 'compare.html'} (compare.json)")
    return 0


def cmd_schemes(args: argparse.Namespace) -> int:
    from .scheme import all_schemes
    for sc in all_schemes():
        print(f"{sc.id} {sc.version}: {sc.title}")
        for p in sc.pillars.values():
            need = [lv.id for lv in sc.levels if p.id in sc.needs(lv.id).pillars]
            print(f"  {p.id:<22} {p.interface:<17} {', '.join(p.profiles)}"
                  f"  [{', '.join(need) or 'no level'}{', required' if p.required else ''}]")
        for lv in sc.levels:
            full = sc.needs(lv.id)
            bounds = [f"lock-in risk <= {full.max_lockin_risk:g}"] if full.max_lockin_risk \
                is not None else []
            bounds += [f"load knee >= {full.min_load_users} users"] if full.min_load_users \
                else []
            print(f"  level {lv.id}: {len(full.pillars)} pillars conformant"
                  + (f"; {'; '.join(bounds)}" if bounds else ""))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from . import yamlsrc
    from .profile import load_profile
    from .target import load_target
    for f in args.files:
        data, _ = yamlsrc.load(Path(f))
        if isinstance(data, dict) and "requirements" in data:
            p = load_profile(f)
            print(f"{f}: profile {p.id}@{p.version}, {len(p.requirements)} requirements")
        elif isinstance(data, dict) and "pillars" in data:
            from .scheme import load_scheme
            sc = load_scheme(f)
            print(f"{f}: scheme {sc.id}@{sc.version}, {len(sc.pillars)} pillars, levels "
                  + ", ".join(lv.id for lv in sc.levels))
        else:
            t = load_target(f)
            print(f"{f}: target {t.spec.name}, {len(t.spec.interfaces)} interface(s)")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from .lint import lint
    problems = lint()
    for p in problems:
        print(p)
    print(f"lint: {len(problems)} problem(s)")
    return 1 if problems else 0


def schemas() -> dict[str, dict[str, Any]]:
    from .profile import ProfileFile
    from .report import json_schema
    from .scheme import SchemeFile
    from .target import TargetFile

    def wrap(model: Any, name: str) -> dict[str, Any]:
        s = model.model_json_schema()
        s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        s["$id"] = f"urn:oupcheck:schema:{name}:1.0"
        return s
    return {"profile": wrap(ProfileFile, "profile"), "target": wrap(TargetFile, "target"),
            "scheme": wrap(SchemeFile, "scheme"), "report": json_schema()}


def cmd_schema(args: argparse.Namespace) -> int:
    all_s = schemas()
    if args.write:
        d = Path(args.write)
        d.mkdir(parents=True, exist_ok=True)
        for name, s in all_s.items():
            (d / f"{name}.schema.json").write_text(json.dumps(s, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {', '.join(f'{n}.schema.json' for n in all_s)} to {d}")
        return 0
    if not args.which:
        raise UsageError("name a schema (profile, target, scheme, report) or use --write DIR")
    print(json.dumps(all_s[args.which], indent=2))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from oupcheck.reports import render_html, render_junit

    from .report import load_evidence
    d = Path(args.dir)
    try:
        report = json.loads((d / "report.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read report.json: {exc}", source=str(d)) from None
    (d / "report.html").write_text(render_html(report, load_evidence(d / "evidence.jsonl")),
                                   encoding="utf-8")
    (d / "junit.xml").write_text(render_junit(report), encoding="utf-8")
    print(f"rendered {d / 'report.html'} and {d / 'junit.xml'}")
    return 0


def cmd_rejudge(args: argparse.Namespace) -> int:
    from .rejudge import cmd_rejudge as rejudge_run
    return rejudge_run(args)


def cmd_impact(args: argparse.Namespace) -> int:
    from .rejudge import cmd_impact as impact
    return impact(args)


COMMANDS = {"run": cmd_run, "demo": cmd_demo, "discover": cmd_discover, "profiles": cmd_profiles,
            "validate": cmd_validate, "schemes": cmd_schemes, "certify": cmd_certify,
            "earl": cmd_earl, "keys": cmd_keys, "verify": cmd_verify, "compare": cmd_compare,
            "lint": cmd_lint,
            "schema": cmd_schema, "render": cmd_render,
            "export": cmd_export, "roundtrip": cmd_roundtrip, "load": cmd_load,
            "load-worker": cmd_load_worker,
            "rejudge": cmd_rejudge, "impact": cmd_impact}

if __name__ == "__main__":
    sys.exit(main())
