import sys

how = sys.argv[1]
if how == "none":
    sys.exit()
if how == "fall-off-end":
    pass
elif how.lstrip("-").isdigit():
    sys.exit(int(how))
else:
    sys.exit(how)
