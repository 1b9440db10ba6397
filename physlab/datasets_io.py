"""Dataset files: data/<preset>/{train,test,ood,boundary}.jsonl and manifest.json.

Writing is all or nothing: every file is first written to a temporary file in the target
folder and only then moved into place with os.replace, manifest last, so a crash or a full
disk never leaves a half-written split, and a failed generation leaves the old files alone.

Reading validates every line (JSON, required keys and their types, the label, the ratios, and
the parameters through schema.parse_scenario) and names the file, the line and the field of
the first problem, so a corrupted file is a clear error instead of a confusing crash later.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from physlab import __version__
from physlab.fileio import data_dir, flag_stale, write_temp
from physlab.labels import LABELS, MODES
from physlab.schema import parse_scenario

SPLITS = ("train", "test", "ood", "boundary")  # every preset has these
OPTIONAL_SPLITS = ("wording",)  # only presets that plan them (standard: held-out wording)
ALL_SPLITS = SPLITS + OPTIONAL_SPLITS
MANIFEST = "manifest.json"
# Keys every record must carry, with their JSON types; the optional ones are checked when present.
REQUIRED_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,), "family": (str,), "object": (str,), "label": (str,), "ratios": (dict,),
    "margin": (int, float), "description": (str,), "params": (dict,),
}
OPTIONAL_FIELDS: dict[str, tuple[type, ...]] = {"split": (str,), "action": (str,), "explanation": (str,),
                                                "quantities": (dict,)}
_TYPE_NAMES = {str: "a string", dict: "an object", int: "a number", float: "a number"}


def data_root() -> Path:
    """Where presets live: $PHYSLAB_DATA_DIR, default ./data (the same as the dashboard's)."""
    return data_dir()


def preset_dir(preset: str) -> Path:
    """data/<preset> under the data root."""
    return data_root() / preset


# --------------------------------------------------------------------------- reading


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_record(record: Any, where: str) -> dict[str, Any]:
    """Check one parsed record; raise ValueError '<where>: field <name>: <problem>'."""
    if not isinstance(record, dict):
        raise ValueError(f"{where}: a record must be a JSON object (got {type(record).__name__})")
    for key, types in {**REQUIRED_FIELDS, **OPTIONAL_FIELDS}.items():
        if key not in record:
            if key in REQUIRED_FIELDS:
                raise ValueError(f"{where}: field '{key}' is missing (required: {', '.join(REQUIRED_FIELDS)})")
            continue
        value = record[key]
        ok = _is_number(value) if types == (int, float) else isinstance(value, types)
        if not ok:
            raise ValueError(f"{where}: field '{key}' must be {_TYPE_NAMES[types[0]]} (got {value!r})")
    if not record["id"]:
        raise ValueError(f"{where}: field 'id' must not be empty")
    if record["label"] not in LABELS:
        raise ValueError(f"{where}: field 'label' must be one of {', '.join(LABELS)} (got {record['label']!r})")
    ratios = record["ratios"]
    for mode in MODES:
        if mode not in ratios:
            raise ValueError(f"{where}: field 'ratios.{mode}' is missing (every mode needs its r)")
        if not _is_number(ratios[mode]) or ratios[mode] < 0:
            raise ValueError(f"{where}: field 'ratios.{mode}' must be a number >= 0 (got {ratios[mode]!r})")
    unknown = sorted(set(ratios) - set(MODES))
    if unknown:
        raise ValueError(f"{where}: field 'ratios' has unknown modes {unknown} (allowed: {', '.join(MODES)})")
    # Field-named messages from the schema: '<where>: field params.object.mass_kg: ...'.
    scenario = parse_scenario(record["params"], where=f"{where}: field params.")
    if scenario.id != record["id"]:
        raise ValueError(f"{where}: field 'params.id' ({scenario.id!r}) differs from 'id' ({record['id']!r})")
    return record


def read_split(path: str | Path) -> list[dict[str, Any]]:
    """All records of one split file, validated. Blank lines are skipped.

    Raises FileNotFoundError when the file is missing and ValueError naming the file, the
    line number and the field for the first bad line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such split file (generate it with `physlab data generate`)")
    records = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from None
            validate_record(record, where)
            if record["id"] in seen:
                raise ValueError(f"{where}: field 'id' {record['id']!r} repeats line {seen[record['id']]}")
            seen[record["id"]] = lineno
            records.append(record)
    return records


def read_manifest(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest (generate the preset with `physlab data generate`)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}, line {err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: the manifest must be a JSON object")
    return manifest


def split_files(folder: str | Path) -> dict[str, Path]:
    """The split files present in a preset folder, in ALL_SPLITS order."""
    folder = Path(folder)
    return {s: folder / f"{s}.jsonl" for s in ALL_SPLITS if (folder / f"{s}.jsonl").is_file()}


def read_dataset(folder: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Every split present in a preset folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such dataset folder")
    files = split_files(folder)
    if not files:
        raise FileNotFoundError(f"{folder}: holds no split files ({', '.join(s + '.jsonl' for s in SPLITS)})")
    return {split: read_split(path) for split, path in files.items()}


def load_hf(folder: str | Path, split: str, cache_dir: str | Path | None = None):
    """One split as a datasets.Dataset via load_dataset("json", ...); nested params stay nested."""
    path = Path(folder) / f"{split}.jsonl"
    if split not in ALL_SPLITS:
        raise ValueError(f"split must be one of {', '.join(ALL_SPLITS)} (got {split!r})")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such split file")
    from datasets import load_dataset  # heavy import (pyarrow): only when asked

    return load_dataset("json", data_files={split: str(path)}, split=split,
                        cache_dir=str(cache_dir) if cache_dir is not None else None)


# --------------------------------------------------------------------------- writing


def serialize(records: Iterable[dict[str, Any]]) -> bytes:
    """JSON lines, keys in record order: the same records always give the same bytes."""
    return "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records).encode("utf-8")


def content_hash(blobs: dict[str, bytes]) -> str:
    """sha256 over the split files in ALL_SPLITS order: name, NUL, bytes, for each."""
    digest = hashlib.sha256()
    for split in ALL_SPLITS:
        if split in blobs:
            digest.update(f"{split}.jsonl".encode() + b"\0" + blobs[split])
    return digest.hexdigest()


def folder_hash(folder: str | Path) -> str:
    """content_hash of the split files as they are on disk now."""
    return content_hash({s: p.read_bytes() for s, p in split_files(folder).items()})


def counts(splits: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, int]]:
    """{split: {"total": n, label: n, ...}} with labels in LABELS order."""
    out = {}
    for split, records in splits.items():
        per_label = {label: sum(r["label"] == label for r in records) for label in LABELS}
        out[split] = {"total": len(records), **{k: v for k, v in per_label.items() if v}}
    return out


def write_dataset(folder: str | Path, splits: dict[str, list[dict[str, Any]]],
                  manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the splits and manifest.json into `folder`, all or nothing; return the manifest.

    The manifest holds the caller's keys (preset, seed, ...) plus counts per split and label,
    the content hash of the split files and created_by. Split files of an older generation
    that this one does not have are removed. Files derived from the splits (curriculum*.jsonl)
    stay, but when the content changed they are flagged stale (fileio.check_derived refuses
    them until `physlab curriculum build` rebuilds them).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out {folder} is a file, not a folder")
    unknown = sorted(set(splits) - set(ALL_SPLITS))
    if unknown:
        raise ValueError(f"unknown split names {unknown} (allowed: {', '.join(ALL_SPLITS)})")
    for split, records in splits.items():
        for i, record in enumerate(records, start=1):
            validate_record(record, f"{split} record {i}")
    blobs = {split: serialize(records) for split, records in splits.items()}
    final = {**(manifest or {}), "counts": counts(splits), "content_hash": content_hash(blobs),
             "hash_of": "sha256 over <split>.jsonl name, NUL, bytes, in order " + ", ".join(ALL_SPLITS),
             "created_by": f"physlab {__version__}"}
    blobs_out = {f"{split}.jsonl": blob for split, blob in blobs.items()}
    blobs_out[MANIFEST] = (json.dumps(final, indent=2) + "\n").encode("utf-8")

    folder.mkdir(parents=True, exist_ok=True)
    previous_hash = _previous_content_hash(folder)
    temps: dict[str, Path] = {}
    try:
        for name, blob in blobs_out.items():
            temps[name] = write_temp(folder / name, blob)
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        raise
    # Every file is complete on disk; move them into place, manifest last.
    for name in [n for n in temps if n != MANIFEST] + [MANIFEST]:
        os.replace(temps[name], folder / name)
    for split in ALL_SPLITS:
        if split not in splits:
            (folder / f"{split}.jsonl").unlink(missing_ok=True)
    if previous_hash != final["content_hash"]:
        flag_derived(folder, f"data/{folder.name} was regenerated ({(previous_hash or 'unknown')[:12]} -> "
                             f"{final['content_hash'][:12]})")
    return final


DERIVED_GLOB = "curriculum*.jsonl"  # curriculum.jsonl, curriculum-answers.jsonl, curriculum-worked.jsonl, ...


def _previous_content_hash(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("content_hash"))
    except (OSError, ValueError, AttributeError):
        return None


def flag_derived(folder: str | Path, reason: str) -> list[Path]:
    """Mark every file derived from a preset's splits (its curricula) stale, so training and
    evaluation refuse them until they are rebuilt. Returns the files flagged."""
    folder = Path(folder)
    flagged = []
    for path in sorted(folder.glob(DERIVED_GLOB)):
        variant = path.stem.removeprefix("curriculum").lstrip("-")
        flags = {"answers": " --answers-only"}.get(variant, f" --format {variant}" if variant else "")
        flag_stale(path, reason, f"physlab curriculum build --preset {folder.name}{flags}")
        flagged.append(path)
    return flagged


# --------------------------------------------------------------------------- finding records


def preset_folders(root: str | Path | None = None) -> list[Path]:
    """Every folder under the data root holding at least one split file."""
    root = Path(root) if root is not None else data_root()
    if not root.is_dir():
        return []
    return [p for p in sorted(root.iterdir()) if p.is_dir() and split_files(p)]


def find_record(record_id: str, folders: Iterable[str | Path]) -> tuple[dict[str, Any], Path]:
    """The record with this id and the split file it is in; ValueError when none has it."""
    searched = []
    for folder in folders:
        for path in split_files(folder).values():
            searched.append(str(path))
            for record in read_split(path):
                if record["id"] == record_id:
                    return record, path
    where = ", ".join(searched) if searched else "no split files found"
    raise ValueError(f"no scenario with id {record_id!r} (searched: {where})")
