"""Restricted evaluation of what a BPMN file carries: JUEL/Python expressions, scripts, their limits.

Owns: expressions (JUEL translation, simpleeval), sandbox (RestrictedPython), limits (line budget, size
guards), script_engine (SpiffWorkflow's script engine over both).
May import: nothing of the engine but the foundation modules; it must stay usable by lint without a database.
"""
