"""Benchmarks (`casework bench ...`): each prints figures and its ratio against a baseline measured in
the same run, the last line one JSON object.

May import: anything in engine; nothing imports it but the command line and its smoke tests.
"""
