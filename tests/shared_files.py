"""Where the read-only shared files (`../shared`: the seed article, the review log) are.

CI and developers have them beside the checkout. A clone made elsewhere (e.g. a fresh-clone
check in a temporary folder) finds them beside the repository it was cloned from, or at
QUIZAPP_SHARED_DIR.
"""

import os
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _origin_checkout() -> Path | None:
    try:
        url = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    path = Path(url.removeprefix("file://"))
    return path if url and path.is_dir() else None


@cache
def shared_dir() -> Path:
    candidates = [ROOT.parent / "shared"]
    if os.environ.get("QUIZAPP_SHARED_DIR"):
        candidates.insert(0, Path(os.environ["QUIZAPP_SHARED_DIR"]))
    origin = _origin_checkout()
    if origin is not None:
        candidates.append(origin.parent / "shared")
    for candidate in candidates:
        if (candidate / "seed" / "article.txt").is_file():
            return candidate
    raise FileNotFoundError(
        "the shared files were not found at "
        + ", ".join(str(c) for c in candidates)
        + "; put them beside the checkout as ../shared or set QUIZAPP_SHARED_DIR"
    )
