"""The runner module must not be imported a second time by the program."""
import sys

import boto_sigv4_shim.__main__ as runner

sys.stdout.write("%s %s\n" % (runner.__name__,
                              runner is sys.modules["boto_sigv4_shim.__main__"]))
