"""Reusable ComponentResources composed per stack in __main__.py."""
