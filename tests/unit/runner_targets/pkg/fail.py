from . import helper


def explode():
    raise LookupError(helper.VALUE)


explode()
