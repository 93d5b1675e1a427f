"""The case runtime: load -> run -> save under the optimistic lock, and every row the pages read.

Owns: runtime (start, complete, messages, firing timers), instances (spec cache, workflow state),
projections (task, timer, event rows), tasks (claim, unclaim, assign), permissions, queries, inbox,
supervision, timeline, notes, attachments, forms (validation), startforms, deadlines (reminders and
escalation rows), cycles (missed rounds of a cycle timer).
May import: engine.bpmn, engine.scripting and the foundation modules; engine.context only for type hints
(the context composes the cases, not the other way round).
"""
