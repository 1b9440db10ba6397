"""Dataset generation: families -> labelled, described scenarios, split and balanced.

`generate(preset, seed)` returns {split: [record, ...]}. It is deterministic: every random
draw comes from a `random.Random` seeded with a string naming the seed, preset, split and
family (string seeds are hashed with SHA-512 by `random`, so they do not depend on
PYTHONHASHSEED), so the same seed gives byte-identical files.

How a split is built
--------------------
1. Families are split first: ood families are those whose object type is reserved
   (catalog.OOD_OBJECTS); the rest are shuffled and divided into test and train families
   (disjoint), with the test families chosen so that every failure mode is reachable there.
   The boundary set uses the test families, and so does the `wording` split (standard
   preset only): clear-margin scenarios drawn with their own rng stream and described in
   held-out wording (physlab.describe: templates and synonyms never used in training), so
   reading unseen phrasings can be measured apart from unseen numbers.
2. Each split has label targets (how many successes, how many of each mode); `allocate`
   turns them into per-family quotas: every family gets successes and failures (about 45 %
   successes, so knowing the object type alone predicts little), rare modes first.
3. Each family fills its quotas by rejection sampling: draw a variation, validate it
   (schema.parse_scenario), label it (physics.assess), keep it if its label still has room
   and its margin is of the split's kind:
     clear     failure: deciding r >= 1.25; success: every r <= 0.8; and no other mode's r
               lies in (0.8, 1.25), and in the deciding phase no other failing check comes
               within a factor 1.25 of the deciding one (no near-ties between modes);
     boundary  the deciding r (failure) or the largest r (success) lies in (0.8, 1.25).
4. Records are shuffled per split, given ids <preset>-<split>-NNNNN and described. Train is
   always described in training wording; test, ood and boundary too unless
   `wording_holdout` is set (then in held-out wording); the wording split always in held-out
   wording (`split_wording`).

A record is {id, split, family, action, object, label, ratios, margin, explanation,
description, quantities, params}; quantities maps each quantity the description states to
an SI expression over its written numbers (describe.describe_with_quantities); params is the
full validated scenario (Scenario.model_dump()).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physlab.catalog import FAMILIES, Family, is_ood_family, sample_params
from physlab.physics import MAX_RATIO_PHASES, MODES, Assessment, assess
from physlab.schema import Scenario, parse_scenario

SPLITS = ("train", "test", "ood", "boundary", "wording")  # "wording": only presets that plan it
CLEAR_FAIL = 1.25  # a failure is clear when its deciding r >= 1.25 (friction, crush known to +-25 %)
CLEAR_SUCCESS = 0.8  # a success is clear when every r <= 0.8
SUCCESS_SHARE = 0.45  # successes per family and split: "always fails" then scores ~55 %, not 67 %
MAX_DRAWS_PER_SCENARIO = 400  # rejection-sampling budget before a family is declared unable


@dataclass(frozen=True)
class SplitPlan:
    """How one split of a preset is built."""

    n_families: int | None  # None: every family available to the split
    per_family: int | None  # fixed variations per family (then total = n_families * per_family)
    total: int | None  # scenarios in the split when per_family is None (label targets met exactly)
    kind: str  # "clear" or "boundary"
    min_families_per_mode: int = 0  # test only: families that reach each mode


@dataclass(frozen=True)
class Preset:
    name: str
    train: SplitPlan
    test: SplitPlan
    ood: SplitPlan
    boundary: SplitPlan
    # held-out wording: clear scenarios of the test families in phrasings never trained on
    wording: SplitPlan | None = None
    # label targets of the test split: {label: count}; None = SUCCESS_SHARE and modes evenly
    test_targets: dict[str, int] | None = None

    def plan(self, split: str) -> SplitPlan | None:
        return getattr(self, split)

    @property
    def splits(self) -> tuple[str, ...]:
        """The splits this preset writes, in SPLITS order."""
        return tuple(s for s in SPLITS if self.plan(s) is not None)


# The published experiment: 30 training scenarios x 6 variations = 180 train examples; a
# balanced test of 34 = 19 failures covering all seven modes + 15 successes.
SEED_TEST_TARGETS = {"success": 15, "tipping": 3, "slipping": 3, "crushing": 3, "sloshing": 3,
                     "collision": 3, "dropping": 2, "rolling_away": 2}

PRESETS: dict[str, Preset] = {
    "seed": Preset(
        "seed",
        train=SplitPlan(n_families=30, per_family=6, total=None, kind="clear"),
        test=SplitPlan(n_families=15, per_family=None, total=34, kind="clear", min_families_per_mode=2),
        ood=SplitPlan(n_families=None, per_family=2, total=None, kind="clear"),
        boundary=SplitPlan(n_families=None, per_family=None, total=34, kind="boundary"),
        test_targets=SEED_TEST_TARGETS,
    ),
    # test: 7 x 52 = 364 failures + 296 successes = 660, so "always fails" scores 55 %.
    "standard": Preset(
        "standard",
        train=SplitPlan(n_families=None, per_family=None, total=1260, kind="clear"),
        test=SplitPlan(n_families=26, per_family=None, total=660, kind="clear", min_families_per_mode=5),
        ood=SplitPlan(n_families=None, per_family=None, total=336, kind="clear"),
        boundary=SplitPlan(n_families=None, per_family=None, total=224, kind="boundary"),
        wording=SplitPlan(n_families=None, per_family=None, total=280, kind="clear"),
        test_targets={"success": 296, **{m: 52 for m in MODES}},
    ),
}
DEFAULT_SEED = 0


# --------------------------------------------------------------------------- margins


def margin_kind(assessment: Assessment) -> str | None:
    """'clear', 'boundary' or None (a near-tie between modes: kept out of every split)."""
    r = assessment.margin
    if CLEAR_SUCCESS < r < CLEAR_FAIL:
        return "boundary"
    if assessment.label == "success":
        return "clear"  # margin = the largest r <= 0.8, so every mode is clear of 1
    if any(CLEAR_SUCCESS < ratio < CLEAR_FAIL
           for mode, ratio in assessment.ratios.items() if mode != assessment.label):
        return None
    deciding = assessment.deciding
    if deciding is not None and deciding.phase in MAX_RATIO_PHASES:
        rivals = [c.ratio for c in assessment.checks
                  if c.phase == deciding.phase and c.mode != deciding.mode and c.fails]
        if any(ratio * CLEAR_FAIL > deciding.ratio for ratio in rivals):
            return None
    return "clear"


# --------------------------------------------------------------------------- families and quotas


def _rng(seed: int, *parts: str) -> random.Random:
    return random.Random(":".join(["physlab", str(seed), *parts]))


def split_families(preset: Preset, seed: int) -> dict[str, list[Family]]:
    """Families per split: train and test disjoint, ood families only use reserved objects."""
    regular = [f for f in FAMILIES.values() if not is_ood_family(f)]
    ood = [f for f in FAMILIES.values() if is_ood_family(f)]
    rng = _rng(seed, preset.name, "families")
    rng.shuffle(regular)

    test_plan = preset.test
    test: list[Family] = []
    # Rarest modes first: take shuffled families reaching the mode until enough test families do.
    reach = {m: sum(m in f.modes for f in regular) for m in MODES}
    for mode in sorted(MODES, key=lambda m: (reach[m], MODES.index(m))):
        for family in regular:
            if sum(mode in f.modes for f in test) >= test_plan.min_families_per_mode:
                break
            if mode in family.modes and family not in test:
                test.append(family)
    for family in regular:
        if test_plan.n_families is not None and len(test) >= test_plan.n_families:
            break
        if family not in test:
            test.append(family)
    if test_plan.n_families is not None and len(test) > test_plan.n_families:
        raise ValueError(f"preset {preset.name}: covering every mode needs {len(test)} test families, "
                         f"more than {test_plan.n_families}")
    train = [f for f in regular if f not in test]
    if preset.train.n_families is not None:
        if len(train) < preset.train.n_families:
            raise ValueError(f"preset {preset.name}: {preset.train.n_families} train families needed, "
                             f"the catalog leaves {len(train)}")
        train = train[: preset.train.n_families]
    if preset.ood.n_families is not None:
        ood = ood[: preset.ood.n_families]
    by_name = lambda fams: sorted(fams, key=lambda f: f.name)  # noqa: E731 (stable order for quotas)
    return {"train": by_name(train), "test": by_name(test), "ood": by_name(ood), "boundary": by_name(test),
            "wording": by_name(test)}


def _even(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


def default_targets(total: int) -> dict[str, int]:
    """SUCCESS_SHARE successes, the failures spread evenly over the modes."""
    success = round(total * SUCCESS_SHARE)
    return {"success": success, **dict(zip(MODES, _even(total - success, len(MODES)), strict=True))}


def _share_successes(success_total: int, weights: Sequence[float], caps: Sequence[int]) -> list[int]:
    """Split success_total in proportion to weights (largest remainders), at most caps[i] each,
    at least one where a family has room for it and the total allows."""
    weight_sum = sum(weights) or 1.0
    exact = [success_total * w / weight_sum for w in weights]
    shares = [min(int(x), cap) for x, cap in zip(exact, caps, strict=True)]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    # Every family mixed: lift zeros to one first, then hand out what is left by remainder.
    for i in order:
        if sum(shares) < success_total and shares[i] == 0 and caps[i] > 0:
            shares[i] = 1
    while sum(shares) < success_total:
        room = [i for i in order if shares[i] < caps[i]]
        if not room:
            break
        shares[min(room, key=lambda i: (shares[i] - exact[i], order.index(i)))] += 1
    while sum(shares) > success_total:
        i = max(range(len(shares)), key=lambda i: (shares[i] - exact[i], -i))
        shares[i] -= 1
    return shares


def allocate(families: Sequence[Family], targets: dict[str, int],
             sizes: Sequence[int] | None = None) -> list[Counter]:
    """Per-family label quotas that add up to `targets` as closely as the families allow.

    Failure slots go to modes rarest first (fewest families reach it), each unit to a
    family that reaches the mode. With fixed `sizes` (variations per family) the unit goes
    to the family with the most free slots, and slots left over take the family's least
    used mode; without sizes it goes to the family with the fewest failures so far, and
    the label targets are met exactly (family sizes then differ a little). Successes are
    shared so that every family is mixed: about SUCCESS_SHARE of each family succeeds.
    """
    n = len(families)
    quotas = [Counter() for _ in families]
    reach = {m: sum(m in f.modes for f in families) for m in MODES}
    rarest_first = sorted(MODES, key=lambda m: (reach[m], MODES.index(m)))
    used: Counter = Counter()
    success_total = targets.get("success", 0)

    if sizes is not None:
        if len(sizes) != n:
            raise ValueError("one size per family")
        success = _share_successes(success_total, list(sizes), [max(s - 1, 0) for s in sizes])
        free = [s - k for s, k in zip(sizes, success, strict=True)]
        for mode in rarest_first:
            for _ in range(targets.get(mode, 0)):
                candidates = [i for i, f in enumerate(families) if mode in f.modes and free[i] > 0]
                if not candidates:
                    break
                i = max(candidates, key=lambda i: (free[i], -i))
                quotas[i][mode] += 1
                free[i] -= 1
                used[mode] += 1
        for i, family in enumerate(families):
            while free[i] > 0:
                mode = min(family.modes, key=lambda m: (used[m], MODES.index(m)))
                quotas[i][mode] += 1
                free[i] -= 1
                used[mode] += 1
    else:
        failures = [0] * n
        for mode in rarest_first:
            for _ in range(targets.get(mode, 0)):
                candidates = [i for i, f in enumerate(families) if mode in f.modes]
                if not candidates:
                    break
                i = min(candidates, key=lambda i: (failures[i], quotas[i][mode], i))
                quotas[i][mode] += 1
                failures[i] += 1
        success = _share_successes(success_total, failures, [success_total] * n)
    for i, k in enumerate(success):
        quotas[i]["success"] = k
    return quotas


# --------------------------------------------------------------------------- sampling


@dataclass
class Variation:
    family: Family
    scenario: Scenario
    assessment: Assessment


def draw(family: Family, rng: random.Random) -> Variation | None:
    """One labelled variation, or None when the drawn numbers fail validation."""
    try:
        scenario = parse_scenario(sample_params(family, rng), where=f"family {family.name}: ")
    except ValueError:
        return None
    return Variation(family, scenario, assess(scenario))


def sample_family(family: Family, quota: Counter, kind: str, rng: random.Random) -> list[Variation]:
    """Fill `quota` ({label: n}) with variations of margin `kind` by rejection sampling."""
    need = Counter({label: n for label, n in quota.items() if n > 0})
    budget = MAX_DRAWS_PER_SCENARIO * max(sum(need.values()), 1) + 2000
    kept: list[Variation] = []
    for _ in range(budget):
        if not need:
            return kept
        variation = draw(family, rng)
        if variation is None:
            continue
        label = variation.assessment.label
        if need[label] > 0 and margin_kind(variation.assessment) == kind:
            kept.append(variation)
            need[label] -= 1
            if need[label] == 0:
                del need[label]
    if need:
        raise RuntimeError(f"family {family.name}: no {kind} {dict(need)} in {budget} draws; "
                           f"widen its ranges in physlab/catalog.py")
    return kept


def label_counts(family: Family, draws: int, seed: int = 0, kind: str = "clear") -> Counter:
    """How often each label turns up with a margin of `kind` in `draws` draws (catalog checks)."""
    rng = _rng(seed, "probe", family.name)
    counts: Counter = Counter()
    for _ in range(draws):
        variation = draw(family, rng)
        if variation is not None and margin_kind(variation.assessment) == kind:
            counts[variation.assessment.label] += 1
    return counts


# --------------------------------------------------------------------------- records


def split_wording(split: str, wording_holdout: bool = False) -> str:
    """The describe() wording of a split: train always "train", the wording split always
    "holdout", the others "holdout" only with `wording_holdout`."""
    if split == "wording":
        return "holdout"
    return "holdout" if wording_holdout and split != "train" else "train"


def make_record(variation: Variation, record_id: str, split: str, seed: int,
                wording: str = "train") -> dict[str, Any]:
    from physlab.describe import describe_with_quantities  # the model's input: another stage

    scenario = variation.scenario.model_copy(update={"id": record_id})
    a = variation.assessment
    described = describe_with_quantities(scenario, _rng(seed, "describe", record_id), wording)
    return {
        "id": record_id,
        "split": split,
        "family": variation.family.name,
        "action": variation.family.action,
        "object": scenario.object.type,
        "label": a.label,
        "ratios": {mode: a.ratios[mode] for mode in MODES},
        "margin": a.margin,
        "explanation": a.explanation,
        "description": described.text,
        "quantities": described.quantities,
        "params": scenario.model_dump(mode="json"),
    }


def generate_split(preset: Preset, split: str, families: list[Family], seed: int,
                   wording_holdout: bool = False) -> list[dict[str, Any]]:
    plan = preset.plan(split)
    if plan is None:
        raise ValueError(f"preset {preset.name} has no split {split}")
    if not families:
        raise ValueError(f"preset {preset.name}: no families for split {split}")
    sizes = [plan.per_family] * len(families) if plan.per_family is not None else None
    total = sum(sizes) if sizes is not None else plan.total
    targets = preset.test_targets if split == "test" and preset.test_targets else default_targets(total)
    quotas = allocate(families, targets, sizes)
    variations: list[Variation] = []
    for family, quota in zip(families, quotas, strict=True):
        variations += sample_family(family, quota, plan.kind, _rng(seed, preset.name, split, family.name))
    _rng(seed, preset.name, split, "order").shuffle(variations)
    prefix = f"{preset.name}-{split}"
    wording = split_wording(split, wording_holdout)
    return [make_record(v, f"{prefix}-{i:05d}", split, seed, wording) for i, v in enumerate(variations, start=1)]


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)} (got {name!r})")
    return PRESETS[name]


def generate(preset: str, seed: int = DEFAULT_SEED, wording_holdout: bool = False) -> dict[str, list[dict[str, Any]]]:
    """All splits of a preset: {"train": [...], "test": [...], "ood": [...], "boundary": [...]}
    plus "wording" where the preset plans it. `wording_holdout`: describe test, ood and
    boundary in held-out wording too (train never)."""
    chosen = get_preset(preset)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")
    families = split_families(chosen, seed)
    return {split: generate_split(chosen, split, families[split], seed, wording_holdout) for split in chosen.splits}


# --------------------------------------------------------------------------- checks


def fails(label: str) -> bool:
    return label != "success"


def shortcut_check(train: Iterable[dict], test: Iterable[dict]) -> dict[str, Any]:
    """How far the object type alone gets: majority fail/success per object type learned on
    train (an unseen type gets train's global majority), scored on test; plus "always fails".

    A dataset where this scores high teaches object names, not physics (the target: <= 0.65).
    """
    per_object: dict[str, Counter] = {}
    overall: Counter = Counter()
    for record in train:
        outcome = fails(record["label"])
        per_object.setdefault(record["object"], Counter())[outcome] += 1
        overall[outcome] += 1
    global_majority = overall[True] >= overall[False]  # ties: predict "fails"
    majority = {obj: c[True] >= c[False] if c[True] != c[False] else global_majority
                for obj, c in per_object.items()}
    test = list(test)
    if not test:
        raise ValueError("shortcut check needs a non-empty test split")
    correct = sum((majority.get(r["object"], global_majority)) == fails(r["label"]) for r in test)
    always_fail = sum(fails(r["label"]) for r in test)
    unseen = sorted({r["object"] for r in test} - set(per_object))
    return {
        "object_majority_accuracy": correct / len(test),
        "always_fail_accuracy": always_fail / len(test),
        "n_test": len(test),
        "test_failure_share": always_fail / len(test),
        "unseen_object_types": unseen,
        "passes": correct / len(test) <= 0.65,
    }


def counts_by_label(records: Iterable[dict]) -> dict[str, int]:
    counts = Counter(r["label"] for r in records)
    return {label: counts[label] for label in ("success", *MODES) if counts[label]}


def write_preset(preset: str, seed: int = DEFAULT_SEED, out: str | Path | None = None,
                 wording_holdout: bool = False) -> tuple[Path, dict[str, Any]]:
    """Generate a preset in memory and write it (all or nothing) to `out` (default data/<preset>).

    Returns the folder and the manifest, which records the families of every split, the
    ood object types, the margin thresholds and the shortcut check next to the counts, and
    the wording each split is described in.
    """
    from physlab.catalog import OOD_OBJECTS
    from physlab.datasets_io import preset_dir, write_dataset

    folder = Path(out) if out is not None else preset_dir(preset)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out {folder} is a file, not a folder")
    # a failure here writes nothing (the plain call when not asked: callers may stand in for generate)
    splits = generate(preset, seed, wording_holdout=True) if wording_holdout else generate(preset, seed)
    shortcut = shortcut_check(splits["train"], splits["test"])
    manifest = write_dataset(folder, splits, {
        "preset": preset,
        "seed": seed,
        "families": {split: sorted({r["family"] for r in records}) for split, records in splits.items()},
        "ood_object_types": list(OOD_OBJECTS),
        "wording": {split: split_wording(split, wording_holdout) for split in splits},
        "wording_holdout": wording_holdout,
        "margins": {"clear_failure_min_r": CLEAR_FAIL, "clear_success_max_r": CLEAR_SUCCESS,
                    "boundary": [CLEAR_SUCCESS, CLEAR_FAIL]},
        "shortcut_check": {k: round(v, 4) if isinstance(v, float) else v for k, v in shortcut.items()},
    })
    return folder, manifest
