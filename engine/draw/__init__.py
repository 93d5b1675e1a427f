"""BPMN diagram interchange to SVG, every drawn element carrying its data-element-id.

Owns: render (reads the model and its diagrams), shapes (the notation), text (labels and layout),
style (colours, geometry, the SVG helpers).
May import: the foundation modules only (errors); never a case or the database.
"""
