"""Where the suite's own files live (checks, profiles, fixtures, templates).

A checkout keeps them in top-level folders (``conformance/``, ``profiles/``, ``load/``...);
a wheel installs the same folders inside the package (``oupcheck/conformance/`` in
site-packages; ``load/`` as ``oupcheck/scenarios/``, since ``oupcheck.load`` is the load
engine). See ``[tool.setuptools.package-dir]`` in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent

# folder of the checkout -> folder inside the installed package
INSTALLED_AS = {"conformance": "conformance", "profiles": "profiles", "schemas": "schemas",
                "fixtures": "fixtures", "reports": "reports", "load": "scenarios"}
CHECKOUT_NAME = {v: k for k, v in INSTALLED_AS.items()}   # "scenarios" works too


def root_dir(name: str) -> Path:
    """One of the suite's folders: ``conformance``, ``profiles``, ``schemas``, ``fixtures``,
    ``reports`` or ``load`` (the locust scenarios; also called ``scenarios``).

    Installed (wheel): ``<site-packages>/oupcheck/<installed name>``. Checkout or editable
    install (``pip install -e .``, where this module is ``<checkout>/oupcheck/resources.py``):
    ``<checkout>/<name>``.
    """
    checkout = CHECKOUT_NAME.get(name, name)
    if checkout not in INSTALLED_AS:
        raise ValueError(f"not a folder of the suite: {name!r}")
    installed = PACKAGE_DIR / INSTALLED_AS[checkout]
    if installed.is_dir():
        return installed
    path = ROOT / checkout
    if path.is_dir():
        return path
    raise FileNotFoundError(f"{installed} is missing (and so is {path}): this oupcheck "
                            "installation is incomplete; reinstall it (pip install oupcheck)")
