import sys

# What the interpreter has in sys.argv while it looks the module up.
ARGV_DURING_IMPORT = list(sys.argv)
