"""Starts llama-cpp-python's server with llama.cpp's extra buffer types off, as ``--no-repack`` does
for llama-server.

Run by llama-cpp-python's own interpreter (its virtualenv in LLM_CACHE_DIR), never imported by the
project. On CPUs with AMX, llama.cpp's AMX/repack buffers crash on the first request (a segfault in
the server process); llama-server turns them off with ``--no-repack``, while llama-cpp-python 0.3.36
has the model parameter (``use_extra_bufts``) but no server option for it, so this sets its default.
Arguments are the server's own (``--model``, ``--port``, ...).
"""

from __future__ import annotations

import sys

import llama_cpp.llama_cpp as llama_low_level
from llama_cpp.server.__main__ import main

_default_model_params = llama_low_level.llama_model_default_params


def _model_params_without_extra_buffers() -> object:
    params = _default_model_params()
    params.use_extra_bufts = False
    return params


if __name__ == "__main__":
    llama_low_level.llama_model_default_params = _model_params_without_extra_buffers
    sys.argv[0] = "llama_cpp.server"
    main()
