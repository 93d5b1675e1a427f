"""BPMN files as the engine reads them: parsing (Camunda extensions, forms), lint, serialized specs,
deployments and their versions.

Owns: parser, formdata, lint, library (deploy, versions), serializer.
May import: engine.scripting (to compile what a file carries) and the foundation modules
(errors, clock, config, store). Knows nothing of cases.
"""
