"""One module per family of failures; each registers its detectors with `detect.base.register` at import.

`detect.runner.load_all()` imports every module here (pkgutil), so adding a family is adding a module:
nothing here lists them.
"""
