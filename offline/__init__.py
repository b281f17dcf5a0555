"""The offline tools: the mock engine, the preview, the generated documents, the benchmark.

Each ``python -m offline.<command>`` runs as a one-shot process from its first import on (no
cyclic garbage collector, its imports' bytecode written, azure-native modules loaded slim:
``offline.imports``); importing the package otherwise (the tests) changes nothing.
"""

from offline.imports import is_one_shot_command, start_one_shot

if is_one_shot_command():
    start_one_shot()
