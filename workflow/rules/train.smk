# Training sees the training and validation splits only; the test images are not an input.
rule train:
    input:
        train=rules.prepare_data.output.train,
        split=rules.split_data.output.split,
        chosen=chosen_by_search,
    output:
        model=f"{RUN}/model.pt",
        history=f"{RUN}/history.csv",
        summary=f"{RUN}/train.json",
    log:
        f"results/logs/train/{{arch}}_{{reg}}_seed{{seed}}.log",
    benchmark:
        f"results/benchmarks/train/{{arch}}_{{reg}}_seed{{seed}}.tsv"
    conda:
        "../../environment.yml"
    # One thread: the study's small networks train more images per second as several
    # one-thread jobs side by side than as one job on every core. `--set-threads train=N`.
    threads: 1
    resources:
        mem_mb=4000,
        gpu=1 if uses_cuda() else 0,
    params:
        settings=training_settings,
        model_options=model_options,
        chosen=chosen_flag,
        device=config["device"],
        # The unfinished run's state after each epoch, kept by a killed job to resume from.
        resume=f"{RUN}/resume.pt",
    shell:
        "python -m study train --arch {wildcards.arch} --reg {wildcards.reg}"
        " --seed {wildcards.seed} --train {input.train} --split {input.split}"
        " --settings {params.settings:q} --model-options {params.model_options:q}"
        " {params.chosen} --device {params.device} --threads {threads}"
        " --model-out {output.model} --history-out {output.history}"
        " --summary-out {output.summary} --resume {params.resume} > {log} 2>&1"


# The size axis: every run of one architecture on one smaller training set (a nested
# stratified subset of the training split), in one job that pays its start-up once. Its
# runs keep their state until all are written, so a killed job retrains no finished run.
rule train_size:
    input:
        train=rules.prepare_data.output.train,
        split=rules.split_data.output.split,
        chosen=chosen_by_search,
    output:
        models=runs_of_group(f"{SIZED}/model.pt"),
        histories=runs_of_group(f"{SIZED}/history.csv"),
        summaries=runs_of_group(f"{SIZED}/train.json"),
    log:
        "results/logs/train_size/n{size}_{arch}.log",
    benchmark:
        "results/benchmarks/train_size/n{size}_{arch}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        gpu=1 if uses_cuda() else 0,
    params:
        runs=group_runs(),
        settings=lambda wildcards: json.dumps(
            {
                reg: size_settings(config, reg, wildcards.arch, int(wildcards.size))
                for reg in config["regularisations"]
            }
        ),
        model_options=model_options,
        chosen=chosen_flag,
        device=config["device"],
        resume=lambda wildcards: expand(
            runs_of_group(f"{SIZED}/resume.pt"),
            size=wildcards.size,
            arch=wildcards.arch,
        ),
    shell:
        "python -m study train-group --arch {wildcards.arch} --train-size {wildcards.size}"
        " --runs {params.runs} --train {input.train} --split {input.split}"
        " --settings {params.settings:q} --model-options {params.model_options:q}"
        " {params.chosen} --device {params.device} --threads {threads}"
        " --model-out {output.models} --history-out {output.histories}"
        " --summary-out {output.summaries} --resume {params.resume} > {log} 2>&1"
