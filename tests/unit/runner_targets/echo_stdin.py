import sys

data = sys.stdin.read()
sys.stdout.write(data.upper())
sys.stderr.write("read %d characters\n" % len(data))
