"""Predict: one scenario (from a dataset, edited, or free text); physics truth next to each model's
answer; a what-if sweep over one parameter against the physics threshold."""

from __future__ import annotations

import time

import streamlit as st

from pages._common import NO_DATA, get_backend, load_split, show_error
from physlab import charts, launch, typedcopy, whatif
from physlab import results_io as rio

st.title("Predict")


@st.cache_data(ttl=30, show_spinner=False)
def _model_choices(runs_folder: str, runs_stamp: float) -> list[str]:
    # Keyed on the runs folder and its mtime: a new run (or another results folder) shows at once.
    return launch.model_choices()


source = st.radio("Input", ["Scenario from a dataset", "Free text"], horizontal=True, key="pred_source")
params: dict | None = None
description = ""
if source == "Scenario from a dataset":
    presets = rio.list_presets()
    if not presets:
        st.info(NO_DATA + " Or switch to **Free text**.")
        st.stop()
    c1, c2, c3 = st.columns([1, 1, 2])
    preset = c1.selectbox("Preset", [p.name for p in presets], key="pred_preset")
    info = next(p for p in presets if p.name == preset)
    splits = list(info.counts)
    split = c2.selectbox("Split", splits, index=splits.index("test") if "test" in splits else 0, key="pred_split")
    try:
        records = load_split(preset, split)
    except ValueError as err:
        show_error(err, f"Cannot read {preset}/{split}")
        st.stop()
    if not records:
        st.info(f"{preset}/{split} is empty: pick another split.")
        st.stop()
    ids = [r["id"] for r in records]
    record = records[ids.index(c3.selectbox("Scenario", ids, key="pred_id"))]
    params = dict(record.get("params") or {})
    params.setdefault("id", record["id"])
    params.setdefault("family", record.get("family", "custom"))
    with st.expander("Edit parameters", expanded=False):
        present = whatif.present_params(params)
        cols = st.columns(3)
        for i, (path, value) in enumerate(present.items()):
            new = cols[i % 3].number_input(whatif.EDITABLE_PARAMS[path], value=float(value), format="%.4g",
                                           key=f"pred_edit_{record['id']}_{path}")
            if new != value:
                params = whatif.set_param(params, path, new)
    try:
        scenario, assessment, description = whatif.physics_of(params)
    except ValueError as err:
        show_error(err, "These parameters are not a valid scenario")
        st.stop()
    st.markdown(f"> {description}")
    left, right = st.columns(2)
    with left:
        verdict = "succeeds" if assessment.label == "success" else f"fails by **{assessment.label}**"
        st.markdown(f"**Physics truth:** {verdict} (margin r = {assessment.margin:.2f})")
        st.caption(assessment.explanation)
        st.plotly_chart(charts.ratio_bars(assessment.ratios, assessment.label), width="stretch", key="pred_ratios")
    right.plotly_chart(charts.setup_drawing(params), width="stretch", key="pred_drawing")
else:
    description = st.text_area(
        "Describe the manipulation (any phrasing; give the numbers a physicist would need)",
        value="A robot with a parallel-jaw gripper picks up a ceramic mug of 0.35 kg holding it with 8 N of grip force; "
              "pad friction 0.6. It lifts at 2 m/s² and carries it at 3 m/s².",
        height=120, key="pred_text")
    st.caption("Free text has no parameters, so there is no physics truth here: pick a dataset scenario for that.")

read = typedcopy.reading(description) if description.strip() else []
if read:
    with st.expander(f"How a worked student reads the numbers ({len(read)})", expanded=False):
        st.dataframe(read, hide_index=True, width="stretch")
        implied = typedcopy.implied_check_names(description)
        st.caption("Each number with its unit's kind and the role its words give it. Typed copying lets a formula "
                   "slot take only numbers of its kind, and not those whose role belongs to other slots; no role, "
                   "nothing ruled out."
                   + (f" The text implies these checks (asked for before the verdict if left out): "
                      f"{', '.join(implied)}." if implied else ""))

st.subheader("Models")
choices = _model_choices(str(rio.runs_dir()), rio.tree_mtime(rio.runs_dir()))
models = st.multiselect("Models to ask", choices, default=[c for c in choices if c == "base"], key="pred_models",
                        help="base = the embedded model zero-shot; run:<id> = a LoRA student; ollama:<name> when a server answers")
with_reasoning = st.checkbox("Also generate a written answer with reasoning (slower)", value=True, key="pred_reason")
preset_for_baselines = st.session_state.get("pred_preset") or next((p.name for p in rio.list_presets()), None)

missing = ("pick at least one model" if not models else "") or ("write a description first" if not description.strip() else "")
b1, b2, b3 = st.columns([1, 1, 3])
ask = b1.button("Ask the models", type="primary", disabled=bool(missing), key="pred_ask")
preload = b2.button("Load the models now", disabled=not models, key="pred_load",
                    help="load (and keep loaded) the chosen models before asking: the first load of a model "
                         "takes from seconds to minutes; later questions reuse it")
if missing:
    b3.caption(f"To ask: {missing}.")


def _load(spec: str, status) -> object:
    started = time.perf_counter()
    status.write(f"**{spec}** · loading ...")
    backend = get_backend(spec, preset_for_baselines)
    took = time.perf_counter() - started
    status.write(f"**{spec}** · loaded in {took:.1f} s" if took > 0.5 else f"**{spec}** · already loaded")
    return backend


if preload:
    with st.status("Loading models ...", expanded=True) as status:
        for spec in models:
            try:
                _load(spec, status)
            except ValueError as err:
                status.write(f"**{spec}** · cannot load: {err}")
        status.update(label="Models loaded: asking is quick now", state="complete", expanded=False)

if ask:
    from physlab.evaluate import predict

    answers = {}
    with st.status("Asking the models ...", expanded=True) as status:
        for spec in models:
            try:
                backend = _load(spec, status)
                row: dict = {"model": spec}
                if backend.supports_score:
                    started = time.perf_counter()
                    status.write(f"**{spec}** · scoring the 8 answers ...")
                    scored = predict(backend, [description], mode="score")[0]
                    row["scored"] = scored
                    status.write(f"**{spec}** · scored in {time.perf_counter() - started:.1f} s")
                if with_reasoning or not backend.supports_score:
                    started = time.perf_counter()
                    status.write(f"**{spec}** · generating a written answer ...")
                    row["generated"] = predict(backend, [description], mode="generate")[0]
                    status.write(f"**{spec}** · generated in {time.perf_counter() - started:.1f} s")
                answers[spec] = row
            except ValueError as err:
                answers[spec] = {"model": spec, "error": str(err)}
                status.write(f"**{spec}** · failed: {err}")
        status.update(label="Answers below", state="complete", expanded=False)
    st.session_state["pred_answers"] = {"text": description, "answers": answers}


def _mark(label: str | None, truth: str | None) -> str:
    return "" if truth is None or label is None else (" ✓" if label == truth else " ✗")


stored = st.session_state.get("pred_answers")
if stored and stored["text"] == description:
    cols = st.columns(max(1, min(len(stored["answers"]), 3)))
    truth = None if source == "Free text" else assessment.label  # noqa: F821 - set in the dataset branch
    for i, (spec, ans) in enumerate(stored["answers"].items()):
        with cols[i % len(cols)]:
            st.markdown(f"#### {spec}")
            if "error" in ans:
                st.error(ans["error"])
                continue
            generated, scored = ans.get("generated"), ans.get("scored")
            if generated:
                label = generated.get("label") or "unparsed"
                st.markdown(f"**Written answer** (greedy text, parsed): **{label}**{_mark(label, truth)}")
            if scored:
                label = scored.get("label") or "unparsed"
                st.markdown(f"**Scored answer** (the most likely of the 8 canonical answers): "
                            f"**{label}**{_mark(label, truth)}")
            if generated and scored and (generated.get("label") or "unparsed") != (scored.get("label") or "unparsed"):
                st.warning("The two ways of answering disagree: the written answer is what the model says when it "
                           "writes freely; the scored one is which canonical answer it finds most likely.")
            if generated and isinstance(generated.get("derivation"), list) and generated["derivation"]:
                st.markdown("**Derivation**, each line against physics:")
                marks = [rio.line_marks(line) for line in generated["derivation"]]
                st.dataframe([{k: v for k, v in m.items() if k != "ok"} for m in marks], hide_index=True,
                             width="stretch")
                for note in generated.get("assumed") or []:
                    st.warning(note)
                right = sum(m["ok"] for m in marks)
                st.caption(f"{right} of {len(marks)} lines right: the right check, the description's numbers, the "
                           "calculator's r against the true r, and a verdict that follows from it.")
            elif generated and generated.get("reasoning"):
                st.caption(generated["reasoning"])
            if generated:
                with st.expander("Raw written answer"):
                    st.code(generated.get("raw_output") or "", language=None)
            if scored and scored.get("probabilities"):
                st.plotly_chart(charts.label_probabilities(scored["probabilities"], truth,
                                                           title="Scored: probability per answer"),
                                width="stretch", key=f"pred_p_{spec}")
elif models:
    st.caption("Click **Ask the models** to see their answers.")

if params is not None:
    st.subheader("What if?")
    present = whatif.present_params(params)
    s1, s2, s3, s4 = st.columns([2, 1, 1, 1])
    path = s1.selectbox("Parameter to sweep", list(present), format_func=lambda p: whatif.EDITABLE_PARAMS[p], key="pred_sweep_param")
    current = present[path]
    default_low, default_high = whatif.default_range(current)
    # Keyed by scenario and value too: another scenario (or an edited value) starts from its own range.
    range_key = f"{params.get('id')}_{path}_{current:g}"
    low = s2.number_input("from", value=default_low, format="%.4g", key=f"pred_low_{range_key}")
    high = s3.number_input("to", value=default_high, format="%.4g", key=f"pred_high_{range_key}")
    points = s4.number_input("points", min_value=2, max_value=25, value=7, key="pred_points")
    sweep_models = [m for m in models if m]
    if st.button("Run sweep", key="pred_sweep"):
        try:
            values = whatif.sweep_values(float(low), float(high), int(points))
            physics_points = whatif.physics_sweep(params, path, values)
        except ValueError as err:
            show_error(err, "Cannot sweep")
        else:
            from physlab.evaluate import predict

            p_fail: dict[str, list[float | None]] = {}
            bar = st.progress(0.0, text="Asking the models ...")
            for i, spec in enumerate(sweep_models):
                try:
                    backend = get_backend(spec, preset_for_baselines)
                    if not backend.supports_score:
                        st.warning(f"{spec} gives no probabilities: left out of the sweep.")
                        continue
                    out = predict(backend, [p.description for p in physics_points], mode="score")
                    p_fail[spec] = [None if not o.get("probabilities") else 1.0 - o["probabilities"]["success"] for o in out]
                except ValueError as err:
                    show_error(err, spec)
                bar.progress((i + 1) / max(1, len(sweep_models)), text=f"{spec} done")
            bar.empty()
            st.session_state["pred_sweep_result"] = (range_key, values, [p.largest_ratio for p in physics_points], p_fail,
                                                     [p.label for p in physics_points])
    result = st.session_state.get("pred_sweep_result")
    if result and result[0] == range_key:
        _, values, ratios, p_fail, labels = result
        st.plotly_chart(charts.what_if_sweep(whatif.EDITABLE_PARAMS[path], values, ratios, p_fail, ratio_name="largest physics r"),
                        width="stretch", key="pred_sweep_chart")
        st.caption("Physics labels along the sweep: " + " · ".join(f"{v:.3g} → {lab}" for v, lab in zip(values, labels, strict=False)))
    else:
        st.caption("Choose a parameter and click **Run sweep**: the physics ratio (fails above r = 1) and each model's "
                   "P(fail) across the range; with no model chosen, physics only.")
