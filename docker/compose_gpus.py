"""Write the docker compose file for a host with N GPUs (seed 003: all GPUs but the last draw pictures,
the last one cuts out and runs the LLM).

    python docker/compose_gpus.py 4 > docker/docker-compose.gpus4.yml

With N >= 2, GPUs 0 … N-2 get one `imagegen` worker each and GPU N-1 gets the `segment` worker (BiRefNet)
and, with `docker compose --profile llm`, an OpenAI-compatible LLM server (vLLM) for a model under /models.
With N = 1 the imagegen and segment workers share GPU 0 and the LLM is a server elsewhere
(ADGENESIS_LLM_BASE_URL). Write the file into docker/: its paths (build context, .env) are relative to it.
The committed docker-compose.yml (1 GPU) and docker-compose.gpus4.yml are this script's output;
tests/test_docker.py checks that they stay so.
"""

from __future__ import annotations

import argparse

import yaml

TORCH_INDEX_URL = "${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cu128}"
POSTGRES_PASSWORD = "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in docker/.env}"
MODELS_VOLUME = "${ADGENESIS_MODELS_DIR:-/srv/adgenesis/models}:/models:ro"
LLM_IMAGE = "vllm/vllm-openai:v0.18.0"
RQWORKER = ["python", "manage.py", "rqworker"]
MODEL_WORKER = ["--worker-class", "banners.worker.ModelWorker"]


class Flow(list):
    """A list written on one line: `[python, manage.py, migrate]`."""


class Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True  # every service written out in full, no &id001 anchors


Dumper.add_representer(
    Flow, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)
)
Dumper.add_representer(type(None), lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:null", ""))


def gpu_reservation(gpu: int) -> dict:
    """The host GPU a container gets. Inside the container it is the only GPU, numbered 0."""
    device = {"driver": "nvidia", "device_ids": Flow([str(gpu)]), "capabilities": Flow(["gpu"])}
    return {"resources": {"reservations": {"devices": [device]}}}


def app_service(command: list[str] | None, *, gpu: int | None = None) -> dict:
    """A container of the AdGenesis image (GPU build) running `command` (None: the image's, the web server),
    on host GPU `gpu` when given."""
    environment = {
        "DATABASE_URL": f"postgres://adgenesis:{POSTGRES_PASSWORD}@db:5432/adgenesis",
        "REDIS_URL": "redis://redis:6379/0",
        "ADGENESIS_MEDIA_ROOT": "/data/media",
    }
    service: dict = {
        "build": {
            "context": "..",
            "dockerfile": "docker/Dockerfile",
            "args": {"TORCH_INDEX_URL": TORCH_INDEX_URL, "GPU": "1"},
        },
    }
    if command is not None:
        service["command"] = Flow(command)
    service.update(
        {
            "env_file": ".env",
            "environment": environment,
            "volumes": ["media:/data/media", MODELS_VOLUME],
            "depends_on": {"db": {"condition": "service_healthy"}, "redis": {"condition": "service_started"}},
            "restart": "unless-stopped",
        }
    )
    if gpu is not None:
        environment["CUDA_VISIBLE_DEVICES"] = "0"
        service["deploy"] = gpu_reservation(gpu)
    return service


def llm_service(gpu: int) -> dict:
    """vLLM serving a model folder under /models as ADGENESIS_LLM_MODEL; started by `--profile llm` only."""
    return {
        "image": LLM_IMAGE,
        "profiles": Flow(["llm"]),
        # The image's entrypoint is `vllm serve`; the rest of the GPU is the segment worker's.
        "command": [
            "${ADGENESIS_LLM_SERVER_PATH:-/models/llm}",
            "--served-model-name",
            "${ADGENESIS_LLM_MODEL:-company-llm}",
            "--gpu-memory-utilization",
            "${ADGENESIS_LLM_GPU_MEMORY:-0.8}",
        ],
        "environment": {"HF_HUB_OFFLINE": "1"},
        "volumes": [MODELS_VOLUME],
        "ipc": "host",
        "deploy": gpu_reservation(gpu),
        "restart": "unless-stopped",
    }


def drawing_gpus(gpus: int) -> list[int]:
    """The GPUs with an imagegen worker: all but the last one, or the only one."""
    return list(range(max(gpus - 1, 1)))


def compose_config(gpus: int) -> dict:
    if gpus < 1:
        raise ValueError(f"gpus={gpus}: a GPU host has at least one GPU")
    last = gpus - 1
    web = app_service(None)
    web["ports"] = Flow(["${ADGENESIS_PORT:-8000}:8000"])
    web["depends_on"] = {"migrate": {"condition": "service_completed_successfully"}}
    migrate = app_service(["python", "manage.py", "migrate", "--noinput"])
    migrate["restart"] = "no"
    services = {
        "db": {
            "image": "pgvector/pgvector:pg16",
            "environment": {
                "POSTGRES_DB": "adgenesis",
                "POSTGRES_USER": "adgenesis",
                "POSTGRES_PASSWORD": POSTGRES_PASSWORD,
            },
            "volumes": Flow(["pgdata:/var/lib/postgresql/data"]),
            "healthcheck": {
                "test": Flow(["CMD-SHELL", "pg_isready -U adgenesis"]),
                "interval": "5s",
                "retries": 20,
            },
            "restart": "unless-stopped",
        },
        "redis": {
            "image": "redis:7-alpine",
            "command": Flow(["redis-server", "--appendonly", "yes"]),
            "volumes": Flow(["redisdata:/data"]),
            "restart": "unless-stopped",
        },
        "migrate": migrate,
        "web": web,
        # --with-scheduler: delayed retries (webhook backoff) come back to the queue on time
        "worker-default": app_service(
            [*RQWORKER, "default", "--worker-class", "banners.worker.BannerWorker", "--with-scheduler"]
        ),
        "worker-segment": app_service([*RQWORKER, "segment", *MODEL_WORKER], gpu=last),
    }
    for gpu in drawing_gpus(gpus):
        # It takes style LoRA trainings (the `train` queue) when no picture is waiting.
        services[f"worker-imagegen-gpu{gpu}"] = app_service([*RQWORKER, "imagegen", "train", *MODEL_WORKER], gpu=gpu)
    if gpus > 1:
        services["llm"] = llm_service(last)
    return {"services": services, "volumes": {"pgdata": None, "redisdata": None, "media": None}}


def header(gpus: int) -> str:
    if gpus == 1:
        layout = "GPU 0: the imagegen worker and the segment worker (BiRefNet); the LLM is a server elsewhere."
    else:
        drawing = "GPU 0" if gpus == 2 else f"GPUs 0-{gpus - 2}"
        layout = (
            f"{drawing}: one imagegen worker each. GPU {gpus - 1}: the segment worker (BiRefNet) and,"
            " with --profile llm, the LLM server."
        )
    lines = [
        f"Generated by `python docker/compose_gpus.py {gpus}`: edit the script, not this file.",
        f"AdGenesis on a host with {gpus} GPU{'s' if gpus > 1 else ''}: PostgreSQL+pgvector, Redis, the web server,"
        " a default worker.",
        layout,
        "A GPU service reserves its host GPU (device_ids); inside its container that GPU is CUDA device 0.",
        'Models are read from /models (ADGENESIS_MODELS_DIR on the host), never downloaded: README "GPU host".',
    ]
    return "".join(f"# {line}\n" for line in lines)


def compose_file(gpus: int) -> str:
    body = yaml.dump(compose_config(gpus), Dumper=Dumper, sort_keys=False, width=120, allow_unicode=True)
    return header(gpus) + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gpus", type=int, help="number of GPUs on the host")
    args = parser.parse_args()
    if args.gpus < 1:
        parser.error("gpus must be at least 1")
    print(compose_file(args.gpus), end="")


if __name__ == "__main__":
    main()
