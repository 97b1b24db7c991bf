"""The load pillar: step-load capacity search with locust, SLOs as requirement rows.

``scenarios`` (task catalogue, discovery of scenario data), ``slo`` and ``steps`` (pure
judgements over step figures), ``engine`` (the only module that imports locust: it runs in its
own process, master, worker or local), ``runner`` (the CLI side: validation, pre-flight,
process group of the engine, report rows), ``plots`` (matplotlib SVG for the HTML report).
"""
