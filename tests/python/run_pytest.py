"""ctest entry point for one pytest file: exits 77 (ctest SKIP_RETURN_CODE) with the reason when numpy or pytest is
missing from this interpreter, otherwise runs pytest on the file given."""

import sys

missing = []
for module in ("numpy", "pytest"):
    try:
        __import__(module)
    except ImportError:
        missing.append(module)
if missing:
    print(f"SKIP: {sys.executable} lacks {', '.join(missing)} (scripts/setup.sh installs python3-numpy and "
          "python3-pytest)")  # fmt: skip
    sys.exit(77)

import pytest  # noqa: E402

# A hang dumps every thread's stack (faulthandler) well before the ctest timeout kills the run.
sys.exit(pytest.main(["-v", "-p", "no:cacheprovider", "-o", "faulthandler_timeout=120", *sys.argv[1:]]))
