"""Streamlit glue the pages share: cached readers keyed on path + mtime, and empty-state text.

Not a page (app_pages() below lists the pages; app.py passes them to st.navigation). No torch here: the cached
model loader imports physlab.backends inside the function, so a fresh server's first page
never waits for torch or transformers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from physlab import launch
from physlab import results_io as rio


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
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
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
    return rio.load_split(Path(path))


def load_split(preset: str, split: str) -> list[dict[str, Any]]:
    """One split's records, cached until the file changes. Raises ValueError for a corrupt file."""
    path = rio.split_path(preset, split)
    return _split_cached(str(path), rio.mtime(path))


@st.cache_data(show_spinner=False, max_entries=32)
def _eval_records_cached(path: str, mtime: float) -> list[dict[str, Any]]:
    return rio.load_eval_records(Path(path))


def load_eval_records(eval_path: Path) -> list[dict[str, Any]]:
    records = eval_path / "records.jsonl"
    return _eval_records_cached(str(eval_path), rio.mtime(records))


@st.cache_resource(show_spinner=False, max_entries=4)
def backend(spec: str, preset: str | None, data_dir: str, runs_dir: str) -> Any:
    """A loaded model backend, shared across sessions (loading the embedded model takes ~15 s).

    Backends are used read-only (inference under no_grad), which is safe to share between threads.
    """
    from physlab.backends import make_backend

    return make_backend(spec, preset=preset, data_dir=data_dir, runs_dir=runs_dir)


def get_backend(spec: str, preset: str | None = None) -> Any:
    return backend(spec, preset, str(rio.data_dir()), str(rio.runs_dir()))


def pick_preset(key: str, label: str = "Preset") -> rio.PresetInfo | None:
    """A preset selectbox; None (after an info box saying what to do) when there is no data."""
    presets = rio.list_presets()
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
    return [j for j in launch.list_job_rows() if kind is None or j.get("kind") == kind]


def active_jobs_panel(kind: str) -> None:
    """Queue and running jobs of `kind` with a Cancel button each, and the last log lines.

    Called inside an @st.fragment(run_every=...) so it refreshes without rerunning the page;
    it reads only the job folders, so a reload or a second tab shows the same state (re-attach).
    """
    jobs = job_table(kind)
    active = [j for j in jobs if j.get("state") in rio.ACTIVE_STATES]
    if not active:
        st.caption(f"No {kind} job running or queued.")
    for job in active:
        with st.container(border=True):
            c1, c2 = st.columns([4, 1])
            when = (f"queued at {job.get('queued') or '-'}, waiting for the job before it" if job["state"] == "queued"
                    else f"started {job.get('started') or '-'}")
            c1.markdown(f"**{job['id']}** · {job['state']} · {when}")
            if c2.button("Cancel", key=f"cancel_{job['id']}", type="secondary"):
                try:
                    launch.cancel_job(job["folder"])
                    st.toast(f"Cancelled {job['id']}")
                except (ValueError, OSError) as err:
                    show_error(err, "Cancel failed")
            tail = launch.job_log_tail(job["folder"], lines=8)
            if tail:
                st.code(tail, language=None)
    if jobs:
        with st.expander(f"All {kind} jobs ({len(jobs)})", expanded=not active):
            st.dataframe([{k: j.get(k) for k in ("id", "state", "queued", "started", "ended", "error")} for j in jobs],
                         hide_index=True, width="stretch")


def selected_points(event: Any) -> list[dict[str, Any]]:
    """The points a click or box selected on an st.plotly_chart(on_select="rerun") chart."""
    try:
        return list(event.selection.points or [])
    except AttributeError:
        try:
            return list(event["selection"]["points"] or [])
        except (KeyError, TypeError):
            return []


def index_of(options: list[Any], value: Any, default: int = 0) -> int:
    return options.index(value) if value in options else default


def choose(label: str, options: list[Any], key: str, default: Any = None, container: Any = None, **kwargs: Any) -> Any:
    """A selectbox whose value lives in st.session_state[key]: set to `default` when missing or no
    longer an option, so other code (a click on another page) can preselect it without a warning."""
    if st.session_state.get(key) not in options and options:
        st.session_state[key] = default if default in options else options[0]
    return (container or st).selectbox(label, options, key=key, **kwargs)
