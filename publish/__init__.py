"""What goes beside each video and into the course: captions, transcript, poster, formats, page.

Reads the manifest and the finished mp4 only; never imports Manim or the lecture code.
"""
