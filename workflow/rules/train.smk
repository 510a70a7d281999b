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
