"""The suite lints itself: checks and profiles must agree.

- every check carries @requirement markers naming requirements that exist in a profile
  (enforced at collection by the plugin);
- every testable requirement of every profile is verified by at least one check (or is an
  SLO or capacity row of a load profile, judged by the load engine);
- every profile validates and its IDs are unique (enforced by the loader).
"""

from __future__ import annotations

from pathlib import Path

from .profile import all_profiles
from .resources import root_dir


class _Collector:
    def __init__(self) -> None:
        self.by_test: dict[str, list[str]] = {}
        self.error: str | None = None

    def pytest_collection_finish(self, session) -> None:  # noqa: ANN001
        from .plugin import requirement_ids
        for item in session.items:
            self.by_test[item.nodeid] = requirement_ids(item)


def collect_checks() -> dict[str, list[str]]:
    import contextlib
    import io

    import pytest
    checks = root_dir("conformance")
    col = _Collector()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        code = pytest.main([str(checks), "-c", str(checks / "pytest.ini"), "--rootdir", str(checks),
                            "--collect-only", "-q", "--oup-lint", "-p", "no:cacheprovider"],
                           plugins=[col])
    if code not in (0, 5):
        raise RuntimeError(f"collecting the checks failed (pytest exit {code}): "
                           f"{buf.getvalue()[-600:]}")
    return col.by_test


def lint(extra_profile_paths: list[Path] | None = None) -> list[str]:
    problems: list[str] = []
    by_test = collect_checks()
    covered = {rid for ids in by_test.values() for rid in ids}
    for prof in all_profiles(extra_profile_paths):
        # SLO and capacity rows of a load profile are judged by the load engine
        by_load = set(prof.load.slos) | {prof.load.capacity} if prof.load else set()
        for rid, req in prof.requirements.items():
            # the certification report reads these to a city officer, in both its languages
            missing = [k for k in ("title", "title_nl", "next_step", "next_step_nl")
                       if not getattr(req, k)]
            if missing:
                problems.append(f"{prof.id}: {rid}: no {', '.join(missing)} (the readable "
                                f"report needs them)")
            if rid in by_load:
                continue
            if req.testable and rid not in covered:
                problems.append(f"{prof.id}: {rid}: testable but no check verifies it")
            if not req.testable and rid in covered:
                problems.append(f"{prof.id}: {rid}: marked not testable but a check verifies it")
    from .errors import UsageError
    from .scheme import load_scheme, scheme_dir
    for path in sorted(scheme_dir().glob("*.yaml")):  # every scheme validates, pins included
        try:
            load_scheme(str(path), extra_profile_paths)
        except UsageError as exc:
            problems.append(f"{path.name}: {exc}")
    return problems
