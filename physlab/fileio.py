"""Where physlab's files live and how they are written: whole or not at all.

Every artefact is written to a temp file in its own folder and moved into place with
os.replace, so a reader (the dashboard, a second tab, `physlab report`) never sees half a
file and a crash leaves the previous version intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def data_dir() -> Path:
    """Where presets live: $PHYSLAB_DATA_DIR, default ./data."""
    return Path(os.environ.get("PHYSLAB_DATA_DIR", "data"))


def results_dir() -> Path:
    """Where runs, evaluations and jobs live: $PHYSLAB_RESULTS_DIR, default ./results."""
    return Path(os.environ.get("PHYSLAB_RESULTS_DIR", "results"))


def write_text_atomic(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _json_default(value: Any) -> Any:
    # Paths and other plain objects (dates, enums) are stored as their text.
    return str(value)


def write_json_atomic(path: str | Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict]) -> Path:
    return write_text_atomic(
        path, "".join(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n" for row in rows))
