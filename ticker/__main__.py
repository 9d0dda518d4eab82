"""``python -m ticker``: the same as the ``ticker`` command."""

import sys

from ticker._cli.main import main

sys.exit(main())
