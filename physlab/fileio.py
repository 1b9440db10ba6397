"""Where physlab's files live and how they are written: whole or not at all.

Every default location comes from here (data_root, results_root and the runs / evaluations /
jobs folders under it), so $PHYSLAB_DATA_DIR and $PHYSLAB_RESULTS_DIR are obeyed by every
command, page and background job alike.

Every artefact is written to a temp file in its own folder, flushed to disk (fsync) and moved
into place with os.replace, so a reader (the dashboard, a second tab, `physlab report`) never
sees half a file and a crash leaves the previous version intact. Files get the usual
permissions of the user's umask.

Derived files (a curriculum built from train.jsonl) carry a sidecar `<file>.meta.json` with
the sha256 of every file they were built from: `write_derived` writes both, `check_derived`
refuses a file whose sources have changed since, with the command that rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DATA_ENV = "PHYSLAB_DATA_DIR"
RESULTS_ENV = "PHYSLAB_RESULTS_DIR"
META_SUFFIX = ".meta.json"


# --------------------------------------------------------------------------- locations


def data_dir() -> Path:
    """Where presets live: $PHYSLAB_DATA_DIR, default ./data."""
    return Path(os.environ.get(DATA_ENV) or "data")


def results_dir() -> Path:
    """Where runs, evaluations and jobs live: $PHYSLAB_RESULTS_DIR, default ./results."""
    return Path(os.environ.get(RESULTS_ENV) or "results")


data_root = data_dir
results_root = results_dir


def runs_dir() -> Path:
    return results_dir() / "runs"


def evaluations_dir() -> Path:
    return results_dir() / "evaluations"


def jobs_dir() -> Path:
    return results_dir() / "jobs"


def check_out_path(path: str | Path, field: str = "--out") -> Path:
    """A user-chosen output file: its folder must exist (a typo must not create a whole tree),
    and it must not be a folder itself. Raises ValueError naming the field."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{field}: {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise ValueError(f"{field}: the folder {path.parent} does not exist (create it first)")
    return path


# --------------------------------------------------------------------------- writing


def _temp_next_to(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def write_temp(path: str | Path, data: bytes) -> Path:
    """Write `data`, complete and flushed to disk, to a new temp file next to `path`; return the
    temp path (os.replace it into place; several files can be prepared and then moved together).

    The temp file is opened with "x" (not mkstemp, whose 0600 mode would outlive the rename),
    so the file gets the permissions of the user's umask.
    """
    path = Path(path)
    tmp = _temp_next_to(path)
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` whole or not at all (temp file, fsync, os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    # Paths and other plain objects (dates, enums) are stored as their text.
    return str(value)


def write_json_atomic(path: str | Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def jsonl_text(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n" for row in rows)


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict]) -> Path:
    return write_text_atomic(path, jsonl_text(rows))


# --------------------------------------------------------------------------- reading


def read_jsonl(path: str | Path, errors: str = "replace") -> list[dict[str, Any]]:
    """The JSON-object lines of a file written by appending (records, metrics). A torn line (a
    writer interrupted mid-append) and blank lines are skipped; a missing file is []."""
    rows: list[dict[str, Any]] = []
    try:
        text = Path(path).read_bytes().decode("utf-8", errors)
    except OSError:
        return rows
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- derived files


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def meta_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + META_SUFFIX)


def write_derived(path: str | Path, rows: Iterable[dict], sources: Mapping[str, str | Path],
                  rebuild: str, extra: Mapping[str, Any] | None = None) -> Path:
    """Write JSONL `rows` to `path` and its sidecar <path>.meta.json recording the sha256 of each
    source file ({name: path}) and `rebuild`, the command that makes it again. The sidecar is
    written first: a crash in between leaves a sidecar that no longer matches (refused), never
    a file that looks current."""
    path = Path(path)
    text = jsonl_text(rows)
    meta = {
        "file": path.name,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "sources": {name: {"path": str(src), "sha256": sha256_file(src)} for name, src in sources.items()},
        "rebuild": rebuild,
        **dict(extra or {}),
    }
    write_json_atomic(meta_path(path), meta)
    write_text_atomic(path, text)
    return path


def read_meta(path: str | Path) -> dict[str, Any] | None:
    """The sidecar of a derived file; None when it has none; ValueError when it is unreadable."""
    sidecar = meta_path(path)
    if not sidecar.is_file():
        return None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        raise ValueError(f"{sidecar}: unreadable ({err}); rebuild {Path(path).name}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{sidecar}: must be a JSON object; rebuild {Path(path).name}")
    return meta


def check_derived(path: str | Path) -> dict[str, Any] | None:
    """Refuse a derived file whose sources changed since it was built (or that a regeneration
    flagged stale). Returns its sidecar, or None for a file without one (made by hand or by an
    older physlab: nothing to compare). Raises ValueError saying how to rebuild it."""
    path = Path(path)
    meta = read_meta(path)
    if meta is None:
        return None
    rebuild = meta.get("rebuild") or "rebuild it"
    if meta.get("stale"):
        raise ValueError(f"{path} is stale: {meta['stale']}; rebuild it with `{rebuild}`")
    if path.is_file() and meta.get("sha256") and sha256_file(path) != meta["sha256"]:
        raise ValueError(f"{path} was changed after it was built (its sha256 differs from {meta_path(path).name}); "
                         f"rebuild it with `{rebuild}`")
    for name, source in (meta.get("sources") or {}).items():
        src = Path(source.get("path", ""))
        if not src.is_file():
            raise ValueError(f"{path} was built from {src}, which is gone; rebuild it with `{rebuild}`")
        if sha256_file(src) != source.get("sha256"):
            raise ValueError(f"{path} is stale: {name} ({src}) changed since it was built from it; "
                             f"rebuild it with `{rebuild}`")
    return meta


def flag_stale(path: str | Path, reason: str, rebuild: str) -> None:
    """Mark a derived file stale (its sources were regenerated) so check_derived refuses it."""
    meta = read_meta_quiet(path) or {"file": Path(path).name}
    meta.update(stale=reason, rebuild=meta.get("rebuild") or rebuild)
    write_json_atomic(meta_path(path), meta)


def read_meta_quiet(path: str | Path) -> dict[str, Any] | None:
    try:
        return read_meta(path)
    except ValueError:
        return None
