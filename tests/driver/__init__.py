"""Tests of the shared modules in driver/, mirroring the tree."""
