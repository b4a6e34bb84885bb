# examples/examples.mk -- builds the command-line tool and the examples into
# $(BUILD)/. Run through the top-level Makefile (`make`), or directly:
#
#   make -f examples/examples.mk all            # what `make` does
#   make -f examples/examples.mk config         # which transports were found
#   make -f examples/examples.mk embedded-arm   # the Cortex-M4 build
#   make -f examples/examples.mk WXPAY_CLI_CURL=0 WXPAY_CLI_MBEDTLS=0 \
#        WXPAY_CLI_OPENSSL=0 BUILD=build/socket-only  # as on a machine without them
#
# libcurl, mbedTLS and OpenSSL's libcrypto are optional: a compile probe
# looks for each (when its adapter header is present) and the tool gets
# WXPAY_CLI_HAVE_CURL / WXPAY_CLI_HAVE_MBEDTLS / WXPAY_CLI_HAVE_OPENSSL. The
# plain-socket transport is always built. APIv3 (--api v3) signs with the
# OpenSSL adapter when libcrypto was found, else with the mbedTLS one, else
# it is not available (the tool then exits 7 for --api v3).
# WXPAY_CLI_CURL / WXPAY_CLI_MBEDTLS / WXPAY_CLI_OPENSSL: auto (default),
# 0 (leave out), 1 (must).
#
# Where each library is: pkg-config, else the plain -l flags; or yours, on
# the command line or in the environment (then pkg-config is not asked):
#   make MBEDTLS_CFLAGS=-I$HOME/mbedtls-3.6.6/include \
#        MBEDTLS_LIBS="$HOME/mbedtls-3.6.6/library/libmbedtls.a \
#          $HOME/mbedtls-3.6.6/library/libmbedx509.a \
#          $HOME/mbedtls-3.6.6/library/libmbedcrypto.a"
# (and CURL_CFLAGS/CURL_LIBS, OPENSSL_CFLAGS/OPENSSL_LIBS). Library paths
# and -L/-l flags both work: the probes compile their C from stdin and end
# `-x c` before the libraries, so an .a path is linked, not read as C.

CC       ?= cc
CFLAGS   ?= -O2 -g
LDFLAGS  ?=
BUILD    ?= build
ARM_CC   ?= arm-none-eabi-gcc
WARN     := -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion \
            -Wshadow -Wstrict-prototypes -Werror
WXPAY_CLI_CURL    ?= auto
WXPAY_CLI_MBEDTLS ?= auto
WXPAY_CLI_OPENSSL ?= auto

HAS_PKGCONFIG := $(shell command -v pkg-config >/dev/null 2>&1 && echo 1)

# -- libcurl ---------------------------------------------------------------
ifneq ($(WXPAY_CLI_CURL),0)
ifeq ($(origin CURL_LIBS)$(HAS_PKGCONFIG),undefined1)
CURL_CFLAGS ?= $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   := $(shell pkg-config --libs libcurl 2>/dev/null)
endif
CURL_LIBS   := $(if $(CURL_LIBS),$(CURL_LIBS),-lcurl)
HAVE_CURL   := $(shell test -f adapters/wxpay_curl.h && \
  printf '#include <curl/curl.h>\nint main(void) { return (int)curl_global_init(CURL_GLOBAL_DEFAULT); }\n' | \
  $(CC) $(CURL_CFLAGS) -x c - -x none -o /dev/null $(CURL_LIBS) >/dev/null 2>&1 && echo 1)
ifeq ($(WXPAY_CLI_CURL)$(HAVE_CURL),1)
$(error WXPAY_CLI_CURL=1 but libcurl (or adapters/wxpay_curl.h) was not found)
endif
endif

# -- mbedTLS ---------------------------------------------------------------
ifneq ($(WXPAY_CLI_MBEDTLS),0)
ifeq ($(origin MBEDTLS_LIBS)$(HAS_PKGCONFIG),undefined1)
MBEDTLS_CFLAGS ?= $(shell pkg-config --cflags mbedtls 2>/dev/null)
MBEDTLS_LIBS   := $(shell pkg-config --libs mbedtls mbedx509 mbedcrypto 2>/dev/null)
endif
MBEDTLS_LIBS   := $(if $(MBEDTLS_LIBS),$(MBEDTLS_LIBS),-lmbedtls -lmbedx509 -lmbedcrypto)
HAVE_MBEDTLS   := $(shell test -f adapters/wxpay_mbedtls.h && \
  printf '#include <mbedtls/ssl.h>\nint main(void) { mbedtls_ssl_context s; mbedtls_ssl_init(&s); mbedtls_ssl_free(&s); return 0; }\n' | \
  $(CC) $(MBEDTLS_CFLAGS) -x c - -x none -o /dev/null $(MBEDTLS_LIBS) >/dev/null 2>&1 && echo 1)
ifeq ($(WXPAY_CLI_MBEDTLS)$(HAVE_MBEDTLS),1)
$(error WXPAY_CLI_MBEDTLS=1 but mbedTLS (or adapters/wxpay_mbedtls.h) was not found)
endif
endif

# -- OpenSSL (libcrypto: the APIv3 RSA signer) ------------------------------
ifneq ($(WXPAY_CLI_OPENSSL),0)
ifeq ($(origin OPENSSL_LIBS)$(HAS_PKGCONFIG),undefined1)
OPENSSL_CFLAGS ?= $(shell pkg-config --cflags libcrypto 2>/dev/null)
OPENSSL_LIBS   := $(shell pkg-config --libs libcrypto 2>/dev/null)
endif
OPENSSL_LIBS   := $(if $(OPENSSL_LIBS),$(OPENSSL_LIBS),-lcrypto)
HAVE_OPENSSL   := $(shell test -f adapters/wxpay_openssl.h && \
  printf '#include <openssl/evp.h>\nint main(void) { EVP_MD_CTX *c = EVP_MD_CTX_new(); EVP_MD_CTX_free(c); return 0; }\n' | \
  $(CC) $(OPENSSL_CFLAGS) -x c - -x none -o /dev/null $(OPENSSL_LIBS) >/dev/null 2>&1 && echo 1)
ifeq ($(WXPAY_CLI_OPENSSL)$(HAVE_OPENSSL),1)
$(error WXPAY_CLI_OPENSSL=1 but OpenSSL's libcrypto (or adapters/wxpay_openssl.h) was not found)
endif
endif

CLI_DEFS := $(if $(HAVE_CURL),-DWXPAY_CLI_HAVE_CURL $(CURL_CFLAGS)) \
            $(if $(HAVE_MBEDTLS),-DWXPAY_CLI_HAVE_MBEDTLS $(MBEDTLS_CFLAGS)) \
            $(if $(HAVE_OPENSSL),-DWXPAY_CLI_HAVE_OPENSSL $(OPENSSL_CFLAGS))
CLI_LIBS := $(if $(HAVE_CURL),$(CURL_LIBS)) $(if $(HAVE_MBEDTLS),$(MBEDTLS_LIBS)) \
            $(if $(HAVE_OPENSSL),$(OPENSSL_LIBS))
TRANSPORTS := $(if $(HAVE_CURL),curl )$(if $(HAVE_MBEDTLS),mbedtls )socket
V3_SIGNER  := $(if $(HAVE_OPENSSL),openssl,$(if $(HAVE_MBEDTLS),mbedtls,none))

# Rebuild when the compiler, flags or transports change, not only the sources.
STAMP := $(BUILD)/examples/flags
FLAGS_LINE := $(CC) $(CFLAGS) $(CLI_DEFS) $(CLI_LIBS) $(LDFLAGS)
$(shell mkdir -p $(BUILD)/examples && \
  (printf '%s\n' '$(FLAGS_LINE)' | cmp -s - $(STAMP) || printf '%s\n' '$(FLAGS_LINE)' > $(STAMP)))

HEADERS := wxpay_close.h $(wildcard adapters/*.h)

.PHONY: all config embedded-arm

all: $(BUILD)/wxpay-close $(BUILD)/embedded

config:
	@echo "CC          $(CC)"
	@echo "CFLAGS      $(CFLAGS)"
	@echo "transports  $(TRANSPORTS)"
	@echo "v3 signer   $(V3_SIGNER)"
	@echo "libs        $(CLI_LIBS)"

# The tool's sources (examples/wxpay-close/, one concern a file; cli.h says
# which), each compiled on its own; implementations.c holds the library and
# the adapters.
CLI_SRCS := $(sort $(wildcard examples/wxpay-close/*.c))
CLI_OBJS := $(CLI_SRCS:examples/wxpay-close/%.c=$(BUILD)/examples/wxpay-close/%.o)

$(BUILD)/examples/wxpay-close/%.o: examples/wxpay-close/%.c examples/wxpay-close/cli.h \
  $(HEADERS) $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -I. $(CLI_DEFS) -c $< -o $@

$(BUILD)/wxpay-close: $(CLI_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CLI_OBJS) -o $@ $(LDFLAGS) $(CLI_LIBS)
	@echo "built $@ (transports: $(TRANSPORTS); v3 signer: $(V3_SIGNER))"

$(BUILD)/embedded: examples/embedded.c wxpay_close.h $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -I. examples/embedded.c -o $@ $(LDFLAGS)

# The embedded example for a Cortex-M4 (newlib-nano, no OS); prints its size.
embedded-arm: $(BUILD)/embedded-cm4.elf
$(BUILD)/embedded-cm4.elf: examples/embedded.c wxpay_close.h
	@mkdir -p $(@D)
	$(ARM_CC) $(WARN) -mcpu=cortex-m4 -mthumb -Os --specs=nano.specs --specs=nosys.specs \
	  -DWXPAY_NO_OS -ffunction-sections -fdata-sections -Wl,--gc-sections \
	  -I. examples/embedded.c -o $@
	@$(ARM_CC:gcc=size) $@ 2>/dev/null || true
