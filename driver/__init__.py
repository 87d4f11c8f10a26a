"""The parts of the render driver behind `render.py`: safety (locks, signals), batch runs, doctor."""
