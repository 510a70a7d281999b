# Step 1, getting to know the data, is a notebook: the executed copy is kept beside the results
# and can be opened as it is; `snakemake --edit-notebook <one of its outputs>` edits it.
rule explore_data:
    input:
        train=rules.prepare_data.output.train,
        test=rules.prepare_data.output.test,
        split=rules.split_data.output.split,
    output:
        samples="results/figures/samples.png",
        balance="results/figures/class_balance.png",
        means="results/figures/class_means.png",
        intensity="results/figures/intensity.png",
        ink="results/figures/ink.png",
        structure="results/tables/data_structure.md",
    log:
        notebook="results/notebooks/explore_data.ipynb",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    notebook:
        "../notebooks/explore_data.py.ipynb"


rule result_figures:
    input:
        runs=rules.tables.output.runs_csv,
        histories=all_runs(rules.train.output.history),
    output:
        curves="results/figures/learning_curves.png",
        curves_best="results/figures/learning_curves_best.png",
        accuracy="results/figures/accuracy_by_variant.png",
    log:
        "results/logs/figures/results.log",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        out_dir=lambda wildcards, output: Path(output[0]).parent,
    shell:
        "python -m study figures results --runs {input.runs}"
        " --out-dir {params.out_dir} > {log} 2>&1"


# The best run was chosen on validation by select_best; these figures evaluate it.
rule best_model_figures:
    input:
        best=rules.select_best.output.best,
        models=all_runs(rules.train.output.model),
        predictions=all_runs(rules.evaluate.output.predictions),
        confusion=all_runs(rules.evaluate.output.confusion),
        train=rules.prepare_data.output.train,
        split=rules.split_data.output.split,
        test=rules.prepare_data.output.test,
    output:
        confusion="results/figures/confusion.png",
        misclassified="results/figures/misclassified.png",
        reliability="results/figures/reliability.png",
        calibration="results/calibration.json",
    log:
        "results/logs/figures/best_model.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
    params:
        device=config["device"],
        out_dir=lambda wildcards, output: Path(output.confusion).parent,
    shell:
        "python -m study figures best --best {input.best} --train {input.train}"
        " --split {input.split} --test {input.test} --calibration {output.calibration}"
        " --device {params.device} --threads {threads} --out-dir {params.out_dir}"
        " > {log} 2>&1"


# Inside the best convolutional network (chosen on validation).
rule inside_figures:
    input:
        best=rules.select_best.output.best,
        models=all_runs(rules.train.output.model),
        predictions=all_runs(rules.evaluate.output.predictions),
        test=rules.prepare_data.output.test,
    output:
        filters="results/figures/filters.png",
        maps="results/figures/feature_maps.png",
        attributions="results/figures/attributions.png",
        occlusion="results/figures/occlusion.png",
        top="results/figures/top_activations.png",
    log:
        "results/logs/figures/inside.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
    params:
        device=config["device"],
        out_dir=lambda wildcards, output: Path(output.filters).parent,
    shell:
        "python -m study figures inside --best {input.best} --test {input.test}"
        " --device {params.device} --threads {threads} --out-dir {params.out_dir}"
        " > {log} 2>&1"


# What training and convolution change: the MLP, an untrained CNN and the best CNN.
rule tsne_figure:
    input:
        best=rules.select_best.output.best,
        runs=rules.tables.output.runs_csv,
        models=all_runs(rules.train.output.model),
        test=rules.prepare_data.output.test,
    output:
        tsne="results/figures/tsne.png",
    log:
        "results/logs/figures/tsne.log",
    conda:
        "../../environment.yml"
    threads: 2
    resources:
        mem_mb=3000,
    params:
        device=config["device"],
        points=config["figures"]["tsne_points"],
        out_dir=lambda wildcards, output: Path(output.tsne).parent,
    shell:
        "python -m study figures tsne --best {input.best} --runs {input.runs}"
        " --test {input.test} --points {params.points} --device {params.device}"
        " --threads {threads} --out-dir {params.out_dir} > {log} 2>&1"


rule robustness_figure:
    input:
        best=rules.select_best.output.best,
        runs=rules.tables.output.runs_csv,
        models=all_runs(rules.train.output.model),
        test=rules.prepare_data.output.test,
    output:
        figure="results/figures/robustness.png",
        table="results/robustness.csv",
    log:
        "results/logs/figures/robustness.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
    params:
        device=config["device"],
        points=config["figures"]["robustness_images"],
        out_dir=lambda wildcards, output: Path(output.figure).parent,
    shell:
        "python -m study figures robustness --best {input.best} --runs {input.runs}"
        " --test {input.test} --points {params.points} --device {params.device}"
        " --robustness-table {output.table} --threads {threads}"
        " --out-dir {params.out_dir} > {log} 2>&1"
