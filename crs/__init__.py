"""CRS grading after Lee et al., Blood 2014;124(2):188-195 (Tables 2 and 3, Figure 2).

A plain Python package (no Streamlit): read record exports, grade cytokine release
syndrome per patient and time point, apply the Figure 2 treatment algorithm, and build
the Figure 3 style timeline. See docs/architecture.md for the internal contracts.
"""

__version__ = "0.1.0"
