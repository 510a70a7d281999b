# The choices of the best run and of the ensemble's members, on validation figures alone: the
# only inputs are the runs' training summaries, written before any test image is read. Every
# rule that reads test predictions takes these choices as inputs and cannot change them.
rule select_best:
    input:
        summaries=all_runs(rules.train.output.summary),
    output:
        best="results/selection/best.json",
        ensemble="results/selection/ensemble.json",
    log:
        "results/logs/select_best.log",
    benchmark:
        "results/benchmarks/select_best.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=1000,
    params:
        ensemble_size=config["ensemble"]["size"],
    shell:
        "python -m study select-best --runs {input.summaries} --out {output.best}"
        " --ensemble-size {params.ensemble_size} --ensemble-out {output.ensemble}"
        " > {log} 2>&1"
