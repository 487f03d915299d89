# _ctinject.py: ctinject's runtime entry point. Written by ctinject into instrumented output; do not edit.
"""Instrumented modules of this package import `Module` from here.

This file loads ctinject's runtime (`_ctinject_runtime.py.txt`, beside it:
Python source, kept out of the package's modules by its name) once
per process under a module name of its own, `__ctinject_runtime_v2__`, so
that the runtime is not part of this package: what it imports, its globals
and its warnings are not this package's (import-weight tests and warning
filters keyed on the package name see nothing new). Every package's copy
shares that one runtime.
"""
import sys

_name = "__ctinject_runtime_v2__"
_rt = sys.modules.get(_name)
if getattr(_rt, "Module", None) is None:
    # Beside this file, whatever it is called (`.py` or a `.pyc`), with no
    # `os` import (import-weight tests would count it as this package's).
    _path = __file__[: max(__file__.rfind("/"), __file__.rfind("\\")) + 1] + "_ctinject_runtime.py.txt"
    _rt = type(sys)(_name)
    _rt.__file__ = _path
    sys.modules[_name] = _rt
    try:
        if any(c.__name__ == "SourceFileLoader" for c in type(__loader__).__mro__):
            # A plain folder: the same kind of loader, which caches bytecode.
            _loader = type(__loader__)(_name, _path)
            _rt.__loader__ = _loader
            _rt.__spec__ = type(__spec__)(_name, _loader, origin=_path)
            _loader.exec_module(_rt)
            del _loader
        else:
            # A zip (zipimport, zipapp, PEX) or another loader: run the
            # source it holds for that path.
            _rt.__spec__ = type(__spec__)(_name, None, origin=_path)
            exec(compile(__loader__.get_data(_path), _path, "exec"), _rt.__dict__)
    except BaseException:
        if sys.modules.get(_name) is _rt:
            del sys.modules[_name]
        raise
    del _path
Module = _rt.Module
del _name, _rt
