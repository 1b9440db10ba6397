"""Streamlit glue the pages share: cached readers keyed on path + mtime, and empty-state text.

Not a page (st.navigation in app.py lists the pages explicitly). No torch here: the cached
model loader imports physlab.backends inside the function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from physlab import workspace as ws


def app_pages() -> list[Any]:
    """The dashboard's pages, in sidebar order (app.py passes them to st.navigation)."""
    return [
        st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("pages/scenarios.py", title="Scenarios", icon=":material/science:"),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/evaluate.py", title="Evaluate", icon=":material/fact_check:"),
        st.Page("pages/results.py", title="Results", icon=":material/leaderboard:"),
        st.Page("pages/predict.py", title="Predict", icon=":material/psychology:"),
        st.Page("pages/errors.py", title="Errors", icon=":material/bug_report:"),
    ]


def _leave_legacy_pages_mode() -> None:
    """Streamlit treats a folder named pages/ as the old multipage layout until app.py has called
    st.navigation once. On a fresh server whose first visitor opens a page URL directly
    (a bookmark of /results), the page would run alone, with every file of pages/ (this one
    included) in the sidebar. Register the real navigation and rerun the same URL instead."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mode: nothing to leave
        return
    if PagesManager.uses_pages_directory:
        st.navigation(app_pages())
        st.rerun()


_leave_legacy_pages_mode()

NO_DATA = ("No data yet: open **Scenarios** and click **Generate**, or run "
           "`physlab data generate --preset seed`.")
NO_RUNS = "No training runs yet: start one on the **Train** page, or run `physlab train --preset seed`."
NO_EVALS = ("No evaluations yet: start one on the **Evaluate** page, or run "
            "`physlab evaluate --preset seed --split test --models base`.")


@st.cache_data(show_spinner=False, max_entries=32)
def _split_cached(path: str, mtime: float) -> list[dict[str, Any]]:
    return ws.load_split(Path(path))


def load_split(preset: str, split: str) -> list[dict[str, Any]]:
    """One split's records, cached until the file changes. Raises ValueError for a corrupt file."""
    path = ws.split_path(preset, split)
    return _split_cached(str(path), ws.mtime(path))


@st.cache_data(show_spinner=False, max_entries=32)
def _eval_records_cached(path: str, mtime: float) -> list[dict[str, Any]]:
    return ws.load_eval_records(Path(path))


def load_eval_records(eval_path: Path) -> list[dict[str, Any]]:
    records = eval_path / "records.jsonl"
    return _eval_records_cached(str(eval_path), ws.mtime(records))


@st.cache_resource(show_spinner=False, max_entries=4)
def backend(spec: str, preset: str | None, data_dir: str, runs_dir: str) -> Any:
    """A loaded model backend, shared across sessions (loading the embedded model takes ~15 s).

    Backends are used read-only (inference under no_grad), which is safe to share between threads.
    """
    from physlab.backends import make_backend

    return make_backend(spec, preset=preset, data_dir=data_dir, runs_dir=runs_dir)


def get_backend(spec: str, preset: str | None = None) -> Any:
    return backend(spec, preset, str(ws.data_dir()), str(ws.runs_dir()))


def pick_preset(key: str, label: str = "Preset") -> ws.PresetInfo | None:
    """A preset selectbox; None (after an info box saying what to do) when there is no data."""
    presets = ws.list_presets()
    if not presets:
        st.info(NO_DATA)
        return None
    names = [p.name for p in presets]
    name = st.selectbox(label, names, key=key)
    return presets[names.index(name)]


def show_error(err: Exception, what: str) -> None:
    """Bad input or a broken file: the reason, never a traceback."""
    st.error(f"{what}: {err}")


def job_table(kind: str | None) -> list[dict[str, Any]]:
    """Jobs of one kind (train, evaluate) as table rows, newest first; [] before physlab.jobs exists."""
    return [j for j in ws.list_job_rows() if kind is None or j.get("kind") == kind]


def active_jobs_panel(kind: str) -> None:
    """Queue and running jobs of `kind` with a Cancel button each, and the last log lines.

    Called inside an @st.fragment(run_every=...) so it refreshes without rerunning the page;
    it reads only the job folders, so a reload or a second tab shows the same state (re-attach).
    """
    jobs = job_table(kind)
    active = [j for j in jobs if j.get("state") in ws.ACTIVE_STATES]
    if not active:
        st.caption(f"No {kind} job running or queued.")
    for job in active:
        with st.container(border=True):
            c1, c2 = st.columns([4, 1])
            c1.markdown(f"**{job['id']}** · {job['state']} · started {job.get('started') or '-'}")
            if c2.button("Cancel", key=f"cancel_{job['id']}", type="secondary"):
                try:
                    ws.cancel_job(job["folder"])
                    st.toast(f"Cancelled {job['id']}")
                except (ValueError, OSError) as err:
                    show_error(err, "Cancel failed")
            tail = ws.job_log_tail(job["folder"], lines=8)
            if tail:
                st.code(tail, language=None)
    if jobs:
        with st.expander(f"All {kind} jobs ({len(jobs)})"):
            st.dataframe([{k: j.get(k) for k in ("id", "state", "started", "ended", "error")} for j in jobs],
                         hide_index=True, width="stretch")
