# wxpay_close.h -- the front door. `make help` lists the targets.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion \
           -Wshadow -Wstrict-prototypes -Werror
BUILD   := build

.PHONY: all help test demo readme-demo check fuzz size bench mutate install clean

all:            ## build the command-line tool and the examples
	@$(MAKE) --no-print-directory -f examples/examples.mk all

help:           ## list the targets
	@grep -E '^[a-z-]+:.*##' Makefile | sed 's/:.*##/\t/'

test:           ## unit tests, cross-checks, emulator, adapters, CLI (prints N passed, N failed)
	@sh tests/run.sh

demo: all       ## close an order against the bundled local emulator
	@sh examples/demo.sh

readme-demo:    ## build the README's program and run it against the bundled emulator
	@CC="$(CC)" sh examples/readme_demo.sh

check:          ## sanitizer and compiler matrix, big-endian run, static analysis
	@sh tests/check.sh

fuzz:           ## libFuzzer targets, FUZZ_SECONDS each (default 60)
	@sh tests/fuzz/run.sh

size:           ## flash and stack table for Cortex-M0+/M4 builds
	@sh tests/size/run.sh

bench:          ## speed and allocation figures against OpenSSL/libxml2/cJSON, mbedTLS, Node SDK
	@sh tests/bench/run.sh

mutate:         ## mutation testing: each mutant of tests/mutate/mutants.txt against the fast suites
	@sh tests/mutate/run.sh $(MUTANTS)

PREFIX ?= /usr/local
install: all    ## install the header, adapters and a pkg-config file under PREFIX
	@sh examples/install.sh "$(PREFIX)"

clean:          ## remove build output
	rm -rf $(BUILD)
