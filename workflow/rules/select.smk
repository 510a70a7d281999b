# The choice of the best run, on validation figures alone: its only inputs are the runs'
# training summaries, written before any test image is read. Every rule that reads test
# predictions takes this choice as an input and cannot change it.
rule select_best:
    input:
        summaries=all_runs(rules.train.output.summary),
    output:
        best="results/selection/best.json",
    log:
        "results/logs/select_best.log",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=1000,
    shell:
        "python -m study select-best --runs {input.summaries} --out {output.best} > {log} 2>&1"
