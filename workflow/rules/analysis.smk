# What the figures and the findings compute, kept as data: the calibration of the chosen
# run, its robustness to FGSM, the embeddings of the test images and the inside of the
# chosen CNN. The figure rules only draw these files, so a change of style redraws in
# seconds; the runs to analyse were chosen on validation by select_best.


rule calibrate:
    input:
        best=rules.select_best.output.best,
        summaries=all_runs(rules.train.output.summary),
        models=all_runs(rules.train.output.model),
        predictions=all_runs(TESTED["predictions"]),
        train=rules.prepare_data.output.train,
        split=rules.split_data.output.split,
    output:
        calibration="results/analysis/calibration.json",
    log:
        "results/logs/analysis/calibrate.log",
    benchmark:
        "results/benchmarks/analysis/calibrate.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
        gpu=1 if uses_cuda() else 0,
    params:
        device=config["device"],
    shell:
        "python -m study analyse calibration --best {input.best}"
        " --summaries {input.summaries} --models {input.models}"
        " --predictions {input.predictions} --train {input.train} --split {input.split}"
        " --device {params.device} --threads {threads} --out {output.calibration}"
        " > {log} 2>&1"


rule robustness:
    input:
        best=rules.select_best.output.best,
        summaries=all_runs(rules.train.output.summary),
        models=all_runs(rules.train.output.model),
        test=rules.prepare_data.output.test,
    output:
        curves="results/analysis/robustness.csv",
    log:
        "results/logs/analysis/robustness.log",
    benchmark:
        "results/benchmarks/analysis/robustness.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
        gpu=1 if uses_cuda() else 0,
    params:
        device=config["device"],
        points=config["figures"]["robustness_images"],
    shell:
        "python -m study analyse robustness --best {input.best}"
        " --summaries {input.summaries} --models {input.models} --test {input.test}"
        " --points {params.points} --device {params.device} --threads {threads}"
        " --out {output.curves} > {log} 2>&1"


rule embeddings:
    input:
        best=rules.select_best.output.best,
        summaries=all_runs(rules.train.output.summary),
        models=all_runs(rules.train.output.model),
        test=rules.prepare_data.output.test,
    output:
        embeddings="results/analysis/embeddings.npz",
    log:
        "results/logs/analysis/embeddings.log",
    benchmark:
        "results/benchmarks/analysis/embeddings.tsv"
    conda:
        "../../environment.yml"
    threads: 2
    resources:
        mem_mb=3000,
        gpu=1 if uses_cuda() else 0,
    params:
        device=config["device"],
        points=config["figures"]["tsne_points"],
        # The npz's layout: a new one reruns the analysis for results written before it.
        layout=2,
    shell:
        "python -m study analyse embeddings --best {input.best}"
        " --summaries {input.summaries} --models {input.models} --test {input.test}"
        " --points {params.points} --device {params.device} --threads {threads}"
        " --out {output.embeddings} > {log} 2>&1"


rule look_inside:
    input:
        best=rules.select_best.output.best,
        summaries=all_runs(rules.train.output.summary),
        models=all_runs(rules.train.output.model),
        predictions=all_runs(TESTED["predictions"]),
        test=rules.prepare_data.output.test,
    output:
        inside="results/analysis/inside.npz",
    log:
        "results/logs/analysis/look_inside.log",
    benchmark:
        "results/benchmarks/analysis/look_inside.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
        gpu=1 if uses_cuda() else 0,
    params:
        device=config["device"],
        # The npz's layout: a new one reruns the analysis for results written before it.
        layout=2,
    shell:
        "python -m study analyse inside --best {input.best}"
        " --summaries {input.summaries} --models {input.models}"
        " --predictions {input.predictions} --test {input.test}"
        " --device {params.device} --threads {threads} --out {output.inside} > {log} 2>&1"


# Regularisation at every training-set size: each configuration's test error, and each
# variant against `none` of the same architecture, size and seed (paired tests, Holm).
rule effects:
    input:
        summaries=[
            *all_runs(rules.train.output.summary),
            *all_sized_runs(f"{SIZED}/train.json"),
        ],
        predictions=[
            *all_runs(TESTED["predictions"]),
            *all_sized_runs(SIZED_TESTED["predictions"]),
        ],
    output:
        errors="results/analysis/errors.csv",
        effects="results/analysis/effects.csv",
    log:
        "results/logs/analysis/effects.log",
    benchmark:
        "results/benchmarks/analysis/effects.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=3000,
    shell:
        "python -m study effects --summaries {input.summaries}"
        " --predictions {input.predictions} --errors-out {output.errors}"
        " --effects-out {output.effects} > {log} 2>&1"
