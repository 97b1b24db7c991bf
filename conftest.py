"""Running the checks from a checkout, with plain pytest, from the repository root:

    pytest conformance --oup-profile ogc-api-features-1 --oup-target URL --oup-out DIR

(``oupcheck run`` does the same with progress lines and exit codes.) pytest then reads
``conformance/pytest.ini``; the plugin that selects the checks of the profile, maps outcomes to
verdicts and writes report.json, report.html, junit.xml and evidence.jsonl is
``oupcheck.plugin``, registered as the ``pytest11`` entry point ``oupcheck`` of the installed
(or editable-installed) package. Installed, the same checks run as
``pytest --pyargs oupcheck.conformance --oup-profile ... --oup-target ... --oup-out ...``.

This file only makes sure that plugin is active when pytest runs here with the top-level
configuration (pyproject.toml) and entry-point autoload is off; the plugin is inert without
``--oup-target``, and nothing here touches the self-tests (``pytest tests``).
"""

import pytest


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    from oupcheck import plugin

    if not pluginmanager.is_registered(plugin):
        pluginmanager.register(plugin, "oupcheck")
