# The final evaluation, once per trained run: with the figures of the best model, the only
# rules that read the official test images.
rule evaluate:
    input:
        model=f"{RUN}/model.pt",
        test="results/data/test.npz",
    output:
        metrics=f"{RUN}/metrics.json",
        confusion=f"{RUN}/confusion.csv",
        predictions=f"{RUN}/predictions.npz",
    log:
        f"results/logs/evaluate/{{arch}}_{{reg}}_seed{{seed}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        gpu=1 if uses_cuda() else 0,
    params:
        device=config["device"],
        out_dir=lambda wildcards, output: Path(output[0]).parent,
    shell:
        "python -m study evaluate --checkpoint {input.model} --test {input.test}"
        " --device {params.device} --out-dir {params.out_dir} > {log} 2>&1"


rule tables:
    input:
        summaries=all_runs(f"{RUN}/train.json"),
        metrics=all_runs(f"{RUN}/metrics.json"),
        predictions=all_runs(f"{RUN}/predictions.npz"),
        split="results/data/split.npz",
    output:
        runs_csv="results/tables/runs.csv",
        runs="results/tables/runs.md",
        summary="results/tables/summary.md",
        per_class="results/tables/per_class.md",
        models="results/tables/models.md",
        data="results/tables/data.md",
        comparisons="results/tables/comparisons.md",
        best="results/tables/best.json",
        variables="results/variables.yml",
    log:
        "results/logs/tables.log",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        config=json.dumps(config),
        out_dir=lambda wildcards, output: Path(output.variables).parent,
    shell:
        "python -m study tables --runs {input.summaries} --config {params.config:q}"
        " --split {input.split} --out-dir {params.out_dir} > {log} 2>&1"
