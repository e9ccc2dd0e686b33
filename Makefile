# SPDX-License-Identifier: GPL-2.0-only
#
# Axon: the whole stack from one place.
#
#   make            axon.ko against Debian's 6.12 headers (fetched into the cache)
#   make run        render a line of text, read it with PP-OCRv4 on two Axon devices
#                   in a guest (axon ocr), and with ONNX Runtime on the host
#   make check      every test and gate; ends with "N passed, N failed, N skipped"
#   make shell      interactive guest shell with two Axon devices
#   make bench      micro-benchmarks, and the PP-OCR models on Axon vs ONNX Runtime
#   make bench-nn   only the PP-OCR models on Axon vs ONNX Runtime
#   make deb        Debian packages in build/deb (axon-dkms, libaxon1, libaxon-dev, axon-tools)
#   make deb-test   install them with apt in a Debian 12 guest, run axon as a user
#   make KDIR=/lib/modules/$(uname -r)/build    axon.ko for another kernel
#
# Downloads and builds live in $(AXON_CACHE) (default ~/.cache/axon), never in
# the clone. Everything is installed by the targets themselves.

AXON_CACHE ?= $(HOME)/.cache/axon
export AXON_CACHE

SHELL := /bin/bash
DEPS := bash $(CURDIR)/tools/build/deps.sh
VM := $(CURDIR)/tools/testing/axon-vm
OUT := $(CURDIR)/build
SELFTESTS := tools/testing/selftests/drivers/accel/axon
AXON_BIN := $(CURDIR)/tools/axon/build-static/axon
KSFT_DIR = $(AXON_CACHE)/linux-source/tree/tools/testing/selftests
NNREF := $(CURDIR)/tools/nn/ref
NNDATA := $(OUT)/nn-models
# the line of text make run renders and reads
OCR_TEXT ?= AXON 2026

# Kernel to build against: Debian's 6.12 headers unless KDIR is given.
kdir = $(if $(KDIR),$(KDIR),$(shell $(DEPS) env | sed -n 's/^AXON_KDIR=//p'))

.PHONY: all modules deps qemu selftests stress userspace guest-bin run check shell bench clean \
	help install-udev nn-data bench-nn deb deb-test

all: modules

help:
	@sed -n '3,15s/^# \{0,1\}//p' Makefile

deps:
	@$(DEPS) packages kernel source qemu-src

modules:
	@$(DEPS) packages $(if $(KDIR),,kernel)
	$(MAKE) -C $(kdir) M=$(CURDIR) CONFIG_DRM_ACCEL_AXON=m modules

qemu:
	@bash tools/qemu/build.sh

selftests:
	@$(DEPS) packages source
	$(MAKE) -C $(SELFTESTS) OUTPUT=$(OUT)/selftests KSFT_DIR=$(KSFT_DIR) \
		UAPI_DIR=$(CURDIR)/include/uapi

# The random-ioctl stress of make check (tools/testing/stress), static.
stress:
	@mkdir -p $(OUT)/stress
	$(CC) -static -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I$(CURDIR)/include/uapi \
		-I/usr/include/libdrm -o $(OUT)/stress/axon-stress tools/testing/stress/axon-stress.c

userspace:
	@$(DEPS) packages
	$(MAKE) -C tools/libaxon STATIC=1
	$(MAKE) -C tools/axon STATIC=1

guest-bin: modules qemu userspace

# The models and key file (npm, into the cache), ONNX Runtime's reference
# outputs, the rendered text and what ONNX Runtime reads in it
# (tools/nn/ref/stage-models).
nn-data:
	@mkdir -p $(OUT)
	@$(NNREF)/stage-models $(NNDATA) '$(OCR_TEXT)' | sed -n '/axon-prog/d; s/^# /ONNX Runtime (host): /p'

# detection on device 0, recognition on device 1 (axon ocr, tools/axon/ocr.c)
run: guest-bin nn-data
	@$(VM) --devices 2 --add $(AXON_BIN) --add $(NNDATA)/models:/axon/models \
		--add $(NNDATA)/text.ppm:/axon/text.ppm --timeout 300 -- \
		'axon info && echo && axon ocr /axon/text.ppm --models /axon/models'

shell: guest-bin selftests
	@$(VM) --devices 2 --device-props debug=on --add $(AXON_BIN) \
		--add $(OUT)/selftests:/axon/selftests --shell

# ONNX Runtime first on the idle host, then the guest, then the table of
# ratios (tools/nn/ref/bench-table)
bench bench-nn: guest-bin nn-data
	@mkdir -p $(OUT)
	@eval "$$($(DEPS) env)"; export AXON_ORT_DIR AXON_OCR_MODELS; \
		node $(NNREF)/ort-ref.js bench --iters 20 > $(OUT)/bench-ort.csv
	@$(VM) --devices 2 --add $(AXON_BIN) --timeout 1500 \
		--add $(NNDATA)/models:/axon/models --add $(NNREF)/nn-bench \
		--add $(OUT):/axon/out -- \
		$(if $(filter bench-nn,$@),'nn-bench /axon/models',\
		'axon bench --out /tmp/bench.csv && cat /tmp/bench.csv && nn-bench /axon/models') \
		| tee $(OUT)/bench.txt
	@$(NNREF)/bench-table $(OUT)/bench-ort.csv $(OUT)/bench.txt | tee $(OUT)/bench-nn.txt

check:
	@python3 tools/testing/run-checks $(if $(ONLY),--only $(ONLY))

deb:
	@$(DEPS) packages deb
	@bash tools/deb/build-debs.sh

# Boots a cached Debian 12 root filesystem (tools/deb/rootfs.sh) with two
# Axon devices and installs the packages there with apt (tools/deb/install-test).
deb-test: deb qemu
	@python3 tools/deb/install-test --debs $(OUT)/deb

install-udev:
	install -D -m 644 tools/udev/70-axon.rules $(DESTDIR)/etc/udev/rules.d/70-axon.rules

clean:
	-$(MAKE) -C $(kdir) M=$(CURDIR) CONFIG_DRM_ACCEL_AXON=m clean
	-$(MAKE) -C tools/libaxon clean
	-$(MAKE) -C tools/libaxon STATIC=1 clean
	-$(MAKE) -C tools/axon clean
	-$(MAKE) -C tools/axon STATIC=1 clean
	-$(MAKE) -C tools/nn clean
	rm -rf $(OUT)
