"""The generic BPMN runtime over SpiffWorkflow: knows BPMN, users, groups and time, nothing of suggestions.

Layers, lowest first; each imports only from those before it, never from a later one or from
workflows/ or webui/ (tests/test_layering.py keeps this true):

    foundation   errors clock config store identity workdays bounds migrate   (top-level modules)
    scripting    draw                                                   (expressions; DI -> SVG)
    bpmn         notify                                                 (parse, lint, deploy; telling people)
    cases                                                               (the runtime and what pages read)
    context                                                             (composes the above)
    schedule                                                            (fires due cases)
    bench                                                               (measures all of it)
"""
