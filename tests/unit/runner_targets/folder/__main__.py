import os
import sys

sys.path.insert(1, os.path.dirname(os.path.abspath(sys.path[0])))
from _report import emit, main_report  # noqa: E402

del sys.path[1]
emit(main_report(globals()))
