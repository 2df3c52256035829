# Build settings shared by every component's Makefile.

.DEFAULT_GOAL := all
# Debian's own tools first (python3 with python3-jsonschema and python3-yaml
# from the package lists), whatever else a machine puts on PATH.
export PATH := /usr/sbin:/usr/bin:/sbin:/bin:$(PATH)
# Include with:  TOP := $(abspath ..)   include $(TOP)/lib/common.mk

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
           -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -I$(TOP)/lib

# lib/uapi/: the ABI headers shared with the kernel module (memwatch.h);
# kmod/Kbuild adds the same directory for the module itself.
UAPI_CFLAGS := -I$(TOP)/lib/uapi

# Shared cJSON (host programs: harness, runtime CLI, tests).
CJSON_CFLAGS := $(shell pkg-config --cflags libcjson 2>/dev/null)
CJSON_LIBS   := $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)

# Static cJSON (programs that run inside guests and containers: workloads,
# guest runner). Built from Debian's cjson source package by ci/static-cjson.
STATIC_CJSON_DIR    := $(TOP)/build/cjson
STATIC_CJSON_CFLAGS := -I$(STATIC_CJSON_DIR)/include
STATIC_CJSON_LIBS   := $(STATIC_CJSON_DIR)/lib/libcjson.a
STATIC_LDFLAGS      := -static -pthread

$(STATIC_CJSON_DIR)/lib/libcjson.a:
	$(TOP)/ci/static-cjson

# cmocka for C unit tests; prove(1) aggregates TAP from every test.
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
PROVE         ?= prove
PROVE_FLAGS   ?= --exec '' --timer

# lib/: the C code more than one component needs (lib/README.md), one
# archive for host programs and static guest binaries alike. Link it after
# the program's objects: $(HCOMMON_LIB). Components get it built on demand.
HCOMMON_LIB := $(TOP)/build/lib/libhcommon.a
ifndef HCOMMON_BUILDING
.PHONY: hcommon-always
hcommon-always:
$(HCOMMON_LIB): hcommon-always
	@$(MAKE) --no-print-directory -C $(TOP)/lib all
endif
