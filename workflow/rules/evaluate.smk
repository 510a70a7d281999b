# The final evaluation of an architecture's runs, in one job (the start-up and the test
# images paid once, not per run): with the tables and the figures of the chosen run, the only
# rules that read the official test images or what was predicted on them.
rule evaluate:
    input:
        models=runs_of_architecture(rules.train.output.model),
        test=rules.prepare_data.output.test,
    output:
        metrics=runs_of_architecture(TESTED["metrics"]),
        confusions=runs_of_architecture(TESTED["confusion"]),
        predictions=runs_of_architecture(TESTED["predictions"]),
    log:
        "results/logs/evaluate/{arch}.log",
    benchmark:
        "results/benchmarks/evaluate/{arch}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        gpu=1 if uses_cuda() else 0,
    params:
        device=config["device"],
    shell:
        "python -m study evaluate --checkpoint {input.models} --test {input.test}"
        " --device {params.device} --threads {threads} --metrics-out {output.metrics}"
        " --confusion-out {output.confusions} --predictions-out {output.predictions}"
        " > {log} 2>&1"


# The final evaluation of the size axis: every run of one architecture on one smaller
# training set, in one job.
rule evaluate_size:
    input:
        models=rules.train_size.output.models,
        test=rules.prepare_data.output.test,
    output:
        metrics=runs_of_group(SIZED_TESTED["metrics"]),
        confusions=runs_of_group(SIZED_TESTED["confusion"]),
        predictions=runs_of_group(SIZED_TESTED["predictions"]),
    log:
        "results/logs/evaluate_size/n{size}_{arch}.log",
    benchmark:
        "results/benchmarks/evaluate_size/n{size}_{arch}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        gpu=1 if uses_cuda() else 0,
    params:
        device=config["device"],
    shell:
        "python -m study evaluate --checkpoint {input.models} --test {input.test}"
        " --device {params.device} --threads {threads} --metrics-out {output.metrics}"
        " --confusion-out {output.confusions} --predictions-out {output.predictions}"
        " > {log} 2>&1"


# The ensemble: the members' test probabilities averaged, members chosen on validation.
rule evaluate_ensemble:
    input:
        ensemble=rules.select_best.output.ensemble,
        summaries=all_runs(rules.train.output.summary),
        predictions=all_runs(TESTED["predictions"]),
    output:
        metrics="results/ensemble/metrics.json",
        predictions="results/ensemble/predictions.npz",
    log:
        "results/logs/evaluate_ensemble.log",
    benchmark:
        "results/benchmarks/evaluate_ensemble.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    shell:
        "python -m study evaluate-ensemble --ensemble {input.ensemble}"
        " --summaries {input.summaries} --predictions {input.predictions}"
        " --metrics-out {output.metrics} --predictions-out {output.predictions}"
        " > {log} 2>&1"
