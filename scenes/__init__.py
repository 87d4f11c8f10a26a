"""The pictures: one Manim scene per topic, reading every value through scenes.binding.

Importing this package does not import Manim; `scenes.registry` is safe for the CLI's fast path.
"""
