"""scikit-learn reference for the languages part of bench/classifier.bench.ts:
TF-IDF character 1-3-grams (sublinear tf) + LinearSVC C=1, the usual strong baseline for Chinese text.

Usage: python3 bench/sklearn_char_baseline.py SETS_JSON
SETS_JSON: {"train": [[text, label], ...], "tests": {"name": [[text, label], ...], ...}}
Prints one JSON object: {"trainSeconds": s, "tests": {"name": {"accuracy": a, "macroF1": f}}}.
"""
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

sets = json.load(open(sys.argv[1]))
X = [t for t, _ in sets["train"]]
y = [l for _, l in sets["train"]]
t0 = time.perf_counter()
vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
model = LinearSVC(C=1).fit(vec.fit_transform(X), y)
train_s = time.perf_counter() - t0
out = {}
for name, rows in sets["tests"].items():
    Xt = [t for t, _ in rows]
    yt = [l for _, l in rows]
    pred = model.predict(vec.transform(Xt))
    out[name] = {
        "accuracy": sum(a == b for a, b in zip(pred, yt)) / len(yt),
        "macroF1": f1_score(yt, pred, average="macro"),
    }
print(json.dumps({"trainSeconds": train_s, "tests": out}))
