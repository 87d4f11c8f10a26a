"""The toolbox every lecture uses: the binding and its audit, matrices, plots, glyphs, style, the base scene.

Lectures import from here; the kit never imports a lecture.
"""
