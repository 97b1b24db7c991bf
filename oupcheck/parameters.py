"""Every profile parameter the checks read, with its meaning.

A profile's ``parameters:`` may only name these: a misspelled name would otherwise be ignored
silently and the check would run with its default. A check reads a parameter through
``Run.param`` / ``Profile.param``, which refuse a name that is not listed here.
"""

from __future__ import annotations

import difflib

KNOWN: dict[str, str] = {
    # every profile
    "run_budget_s": "bound on a whole run in seconds (--budget): rows not decided when it is "
                    "spent are INCONCLUSIVE",
    "max_in_flight": "requests in flight at once against the target (--in-flight; --polite "
                     "makes it 1): independent probes are sent together, judged in order",
    "slow_response_s": "a target whose median answer takes longer is slow: the sampling "
                       "parameters drop to their floor so the run fits its budget",
    # MQTT (open-protocols)
    "timeout_s": "MQTT: seconds to wait for a packet",
    "settle_s": "MQTT: seconds to wait for deliveries that must not come",
    "keepalive_s": "MQTT: keep-alive of the suite's connections",
    # OGC API - Features
    "max_collections": "collections sampled per check",
    "page_limit": "the limit used when paging",
    "max_pages": "pages followed per collection",
    "max_features_scan": "features read to judge extents, bbox and datetime filters",
    "max_openapi_paths": "GET paths of the API definition exercised by oas-impl",
    "timestamp_tolerance_s": "tolerance of timeStamp against the suite's clock",
    "large_limit": "a limit far above any sensible maximum",
    # security baseline
    "ncsc_guideline": "NCSC-NL TLS guideline edition: '2025-05' or '2.1'",
    "tls_scan_deadline_s": "hard bound of the TLS scan",
    "hsts_min_max_age": "least HSTS max-age in seconds",
    "huge_limit": "page size asked for by the API4 probe",
    "max_page_size": "a page larger than this is not capped",
    "oversized_body_bytes": "body size of the API4 body-size probe",
    "fuzz_examples": "generated values per query parameter",
    "fuzz_seconds": "time budget per fuzz campaign",
    "fuzz_seed": "seed of the generated inputs",
    # NL API Design Rules
    "adr_version": "which edition of the rules the checks apply",
    "max_external_refs": "external $refs of the OpenAPI document resolved",
    # NGSI-LD
    "notification_timeout_s": "seconds to wait for a notification",
    "callback_host": "address of this machine that the broker can reach",
    "temporal_wait_s": "bound on polling for temporal history after a write",
    # MIM2 / lock-in
    "max_types": "entity types sampled",
    "sample_per_type": "entities sampled per type",
    "min_valid_share": "least share of entities valid against their Smart Data Model",
    "known_models": "type=subject pairs of known Smart Data Models",
    "recognised_namespaces": "namespaces of recognised vocabularies",
    "min_standard_model_share": "lock-in: least share of entities in a standard data model",
    "export_page_size": "lock-in: page size of the bulk export",
    "export_max_items": "lock-in: bound on exported items",
}


def unknown(name: str) -> str:
    """One line: the name is not a known parameter (with the closest known one)."""
    close = difflib.get_close_matches(name, KNOWN, n=1)
    return f"unknown parameter {name!r}" + (f" (did you mean {close[0]!r}?)" if close else
                                            " (see oupcheck/parameters.py for the known ones)")
