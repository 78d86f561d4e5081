"""Helper the targets share: one JSON line describing the running program."""
import json
import sys


def main_report(namespace):
    main = sys.modules.get("__main__")
    loader = namespace.get("__loader__")
    spec = namespace.get("__spec__")
    return {
        "argv": sys.argv,
        "path0": sys.path[0],
        "name": namespace.get("__name__"),
        "file": namespace.get("__file__"),
        "package": namespace.get("__package__", "<absent>"),
        "keys": sorted(namespace),
        "loader": type(loader).__name__ if loader is not None else None,
        "spec": getattr(spec, "name", None),
        "is_sys_main": main is not None and vars(main) is namespace,
    }


def emit(report):
    sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")
    sys.stdout.flush()
