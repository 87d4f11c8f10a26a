"""Tests of the shared modules in scenes/kit/, mirroring the tree."""
