"""Module globals must outlive the script body (atexit, threads)."""
import atexit
import sys
import threading
import time

GREETING = "still here"


def at_exit():
    sys.stdout.write("atexit: %s\n" % GREETING)


def worker():
    time.sleep(0.2)
    sys.stdout.write("thread: %s\n" % GREETING)
    sys.stdout.flush()


atexit.register(at_exit)
threading.Thread(target=worker).start()
