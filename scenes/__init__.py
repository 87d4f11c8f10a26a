"""The pictures: one Manim scene per topic (`scenes/<topic>.py`), built from the toolbox in `scenes.kit`.

Every value on screen comes through `scenes.kit.binding`. Importing this package does not import Manim.
"""
