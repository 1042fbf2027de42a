"""`python -m evals` runs the evaluation suite; see evals/README.md."""
import sys

from evals.run import main

if __name__ == "__main__":
    sys.exit(main())
