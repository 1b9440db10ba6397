"""Compare experiments: every run with its config (sort, filter, name, tag, delete), a config diff
between two runs, a leaderboard of every evaluated model on one preset and split, a learning curve
from evaluations of a run's checkpoints, and a run's page with its losses and its adapter as a zip."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages._common import NO_EVALS, NO_RUNS, show_error
from physlab import charts
from physlab import results_io as rio

st.title("Compare")


@st.cache_data(show_spinner=False, max_entries=8)
def _zip(path: str, mtime: float) -> bytes:
    return rio.adapter_zip(Path(path))


runs = rio.list_runs()
evaluations = [e for e in rio.list_evaluations() if e.summary]
by_id = {r.run_id: r for r in runs}
metrics = {r.run_id: rio.read_metrics(r.path) for r in runs}

tab_runs, tab_diff, tab_board, tab_curve = st.tabs(["Runs", "Config diff", "Leaderboard", "Learning curve"])

# ------------------------------------------------------------------ runs table
with tab_runs:
    if not runs:
        st.info(NO_RUNS)
    else:
        rows = [rio.run_row(r, metrics[r.run_id]) for r in runs]
        f1, f2, f3 = st.columns([2, 1, 1])
        text = f1.text_input("Filter (any column contains)", key="cmp_filter")
        states = f2.multiselect("State", sorted({r["state"] for r in rows}), key="cmp_states")
        all_tags = sorted({t for r in runs for t in r.tags})
        tags = f3.multiselect("Tags", all_tags, key="cmp_tags", disabled=not all_tags)
        shown = rio.filter_rows(rows, text, states, tags)
        st.caption(f"{len(shown)} of {len(rows)} runs · click a column header to sort · edit **name** and **tags** "
                   "(comma-separated) in the table, then save")
        edited = st.data_editor(shown, key="cmp_table", hide_index=True, width="stretch",
                                disabled=[k for k in (shown[0] if shown else {}) if k not in ("name", "tags")],
                                column_config={"lr": st.column_config.NumberColumn(format="%.1e")})
        c1, c2 = st.columns([1, 3])
        if c1.button("Save names and tags", key="cmp_save", disabled=not shown):
            changed = 0
            for before, after in zip(shown, edited, strict=False):
                if (before["name"], before["tags"]) != (after["name"], after["tags"]):
                    try:
                        rio.set_run_labels(by_id[before["run"]].path, str(after["name"] or ""), str(after["tags"] or ""))
                        changed += 1
                    except (ValueError, OSError) as err:
                        show_error(err, f"Cannot label {before['run']}")
            st.toast(f"Saved {changed} run(s)" if changed else "Nothing changed")
            if changed:
                st.rerun()

        with st.expander("Delete runs"):
            doomed = st.multiselect("Runs to delete", [r["run"] for r in shown], key="cmp_delete")
            sure = st.checkbox("Yes, delete these folders and their adapters for good", key="cmp_delete_sure")
            if st.button("Delete", key="cmp_delete_go", disabled=not (doomed and sure)):
                for run_id in doomed:
                    try:
                        rio.delete_run(by_id[run_id])
                    except (ValueError, OSError) as err:
                        show_error(err, "Not deleted")
                    else:
                        st.toast(f"Deleted {run_id}")
                st.session_state.pop("cmp_delete", None)
                st.rerun()

        st.subheader("Run")
        ids = [r.run_id for r in runs]
        preferred = rio.preferred_runs(runs)
        run_id = st.selectbox("Run", ids, index=ids.index(preferred[0].run_id) if preferred else 0, key="cmp_run",
                              format_func=lambda rid: by_id[rid].title)
        run = by_id[run_id]
        st.markdown(f"**{run.title}** · {run.state} · {run.base_model} on {run.preset} · "
                    f"{rio.curriculum_format(run)} targets" + (f" · tags: {', '.join(run.tags)}" if run.tags else ""))
        train_rows, valid_rows = rio.loss_rows(metrics[run_id])
        st.plotly_chart(charts.loss_curves({run_id: metrics[run_id]}), width="stretch", key="cmp_run_loss")
        note = rio.loss_weight_note([run])
        if note:
            st.caption(note)
        if not valid_rows:
            st.caption("No validation loss in this run's metrics.jsonl (`eval_loss` rows appear when training logs one).")
        if (run.path / "adapter_config.json").is_file():
            try:
                data = _zip(str(run.path), rio.tree_mtime(run.path))
            except (ValueError, OSError) as err:
                show_error(err, "Cannot pack the adapter")
            else:
                st.download_button(f"Download the adapter ({len(data) / 1e6:.1f} MB zip)", data, file_name=f"{run_id}.zip",
                                   mime="application/zip", key="cmp_download",
                                   help="the peft folder: load it with PeftModel.from_pretrained(base, folder)")
        else:
            st.caption("No adapter yet: it is written when training finishes.")

# ------------------------------------------------------------------ config diff
with tab_diff:
    if len(runs) < 2:
        st.info("A diff needs two runs. " + NO_RUNS if not runs else "A diff needs a second run.")
    else:
        ids = [r.run_id for r in runs]
        d1, d2, d3 = st.columns([2, 2, 1])
        a = d1.selectbox("Run A", ids, index=0, key="cmp_diff_a", format_func=lambda rid: by_id[rid].title)
        b = d2.selectbox("Run B", ids, index=1, key="cmp_diff_b", format_func=lambda rid: by_id[rid].title)
        everything = d3.checkbox("Show equal fields too", key="cmp_diff_all")
        if a == b:
            st.caption("Pick two different runs.")
        else:
            diff = rio.config_diff(by_id[a], by_id[b], everything)
            if diff:
                st.dataframe(diff, hide_index=True, width="stretch")
            else:
                st.success("Same recipe: config and manifest agree on every field that matters.")
            st.plotly_chart(charts.loss_curves({a: metrics[a], b: metrics[b]}), width="stretch", key="cmp_diff_loss")
            note = rio.loss_weight_note([by_id[a], by_id[b]])
            if note:
                st.caption(note)

# ------------------------------------------------------------------ leaderboard
with tab_board:
    pairs = rio.evaluated_splits(evaluations)
    if not pairs:
        st.info(NO_EVALS)
    else:
        l1, l2 = st.columns([2, 1])
        pair = l1.selectbox("Preset and split", pairs, key="cmp_board_split", format_func=lambda p: f"{p[0]} / {p[1]}")
        metric = l2.selectbox("Metric", ["binary", "failure mode", "8-way"], key="cmp_board_metric")
        board = rio.leaderboard(evaluations, pair[0], pair[1], metric, runs=by_id)
        st.plotly_chart(charts.leaderboard_chart(board, metric), width="stretch", key="cmp_board_chart")
        st.dataframe([{"model": r["model"], "name": r.get("name", ""), "answers by": r["mode"],
                       metric: f"{r['value']:.1%}", "95% interval": (f"[{r['lo']:.0%}, {r['hi']:.0%}]"
                                                                     if r.get("lo") is not None else "-"),
                       "n": r["n"], "evaluation": r["evaluation"]} for r in board], hide_index=True, width="stretch")
        st.caption("One row per model and way of answering, from its largest evaluation on this preset and split.")

# ------------------------------------------------------------------ learning curve
with tab_curve:
    finished = [r for r in runs if r.finished_ok]
    pairs = rio.evaluated_splits(evaluations)
    if not finished or not pairs:
        st.info("A learning curve needs a finished run and evaluations of it (or of its checkpoints).")
    else:
        c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
        fids = [r.run_id for r in rio.preferred_runs(finished)]
        rid = c1.selectbox("Run", fids, key="cmp_curve_run", format_func=lambda x: by_id[x].title)
        pair = c2.selectbox("Preset and split", pairs, key="cmp_curve_split", format_func=lambda p: f"{p[0]} / {p[1]}")
        metric = c3.selectbox("Metric", ["binary", "failure mode", "8-way"], key="cmp_curve_metric")
        x = c4.radio("Against", ["step", "examples"], key="cmp_curve_x")
        points = rio.learning_curve(by_id[rid], evaluations, pair[0], pair[1], metric)
        board = {r["model"]: r["value"] for r in rio.leaderboard(evaluations, pair[0], pair[1], metric)
                 if r["model"] in ("majority", "base")}
        st.plotly_chart(charts.learning_curve(points, x, metric, board, title=f"Learning curve of {by_id[rid].title}"),
                        width="stretch", key="cmp_curve_chart")
        st.caption(f"{len(points)} point(s). A checkpoint is evaluated as `run:{rid}@<step>` "
                   f"(or `run:{rid}/checkpoint-<step>`); the final adapter (`run:{rid}`) is the last point. "
                   "Dotted lines: the majority answer and the base model on the same split.")
