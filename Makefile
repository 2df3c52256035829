# Every entry point of the project. See README.md.
#   make            build everything (warnings are errors)
#   make check      fast unit tests of every component
#   make test       the whole test suite: deps, build, fuzzers, clean room (make check), images, real guests
#   make suite      the main job: deps, build, images, default suite, PDF
#   make vm-up / vm-down, make images, make report RESULTS=results/<id>

SHELL := /bin/bash
# Debian's own tools first (python3 with python3-jsonschema and python3-yaml
# from the package lists), whatever else a machine puts on PATH.
export PATH := /usr/sbin:/usr/bin:/sbin:/bin:$(PATH)
TOP := $(CURDIR)
HARNESS := $(TOP)/build/bin/harness
PAYLOAD := $(TOP)/build/guest-root
COMPONENTS := lib workloads guest runtime reports harness
GUEST_COMPONENTS := workloads guest runtime
IMAGES := general security tiny
SUITE ?= default
REPORT ?= $(TOP)/results/report.pdf

.PHONY: all deps build payload kmod-payload images check fuzz fuzz-run test integration clean-room suite vm-up vm-down report clean \
	libvirtd-start libvirtd-stop $(COMPONENTS)

all: deps build payload

deps:
	@$(TOP)/ci/deps

build: $(COMPONENTS)

$(COMPONENTS):
	@$(MAKE) --no-print-directory -C $@ all

harness: reports

# lib/ first: the others link build/lib/libhcommon.a (one make at a time in lib/).
$(filter-out lib,$(COMPONENTS)): lib
# lib/ first: the others link build/lib/libhcommon.a (one make at a time in lib/).
$(filter-out lib,$(COMPONENTS)): lib

# The tree of files that goes into every guest image, with a manifest of
# their digests (the prepared images are keyed by it).
payload: $(GUEST_COMPONENTS)
	@rm -rf $(PAYLOAD) && mkdir -p $(PAYLOAD)/opt/harness
	@for c in $(GUEST_COMPONENTS); do \
		$(MAKE) --no-print-directory -s -C $$c install-guest DESTDIR=$(PAYLOAD) || exit 1; done
	@if [ -f $(TOP)/build/kmod-payload.stamp ]; then cp -a $(TOP)/build/kmod-payload/opt/harness/. $(PAYLOAD)/opt/harness/; fi
	@cd $(PAYLOAD)/opt/harness && find . -type f ! -name MANIFEST.sha256 | LC_ALL=C sort | \
		xargs sha256sum > MANIFEST.sha256
	@echo "payload: $$(wc -l < $(PAYLOAD)/opt/harness/MANIFEST.sha256) files in $(PAYLOAD)"

# The kernel module for both guest kernels, built in their own build roots
# (ci/guest-kernel: a few minutes the first time, cached after).
kmod-payload:
	@rm -rf $(TOP)/build/kmod-payload
	@$(MAKE) --no-print-directory -C kmod install-guest DESTDIR=$(TOP)/build/kmod-payload
	@touch $(TOP)/build/kmod-payload.stamp

# Base images (mmdebstrap, cached by recipe digest), then one libguestfs
# launch per image to inject this build's payload.
images: deps all kmod-payload
	@$(MAKE) --no-print-directory payload
	@for i in $(IMAGES); do $(TOP)/images/build-image $$i >/dev/null || exit 1; done
	@$(HARNESS) image prepare $(IMAGES)

libvirtd-start:
	@$(TOP)/ci/libvirtd start

libvirtd-stop:
	@$(TOP)/ci/libvirtd stop

vm-up: images libvirtd-start
	@$(HARNESS) vm up

vm-down:
	@if [ -x $(HARNESS) ]; then $(HARNESS) vm down || true; fi
	@$(TOP)/ci/libvirtd stop

check: deps
	@$(MAKE) --no-print-directory build
	@rc=0; for c in $(COMPONENTS) kmod; do \
		echo "== $$c: unit tests"; $(MAKE) --no-print-directory -C $$c check || rc=1; done; \
	for c in lib workloads guest harness; do \
		echo "== $$c: unit tests under ASan+UBSan"; $(MAKE) --no-print-directory -C $$c check-asan || rc=1; done; exit $$rc

# libFuzzer targets (suite parser, run records, the runner's spec): build,
# and a short bounded run of each (FUZZ_SECONDS, default 20) on the corpus
# kept in the tree.
fuzz:
	@for c in harness guest runtime; do $(MAKE) --no-print-directory -C $$c fuzz || exit 1; done
fuzz-run:
	@for c in harness guest runtime; do $(MAKE) --no-print-directory -C $$c fuzz-run || exit 1; done

integration: images
	@rc=0; echo "== ci: integration tests"; prove --exec '' --timer ci/tests/t-*.sh || rc=1; \
	for c in workloads guest runtime kmod harness; do \
		echo "== $$c: integration tests"; $(MAKE) --no-print-directory -C $$c integration || rc=1; done; exit $$rc

# A fresh Debian 12 root installs, builds and starts the project from a clean
# copy of this tree (ci/clean-room; a few minutes, most of it 'make deps').
clean-room:
	@echo "== clean room: a fresh Debian 12 machine"
	@s=$$(date +%s); $(TOP)/ci/clean-room; rc=$$?; echo "== clean room: $$(( $$(date +%s) - s )) s"; exit $$rc

# The unit tests (make check) run once, in the clean room's fresh root:
# running them here as well cost four minutes of the 45-minute budget.
test: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory fuzz-run
	@$(MAKE) --no-print-directory clean-room
	@$(MAKE) --no-print-directory integration

# vm1 and vm2 stay up afterwards (the suite borrows them); make vm-down
# removes them and stops a daemon that ci/libvirtd started.
suite: vm-up
	@set -o pipefail; $(HARNESS) run suite $(SUITE) 2>&1 | tee $(TOP)/build/suite.log; rc=$$?; \
	dir=$$(sed -n 's/^results: //p' $(TOP)/build/suite.log | tail -n 1); \
	[ -n "$$dir" ] || exit 1; \
	$(HARNESS) report "$$dir" -o "$$dir/report.pdf" >/dev/null || exit 1; \
	echo "report: $$dir/report.pdf"; exit $$rc

report:
	@test -n "$(RESULTS)" || { echo "usage: make report RESULTS=results/<run-id>" >&2; exit 2; }
	@$(HARNESS) report $(RESULTS) -o $(RESULTS)/report.pdf

clean:
	@for c in $(COMPONENTS) kmod; do $(MAKE) --no-print-directory -C $$c clean || true; done
	rm -rf $(TOP)/build

# make install [PREFIX=/usr/local] [DESTDIR=]: the harness command (a link to
# build/bin/harness, which finds the tree from its own path), harness(1),
# harness-suite(5), harness-runtime(8) and the bash completion.
PREFIX ?= /usr/local
.PHONY: install
install: build
	@$(MAKE) --no-print-directory -C harness install
	@install -d $(DESTDIR)$(PREFIX)/share/man/man8
	@install -m 0644 runtime/man/harness-runtime.8 $(DESTDIR)$(PREFIX)/share/man/man8/harness-runtime.8
