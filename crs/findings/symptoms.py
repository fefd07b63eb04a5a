"""Constitutional symptoms of CRS grade 1 (spec grading.md §3 `symptoms`).

Lee et al. 2014 Table 1 ("Constitutional": rigors, malaise, fatigue, anorexia, myalgias,
arthalgias, nausea, vomiting, headache; "Skin": rash; "Gastrointestinal": diarrhea) and
Table 2 grade 1. Free text is matched word by word, with plural and spelling variants,
because records say "rigours", "myalgias" or "diarrhoea" as often as the paper's words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Symptom → regular expression of its accepted spellings (whole words, lower case).
SYMPTOM_WORDS: dict[str, str] = {
    "rigors": r"rigou?rs?",
    "malaise": r"malaise",
    "fatigue": r"fatigued?|tiredness",
    "anorexia": r"anorexia|anorexic|loss of appetite|poor appetite",
    "myalgia": r"myalgias?|muscle aches?|muscle pains?",
    "arthralgia": r"arth?r?algias?|joint pains?",  # the paper prints "arthalgias"
    "nausea": r"nausea|nauseou?s|nauseated",
    "vomiting": r"vomiting|vomits?|vomited|emesis",
    "headache": r"headaches?",
    "rash": r"rash|rashes",
    "diarrhea": r"diarrh(?:o)?ea|diarrhoea",
}

#: A symptom entry that is negated ("no rash", "denies nausea") is not a finding.
NEGATION = r"(?:^|[;,])\s*(?:no|denies|denied|without|negative for|absent|resolved)\b[^;,]*"

_ANY_SYMPTOM = r"\b(?:" + "|".join(SYMPTOM_WORDS.values()) + r")\b"


def constitutional_symptoms(symptoms: pd.Series) -> np.ndarray:
    """True where the row's free text records a constitutional symptom of Table 1.

    Each distinct text is matched once and the answer mapped back to its rows (a ward
    writes the same few phrases again and again).
    """
    text = pd.Series(symptoms, dtype="str")
    codes, uniques = pd.factorize(text)  # missing text: code -1
    if not len(uniques):
        return np.zeros(len(text), dtype=bool)
    distinct = pd.Series(uniques, dtype="str")
    cleaned = distinct.str.lower().str.replace(NEGATION, ";", regex=True)
    found = cleaned.str.contains(_ANY_SYMPTOM, regex=True).to_numpy(dtype=bool)
    return np.append(found, False)[codes]
