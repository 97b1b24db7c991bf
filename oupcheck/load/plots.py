"""The two plots of the load section as inline SVG, drawn by matplotlib (Agg, SVG output):
latency against throughput per step (the knee marked), throughput over time."""

from __future__ import annotations

import io
from typing import Any


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.find("<svg"):]   # inline: without the XML prolog and doctype


def _figure(title: str) -> tuple[Any, Any]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matplotlib.rcParams["svg.hashsalt"] = "oupcheck"   # the same report renders the same SVG
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    return fig, ax


def latency_vs_throughput(load: dict[str, Any]) -> str | None:
    steps = [s for s in load.get("steps") or [] if s.get("requests")]
    if not steps:
        return None
    fig, ax = _figure("Latency against throughput, one point per step")
    rps = [s["rps"] for s in steps]
    for key, label in (("p95_ms", "p95"), ("p99_ms", "p99")):
        ax.plot(rps, [s.get(key) or 0 for s in steps], marker="o", label=label)
    for s in steps:
        ax.annotate(f"{s['users']}u", (s["rps"], s.get("p95_ms") or 0), fontsize=7,
                    textcoords="offset points", xytext=(3, 4))
    bad = [s for s in steps if not s["ok"]]
    if bad:
        ax.scatter([s["rps"] for s in bad], [s.get("p95_ms") or 0 for s in bad], marker="x",
                   s=80, color="#c62828", label="breaks an SLO", zorder=3)
    kn = load.get("knee")
    if kn:
        ax.axvline(kn["rps"], color="#2e7d32", linestyle="--",
                   label=f"knee {kn['rps']:.0f} req/s ({kn['users']} users)")
    ax.set_xlabel("throughput (requests/s)")
    ax.set_ylabel("response time (ms)")
    ax.legend(fontsize=8)
    return _svg(fig)


def throughput_over_time(load: dict[str, Any]) -> str | None:
    tl = load.get("timeline") or []
    if len(tl) < 2:
        return None
    fig, ax = _figure("Throughput over time")
    t = [p["t"] for p in tl[1:]]
    rate = [(b["requests"] - a["requests"]) / max(b["t"] - a["t"], 1e-6)
            for a, b in zip(tl, tl[1:])]
    fails = [(b["failures"] - a["failures"]) / max(b["t"] - a["t"], 1e-6)
             for a, b in zip(tl, tl[1:])]
    ax.plot(t, rate, label="requests/s")
    ax.plot(t, fails, label="failures/s", color="#c62828")
    ax.set_xlabel("time since the load started (s)")
    ax.set_ylabel("requests/s")
    users = ax.twinx()
    users.step([p["t"] for p in tl], [p["users"] for p in tl], where="post", color="#888",
               linestyle=":", label="users")
    users.set_ylabel("users")
    lines = ax.get_legend_handles_labels()
    more = users.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="upper left")
    return _svg(fig)
