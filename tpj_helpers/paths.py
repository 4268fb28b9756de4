"""Where the package and the repository are on disk (a light module: no imports beyond pathlib)."""

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
PARAMS_DIR = REPO_ROOT / "params"
