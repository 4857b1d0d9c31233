"""scikit-learn reference for bench/classifier.bench.ts, run as its own process so whole-process
time and peak RSS compare like for like with `rapport train`.

  python3 bench/sklearn_baseline.py train DATA_JSON MODEL_PKL
      load, TF-IDF (word 1-2 grams, sublinear tf) + LinearSVC C=1, pickle: what `rapport train` does
  python3 bench/sklearn_baseline.py predict DATA_JSON MODEL_PKL RUNS
      accuracy and macro-F1 on `test`; batch predict rate (vectorise + predict) on test + oos_test, median of RUNS
  python3 bench/sklearn_baseline.py svc DATA_JSON LABELS LIMIT
      RBF SVC on the first LABELS labels (at most LIMIT training messages): the kernel reference for ml-svm

DATA_JSON has `train`, `test` and optionally `oos_test`, each a list of [text, label].
"""
import json
import pickle
import statistics
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC, LinearSVC

mode, path = sys.argv[1], sys.argv[2]
data = json.load(open(path))

if mode == "train":
    X = [t for t, _ in data["train"]]
    y = [l for _, l in data["train"]]
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC(C=1)).fit(X, y)
    with open(sys.argv[3], "wb") as f:
        pickle.dump(model, f)
elif mode == "predict":
    model = pickle.load(open(sys.argv[3], "rb"))
    runs = int(sys.argv[4])
    Xt = [t for t, _ in data["test"]]
    yt = [l for _, l in data["test"]]
    batch = Xt + [t for t, _ in data.get("oos_test", [])]
    pred = model.predict(Xt)
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.predict(batch)
        rates.append(len(batch) / (time.perf_counter() - t0))
    print(json.dumps({
        "accuracy": sum(a == b for a, b in zip(pred, yt)) / len(yt),
        "macroF1": f1_score(yt, pred, average="macro"),
        "predictPerSecond": statistics.median(rates),
    }))
elif mode == "svc":
    labels = sorted({l for _, l in data["train"]})[: int(sys.argv[3])]
    train = [(t, l) for t, l in data["train"] if l in labels][: int(sys.argv[4])]
    test = [(t, l) for t, l in data["test"] if l in labels]
    t0 = time.perf_counter()
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), SVC(C=1, kernel="rbf")).fit(
        [t for t, _ in train], [l for _, l in train]
    )
    seconds = time.perf_counter() - t0
    pred = model.predict([t for t, _ in test])
    print(json.dumps({
        "accuracy": sum(a == l for a, (_, l) in zip(pred, test)) / len(test),
        "trainSeconds": seconds,
    }))
else:
    sys.exit(f"unknown mode {mode}")
