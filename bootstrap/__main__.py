"""mlops bootstrap: run once by an administrator before the stacks' first deployment."""

import sys
from pathlib import Path

# Pulumi runs this directory as the program: the repository root goes on the path, so that
# `bootstrap` and the main program's `settings` import as the packages they are in tests.
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bootstrap.program import main  # noqa: E402 (needs the path above)

main()
