"""``python -m automl`` runs the command line, as the ``automl`` script does."""

import sys

from automl.cli import main

sys.exit(main())
