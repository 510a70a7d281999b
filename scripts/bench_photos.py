"""How many photographs of handwritten digits `study predict` reads right: simulated photos
(study/bench/photos.py: tinted paper, uneven light, blur, noise, JPEG, dithered GIF and
PNG-8) of validation images, which no run trained on, one digit each and numbers of two to
four digits.

    python scripts/bench_photos.py make results/bench/photos [--results results]
    python scripts/bench_photos.py read results/bench/photos [--model results/model/best.onnx]

`make` writes the pictures and their labels (labels.json); `read` prints how many are read
right, overall and by paper, light, ink and format. The two are apart so that the same
pictures can be read by another version of `study predict` (`PYTHONPATH=<its checkout>`).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def make(folder: Path, results: Path, digits: int, numbers: int, seed: int) -> None:
    sys.path.insert(0, str(REPO))
    from study.bench.photos import Scene, coverage_of, photograph, save_as

    train = np.load(results / "data" / "train.npz")
    split = np.load(results / "data" / "split.npz")
    validation = split["val_idx"]
    images, labels = train["images"][validation], train["labels"][validation]
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(digits + numbers):
        count = 1 if i < digits else int(rng.integers(2, 5))
        chosen = rng.choice(len(images), size=count, replace=False)
        scene = Scene.drawn(rng)
        gap = 0.0 if count == 1 else float(rng.uniform(0.1, 0.5))
        coverage = coverage_of([images[j] for j in chosen], scene.height, gap, rng)
        path = save_as(photograph(coverage, scene, seed + i), folder / f"photo{i:03d}",
                       scene.kind)
        records.append({"file": path.name, "label": "".join(str(labels[j]) for j in chosen),
                        **dataclasses.asdict(scene)})
    (folder / "labels.json").write_text(json.dumps(records, indent=1))
    print(f"{digits} pictures of one digit and {numbers} of numbers in {folder}")


def read(folder: Path, model_path: Path) -> None:
    from study.serving.predict import load_model, predict

    records = json.loads((folder / "labels.json").read_text())
    predictions, errors = predict([folder / r["file"] for r in records], load_model(model_path))
    by_file = {Path(p.file).name: p for p in predictions}
    for record in records:
        p = by_file.get(record["file"])
        # `number` is absent from versions that read one digit per picture.
        record["read"] = None if p is None else getattr(p, "number", str(p.digit))
    for title, subset in (("one digit", [r for r in records if len(r["label"]) == 1]),
                          ("numbers", [r for r in records if len(r["label"]) > 1])):
        if not subset:
            continue
        right = sum(r["read"] == r["label"] for r in subset)
        print(f"{title}: {right} of {len(subset)} read right ({100 * right / len(subset):.1f}%)"
              f", {sum(r['read'] is None for r in subset)} refused")
        for key in ("paper", "light", "ink", "kind"):
            counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
            for r in subset:
                counts[r[key]][0] += r["read"] == r["label"]
                counts[r[key]][1] += 1
            print(f"  by {key}: " + ", ".join(f"{k} {a}/{n}" for k, (a, n) in
                                               sorted(counts.items())))
    if errors:
        print(f"refused: {len(errors)}, e.g. {next(iter(errors.values()))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make", help="write the simulated photographs and their labels")
    p.add_argument("folder", type=Path)
    p.add_argument("--results", type=Path, default=Path("results"))
    p.add_argument("--digits", type=int, default=200, help="pictures of one digit")
    p.add_argument("--numbers", type=int, default=60, help="pictures of 2 to 4 digits")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("read", help="read them with `study predict`'s code and count")
    p.add_argument("folder", type=Path)
    p.add_argument("--model", type=Path, default=Path("results/model/best.onnx"))
    args = parser.parse_args()
    if args.command == "make":
        make(args.folder, args.results, args.digits, args.numbers, args.seed)
    else:
        read(args.folder, args.model)


if __name__ == "__main__":
    main()
