"""Judging a finished run again from its evidence, without the platform.

``oupcheck rejudge`` runs the checks of a profile once more, but every request is answered
from the run's evidence.jsonl instead of the network:

- ``ReplayClient`` is the HTTP client the checks use; it hands each request the recorded
  exchange with the same method and (redacted) URL, in the order they were recorded, with its
  full body as stored (``response.body_stored``). A stored body that the run's
  ``evidence_store_bytes`` cut is marked, and a check that parses it is INCONCLUSIVE.
- A request the run never made raises ``NotRecorded``: its row is INCONCLUSIVE
  ("not recorded"), never a verdict about the platform.
- The recorded TLS scan and TLS handshakes are replayed from their ``data``, MQTT
  conversations from their recorded calls (``mqttreplay``), NGSI-LD notifications from their
  recorded receipts (``receivers.ReplayedInbox``).
- Everything else that would touch the network (a handshake rejudge cannot replay) is
  refused by a socket guard, and the row of the check
  that tried is INCONCLUSIVE "not recorded: … cannot be replayed".
"""

from __future__ import annotations

import json
import re
import socket
from collections import defaultdict, deque
from pathlib import Path
from typing import Any, Iterator

from .errors import BudgetSpent, NotRecorded, TransportError, UsageError
from .evidence import Exchange, unpack_body
from .http import EvidenceClient, origin

INPUTS = "run-inputs.json"
# a run's own random names (a path that must not exist, a marker, a test object's tag): a
# request that differs from a recorded one only there is that request
TOKEN = re.compile(r"[0-9a-f]{8,32}")


def token_free(url: str) -> str:
    return TOKEN.sub("~", url)


class NetworkRefused(NotRecorded, OSError):
    """A socket operation refused while judging again (an OSError, as a refused connection
    is, so that every client library handles it as one)."""


def read_inputs(run_dir: Path) -> dict[str, Any]:
    """RUN_DIR/run-inputs.json: what the run was asked (profile, target file as loaded)."""
    path = Path(run_dir) / INPUTS
    if not path.is_file():
        raise UsageError(f"no {INPUTS} in it: not the --out folder of an oupcheck run, or one "
                         "made before rejudge existed", source=str(run_dir))
    try:
        return json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"not JSON: {exc.msg}", source=str(path), line=exc.lineno) from None


def evidence_file(run_dir: Path) -> Path:
    """RUN_DIR's evidence: evidence.jsonl, or evidence.jsonl.gz (a run kept compressed, e.g. a
    recording in tests/recordings)."""
    run_dir = Path(run_dir)
    for name in ("evidence.jsonl", "evidence.jsonl.gz"):
        if (run_dir / name).is_file():
            return run_dir / name
    raise UsageError("no evidence.jsonl in it (is it the --out folder of an oupcheck run?)",
                     source=str(run_dir))


def evidence_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an evidence file, in order (a line that is not JSON: a usage error
    naming its line)."""
    import gzip
    with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz"
          else path.open(encoding="utf-8")) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"not JSON: {exc.msg}", source=str(path), line=n) from None


class Replay:
    """The recorded exchanges of one run, indexed for replay."""

    def __init__(self, run_dir: Path, current_test: Any = lambda: None):
        self.run_dir = Path(run_dir)
        self.current_test = current_test  # () -> the running check's id
        ev = evidence_file(self.run_dir)
        self.inputs = read_inputs(self.run_dir)
        self.used: set[str] = set()  # ids of the recorded exchanges handed out
        self.http: dict[tuple[str, str], deque[dict[str, Any]]] = defaultdict(deque)
        self.last: dict[tuple[str, str], dict[str, Any]] = {}
        self.probes: dict[tuple[str, str], deque[dict[str, Any]]] = defaultdict(deque)
        self.by_shape: dict[tuple[str, str], deque[dict[str, Any]]] = defaultdict(deque)
        # (note, check) -> the URLs the check sent with that note, in order
        self.by_note: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for rec in evidence_records(ev):
            req = rec.get("request") or {}
            key = (str(req.get("method")), str(req.get("url")))
            if rec.get("kind", "http") == "http":
                self.http[key].append(rec)
                self.by_shape[(key[0], token_free(key[1]))].append(rec)
                if rec.get("note"):
                    self.by_note[(rec["note"], rec.get("test"))].append(key[1])
            else:
                self.probes[(str(rec.get("kind")), key[1])].append(rec)
        self.refused: dict[str, list[str]] = {}  # test -> what it tried that is not replayable

    def _next(self, queue: deque[dict[str, Any]] | None) -> dict[str, Any] | None:
        while queue and queue[0]["id"] in self.used:
            queue.popleft()
        return queue[0] if queue else None

    def take_http(self, method: str, url: str) -> dict[str, Any] | None:
        """The next recorded exchange of this request; the last one again when the run made it
        fewer times (a cached document asked twice); else the same request with the run's
        random name in it."""
        key = (method, url)
        rec = self._next(self.http.get(key))
        if rec is None:
            if key in self.last:
                return self.last[key]
            rec = self._next(self.by_shape.get((method, token_free(url))))
            if rec is None:
                return None
        self.used.add(rec["id"])
        self.last[key] = rec
        return rec

    def recorded_param(self, url: str, name: str, note: str) -> list[Any]:
        """The values of query parameter NAME the running check sent to URL with NOTE, in its
        order (the generated inputs of a fuzz row; two rows may generate for one parameter)."""
        from urllib.parse import parse_qs, urlsplit
        out: list[Any] = []
        for u in self.by_note.get((note, self.current_test()), []):
            if not u.startswith(url.split("?")[0]):
                continue
            values = parse_qs(urlsplit(u).query, keep_blank_values=True).get(name)
            if values is not None:
                out.append(values[0] if len(values) == 1 else values)
        return out

    def take_probe(self, kind: str, url: str, note: str | None = None) -> dict[str, Any] | None:
        """The next recorded non-HTTP probe of this kind and URL (with this note, if given)."""
        queue = self.probes.get((kind, url))
        for rec in list(queue or []):
            if note is None or rec.get("note") == note:
                queue.remove(rec)  # type: ignore[union-attr]
                return rec
        return None

    def refuse(self, what: str) -> None:
        """Mark the running check: it needed WHAT, which judging again cannot give it; its row
        is INCONCLUSIVE whatever it concluded from the missing answer."""
        self.refused.setdefault(self.current_test() or "(outside a check)", []).append(what)

    def missing(self, what: str, message: str, exchange_id: str | None = None) -> NotRecorded:
        self.refuse(what)
        return NotRecorded(f"not recorded: {message}", exchange_id)


class ReplayClient(EvidenceClient):
    """An EvidenceClient whose answers come from a run's evidence."""

    def __init__(self, replay: Replay, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.replay = replay

    def _send(self, prepared: Any, note: str | None, *, record: bool = True) -> Exchange:
        ex = self._exchange(prepared, note)
        where = origin(prepared.url or "")
        self._refuse(ex, where)
        rec = self.replay.take_http(ex.method, ex.url)
        if rec is None:
            exc = self.replay.missing(f"{ex.method} {ex.url}", f"the run never sent {ex.method} "
                                      f"{ex.url} (a probe this profile needs that the judged run "
                                      "did not make)", ex.id)
            ex.error = str(exc)
            self.store.add(ex)
            raise exc
        # the note stays the run's own (a run judged again can itself be judged again); that
        # its answers are replayed is in run-inputs.json (judged_again_from)
        ex.elapsed_ms = rec.get("elapsed_ms")
        ex.started = rec.get("started") or ex.started
        resp = rec.get("response")
        error = rec.get("error")
        if resp is None:
            ex.error = error or "no answer recorded"
            self.store.add(ex)
            if ex.error.startswith("not sent: run budget spent"):
                raise BudgetSpent(ex.error, ex.id)
            if not ex.error.startswith("not sent:"):
                self._answered(where, ex.error)
            raise TransportError(ex.error, ex.id)
        answer(ex, resp, self.limits.max_body_bytes, self.limits.excerpt_bytes)
        self._answered(where, None)
        if record:
            self.store.add(ex)
        return ex


def answer(ex: Exchange, resp: dict[str, Any], max_body: int, excerpt_bytes: int) -> Exchange:
    """Give ``ex`` the recorded answer ``resp`` (a record's ``response``), full body included."""
    ex.status = resp.get("status")
    ex.http_version = resp.get("http_version")
    ex.reason = resp.get("reason")
    ex.response_headers = dict(resp.get("headers") or {})
    ex.body_bytes = int(resp.get("body_bytes") or 0)
    ex.body_capped = bool(resp.get("body_capped"))
    ex.body_excerpt = resp.get("body")
    ex.excerpt_truncated = bool(resp.get("excerpt_truncated"))
    if "body_stored" in resp:
        ex.body = unpack_body(resp["body_stored"], max_body)
        ex.body_stored_truncated = bool(resp.get("body_stored_truncated"))
        if ex.body_excerpt is None and ex.body:  # a recording that keeps the full body only
            ex.body_excerpt = ex.body[:excerpt_bytes].decode("utf-8", "replace")
    else:  # a run that stored excerpts only
        ex.body = (ex.body_excerpt or "").encode()
        ex.body_stored_truncated = ex.excerpt_truncated
    return ex


def recorded_exchange(rec: dict[str, Any], max_body: int = 20 * 2**20,
                      excerpt_bytes: int = 65536) -> Exchange:
    """One HTTP record of an evidence file as the Exchange a judge reads (tests of the pure
    judges on recordings)."""
    req = rec.get("request") or {}
    ex = Exchange(id=rec["id"], seq=int(rec.get("seq") or 0), method=str(req.get("method")),
                  url=str(req.get("url")), request_headers=dict(req.get("headers") or {}),
                  request_body=req.get("body"), started=rec.get("started") or "",
                  elapsed_ms=rec.get("elapsed_ms"), error=rec.get("error"), note=rec.get("note"),
                  test=rec.get("test"))
    return answer(ex, rec["response"], max_body, excerpt_bytes) if rec.get("response") else ex


class NetworkGuard:
    """While judging again, no socket connects or listens on the network: the check that tries
    is marked, and its row is INCONCLUSIVE ("not recorded")."""

    def __init__(self, replay: Replay):
        self.replay = replay
        self._saved: dict[str, Any] = {}

    def _blocked(self, verb: str) -> Any:
        guard = self

        def refuse(sock: socket.socket, address: Any, *a: Any, **kw: Any) -> Any:
            if sock.family == socket.AF_UNIX:
                return guard._saved[verb](sock, address, *a, **kw)
            what = f"{verb} {address!r}"
            guard.replay.refuse(what)
            raise NetworkRefused(f"not recorded: judging again from evidence sends nothing to the "
                                 f"network, and this probe ({what}) cannot be replayed")
        return refuse

    def __enter__(self) -> "NetworkGuard":
        for verb in ("connect", "connect_ex", "bind"):
            self._saved[verb] = getattr(socket.socket, verb)
            setattr(socket.socket, verb, self._blocked(verb))
        return self

    def __exit__(self, *exc: object) -> None:
        for verb, fn in self._saved.items():
            setattr(socket.socket, verb, fn)
        self._saved.clear()


def replay_target(run_dir: Path, inputs: dict[str, Any] | None = None) -> Any:
    """The target of the judged run, as it was loaded; a secret's value is its redaction mark
    (the run's evidence holds that mark where the secret went)."""
    from pydantic import ValidationError

    from .target import Target, TargetFile
    inputs = inputs if inputs is not None else read_inputs(run_dir)
    try:
        spec = TargetFile.model_validate(inputs["target"])
    except (KeyError, ValidationError) as exc:
        raise UsageError(f"the recorded target is not valid: {str(exc).splitlines()[0]}",
                         source=str(Path(run_dir) / INPUTS)) from None
    secrets = {name: f"[REDACTED:{name}]" for name in inputs.get("secret_names") or []}
    return Target(spec=spec, source=str(Path(run_dir) / INPUTS), secrets=secrets)
