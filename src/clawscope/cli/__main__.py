"""`python -m clawscope.cli …`: the same command line as the `clawscope` script."""

from clawscope.cli import main

main()
