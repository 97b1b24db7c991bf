"""oupcheck installs like a Python tool: ``pip install .`` (a wheel, not editable) gives an
``oupcheck`` command and a pytest plugin that work from any directory, with the checks,
profiles, schemas, fixtures, report templates and locust scenarios inside the package.

The slow tests build the wheel from a copy of the sources with this venv's setuptools (no
build isolation, no index: nothing is downloaded), install it with --no-deps into a fresh venv,
and make the dependencies importable there through a .pth that adds a copy of this venv's
site-packages as symlinks *without* the editable oupcheck (its finder, .pth and dist-info), so
the fresh venv sees only the wheel's oupcheck.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from oupcheck.resources import INSTALLED_AS

from .support.cli import REPO_ROOT

VERDICTS = {"PASS", "FAIL", "NOT_APPLICABLE", "INCONCLUSIVE", "ERROR"}


def _data_files(folder: Path) -> list[Path]:
    """Files of a suite folder that a wheel must carry (relative to the folder)."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and not _skipped(p.relative_to(folder)) and p.suffix != ".pyc")


def _skipped(rel: Path) -> bool:
    """Caches (__pycache__, .hypothesis, .pytest_cache...) are not part of the suite."""
    return any(part == "__pycache__" or part.startswith(".") for part in rel.parts)


# -- fast: the package list in pyproject.toml matches the folders --------------------------------

def test_pyproject_lists_every_folder_as_a_package_of_oupcheck():
    cfg = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    packages = set(cfg["packages"])
    mapping = cfg["package-dir"]
    assert {p.split(".")[0] for p in packages} == {"oupcheck"}, "a generic top-level package"
    assert mapping == {f"oupcheck.{inst}": src for src, inst in INSTALLED_AS.items()}
    expected = {"oupcheck"} | {
        "oupcheck." + ".".join(d.relative_to(REPO_ROOT / "oupcheck").parts)
        for d in (REPO_ROOT / "oupcheck").rglob("*")
        if d.is_dir() and (d / "__init__.py").is_file()}
    for pkg, src in mapping.items():
        root = REPO_ROOT / src
        expected.add(pkg)
        expected |= {".".join((pkg, *d.relative_to(root).parts)) for d in root.rglob("*")
                     if d.is_dir() and not _skipped(d.relative_to(root)) and any(d.iterdir())}
    assert packages == expected, (f"missing from [tool.setuptools] packages: "
                                  f"{sorted(expected - packages)}; not folders: "
                                  f"{sorted(packages - expected)}")


def test_demo_without_pygeoapi_names_the_extra(monkeypatch, capsys, tmp_path):
    import importlib.util

    from oupcheck import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pygeoapi" else real(name, *a))
    code = cli.main(["demo", "--out", str(tmp_path / "demo")])
    errors = [line for line in capsys.readouterr().err.splitlines()
              if line.startswith("oupcheck: error")]
    assert code == 2
    assert errors == ["oupcheck: error: the bundled demo platform needs pygeoapi, which is not "
                      "installed: pip install 'oupcheck[demo]'"]
    assert not (tmp_path / "demo" / "ogc-api-features-1" / "platform" / "data").exists()


# -- slow: build the wheel, install it into a fresh venv, use it from elsewhere ------------------

@dataclass
class Installed:
    wheel: Path
    python: Path
    oupcheck: Path
    site: Path
    work: Path       # an empty working directory outside the checkout


def _run(argv: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _describe(proc: subprocess.CompletedProcess[str]) -> str:
    return (f"{' '.join(proc.args)} -> exit {proc.returncode}\n--- stdout ---\n"
            f"{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO_ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    for name in ("oupcheck", *INSTALLED_AS):
        shutil.copytree(REPO_ROOT / name, src / name, ignore=ignore)
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "--no-index", "-q", "-w", base / "dist", src], cwd=base, env=_clean_env())
    assert proc.returncode == 0, _describe(proc)
    (wheel,) = (base / "dist").glob("oupcheck-*.whl")

    venv = base / "venv"
    proc = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    assert proc.returncode == 0, _describe(proc)
    python = venv / "bin" / "python"
    proc = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                 "--no-index", "-q", wheel], cwd=base, env=_clean_env())
    assert proc.returncode == 0, _describe(proc)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=base).stdout.strip())

    # the dependencies: this venv's site-packages without any oupcheck
    deps = base / "deps"
    deps.mkdir()
    for sp in dict.fromkeys(Path(sysconfig.get_path(k)).resolve() for k in ("purelib", "platlib")):
        for entry in sp.iterdir():
            n = entry.name
            if (n.startswith(("__editable__", "oupcheck-", "oupcheck.")) or n == "oupcheck"
                    or n == "__pycache__" or (deps / n).exists()):
                continue
            (deps / n).symlink_to(entry)
    (site / "zz_oupcheck_test_deps.pth").write_text(
        f"import site; site.addsitedir({str(deps)!r})\n", encoding="utf-8")
    work = base / "work"
    work.mkdir()
    return Installed(wheel, python, venv / "bin" / "oupcheck", site, work)


@pytest.mark.slow
def test_wheel_holds_everything_under_oupcheck(installed):
    with zipfile.ZipFile(installed.wheel) as zf:
        names = set(zf.namelist())
        entry_points = zf.read("oupcheck-0.1.0.dist-info/entry_points.txt").decode()
    top = {n.split("/")[0] for n in names}
    assert top == {"oupcheck", "oupcheck-0.1.0.dist-info"}, top
    for src, inst in INSTALLED_AS.items():
        missing = [str(f) for f in _data_files(REPO_ROOT / src)
                   if f"oupcheck/{inst}/{f.as_posix()}" not in names]
        assert not missing, f"{src}/ files not in the wheel (as oupcheck/{inst}/): {missing}"
    assert "[pytest11]\noupcheck = oupcheck.plugin" in entry_points
    assert "oupcheck = oupcheck.cli:main" in entry_points


@pytest.mark.slow
def test_installed_command_and_plugin_work_from_anywhere(installed, pygeoapi_url, shared_data):
    inst, work = installed, installed.work
    env = _clean_env(OUPCHECK_DATA_DIR=str(shared_data))

    # the wheel's oupcheck, not the checkout's; its folders inside the package; no generic names
    probe = _run([inst.python, "-c", """if 1:
        import importlib.metadata as md, importlib.util as iu, json, oupcheck
        from oupcheck.resources import root_dir
        print(json.dumps({
            "file": oupcheck.__file__,
            "dists": [str(d._path) for d in md.distributions() if d.metadata["Name"] == "oupcheck"],
            "dirs": [str(root_dir(n)) for n in ("conformance", "profiles", "schemas",
                                                 "fixtures", "reports", "load")],
            "generic": [n for n in ("conformance", "reports", "profiles", "fixtures", "schemas",
                                    "scenarios") if iu.find_spec(n) is not None]}))"""],
                 cwd=work, env=env)
    assert probe.returncode == 0, _describe(probe)
    found = json.loads(probe.stdout)
    pkg = inst.site / "oupcheck"
    assert Path(found["file"]) == pkg / "__init__.py"
    assert found["dists"] == [str(inst.site / "oupcheck-0.1.0.dist-info")]
    assert found["dirs"] == [str(pkg / n) for n in ("conformance", "profiles", "schemas",
                                                     "fixtures", "reports", "scenarios")]
    assert found["generic"] == []

    proc = _run([inst.oupcheck, "profiles"], cwd=work, env=env)
    assert proc.returncode == 0 and "ogc-api-features-1" in proc.stdout, _describe(proc)
    proc = _run([inst.oupcheck, "schemes"], cwd=work, env=env)  # the schemes and their pins
    assert proc.returncode == 0 and "oup-core 1.0.0" in proc.stdout, proc.stderr
    proc = _run([inst.oupcheck, "schema", "report"], cwd=work, env=env)
    assert proc.returncode == 0 and json.loads(proc.stdout)["$defs"], _describe(proc)
    proc = _run([inst.oupcheck, "lint"], cwd=work, env=env)
    assert proc.returncode == 0 and "0 problem(s)" in proc.stdout + proc.stderr, _describe(proc)
    proc = _run([inst.python, "-c", "from oupcheck.load.engine import user_class; "
                 "print(user_class('ogc-api-features').__name__)"], cwd=work, env=env)
    assert proc.returncode == 0, _describe(proc)

    def assert_report(out: Path, proc: subprocess.CompletedProcess[str]) -> None:
        for name in ("report.json", "report.html", "junit.xml", "evidence.jsonl"):
            assert (out / name).is_file(), f"no {name}\n{_describe(proc)}"
        rows = json.loads((out / "report.json").read_text("utf-8"))["rows"]
        assert rows and {r["verdict"] for r in rows} <= VERDICTS, _describe(proc)
        assert any(r["verdict"] == "PASS" for r in rows), _describe(proc)

    out = work / "report"
    proc = _run([inst.oupcheck, "run", "--profile", "ogc-api-features-1", "--target",
                 pygeoapi_url, "--out", out, "--quiet"], cwd=work, env=env, timeout=180)
    assert proc.returncode in (0, 1), _describe(proc)
    assert_report(out, proc)

    # a platform's CI: plain pytest on the installed checks, the plugin by its entry point
    out = work / "pytest-report"
    proc = _run([inst.python, "-m", "pytest", "-p", "oupcheck", "-p", "no:cacheprovider", "-q",
                 "--pyargs", "oupcheck.conformance", "--oup-profile", "ogc-api-features-1",
                 "--oup-target", pygeoapi_url, "--oup-out", out], cwd=work, env=env, timeout=180)
    assert proc.returncode in (0, 1), _describe(proc)
    assert_report(out, proc)
    assert not (work / "conformance").exists() and not (inst.site / "conformance").exists()
