"""Helpers shared by the tests (imported from here, never from conftest files or other test modules)."""
