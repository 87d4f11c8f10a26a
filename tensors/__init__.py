"""The math: pure torch, one module per lecture. Never imports Manim."""
