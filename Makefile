# nlecho: a Rust netlink kernel module and its Rust userspace peer.
#
#   make           nlecho.ko for the running kernel (or KREL/KDIR), and the CLI
#   make run       the hello round trip in Debian's stock kernel under QEMU
#   make test      every test on one kernel; ends with "N passed, N failed"
#   make test-all  every test on every supported kernel and the debug-kernel
#                  lane (what CI runs)
#   make test-debug  the host tests and the debug-kernel lane: the suite on
#                  a KASAN, lockdep and kmemleak kernel of KREL's source
#   make bench     Rust module vs C module vs floor; writes docs/BENCHMARKS.md
#   make install   the modules (then depmod), the CLI, its man pages and
#                  completions; DESTDIR, PREFIX
#   make dkms      the sources into /usr/src/nlecho-VERSION, then dkms add
#   make lint      rustfmt and clippy on both sides (also part of make test)
#   make rust-analyzer  rust-project.json for module/, for editors
#
# Building and installing target the running kernel (`uname -r`) unless
# KREL names another release: with KDIR, or /lib/modules/KREL/build, that
# ships Rust artifacts (rust/libkernel.rmeta), kbuild runs against it;
# otherwise the modules are built in nlecho's Debian build root for KREL.
# run, test and bench boot a stock kernel in QEMU: KREL, else the first
# supported release (scripts/common.sh lists them).

TARGET_KREL := $(or $(KREL),$(shell uname -r))
KDIR ?= $(if $(wildcard /lib/modules/$(TARGET_KREL)/build/rust/libkernel.rmeta),/lib/modules/$(TARGET_KREL)/build)

CARGO ?= cargo
PREFIX ?= /usr/local
# make install strips the modules' debug info, as Debian does for its own
# (scripts/install-module says why); INSTALL_MOD_STRIP= keeps it.
INSTALL_MOD_STRIP ?= 1
export INSTALL_MOD_STRIP
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml)
BIN := target/x86_64-unknown-linux-gnu/release/nlecho
ASSETS := target/assets
# Warnings are errors in CI (W=e makes kbuild pass -Werror and -Dwarnings).
KBUILD_W := $(if $(CI),W=e)

.PHONY: all module vm-module userspace assets run test test-all test-debug bench install dkms lint rust-analyzer clean

all: module userspace

ifneq ($(KDIR),)
module:
	scripts/check-kdir $(KDIR)
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_W) modules
else
module:
	KREL=$(TARGET_KREL) scripts/build-module $(KBUILD_W)
endif

# The modules for the kernel QEMU boots, built in its build root:
# build/KREL/*.ko.
vm-module:
	scripts/build-module $(KBUILD_W)

userspace:
	$(CARGO) build --release --workspace

# Man pages and shell completions, generated from the CLI's definitions.
assets: userspace
	rm -rf $(ASSETS) && $(BIN) generate-assets $(ASSETS)

run: vm-module userspace
	scripts/vm-run --timeout 300 -- sh -c 'nlecho hello && echo && dmesg | grep nlecho:'

test: userspace
	tests/run

test-all: userspace
	tests/run --all

test-debug: userspace
	tests/run --debug

bench: vm-module userspace
	$(CARGO) build --release -p nlecho-bench
	scripts/bench

# With a Rust-enabled KDIR, kbuild installs into its release (and runs
# depmod); otherwise the build root's modules for KREL are installed.
install: module assets
ifneq ($(KDIR),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
else
	KREL=$(TARGET_KREL) DESTDIR=$(DESTDIR) scripts/install-module
endif
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/nlecho
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(ASSETS)/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -D -m 0644 $(ASSETS)/completions/nlecho.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/nlecho
	install -D -m 0644 $(ASSETS)/completions/_nlecho $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_nlecho
	install -D -m 0644 $(ASSETS)/completions/nlecho.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/nlecho.fish

# DKMS builds the modules for each installed kernel, and again after a
# kernel upgrade (dkms.conf, scripts/dkms-build).
dkms:
	DESTDIR=$(DESTDIR) VERSION=$(VERSION) scripts/install-dkms

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
