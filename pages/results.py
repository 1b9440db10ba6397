"""Results: models side by side for one evaluation, with intervals, tests and the runs' loss curves.
Click a confusion cell to open it on Errors; click a point of the margin chart to list its scenarios."""

from __future__ import annotations

import streamlit as st

from pages._common import NO_EVALS, choose, load_eval_records, selected_points
from physlab import charts
from physlab import results_io as rio

st.title("Results")

evaluations = [e for e in rio.list_evaluations() if e.summary]
if not evaluations:
    st.info(NO_EVALS)
    st.stop()

ids = [e.eval_id for e in evaluations]
preferred, why = rio.preferred_evaluation(evaluations)
eval_id = choose("Evaluation", ids, key="res_eval", default=preferred.eval_id if preferred else None,
                 help=f"opens on {why}")
chosen = evaluations[ids.index(eval_id)]
summary = chosen.summary or {}
per_model = rio.model_summaries(summary)
if not per_model:
    st.warning(f"`{chosen.eval_id}/summary.json` holds no model metrics: re-run the evaluation.")
    st.stop()
# Keyed per evaluation: switching evaluations shows all of the new one's models (its student included),
# not the previous evaluation's choice.
models = st.multiselect("Models", list(per_model), default=list(per_model), key=f"res_models_{chosen.eval_id}")
if not models:
    st.info("Pick at least one model above.")
    st.stop()
cfg = chosen.config
st.caption(f"preset **{summary.get('preset') or cfg.get('preset', '?')}** · split **{summary.get('split') or cfg.get('split', '?')}** · "
           f"answers by **{summary.get('mode') or cfg.get('mode', '?')}**")

# Small tables as static HTML (st.table): they print and screenshot reliably.
st.table([r for r in rio.headline_table(summary) if r["model"] in models])
st.plotly_chart(charts.accuracy_bars({m: rio.accuracy_intervals(per_model[m]) for m in models}), width="stretch",
                key="res_acc")

records = load_eval_records(chosen.path)
if len(models) > 1:
    st.markdown("**McNemar exact test** (same scenarios, paired): a small p means the difference is unlikely to be luck.")
    all_pairs = [f"{a} vs {b}" for i, a in enumerate(models) for b in models[i + 1:]]
    default = [f"{a} vs {b}" if f"{a} vs {b}" in all_pairs else f"{b} vs {a}" for a, b in rio.default_pairs(models)]
    picked = st.multiselect("Pairs to test", all_pairs, default=[p for p in default if p in all_pairs],
                            key=f"res_pairs_{chosen.eval_id}")
    rows = []
    for pair in picked:
        a, b = pair.split(" vs ", 1)
        rows += rio.mcnemar_between(records, a, b)
    if rows:
        st.table([{**r, "p": f"{r['p']:.3g}" if isinstance(r.get("p"), float) else r.get("p")} for r in rows])
    elif picked:
        st.caption("These models share no scenarios in this evaluation.")

st.subheader("Confusion")
st.caption("Click a cell to open its scenarios on **Errors**.")
columns = st.columns(min(len(models), 3))
for i, m in enumerate(models):
    found = rio.confusion(per_model[m])
    with columns[i % len(columns)]:
        if found:
            matrix, rows_, cols = found
            event = st.plotly_chart(charts.confusion_heatmap(matrix, rows_, cols, title=charts.short_name(m, 40)),
                                    width="stretch", key=f"res_conf_{chosen.eval_id}_{m}", on_select="rerun",
                                    selection_mode="points")
            points = selected_points(event)
            if points:
                point = points[0]
                truth, answer = str(point.get("y")), str(point.get("x"))
                st.session_state["errors_goto"] = {"eval_id": chosen.eval_id, "model": m, "truth": truth, "answer": answer}
                st.switch_page("pages/errors.py")
        else:
            st.caption(f"{m}: no confusion matrix stored.")

left, right = st.columns(2)
left.plotly_chart(charts.per_mode_f1({m: rio.f1_per_label(per_model[m]) for m in models}), width="stretch", key="res_f1")
buckets = {m: rio.margin_buckets(per_model[m]) for m in models}
with right:
    event = st.plotly_chart(charts.accuracy_vs_margin(buckets), width="stretch", key=f"res_margin_{chosen.eval_id}",
                            on_select="rerun", selection_mode="points")
    points = selected_points(event)
    if points:
        point = points[0]
        model = models[int(point.get("curve_number", 0))] if int(point.get("curve_number", 0)) < len(models) else models[0]
        names = [str(b.get("bucket") or b.get("name")) for b in buckets[model]]
        x = str(point.get("x"))
        if x in names:
            bucket = buckets[model][names.index(x)]
            behind = rio.records_in_bucket(records, model, bucket)
            st.markdown(f"**{model}, margin {x}:** {len(behind)} scenarios")
            st.dataframe([{"scenario": r.get("scenario_id"), "truth": r.get("truth"), "answer": rio.answer_of(r),
                           "right": "✓" if (r.get("correct") or {}).get("binary") else "✗",
                           "margin": round(float(r["margin"]), 3)} for r in behind],
                         hide_index=True, width="stretch", height=220)
    else:
        st.caption("Click a point to list the scenarios behind it.")

left, right = st.columns(2)
left.plotly_chart(charts.calibration_curve({m: rio.calibration_bins(per_model[m]) for m in models}), width="stretch",
                  key="res_cal")
scores = {m: rio.probability_scores(per_model[m]) for m in models}
if any(scores.values()):
    right.markdown("**Probability quality** (score mode)")
    right.table([{"model": m, **{k: round(v, 3) for k, v in s.items()}} for m, s in scores.items()])

# Loss curves of the runs behind the compared models (specs "run:<run_id>").
runs = {r.run_id: r for r in rio.list_runs()}
behind = {m: runs[rio.run_of_spec(m)] for m in models if rio.run_of_spec(m) in runs}
curves = {m: rio.read_metrics(run.path) for m, run in behind.items()}
with right:
    if curves:
        st.plotly_chart(charts.loss_curves(curves), width="stretch", key="res_loss")
        note = rio.loss_weight_note(list(behind.values()))
        if note:
            st.caption(note)
    else:
        st.caption("No training run among these models (a student appears as `run:<run_id>`).")
