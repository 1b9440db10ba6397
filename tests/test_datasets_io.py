"""Dataset files and the `physlab data` CLI: atomic writes, manifests, clear errors, HF loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from physlab import datasets_io
from physlab.cli import main
from physlab.datasets_io import (
    SPLITS,
    find_record,
    folder_hash,
    load_hf,
    read_dataset,
    read_manifest,
    read_split,
    write_dataset,
)
from physlab.physics import MODES
from physlab.scenarios import generate


@pytest.fixture(scope="module")
def seed_splits() -> dict[str, list[dict]]:
    return generate("seed", 0)


@pytest.fixture()
def seed_dir(tmp_path: Path, seed_splits) -> Path:
    folder = tmp_path / "seed"
    write_dataset(folder, seed_splits, {"preset": "seed", "seed": 0})
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------- writing and reading


def test_round_trip_and_manifest(seed_dir: Path, seed_splits) -> None:
    assert sorted(p.name for p in seed_dir.iterdir()) == sorted([*(f"{s}.jsonl" for s in SPLITS), "manifest.json"])
    data = read_dataset(seed_dir)
    assert data == json.loads(json.dumps(seed_splits))  # exactly what was generated
    manifest = read_manifest(seed_dir)
    assert manifest["preset"] == "seed" and manifest["seed"] == 0
    assert manifest["counts"]["train"]["total"] == 180 and manifest["counts"]["test"]["success"] == 15
    assert manifest["content_hash"] == folder_hash(seed_dir)
    assert manifest["created_by"].startswith("physlab ")


def test_rewrite_is_byte_identical_keeps_other_files_and_drops_stale_splits(seed_dir: Path, seed_splits) -> None:
    before = snapshot(seed_dir)
    (seed_dir / "curriculum.jsonl").write_text("{}\n")
    write_dataset(seed_dir, seed_splits, {"preset": "seed", "seed": 0})
    after = snapshot(seed_dir)
    assert {k: v for k, v in after.items() if k != "curriculum.jsonl"} == before
    assert after["curriculum.jsonl"] == b"{}\n"
    write_dataset(seed_dir, {"train": seed_splits["train"], "test": seed_splits["test"]}, {"preset": "seed"})
    assert not (seed_dir / "ood.jsonl").exists() and not (seed_dir / "boundary.jsonl").exists()
    assert set(read_manifest(seed_dir)["counts"]) == {"train", "test"}


def test_regenerating_a_preset_flags_every_curriculum_built_from_it(seed_dir: Path, seed_splits) -> None:
    """Issue 14.1: a curriculum built from an older generation must never be trained on silently."""
    from physlab.fileio import check_derived
    from physlab.scenarios import generate
    from physlab.teacher import build_curriculum

    built = [build_curriculum("seed", data_dir=seed_dir.parent, progress=False),
             build_curriculum("seed", data_dir=seed_dir.parent, progress=False, answers_only=True)]
    (seed_dir / "curriculum-worked.jsonl").write_text("{}\n")  # any curriculum variant, even one without a sidecar
    for path in built:
        check_derived(path)  # current: accepted
    write_dataset(seed_dir, generate("seed", 1), {"preset": "seed", "seed": 1})
    for path in [*built, seed_dir / "curriculum-worked.jsonl"]:
        with pytest.raises(ValueError, match=r"stale.*physlab curriculum build --preset seed"):
            check_derived(path)
    # Editing train.jsonl by hand is caught by the hash, with no regeneration involved.
    rebuilt = build_curriculum("seed", data_dir=seed_dir.parent, progress=False)
    check_derived(rebuilt)
    (seed_dir / "train.jsonl").write_bytes((seed_dir / "train.jsonl").read_bytes() + b"\n")
    with pytest.raises(ValueError, match="train.jsonl.*changed"):
        check_derived(rebuilt)


def test_a_failed_write_leaves_the_old_files_untouched(seed_dir: Path, seed_splits, monkeypatch) -> None:
    before = snapshot(seed_dir)
    real = datasets_io.write_temp
    calls = []

    def flaky(path: Path, data: bytes) -> Path:
        calls.append(path.name)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(path, data)

    monkeypatch.setattr(datasets_io, "write_temp", flaky)
    changed = {**seed_splits, "train": seed_splits["train"][:10]}
    with pytest.raises(OSError, match="disk full"):
        write_dataset(seed_dir, changed, {"preset": "seed", "seed": 0})
    assert snapshot(seed_dir) == before  # no temp files left, nothing replaced


def test_an_invalid_record_is_refused_before_anything_is_written(tmp_path: Path, seed_splits) -> None:
    bad = [dict(r) for r in seed_splits["test"]]
    bad[4] = {**bad[4], "label": "exploding"}
    with pytest.raises(ValueError, match="test record 5: field 'label'"):
        write_dataset(tmp_path / "out", {"train": seed_splits["train"], "test": bad})
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _corrupt(seed_dir: Path, line_no: int, edit) -> Path:
    path = seed_dir / "test.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line_no - 1] = edit(lines[line_no - 1])
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _edit_json(change):
    def edit(line: str) -> str:
        record = json.loads(line)
        change(record)
        return json.dumps(record) + "\n"
    return edit


def test_bad_json_line_names_file_and_line(seed_dir: Path) -> None:
    path = _corrupt(seed_dir, 3, lambda line: line[: len(line) // 2] + "\n")
    with pytest.raises(ValueError) as err:
        read_split(path)
    assert str(path) in str(err.value) and "line 3" in str(err.value) and "not valid JSON" in str(err.value)


def test_invalid_parameter_names_file_line_and_field(seed_dir: Path) -> None:
    path = _corrupt(seed_dir, 5, _edit_json(lambda r: r["params"]["object"].update(mass_kg=-1)))
    with pytest.raises(ValueError) as err:
        read_split(path)
    message = str(err.value)
    assert str(path) in message and "line 5" in message and "params.object.mass_kg" in message


@pytest.mark.parametrize(("change", "field"), [
    (lambda r: r.pop("label"), "'label' is missing"),
    (lambda r: r.update(label="wobbling"), "field 'label' must be one of"),
    (lambda r: r["ratios"].pop("tipping"), "'ratios.tipping' is missing"),
    (lambda r: r.update(margin="big"), "field 'margin' must be a number"),
    (lambda r: r["params"]["gripper"].update(pad_friction=5), "params.gripper.pad_friction"),
    (lambda r: r["params"]["object"].update(shape="blob"), "params.object.shape"),
    (lambda r: r["params"].pop("motion"), "params.motion"),
])
def test_each_kind_of_bad_record_names_its_field(seed_dir: Path, change, field: str) -> None:
    path = _corrupt(seed_dir, 2, _edit_json(change))
    with pytest.raises(ValueError, match="line 2") as err:
        read_split(path)
    assert field in str(err.value)


def test_missing_split_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="generate"):
        read_split(tmp_path / "nope.jsonl")


def test_find_record(seed_dir: Path, seed_splits) -> None:
    wanted = seed_splits["ood"][3]
    record, path = find_record(wanted["id"], [seed_dir])
    assert record == json.loads(json.dumps(wanted)) and path.name == "ood.jsonl"
    with pytest.raises(ValueError, match="no scenario with id 'seed-test-99999'"):
        find_record("seed-test-99999", [seed_dir])


def test_load_hf_reads_nested_params(seed_dir: Path, tmp_path: Path) -> None:
    for split in SPLITS:
        ds = load_hf(seed_dir, split, cache_dir=tmp_path / "hf-cache")
        records = read_split(seed_dir / f"{split}.jsonl")
        assert len(ds) == len(records)
        row = ds[0]
        assert row["id"] == records[0]["id"] and row["label"] == records[0]["label"]
        assert row["params"]["object"]["mass_kg"] == pytest.approx(records[0]["params"]["object"]["mass_kg"])
        assert set(row["ratios"]) == set(MODES)
    with pytest.raises(ValueError, match="split must be one of"):
        load_hf(seed_dir, "validation")


# --------------------------------------------------------------------------- CLI


def test_cli_generate_stats_show(tmp_path: Path, capsys) -> None:
    out = tmp_path / "seed"
    assert main(["data", "generate", "--preset", "seed", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "train" in printed and "180" in printed and "shortcut check" in printed
    manifest = read_manifest(out)
    assert len(manifest["families"]["train"]) == 30 and not set(manifest["families"]["train"]) & set(
        manifest["families"]["test"])
    assert manifest["shortcut_check"]["passes"] is True and manifest["seed"] == 0
    first = snapshot(out)
    assert main(["data", "generate", "--preset", "seed", "--out", str(out)]) == 0
    assert snapshot(out) == first  # the same seed gives byte-identical files
    capsys.readouterr()

    assert main(["data", "stats", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "content hash matches" in printed and "labels agree with physics.assess: 278/278" in printed
    assert "shortcut check" in printed and "always answering 'fails' scores 55.9%" in printed

    record = read_split(out / "test.jsonl")[0]
    assert main(["data", "show", record["id"], "--dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert record["description"] in printed and record["label"] in printed and "→" in printed
    assert "grip_force_n" in printed and "explanation" in printed


def test_cli_show_searches_every_preset_under_the_data_root(tmp_path: Path, seed_splits, monkeypatch, capsys) -> None:
    write_dataset(tmp_path / "data" / "seed", seed_splits, {"preset": "seed", "seed": 0})
    monkeypatch.setenv("PHYSLAB_DATA_DIR", str(tmp_path / "data"))
    wanted = seed_splits["boundary"][0]["id"]
    assert main(["data", "show", wanted]) == 0
    assert wanted in capsys.readouterr().out
    assert main(["data", "stats", "seed"]) == 0  # a preset name resolves under the data root
    capsys.readouterr()
    assert main(["data", "show", "no-such-id"]) == 2
    assert "no scenario with id 'no-such-id'" in capsys.readouterr().err


def test_cli_bad_input_exits_2_and_overwrites_nothing(seed_dir: Path, tmp_path: Path, capsys) -> None:
    before = snapshot(seed_dir)
    assert main(["data", "generate", "--preset", "seed", "--seed", "-1", "--out", str(seed_dir)]) == 2
    assert "--seed must be an integer >= 0" in capsys.readouterr().err
    assert snapshot(seed_dir) == before
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep me")
    assert main(["data", "generate", "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err and a_file.read_text() == "keep me"
    with pytest.raises(SystemExit) as exit_info:  # argparse rejects an unknown preset itself
        main(["data", "generate", "--preset", "huge"])
    assert exit_info.value.code == 2

    path = _corrupt(seed_dir, 7, _edit_json(lambda r: r["params"]["motion"].update(speed_mps=-3)))
    assert main(["data", "stats", str(seed_dir)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "line 7" in err and "params.motion.speed_mps" in err
    assert main(["data", "stats", str(tmp_path / "missing")]) == 2


def test_cli_generation_error_writes_nothing(seed_dir: Path, monkeypatch, capsys) -> None:
    from physlab import scenarios

    before = snapshot(seed_dir)

    def broken(preset: str, seed: int) -> dict:
        raise ValueError("family egg_pick_place: no clear {'crushing': 1}")

    monkeypatch.setattr(scenarios, "generate", broken)
    assert main(["data", "generate", "--preset", "seed", "--out", str(seed_dir)]) == 2
    assert "egg_pick_place" in capsys.readouterr().err
    assert snapshot(seed_dir) == before
