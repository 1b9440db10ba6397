"""Evaluate: choose models, a split and how they answer; run it in the background. Results appear
on the Results page."""

from __future__ import annotations

import streamlit as st

from pages._common import NO_DATA, active_jobs_panel, job_table, show_error
from physlab import workspace as ws

st.title("Evaluate")

presets = ws.list_presets()
if not presets:
    st.info(NO_DATA)
    st.stop()


@st.cache_data(ttl=30, show_spinner=False)
def _model_choices() -> list[str]:
    return ws.model_choices()


choices = _model_choices()
if not any(c.startswith("ollama:") for c in choices):
    st.caption("No Ollama server answered at OLLAMA_HOST (default http://127.0.0.1:11434): only local models are offered.")
with st.form("evaluate"):
    c1, c2, c3 = st.columns(3)
    preset = c1.selectbox("Preset", [p.name for p in presets])
    split = c2.selectbox("Split", ["test", "ood", "boundary", "train"])
    mode = c3.selectbox("Answer by", ["score", "generate"],
                        help="score: likelihood of the 8 canonical answers (probabilities, calibration, fast); "
                             "generate: greedy text parsed into an answer (the published method)")
    models = st.multiselect("Models (the first is the reference for McNemar tests)", choices,
                            default=[c for c in choices if c == "base"] + [c for c in choices if c.startswith("run:")][:1])
    limit = st.number_input("Only the first N scenarios (0 = all)", min_value=0, value=0, step=1)
    submitted = st.form_submit_button("Start evaluation", type="primary")

if submitted:
    try:
        from physlab.evaluate import EvalConfig

        info = next(p for p in presets if p.name == preset)
        if split not in info.counts:
            raise ValueError(f"split: {preset} has no {split} set (it has {', '.join(info.counts)})")
        config = EvalConfig(preset=preset, split=split, models=list(models), mode=mode, limit=int(limit) or None,
                            data_dir=str(ws.data_dir()), results_dir=str(ws.results_dir()))
        ws.submit_evaluation(config)
    except ValueError as err:
        show_error(err, "Cannot start this evaluation")
    else:
        st.success(f"Evaluation `{config.eval_id}` queued: progress below; the comparison appears on **Results**.")


@st.fragment(run_every="2s")
def live() -> None:
    st.subheader("Running and queued")
    active_jobs_panel("evaluate")
    running = any(j.get("state") in ws.ACTIVE_STATES for j in job_table("evaluate"))
    rows = []
    for e in ws.list_evaluations()[:20]:
        done, planned = ws.evaluation_progress(e)
        if running and not e.summary and planned:
            st.progress(min(1.0, done / planned), text=f"{e.eval_id}: {done} of {planned} answers")
        rows.append({"evaluation": e.eval_id, "models": ", ".join(e.models), "answers": done,
                     "planned": planned, "finished": "yes" if e.summary else "not yet"})
    st.subheader("Evaluations")
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("None yet: start one above.")


live()
