rule data_figures:
    input:
        train=rules.prepare_data.output.train,
        split=rules.split_data.output.split,
    output:
        samples="results/figures/samples.png",
        balance="results/figures/class_balance.png",
    log:
        "results/logs/figures/data.log",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        out_dir=lambda wildcards, output: Path(output[0]).parent,
    shell:
        "python -m study figures data --train {input.train} --split {input.split}"
        " --out-dir {params.out_dir} > {log} 2>&1"


rule result_figures:
    input:
        runs=rules.tables.output.runs_csv,
        histories=all_runs(rules.train.output.history),
    output:
        curves="results/figures/learning_curves.png",
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


# The best run was chosen on validation by select_best; these figures look inside it.
rule best_model_figures:
    input:
        best=rules.select_best.output.best,
        models=all_runs(rules.train.output.model),
        predictions=all_runs(rules.evaluate.output.predictions),
        confusion=all_runs(rules.evaluate.output.confusion),
        test=rules.prepare_data.output.test,
    output:
        confusion="results/figures/confusion.png",
        misclassified="results/figures/misclassified.png",
        filters="results/figures/filters.png",
        tsne="results/figures/tsne.png",
    log:
        "results/logs/figures/best_model.log",
    conda:
        "../../environment.yml"
    threads: 2
    resources:
        mem_mb=4000,
    params:
        device=config["device"],
        tsne_points=config["figures"]["tsne_points"],
        out_dir=lambda wildcards, output: Path(output[0]).parent,
    shell:
        "python -m study figures best --best {input.best} --test {input.test}"
        " --device {params.device} --tsne-points {params.tsne_points}"
        " --threads {threads} --out-dir {params.out_dir} > {log} 2>&1"
