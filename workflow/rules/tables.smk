# What the tables job words, in every language of the documents (runs.csv is the data).
WORDED_TABLES = {
    name: f"results/tables/{name}.md"
    for name in [
        "runs",
        "summary",
        "per_class",
        "models",
        "designs",
        "data",
        "comparisons",
        "variants",
        "confused_pairs",
        "ensemble",
        "regularisation",
        "search",
        "regularisation_grid",
        "architectures",
    ]
} | {"variables": "results/variables.yml"}


# Tables and the report's variables from every run, the choice of the best run taken as given.
rule tables:
    input:
        summaries=all_runs(rules.train.output.summary),
        metrics=all_runs(TESTED["metrics"]),
        predictions=all_runs(TESTED["predictions"]),
        best=rules.select_best.output.best,
        ensemble=rules.evaluate_ensemble.output.metrics,
        split=rules.split_data.output.split,
        errors=rules.effects.output.errors,
        effects=rules.effects.output.effects,
        searches=all_searches(rules.search.output.chosen),
        label_errors=asset("mnist_test_label_errors.csv"),
    output:
        **{
            name: path
            for name, path in WORDED_TABLES.items()
            if name not in ("summary", "regularisation")
        },
        **translations(WORDED_TABLES),
        runs_csv=report(
            "results/tables/runs.csv",
            category="2. Training",
            caption="../report/runs.rst",
        ),
        summary=report(
            WORDED_TABLES["summary"],
            category="2. Training",
            caption="../report/summary.rst",
        ),
        regularisation=report(
            WORDED_TABLES["regularisation"],
            category="2. Training",
            caption="../report/regularisation.rst",
        ),
    log:
        "results/logs/tables.log",
    benchmark:
        "results/benchmarks/tables.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        # Only the keys the tables use: another setting changed does not redo them.
        architectures=config["architectures"],
        variants=json.dumps(
            {name: config["variants"][name] for name in config["regularisations"]}
        ),
        max_epochs=max(
            run_settings(config, reg, architecture=arch)["max_epochs"]
            for arch in config["architectures"]
            for reg in config["regularisations"]
        ),
        sizes=json.dumps(size_axis_summary()),
        command=COMMAND,
        translated=TRANSLATED,
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study tables --summaries {input.summaries} --metrics {input.metrics}"
        " --predictions {input.predictions} --best {input.best}"
        " --ensemble {input.ensemble}"
        " --architectures {params.architectures} --variants {params.variants:q}"
        " --max-epochs {params.max_epochs} --split {input.split}"
        " --errors {input.errors} --effects {input.effects} --sizes {params.sizes:q}"
        " --searches {input.searches} --command {params.command:q}"
        " --languages en {params.translated} --outputs {params.outputs} > {log} 2>&1"
