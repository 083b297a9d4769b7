"""`python -m dronewatch`, the same as the `dronewatch` console script."""
import sys

from dronewatch.cli import main

sys.exit(main())
