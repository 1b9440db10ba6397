"""physlab dashboard: `streamlit run app.py` (or `make app`).

The pages live in pages/ and are registered here with st.navigation; each one is thin over
the physlab library (widgets -> a config -> one library call -> a chart or a table).
Data and results folders come from PHYSLAB_DATA_DIR / PHYSLAB_RESULTS_DIR (defaults data/, results/).
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="physlab", page_icon=":robot_face:", layout="wide")

from pages._common import app_pages  # noqa: E402 - after set_page_config, which must come first

st.navigation(app_pages()).run()
