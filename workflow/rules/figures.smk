# Step 1, getting to know the data, is a notebook: the executed copy is kept beside the results
# and can be opened as it is; `snakemake --edit-notebook <one of its outputs>` edits it.
rule explore_data:
    input:
        train=rules.prepare_data.output.train,
        test=rules.prepare_data.output.test,
        split=rules.split_data.output.split,
    output:
        samples=report(
            "results/figures/samples.png",
            category="1. Data",
            caption="../report/samples.rst",
        ),
        balance=report(
            "results/figures/class_balance.png",
            category="1. Data",
            caption="../report/class_balance.rst",
        ),
        means=report(
            "results/figures/class_means.png",
            category="1. Data",
            caption="../report/class_means.rst",
        ),
        intensity=report(
            "results/figures/intensity.png",
            category="1. Data",
            caption="../report/intensity.rst",
        ),
        ink=report(
            "results/figures/ink.png",
            category="1. Data",
            caption="../report/ink.rst",
        ),
        structure=report(
            "results/tables/data_structure.md",
            category="1. Data",
            caption="../report/data_structure.rst",
        ),
    log:
        notebook="results/notebooks/explore_data.ipynb",
    benchmark:
        "results/benchmarks/explore_data.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    notebook:
        "../notebooks/explore_data.py.ipynb"


# The data figures of a translated edition, drawn without the notebook (which draws the
# English ones and is the place to explore the data).
rule explore_figures:
    input:
        train=rules.prepare_data.output.train,
        test=rules.prepare_data.output.test,
        split=rules.split_data.output.split,
    output:
        **translated(rules.explore_data.output),
    log:
        "results/logs/figures/exploration_{lang}.log",
    benchmark:
        "results/benchmarks/figures/exploration_{lang}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study figures exploration --train {input.train} --test {input.test}"
        " --split {input.split} --language {wildcards.lang}"
        " --outputs {params.outputs} > {log} 2>&1"


rule result_figures:
    input:
        runs=rules.tables.output.runs_csv,
        best=rules.select_best.output.best,
        summaries=all_runs(rules.train.output.summary),
        histories=all_runs(rules.train.output.history),
    output:
        curves=report(
            "results/figures/learning_curves.png",
            category="2. Training",
            caption="../report/learning_curves.rst",
        ),
        curves_best="results/figures/learning_curves_best.png",
        accuracy=report(
            "results/figures/accuracy_by_variant.png",
            category="2. Training",
            caption="../report/accuracy_by_variant.rst",
        ),
    log:
        "results/logs/figures/results.log",
    benchmark:
        "results/benchmarks/figures/results.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        language="en",
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study figures results --runs {input.runs} --best {input.best}"
        " --summaries {input.summaries} --histories {input.histories}"
        " --language {params.language} --outputs {params.outputs} > {log} 2>&1"


# The best run was chosen on validation by select_best; these figures evaluate it.
rule best_model_figures:
    input:
        best=rules.select_best.output.best,
        summaries=all_runs(rules.train.output.summary),
        predictions=all_runs(TESTED["predictions"]),
        confusions=all_runs(TESTED["confusion"]),
        test=rules.prepare_data.output.test,
        calibration=rules.calibrate.output.calibration,
    output:
        confusion=report(
            "results/figures/confusion.png",
            category="3. Evaluation of the chosen run",
            caption="../report/confusion.rst",
        ),
        misclassified=report(
            "results/figures/misclassified.png",
            category="3. Evaluation of the chosen run",
            caption="../report/misclassified.rst",
        ),
        reliability=report(
            "results/figures/reliability.png",
            category="3. Evaluation of the chosen run",
            caption="../report/reliability.rst",
        ),
    log:
        "results/logs/figures/best_model.log",
    benchmark:
        "results/benchmarks/figures/best_model.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        language="en",
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study figures best --best {input.best} --summaries {input.summaries}"
        " --predictions {input.predictions} --confusions {input.confusions}"
        " --test {input.test} --calibration {input.calibration}"
        " --language {params.language} --outputs {params.outputs} > {log} 2>&1"


# Inside the best convolutional network (chosen on validation).
rule inside_figures:
    input:
        analysis=rules.look_inside.output.inside,
        best=rules.select_best.output.best,
        summaries=all_runs(rules.train.output.summary),
        models=all_runs(rules.train.output.model),
    output:
        filters=report(
            "results/figures/filters.png",
            category="4. Inside the networks",
            caption="../report/filters.rst",
        ),
        maps=report(
            "results/figures/feature_maps.png",
            category="4. Inside the networks",
            caption="../report/feature_maps.rst",
        ),
        attributions=report(
            "results/figures/attributions.png",
            category="4. Inside the networks",
            caption="../report/attributions.rst",
        ),
        occlusion=report(
            "results/figures/occlusion.png",
            category="4. Inside the networks",
            caption="../report/occlusion.rst",
        ),
        top=report(
            "results/figures/top_activations.png",
            category="4. Inside the networks",
            caption="../report/top_activations.rst",
        ),
    log:
        "results/logs/figures/inside.log",
    benchmark:
        "results/benchmarks/figures/inside.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        language="en",
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study figures inside --analysis {input.analysis} --best {input.best}"
        " --summaries {input.summaries} --models {input.models}"
        " --language {params.language} --outputs {params.outputs} > {log} 2>&1"


# What training and convolution change: the MLP, an untrained CNN and the best CNN.
rule tsne_figure:
    input:
        analysis=rules.embeddings.output.embeddings,
    output:
        tsne=report(
            "results/figures/tsne.png",
            category="4. Inside the networks",
            caption="../report/tsne.rst",
        ),
    log:
        "results/logs/figures/tsne.log",
    benchmark:
        "results/benchmarks/figures/tsne.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=1000,
    params:
        language="en",
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study figures tsne --analysis {input.analysis}"
        " --language {params.language} --outputs {params.outputs} > {log} 2>&1"


rule robustness_figure:
    input:
        analysis=rules.robustness.output.curves,
        best=rules.select_best.output.best,
    output:
        figure=report(
            "results/figures/robustness.png",
            category="4. Inside the networks",
            caption="../report/robustness.rst",
        ),
    log:
        "results/logs/figures/robustness.log",
    benchmark:
        "results/benchmarks/figures/robustness.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=1000,
    params:
        language="en",
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study figures robustness --analysis {input.analysis} --best {input.best}"
        " --language {params.language} --outputs {params.outputs} > {log} 2>&1"


# The size axis: the test error and the gain of each variant against the training-set
# size, and the learning curves on the smallest training set.
rule size_figures:
    input:
        errors=rules.effects.output.errors,
        effects=rules.effects.output.effects,
        summaries=smallest_sized_runs(f"{SIZED}/train.json"),
        histories=smallest_sized_runs(f"{SIZED}/history.csv"),
    output:
        by_size=report(
            "results/figures/error_by_size.png",
            category="2. Training",
            caption="../report/error_by_size.rst",
        ),
        gain="results/figures/gain_by_size.png",
        small_curves="results/figures/small_set_curves.png",
    log:
        "results/logs/figures/sizes.log",
    benchmark:
        "results/benchmarks/figures/sizes.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        language="en",
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study figures sizes --errors {input.errors} --effects {input.effects}"
        " --summaries {input.summaries} --histories {input.histories}"
        " --language {params.language} --outputs {params.outputs} > {log} 2>&1"


# Every figure again for each translated edition (render.languages), drawn from the same
# analyses: only the words and the numbers' format change.


use rule result_figures as result_figures_translated with:
    output:
        **translated(rules.result_figures.output),
    log:
        "results/logs/figures/results_{lang}.log",
    benchmark:
        "results/benchmarks/figures/results_{lang}.tsv"
    params:
        language=lambda wildcards: wildcards.lang,
        outputs=lambda wildcards, output: named(output),


use rule best_model_figures as best_model_figures_translated with:
    output:
        **translated(rules.best_model_figures.output),
    log:
        "results/logs/figures/best_model_{lang}.log",
    benchmark:
        "results/benchmarks/figures/best_model_{lang}.tsv"
    params:
        language=lambda wildcards: wildcards.lang,
        outputs=lambda wildcards, output: named(output),


use rule inside_figures as inside_figures_translated with:
    output:
        **translated(rules.inside_figures.output),
    log:
        "results/logs/figures/inside_{lang}.log",
    benchmark:
        "results/benchmarks/figures/inside_{lang}.tsv"
    params:
        language=lambda wildcards: wildcards.lang,
        outputs=lambda wildcards, output: named(output),


use rule tsne_figure as tsne_figure_translated with:
    output:
        **translated(rules.tsne_figure.output),
    log:
        "results/logs/figures/tsne_{lang}.log",
    benchmark:
        "results/benchmarks/figures/tsne_{lang}.tsv"
    params:
        language=lambda wildcards: wildcards.lang,
        outputs=lambda wildcards, output: named(output),


use rule robustness_figure as robustness_figure_translated with:
    output:
        **translated(rules.robustness_figure.output),
    log:
        "results/logs/figures/robustness_{lang}.log",
    benchmark:
        "results/benchmarks/figures/robustness_{lang}.tsv"
    params:
        language=lambda wildcards: wildcards.lang,
        outputs=lambda wildcards, output: named(output),


use rule size_figures as size_figures_translated with:
    output:
        **translated(rules.size_figures.output),
    log:
        "results/logs/figures/sizes_{lang}.log",
    benchmark:
        "results/benchmarks/figures/sizes_{lang}.tsv"
    params:
        language=lambda wildcards: wildcards.lang,
        outputs=lambda wildcards, output: named(output),
