# The hyper-parameter search of one architecture: Optuna trials on the training and
# validation splits only (the test images are not an input). Every `searched` training
# setting of the config is chosen here; the architecture's runs then take the chosen values.
# The trials are kept in an SQLite file beside the outputs, not declared as an output, so
# that an interrupted search keeps them and resumes.
rule search:
    input:
        train=rules.prepare_data.output.train,
        split=rules.split_data.output.split,
    output:
        chosen=f"{SEARCH}/chosen.json",
        trials=f"{SEARCH}/trials.csv",
    log:
        "results/logs/search/{arch}.log",
    benchmark:
        "results/benchmarks/search/{arch}.tsv"
    conda:
        "../../environment.yml"
    threads: 1  # like train: several one-thread searches side by side
    resources:
        mem_mb=4000,
        gpu=1 if uses_cuda() else 0,
    params:
        settings=lambda wildcards: json.dumps(trial_settings(config, wildcards.arch)),
        space=json.dumps(config["search"]["space"]),
        trials=config["search"]["trials"],
        train_images=(
            f"--train-images {config['search']['train_images']}"
            if config["search"]["train_images"]
            else ""
        ),
        seed=config["search"]["seed"],
        model_options=model_options,
        device=config["device"],
        storage=f"{SEARCH}/optuna.sqlite3",
    shell:
        "python -m study search --arch {wildcards.arch} --train {input.train}"
        " --split {input.split} --settings {params.settings:q} --space {params.space:q}"
        " --trials {params.trials} {params.train_images} --seed {params.seed}"
        " --model-options {params.model_options:q} --device {params.device}"
        " --threads {threads} --storage {params.storage} --chosen-out {output.chosen}"
        " --trials-out {output.trials} > {log} 2>&1"
