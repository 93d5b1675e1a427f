"""The timer scheduler: fires due cases from the timer rows, one process at a time.

Owns: timers (the dispatcher: due query, per-case firing, periodic jobs), lease (one holder at a time).
May import: engine.context, engine.cases, engine.notify and the foundation modules; nothing imports it but
the command line and the benchmarks.
"""
