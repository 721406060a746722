import sys

from pex_assembler.cli import main

sys.exit(main())
