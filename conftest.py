"""Loaded by pytest before tests/conftest.py: the cyclic garbage collector is off while pytest
imports the tests' modules (and through them pulumi, the SDK and pydantic), a sixth of each
worker's collection time; tests/conftest.py keeps it off while they run."""

import gc

gc.disable()
