# Heartbeat in Swift. `make test` is the README's test command; `.ci/run` calls it.
PREFIX ?= /usr
DESTDIR ?=
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)

# Debian packages the build and the tests need; installed by `make deps` when run as root.
# heartbeat is Debian's 3.0.6, the reference peer of the interop tests.
# shellcheck, arping and psmisc serve the resource-script tests; socat bridges serial test links;
# tcpdump times heartbeats on the wire; curl is the demo's client.
# pacemaker-cli-utils (crm_verify, crm_simulate) and crmsh check `hbctl export pacemaker` output;
# crmsh replaces inetutils-ping with iputils-ping, which heartbeat accepts as well.
# groff-base and man-db render the man pages in tests; logrotate tests the shipped logrotate file.
# python3-prometheus-client parses the metrics endpoint's output in tests.
# keepalived is the other peer of `make bench` (its floating-address figure; iputils-ping its client).
# mariadb-server and python3-pymysql: the database suite (a MariaDB group on a shared disk, checked by a pymysql client).
DEB_PACKAGES := libssl-dev pkg-config iproute2 procps heartbeat dash shellcheck iputils-arping psmisc socat tcpdump curl openssl pacemaker-cli-utils crmsh groff-base man-db logrotate python3-prometheus-client keepalived iputils-ping mariadb-server python3-pymysql

.PHONY: all build deps print-deps demo demo-db bench test unit-test sim-sweep integration-test scenarios sim-scale soak clean install uninstall \
	fuzz fuzz-build fuzz-smoke flood

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "missing Debian packages:$$missing (run as root, or: sudo apt-get install$$missing)" >&2; exit 1; \
	  fi; \
	fi

print-deps:
	@echo $(DEB_PACKAGES)

# git cannot record mode 600; authkeys must not be readable by others (3.0.6 refuses it too).
build: deps
	chmod 600 ha.d/authkeys
	$(SWIFT) build -c $(CONFIG)

unit-test: deps
	chmod 600 ha.d/authkeys
	$(SWIFT) test
	bash Tests/scripts/run.sh

# Real daemons in network namespaces, using the release build: root, or the run fails (SKIP_NETNS=1
# skips them, counted in the closing "N passed, N failed, N skipped").
integration-test: build
	HB_BIN=$(CURDIR)/$(BIN) bash Tests/integration/run.sh

# 10,000 random fault schedules through the simulator (release build, one process per core).
SIM_SWEEP ?= 10000
sim-sweep: build
	@half=$$(( $(SIM_SWEEP) / 2 )); \
	$(BIN)/hbsim --seeds $$half --start 0 & first=$$!; \
	$(BIN)/hbsim --seeds $$(( $(SIM_SWEEP) - half )) --start $$half & second=$$!; \
	status=0; wait $$first || status=1; wait $$second || status=1; exit $$status

# Tests/scenarios/*.scenario in the simulator, then with real daemons in network namespaces (root,
# or the run fails; SKIP_NETNS=1 skips that half).
scenarios: build
	HB_BIN=$(CURDIR)/$(BIN) bash Tests/scenarios/run.sh

# 64 simulated nodes boot, converge and see one die; prints events/second (not part of `make test`:
# membership work per message grows with the node count, so this takes about a minute).
sim-scale: build
	$(BIN)/hbsim --scale 64

test: unit-test fuzz-smoke sim-sweep integration-test scenarios

# libFuzzer + ASan build of hbfuzz (one binary, the target picked by HBFUZZ_TARGET; Fuzz/run.sh).
# Debug: the build is what costs in CI, and unoptimised code still runs thousands of inputs a second.
FUZZ_CONFIG ?= debug
FUZZ_BIN := .build-fuzz/$(FUZZ_CONFIG)/hbfuzz
fuzz-build: deps
	$(SWIFT) build -c $(FUZZ_CONFIG) --product hbfuzz --scratch-path .build-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING -Xswiftc -use-ld=lld

# Every fuzz target for FUZZ_SECONDS each; `make test` runs each briefly to keep them alive.
FUZZ_SECONDS ?= 300
fuzz: fuzz-build
	HBFUZZ=$(FUZZ_BIN) FUZZ_SECONDS=$(FUZZ_SECONDS) bash Fuzz/run.sh
FUZZ_SMOKE_SECONDS ?= 6
fuzz-smoke: fuzz-build
	HBFUZZ=$(FUZZ_BIN) FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) bash Fuzz/run.sh

# The hostile-network test (Tests/integration/test_flood.sh) with a longer flood (root).
FLOOD_SECONDS ?= 60
flood: build
	FLOOD_SECONDS=$(FLOOD_SECONDS) FLOOD_PACKETS=100000000 HB_BIN=$(CURDIR)/$(BIN) TESTS=test_flood.sh \
	  bash Tests/integration/run.sh

# A long simulator sweep in release (about 40 seeds/s per core); failing seeds print their replay command.
SEEDS ?= 100000
START ?= 0
soak: deps
	$(SWIFT) run -c release hbsim --seeds $(SEEDS) --start $(START)

# Ours against Debian's Heartbeat 3.0.6 in the same namespaces, interleaved (root; see bench/README.md).
bench: build
	HB_BIN=$(CURDIR)/$(BIN) bash bench/bench.sh

# A two-node cluster of real daemons in network namespaces on this machine (root).
demo: build
	HB_BIN=$(CURDIR)/$(BIN) bash demo/demo.sh

# MariaDB on a shared disk with fencing (issue #18): two machines in namespaces, a client's live
# row count while the owner's heartbeat is killed, then the data check (root; DEMO_MODE=lsb).
demo-db: build
	HB_BIN=$(CURDIR)/$(BIN) bash demo/demo-db.sh

# Heartbeat 3.0.6's places: the daemon in $(PREFIX)/lib/heartbeat (+ sbin link), tools in bin and
# share/heartbeat, scripts in /etc/ha.d, the systemd unit, man pages; sample configs (and
# logrotate.d/heartbeat) only where none exist.
install: build
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) BIN=$(BIN) sh tools/install.sh install

uninstall:
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) sh tools/install.sh uninstall

clean:
	rm -rf .build
