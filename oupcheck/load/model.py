"""The load section of report.json: raw figures of every step, the knee and the timeline."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RequestFigures(BaseModel):
    name: str = Field(description="'METHOD name' as locust groups requests")
    requests: int
    failures: int
    p95_ms: float | None
    max_ms: float | None


class ErrorSample(BaseModel):
    request: str
    error: str
    occurrences: int


class StepFigures(BaseModel):
    users: int
    duration_s: float = Field(description="Measured time (after ramp and settling)")
    requests: int
    failures: int
    rps: float = Field(description="Completed requests per second in the step")
    avg_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    ok: bool = Field(description="Every latency and error SLO held at this step's load")
    by_request: list[RequestFigures] = Field(default_factory=list)
    errors: list[ErrorSample] = Field(default_factory=list, description="Failing requests")
    evidence: str | None = Field(default=None, description="evidence.jsonl record of the step")


class Knee(BaseModel):
    step: int
    users: int
    rps: float
    p95_ms: float | None
    p99_ms: float | None


class TimelinePoint(BaseModel):
    t: float = Field(description="Seconds since the load started")
    users: int
    requests: int = Field(description="Cumulative")
    failures: int = Field(description="Cumulative")


class WorkerFigures(BaseModel):
    id: str
    requests: int


class LoadSection(BaseModel):
    profile: str
    scenario: str
    target_url: str
    tasks: dict[str, float] = Field(description="The task mix that ran (weights)")
    notes: list[str] = Field(default_factory=list)
    mode: str = Field(description="local, or distributed with the number of workers")
    workers: list[WorkerFigures] = Field(default_factory=list)
    steps: list[StepFigures] = Field(default_factory=list)
    knee: Knee | None = Field(default=None, description="The highest-throughput step that met "
                              "every latency and error SLO")
    breaking_step: int | None = Field(default=None, description="Index of the first step that "
                                      "broke an SLO")
    stopped: str | None = Field(default=None, description="Why the search ended")
    timeline: list[TimelinePoint] = Field(default_factory=list)
    totals: dict[str, float | int | None] = Field(default_factory=dict)
    error: str | None = Field(default=None, description="Why the load could not run")
