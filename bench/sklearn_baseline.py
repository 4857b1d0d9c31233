"""scikit-learn reference for bench/classifier.bench.ts: TF-IDF (word 1-2 grams, sublinear tf) + LinearSVC C=1.

Usage: python3 bench/sklearn_baseline.py DATA_FULL_JSON [RUNS]
Prints one JSON object: accuracy, macroF1, trainSeconds (median), predictPerSecond (median).
"""
import json
import statistics
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

data = json.load(open(sys.argv[1]))
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
X = [t for t, _ in data["train"]]
y = [l for _, l in data["train"]]
Xt = [t for t, _ in data["test"]]
yt = [l for _, l in data["test"]]
train_s, predict_s = [], []
for _ in range(runs):
    t0 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    model = LinearSVC(C=1).fit(vec.fit_transform(X), y)
    train_s.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    pred = model.predict(vec.transform(Xt))
    predict_s.append(len(Xt) / (time.perf_counter() - t0))
acc = sum(a == b for a, b in zip(pred, yt)) / len(yt)
print(json.dumps({
    "accuracy": acc,
    "macroF1": f1_score(yt, pred, average="macro"),
    "trainSeconds": statistics.median(train_s),
    "predictPerSecond": statistics.median(predict_s),
}))
