"""Is the shim really installed before the program imports boto?"""
import json
import os
import sys

shim = sys.modules.get("boto_sigv4_shim")
report = {
    "shim_imported": shim is not None,
    "installed": bool(shim is not None and shim.is_installed()),
    "boto_before": "boto" in sys.modules,
    "region_env": os.environ.get("BOTO_SIGV4_SHIM_REGION"),
}
try:
    from boto.s3.connection import S3Connection
except ImportError:  # boto 2 on 3.12+ without the shim's import fixes
    report["s3_init"] = "ImportError"
else:
    report["s3_init"] = type(vars(S3Connection)["__init__"]).__name__
sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")
