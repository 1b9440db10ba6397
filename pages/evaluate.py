"""Evaluate: choose models, a split and how they answer; run it in the background. Results appear
on the Results page."""

from __future__ import annotations

import streamlit as st

from pages._common import NO_DATA, active_jobs_panel, job_table, show_error
from physlab import launch
from physlab import results_io as rio

st.title("Evaluate")

presets = rio.list_presets()
if not presets:
    st.info(NO_DATA)
    st.stop()


@st.cache_data(ttl=30, show_spinner=False)
def _model_choices(runs_folder: str, runs_stamp: float) -> list[str]:
    # Keyed on the runs folder and its mtime: a new run (or another results folder) shows at once.
    return launch.model_choices()


choices = _model_choices(str(rio.runs_dir()), rio.tree_mtime(rio.runs_dir()))
if not any(c.startswith("ollama:") for c in choices):
    st.caption("No Ollama server answered at OLLAMA_HOST (default http://127.0.0.1:11434): only local models are offered.")
students = [c for c in choices if c.startswith("run:")]  # the most meaningful run first (not the newest smoke run)
default_models = [c for c in ("majority", "base") if c in choices] + students[:1]
# Enter in a field does not submit the form; the limit has no widget bounds so a bad value gets a message.
with st.form("evaluate", enter_to_submit=False):
    c1, c2, c3 = st.columns(3)
    preset = c1.selectbox("Preset", [p.name for p in presets])
    split = c2.selectbox("Split", ["test", "ood", "boundary", "train"])
    mode = c3.selectbox("Answer by", ["score", "generate"],
                        help="score: likelihood of the 8 canonical answers (probabilities, calibration, fast); "
                             "generate: greedy text parsed into an answer (the published method)")
    models = st.multiselect("Models", choices, default=default_models,
                            help="McNemar tests on Results compare any pair you pick there")
    limit = st.number_input("Only the first N scenarios (0 = all)", value=0, step=1)
    submitted = st.form_submit_button("Start evaluation", type="primary")
if students:
    st.caption(f"Student offered first: `{students[0]}` (finished, the most training steps; smoke runs last).")

if submitted:
    try:
        from physlab.evaluate import EvalConfig

        info = next(p for p in presets if p.name == preset)
        if split not in info.counts:
            raise ValueError(f"split: {preset} has no {split} set (it has {', '.join(info.counts)})")
        if int(limit) < 0:
            raise ValueError(f"limit: 0 (all scenarios) or more (got {int(limit)})")
        config = EvalConfig(preset=preset, split=split, models=list(models), mode=mode, limit=int(limit) or None,
                            data_dir=str(rio.data_dir()), results_dir=str(rio.results_dir()))
        launch.submit_evaluation(config)
    except launch.DuplicateJob as err:
        st.warning(f"Not started: {err}.")
    except ValueError as err:
        show_error(err, "Cannot start this evaluation")
    else:
        st.success(f"Evaluation `{config.eval_id}` queued: progress below; the comparison appears on **Results**.")


@st.fragment(run_every="2s")
def live() -> None:
    st.subheader("Running and queued")
    active_jobs_panel("evaluate")
    running = any(j.get("state") in rio.ACTIVE_STATES for j in job_table("evaluate"))
    rows = []
    for e in rio.list_evaluations()[:20]:
        done, planned = rio.evaluation_progress(e)
        if running and not e.summary and planned:
            st.progress(min(1.0, done / planned), text=f"{e.eval_id}: {done} of {planned} answers")
        state = "finished" if e.summary else str(e.status.get("state") or "not yet")
        rows.append({"evaluation": e.eval_id, "models": ", ".join(e.models), "answers": done,
                     "planned": planned, "state": state})
    st.subheader("Evaluations")
    if rows:
        first = rows[0]
        st.markdown(f"Latest evaluation **{first['evaluation']}**: `{first['state']}` "
                    f"({first['answers']} of {first['planned'] or '?'} answers)")
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("None yet: start one above.")


live()
