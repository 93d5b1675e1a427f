"""Scenario tests: cases walked through the real models in bpmn/ by the people of a small district."""
