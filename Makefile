# nlecho: a Rust netlink kernel module and its Rust userspace peer.
#
#   make          build nlecho.ko against KDIR and the nlecho CLI
#   make run      the hello round trip in Debian's stock kernel under QEMU
#   make test     every test; ends with "N passed, N failed"
#   make bench    Rust module vs C module vs floor; writes docs/BENCHMARKS.md
#   make install  the modules (then depmod) and the CLI; DESTDIR, PREFIX
#   make lint     rustfmt and clippy on both sides (also part of make test)
#   make rust-analyzer  rust-project.json for module/, for editors
#
# KDIR defaults to the running kernel's build directory when it has Rust
# support (rust/libkernel.rmeta), otherwise to the stock kernel's build root.
# `make run` and `make test` always build for the kernel they boot, KREL.

KREL ?= 7.2.13+deb14-amd64
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/rust/libkernel.rmeta),$(RUNNING_KDIR))
export KREL

CARGO ?= cargo
PREFIX ?= /usr/local
BIN := target/x86_64-unknown-linux-gnu/release/nlecho
# Warnings are errors in CI (W=e makes kbuild pass -Werror and -Dwarnings).
KBUILD_W := $(if $(CI),W=e)

.PHONY: all module vm-module userspace run test bench install lint rust-analyzer clean

all: module userspace

ifneq ($(KDIR),)
module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_W) modules
else
module: vm-module
endif

# nlecho.ko for KREL, built in the sid build root: build/$(KREL)/nlecho.ko.
vm-module:
	scripts/build-module $(KBUILD_W)

userspace:
	$(CARGO) build --release --workspace

run: vm-module userspace
	scripts/vm-run --timeout 300 -- 'nlecho hello && echo && dmesg | grep nlecho:'

test: vm-module userspace
	tests/run

bench: vm-module userspace
	scripts/bench

# With a Rust-enabled KDIR, kbuild installs into its release (and runs
# depmod); otherwise the stock build for KREL is installed.
install: module userspace
ifneq ($(KDIR),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
else
	DESTDIR=$(DESTDIR) scripts/install-module
endif
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/nlecho

lint:
	scripts/lint

rust-analyzer:
ifneq ($(KDIR),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) rust-analyzer
else
	scripts/rust-analyzer
endif

clean:
	$(CARGO) clean
	rm -rf build tests/bin
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
