"""From a command to a published video: the registry, the render pipeline behind a typed request, the quality
table, safety (locks, signals), batch runs, the manifest, doctor and the lecture skeleton.

`render.py` is a thin click layer over these. Importing `driver`, `driver.registry`, `driver.quality`,
`driver.errors` or `driver.pipeline` imports neither torch nor Manim; a render imports them when it starts.
"""
