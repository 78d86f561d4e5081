import sys

from . import ARGV_DURING_IMPORT, helper

sys.path.insert(1, __file__.rsplit("pkg", 1)[0])
from _report import emit, main_report  # noqa: E402

del sys.path[1]
report = main_report(globals())
report["relative"] = helper.VALUE
report["argv_during_import"] = ARGV_DURING_IMPORT
emit(report)
