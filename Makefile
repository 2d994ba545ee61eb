# Heartbeat in Swift. `make test` is the README's test command; `.ci/run` calls it.
PREFIX ?= /usr
DESTDIR ?=
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)

# Debian packages the build and the tests need; installed by `make deps` when run as root.
DEB_PACKAGES := libssl-dev pkg-config iproute2 heartbeat

.PHONY: all build deps test unit-test clean install uninstall

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

build: deps
	$(SWIFT) build -c $(CONFIG)

unit-test: deps
	$(SWIFT) test

test: unit-test

clean:
	rm -rf .build
