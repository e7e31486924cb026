"""``python -m recruitsim ...`` works like the ``recruitsim`` console script."""

import sys

from recruitsim.cli.main import main

sys.exit(main())
