# Training sees the training and validation splits only; the test images are not an input.
rule train:
    input:
        train=rules.prepare_data.output.train,
        split=rules.split_data.output.split,
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
    threads: 2
    resources:
        mem_mb=4000,
        gpu=1 if uses_cuda() else 0,
    params:
        settings=training_settings,
        device=config["device"],
        out_dir=lambda wildcards, output: Path(output[0]).parent,
    shell:
        "python -m study train --arch {wildcards.arch} --reg {wildcards.reg}"
        " --seed {wildcards.seed} --train {input.train} --split {input.split}"
        " --settings {params.settings:q} --device {params.device} --threads {threads}"
        " --out-dir {params.out_dir} > {log} 2>&1"
