"""Tests of the shared modules in publish/, mirroring the tree."""
