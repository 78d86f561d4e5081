import sys

from .helper import VALUE

sys.path.insert(1, __file__.rsplit("pkg", 1)[0])
from _report import emit, main_report  # noqa: E402

del sys.path[1]
report = main_report(globals())
report["relative"] = VALUE
emit(report)
